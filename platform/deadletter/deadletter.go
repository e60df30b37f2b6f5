// Package deadletter keeps the events a service could not handle: an outbox event the stream
// will never accept (too large, rejected) and a consumed event that failed validation, was
// refused by its handler as permanent, or kept failing after the maximum number of deliveries.
// A letter is parked in the service's own bbolt file, in the same transaction that takes the
// event out of the way, so nothing is lost and nothing waits behind it. Operators list, show,
// retry and drop letters through the daemon's admin endpoints (`sanbao deadletters`).
package deadletter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/store"
)

// Kinds of dead letter.
const (
	KindOutbox   = "outbox"   // an event this service could not publish
	KindConsumer = "consumer" // an event of another service this service could not apply
)

var (
	letters = []byte("_deadletters")       // ID → JSON Letter
	counts  = []byte("_deadletters_count") // kind → U64 count
)

// ErrNotFound is returned for an id that names no parked letter.
var ErrNotFound = errors.New("dead letter not found")

// Letter is one parked event with why and when it was parked.
type Letter struct {
	ID       string    `json:"id"`       // "<owner>.<event id>"; owner is "outbox" or the consumer's durable name
	Kind     string    `json:"kind"`     // KindOutbox or KindConsumer
	Owner    string    `json:"owner"`    // "outbox" or the consumer's durable name
	EventID  string    `json:"event_id"` // ce-id
	Subject  string    `json:"subject"`  // the NATS subject
	Type     string    `json:"type"`     // ce-type
	Source   string    `json:"source,omitempty"`
	Resource string    `json:"resource,omitempty"` // ce-subject
	Time     time.Time `json:"time"`               // ce-time
	Ticket   string    `json:"ticket,omitempty"`   // ce-sanbaoticket
	Actor    string    `json:"actor,omitempty"`    // ce-sanbaoactor: who made the change
	// TraceParent and TraceState are the trace the event continues (ce-traceparent,
	// ce-tracestate): a retried event carries them on, so its work joins the same trace.
	TraceParent string    `json:"traceparent,omitempty"`
	TraceState  string    `json:"tracestate,omitempty"`
	Data        []byte    `json:"data"`   // the event body as published or received
	Reason      string    `json:"reason"` // why it was parked
	ParkedAt    time.Time `json:"parked_at"`
	Deliveries  int       `json:"deliveries,omitempty"` // consumer: deliveries before it was parked
}

// LetterID returns the id of the letter of eventID parked by owner.
func LetterID(owner, eventID string) string { return owner + "." + eventID }

type hooks struct{ onPark func(kind string) }

type hooksKey struct{}

// OnPark registers fn to be called after each commit that parked a new letter in db (metrics).
func OnPark(db *store.DB, fn func(kind string)) {
	db.Attached(hooksKey{}, func() any { return &hooks{} }).(*hooks).onPark = fn
}

// Put parks l inside tx. A letter already parked under the same id is replaced (a redelivery
// of the same event parks it once).
func Put(tx *bbolt.Tx, l Letter) error {
	if l.Kind != KindOutbox && l.Kind != KindConsumer {
		return fmt.Errorf("deadletter: unknown kind %q", l.Kind)
	}
	if l.ID == "" {
		l.ID = LetterID(l.Owner, l.EventID)
	}
	if l.ParkedAt.IsZero() {
		l.ParkedAt = time.Now()
	}
	l.ParkedAt = l.ParkedAt.UTC()
	b, err := tx.CreateBucketIfNotExists(letters)
	if err != nil {
		return err
	}
	v, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("deadletter: %w", err)
	}
	fresh := b.Get([]byte(l.ID)) == nil
	if err := b.Put([]byte(l.ID), v); err != nil {
		return err
	}
	if !fresh {
		return nil
	}
	if err := add(tx, l.Kind, 1); err != nil {
		return err
	}
	if db := store.Of(tx); db != nil {
		h := db.Attached(hooksKey{}, func() any { return &hooks{} }).(*hooks)
		if fn := h.onPark; fn != nil {
			kind := l.Kind
			tx.OnCommit(func() { fn(kind) })
		}
	}
	return nil
}

// Get returns the letter id.
func Get(tx *bbolt.Tx, id string) (Letter, error) {
	b := tx.Bucket(letters)
	if b == nil {
		return Letter{}, ErrNotFound
	}
	v := b.Get([]byte(id))
	if v == nil {
		return Letter{}, ErrNotFound
	}
	var l Letter
	if err := json.Unmarshal(v, &l); err != nil {
		return Letter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	return l, nil
}

// List returns up to limit letters of kind ("" for every kind) with ids after `after`, in id
// order, and the id to pass as after for the next page ("" when there is none).
func List(tx *bbolt.Tx, kind, after string, limit int) ([]Letter, string, error) {
	b := tx.Bucket(letters)
	if b == nil {
		return nil, "", nil
	}
	if limit <= 0 {
		limit = store.DefaultPageSize
	}
	c := b.Cursor()
	k, v := c.Seek([]byte(after))
	if after != "" && bytes.Equal(k, []byte(after)) {
		k, v = c.Next()
	}
	var out []Letter
	for ; k != nil; k, v = c.Next() {
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		var l Letter
		if err := json.Unmarshal(v, &l); err != nil {
			return nil, "", fmt.Errorf("dead letter %s: %w", k, err)
		}
		if kind == "" || l.Kind == kind {
			out = append(out, l)
		}
	}
	return out, "", nil
}

// Delete removes the letter id (after a retry succeeded, or when an operator drops it).
func Delete(tx *bbolt.Tx, id string) error {
	l, err := Get(tx, id)
	if err != nil {
		return err
	}
	if err := tx.Bucket(letters).Delete([]byte(id)); err != nil {
		return err
	}
	return add(tx, l.Kind, -1)
}

// Count returns how many letters of kind are parked; it reads one key, never the letters.
func Count(tx *bbolt.Tx, kind string) int {
	b := tx.Bucket(counts)
	if b == nil {
		return 0
	}
	if v := b.Get([]byte(kind)); v != nil {
		return int(store.Uint64(v))
	}
	return 0
}

func add(tx *bbolt.Tx, kind string, d int) error {
	b, err := tx.CreateBucketIfNotExists(counts)
	if err != nil {
		return err
	}
	n := Count(tx, kind) + d
	if n < 0 {
		n = 0
	}
	return b.Put([]byte(kind), store.U64(uint64(n)))
}
