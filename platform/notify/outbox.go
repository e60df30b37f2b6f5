package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
)

// bucket holds every message by key (kept after delivery: the admin page lists them).
var bucket = []byte("notify_outbox")

// TimerKind is the durable timer that delivers a message.
const TimerKind = "notify.send"

// Record is a message in the outbox with its delivery state.
type Record struct {
	Message
	// Due is when it may be sent (after quiet hours).
	Due time.Time
	// Sent is when a provider accepted it (zero while pending).
	Sent time.Time
	// Attempts counts failed sends; LastError is the latest failure.
	Attempts  int
	LastError string
}

// Enqueue records m in tx, due at due (Preference.DeliverAt), and schedules its delivery after
// the commit. A key already enqueued is left alone (false): each step sends once, however often
// the event that causes it is redelivered.
func Enqueue(tx *bbolt.Tx, m Message, due time.Time) (bool, error) {
	if m.Key == "" {
		return false, errors.New("notify: message without a key")
	}
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return false, fmt.Errorf("notify bucket: %w", err)
	}
	if b.Get([]byte(m.Key)) != nil {
		return false, nil
	}
	v, err := json.Marshal(Record{Message: m, Due: due})
	if err != nil {
		return false, fmt.Errorf("notify encode: %w", err)
	}
	if err := b.Put([]byte(m.Key), v); err != nil {
		return false, fmt.Errorf("notify put: %w", err)
	}
	if err := timer.Schedule(tx, TimerKind, m.Key, due, nil); err != nil {
		return false, fmt.Errorf("notify schedule: %w", err)
	}
	return true, nil
}

// Get reads a record.
func Get(tx *bbolt.Tx, key string) (Record, bool, error) {
	b := tx.Bucket(bucket)
	if b == nil {
		return Record{}, false, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return Record{}, false, nil
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return Record{}, false, fmt.Errorf("notify decode %q: %w", key, err)
	}
	return r, true, nil
}

// List calls fn for the records in key order, at most limit (the admin outbox page).
func List(tx *bbolt.Tx, limit int, fn func(Record) error) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	n := 0
	for k, v := c.First(); k != nil && n < limit; k, v = c.Next() {
		var r Record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("notify decode %q: %w", k, err)
		}
		if err := fn(r); err != nil {
			return err
		}
		n++
	}
	return nil
}

func put(tx *bbolt.Tx, r Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return err
	}
	return b.Put([]byte(r.Key), v)
}

// Deliverer sends due messages through a provider: the handler of TimerKind. The send happens
// outside any transaction; a failure is recorded and the timer retries (with backoff); a send
// whose success could not be recorded is sent again with the same key (at least once).
type Deliverer struct {
	DB       *store.DB
	Provider Provider
	Clock    clock.Clock
	Log      *zap.Logger
}

// Register makes d the handler of TimerKind on r.
func (d *Deliverer) Register(r *timer.Runner) { r.Handle(TimerKind, d.deliver) }

func (d *Deliverer) deliver(ctx context.Context, t timer.Timer) error {
	var rec Record
	var found bool
	if err := d.DB.View(func(tx *bbolt.Tx) (err error) {
		rec, found, err = Get(tx, t.Key)
		return err
	}); err != nil {
		return err
	}
	if !found || !rec.Sent.IsZero() {
		return nil
	}
	sendErr := d.Provider.Send(ctx, rec.Message)
	err := d.DB.Update(ctx, func(tx *bbolt.Tx) error {
		r, ok, err := Get(tx, t.Key)
		if err != nil || !ok {
			return err
		}
		if sendErr != nil {
			r.Attempts++
			r.LastError = sendErr.Error()
		} else {
			r.Sent = d.Clock.Now()
		}
		return put(tx, r)
	})
	if err != nil {
		return err
	}
	if sendErr != nil {
		d.Log.Warn("notification not sent; retrying", zap.String("key", t.Key), zap.Error(sendErr))
		return sendErr // the timer retries
	}
	return nil
}
