package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/store"
)

// RelayOptions tune a Relay. The zero value is the production default.
type RelayOptions struct {
	// Source is the CloudEvents source of every event, e.g. "/sanbao/ticket".
	Source string
	// BatchSize bounds the events in flight at once (default 256).
	BatchSize int
	// AckTimeout bounds the wait for the stream's acknowledgements of a batch (default 5s).
	AckTimeout time.Duration
	// Poll is how often the relay looks for events when nobody notified it (default 1s).
	Poll time.Duration
	// MaxBackoff caps the wait between attempts while NATS is away (default 5s).
	MaxBackoff time.Duration
}

// Relay publishes the outbox to JetStream. Run it in one goroutine per store.
type Relay struct {
	db        *store.DB
	js        jetstream.JetStream
	log       *zap.Logger
	opts      RelayOptions
	wake      chan struct{}
	published atomic.Uint64
}

// NewRelay returns a relay from db's outbox to js.
func NewRelay(db *store.DB, js jetstream.JetStream, log *zap.Logger, opts RelayOptions) *Relay {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 5 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	return &Relay{db: db, js: js, log: log, opts: opts, wake: make(chan struct{}, 1)}
}

// Notify wakes the relay after a commit that appended events. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Published returns how many events this relay has had acknowledged.
func (r *Relay) Published() uint64 { return r.published.Load() }

// Run publishes until ctx ends. Failures (NATS away, stream missing) are retried with backoff;
// Run returns only ctx's error.
func (r *Relay) Run(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	failing := false
	for {
		n, err := r.publishBatch(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			if !failing {
				r.log.Warn("outbox relay cannot publish; retrying", zap.Error(err))
				failing = true
			}
			if !sleep(ctx, backoff) {
				return ctx.Err()
			}
			backoff = min(backoff*2, r.opts.MaxBackoff)
			continue
		case failing:
			r.log.Info("outbox relay publishing again")
			failing = false
		}
		backoff = 50 * time.Millisecond
		if n > 0 {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-time.After(r.opts.Poll):
		}
	}
}

// Flush publishes until the outbox is empty or ctx ends; used on shutdown and in tests.
func (r *Relay) Flush(ctx context.Context) error {
	for {
		n, err := r.publishBatch(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil // a non-empty batch either has acknowledgements or an error
		}
	}
}

type pending struct {
	key   []byte
	entry entry
}

// publishBatch publishes one batch and deletes what the stream acknowledged. A batch never holds
// two events of the same resource, so a failed event can never be overtaken by a later event of
// its resource: per-resource order survives retries even though a batch is published pipelined.
func (r *Relay) publishBatch(ctx context.Context) (int, error) {
	batch, err := r.next()
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, len(batch))
	var firstErr error
	sent := 0
	for i, p := range batch {
		msg := events.NewMsg(p.entry.Subject, events.Message{
			ID: p.entry.ID, Source: r.opts.Source, Type: p.entry.Type,
			Resource: p.entry.Resource, Time: p.entry.Time, Data: p.entry.Data,
		})
		f, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID(p.entry.ID))
		if err != nil {
			firstErr = fmt.Errorf("publish %s: %w", p.entry.Subject, err)
			break
		}
		futures[i] = f
		sent++
	}
	timeout := time.NewTimer(r.opts.AckTimeout)
	defer timeout.Stop()
	var acked [][]byte
	for i := 0; i < sent; i++ {
		select {
		case <-futures[i].Ok():
			acked = append(acked, batch[i].key)
		case err := <-futures[i].Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("publish %s: %w", batch[i].entry.Subject, err)
			}
		case <-timeout.C:
			if firstErr == nil {
				firstErr = errors.New("publish: timed out waiting for the stream's acknowledgement")
			}
			i = sent // stop waiting; unacknowledged entries are retried (JetStream drops duplicates)
		case <-ctx.Done():
			if firstErr == nil {
				firstErr = ctx.Err()
			}
			i = sent
		}
	}
	if len(acked) > 0 {
		err := r.db.UpdateAlone(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucket)
			for _, k := range acked {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("delete published events: %w", err)
		}
		r.published.Add(uint64(len(acked)))
	}
	return len(acked), firstErr
}

// next reads the oldest events, stopping before the second event of any resource.
func (r *Relay) next() ([]pending, error) {
	var batch []pending
	err := r.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		seen := make(map[string]bool)
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(batch) < r.opts.BatchSize; k, v = c.Next() {
			var e entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("outbox entry %x: %w", k, err)
			}
			res := e.Resource
			if res == "" {
				res = e.Subject
			}
			if seen[res] {
				break
			}
			seen[res] = true
			batch = append(batch, pending{key: append([]byte(nil), k...), entry: e})
		}
		return nil
	})
	return batch, err
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
