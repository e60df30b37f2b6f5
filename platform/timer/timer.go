// Package timer keeps durable timers: records indexed by due time in the service's bbolt file,
// fired by a Runner at least once after they are due, surviving restarts. Services use them for
// deadlines (SLA, acceptance, reservation expiry) and for retried tasks (due now).
package timer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/tracing"
)

var (
	dueBucket = []byte("_timers")     // TimeKey(due) | kind | 0 | key → record
	keyBucket = []byte("_timer_keys") // kind | 0 | key → the dueBucket key
)

// Timer is one scheduled firing.
type Timer struct {
	Kind    string    // what to do, e.g. "sla.breach"; selects the handler
	Key     string    // which one, e.g. a ticket id; (Kind, Key) is unique
	Due     time.Time // when it fires
	Payload []byte    // handler data
	Attempt int       // failed firings so far
	// Trace is the trace context of the work that scheduled the timer; its firing continues
	// that trace.
	Trace tracing.Carried
	// Actor is who made the change that scheduled the timer (auth.Actor); the firing works on
	// their behalf (auth.WithActor), so what it changes is recorded as theirs.
	Actor string
}

type record struct {
	Kind    string    `json:"kind"`
	Key     string    `json:"key"`
	Due     time.Time `json:"due"`
	Payload []byte    `json:"payload,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Trace   string    `json:"traceparent,omitempty"`
	State   string    `json:"tracestate,omitempty"`
	Actor   string    `json:"actor,omitempty"`
}

// Schedule sets the timer (kind, key) to fire at due with payload, replacing any earlier one.
// The timer keeps the trace context and the actor of the call whose transaction tx is
// (store.Context), so its firing continues that trace on that actor's behalf.
func Schedule(tx *bbolt.Tx, kind, key string, due time.Time, payload []byte) error {
	ctx := store.Context(tx)
	return put(tx, Timer{Kind: kind, Key: key, Due: due, Payload: payload, Trace: tracing.From(ctx), Actor: auth.Actor(ctx, "")})
}

func put(tx *bbolt.Tx, t Timer) error {
	if kind, key := t.Kind, t.Key; kind == "" || bytes.IndexByte([]byte(kind+key), store.Sep) >= 0 {
		return errors.New("timer: kind must be non-empty and kind and key free of NUL")
	}
	v, err := json.Marshal(record{Kind: t.Kind, Key: t.Key, Due: t.Due.UTC(), Payload: t.Payload, Attempt: t.Attempt,
		Trace: t.Trace.Parent, State: t.Trace.State, Actor: t.Actor})
	if err != nil {
		return err
	}
	ik := store.Key(t.Kind, t.Key)
	dk := append(store.TimeKey(t.Due), ik...)
	// The same timer scheduled again (a save that did not move a deadline): nothing to write.
	if kb, db := tx.Bucket(keyBucket), tx.Bucket(dueBucket); kb == nil || db == nil ||
		!bytes.Equal(kb.Get(ik), dk) || !bytes.Equal(db.Get(dk), v) {
		if err := Cancel(tx, t.Kind, t.Key); err != nil {
			return err
		}
		db, err := tx.CreateBucketIfNotExists(dueBucket)
		if err != nil {
			return err
		}
		kb, err := tx.CreateBucketIfNotExists(keyBucket)
		if err != nil {
			return err
		}
		if err := db.Put(dk, v); err != nil {
			return err
		}
		if err := kb.Put(ik, dk); err != nil {
			return err
		}
	}
	// Hand the timer to the file's runner once tx has committed: one due now fires without
	// the runner reading it back from the store.
	if sdb := store.Of(tx); sdb != nil {
		if r := runnerOf(sdb).Load(); r != nil {
			tx.OnCommit(func() { r.offer(t) })
		}
	}
	return nil
}

type runnerKey struct{}

func runnerOf(db *store.DB) *atomic.Pointer[Runner] {
	return db.Attached(runnerKey{}, func() any { return &atomic.Pointer[Runner]{} }).(*atomic.Pointer[Runner])
}

// Cancel removes the timer (kind, key) if it is scheduled.
func Cancel(tx *bbolt.Tx, kind, key string) error {
	kb := tx.Bucket(keyBucket)
	if kb == nil {
		return nil
	}
	ik := store.Key(kind, key)
	dk := kb.Get(ik)
	if dk == nil {
		return nil
	}
	if err := tx.Bucket(dueBucket).Delete(dk); err != nil {
		return err
	}
	return kb.Delete(ik)
}

// Get returns the timer (kind, key) if it is scheduled.
func Get(tx *bbolt.Tx, kind, key string) (Timer, bool, error) {
	kb := tx.Bucket(keyBucket)
	if kb == nil {
		return Timer{}, false, nil
	}
	dk := kb.Get(store.Key(kind, key))
	if dk == nil {
		return Timer{}, false, nil
	}
	t, err := decode(tx.Bucket(dueBucket).Get(dk))
	return t, err == nil, err
}

// Due returns up to limit timers due at or before now, earliest first.
func Due(tx *bbolt.Tx, now time.Time, limit int) ([]Timer, error) {
	b := tx.Bucket(dueBucket)
	if b == nil {
		return nil, nil
	}
	end := store.TimeKey(now)
	var out []Timer
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
		if bytes.Compare(k[:8], end) > 0 {
			break
		}
		t, err := decode(v)
		if err != nil {
			return nil, fmt.Errorf("timer %x: %w", k, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// Next returns when the earliest timer is due.
func Next(tx *bbolt.Tx) (time.Time, bool) {
	b := tx.Bucket(dueBucket)
	if b == nil {
		return time.Time{}, false
	}
	k, _ := b.Cursor().First()
	if k == nil {
		return time.Time{}, false
	}
	return store.KeyTime(k[:8]), true
}

// Count returns the number of scheduled timers.
func Count(tx *bbolt.Tx) int {
	b := tx.Bucket(dueBucket)
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}

func decode(v []byte) (Timer, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return Timer{}, err
	}
	return Timer{Kind: r.Kind, Key: r.Key, Due: r.Due, Payload: r.Payload, Attempt: r.Attempt,
		Trace: tracing.Carried{Parent: r.Trace, State: r.State}, Actor: r.Actor}, nil
}

// same reports whether the timer (t.Kind, t.Key) is still the one that was fired (it was not
// rescheduled or cancelled by the handler or by someone else meanwhile).
func same(tx *bbolt.Tx, t Timer) bool {
	kb := tx.Bucket(keyBucket)
	if kb == nil {
		return false
	}
	dk := kb.Get(store.Key(t.Kind, t.Key))
	return dk != nil && bytes.Equal(dk, append(store.TimeKey(t.Due), store.Key(t.Kind, t.Key)...))
}
