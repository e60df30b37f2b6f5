package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/store"
)

// Handler applies one event inside a read-write transaction of the consuming service's store.
// It may run more than once for one event (the transaction can be retried), but its effects are
// committed at most once per event id. Returning an error rolls the transaction back and the
// event is redelivered later; wrap the error with Permanent to drop a message that can never be
// applied (it is logged).
type Handler func(tx *bbolt.Tx, m Message) error

// permanentError marks a handler error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that redelivery cannot fix.
func Permanent(err error) error { return permanentError{err} }

// ConsumerConfig describes a durable consumer of another service's stream.
type ConsumerConfig struct {
	Stream         string   // the producing service's stream, e.g. "DISPATCH"
	Durable        string   // this consumer's durable name, e.g. "ticket-jobs"; unique per consumer
	FilterSubjects []string // the subjects it wants, e.g. "sanbao.dispatch.v1.job.>"
	Handle         Handler
	// AckWait is how long JetStream waits before redelivering an unacknowledged event (30s).
	AckWait time.Duration
	// Observe, when set, is told the result of every delivery: "applied", "retry" or "dropped".
	Observe func(consumer, result string)
}

// Consumer applies another service's events to this service's store, once per event id.
type Consumer struct {
	db  *store.DB
	js  jetstream.JetStream
	log *zap.Logger
	cfg ConsumerConfig
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(db *store.DB, js jetstream.JetStream, log *zap.Logger, cfg ConsumerConfig) *Consumer {
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	return &Consumer{db: db, js: js, log: log.With(zap.String("consumer", cfg.Durable)), cfg: cfg}
}

func processedBucket(durable string) []byte { return []byte("_consumed/" + durable) }

// Run consumes until ctx ends. While the producer's stream does not exist yet (the producer has
// not started) or NATS is away, it waits and retries.
func (c *Consumer) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	last := ""
	for {
		err := c.consume(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Log each new reason once: a producer that has not started yet is normal at start-up.
		if reason := err.Error(); reason != last {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				c.log.Info("waiting for the producer's stream", zap.String("stream", c.cfg.Stream))
			} else {
				c.log.Warn("event consumer interrupted; retrying", zap.Error(err))
			}
			last = reason
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (c *Consumer) consume(ctx context.Context) error {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, jetstream.ConsumerConfig{
		Durable:        c.cfg.Durable,
		FilterSubjects: c.cfg.FilterSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.cfg.AckWait,
		MaxDeliver:     -1,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("create consumer on %s: %w", c.cfg.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return fmt.Errorf("pull from %s: %w", c.cfg.Stream, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("next event: %w", err)
		}
		c.handle(ctx, msg)
	}
}

// handle applies one delivery and acknowledges it.
func (c *Consumer) handle(ctx context.Context, msg jetstream.Msg) {
	m, err := Parse(msg.Subject(), msg.Headers(), msg.Data())
	if err != nil {
		c.log.Error("dropping a message that is not an event", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.Term()
		return
	}
	err = c.Apply(ctx, m)
	var perm permanentError
	result := "applied"
	defer func() {
		if c.cfg.Observe != nil {
			c.cfg.Observe(c.cfg.Durable, result)
		}
	}()
	switch {
	case errors.As(err, &perm):
		c.log.Error("dropping an event that cannot be applied", zap.String("event_id", m.ID),
			zap.String("type", m.Type), zap.Error(err))
		_ = msg.Term()
		result = "dropped"
	case err != nil:
		result = "retry"
		meta, _ := msg.Metadata()
		delay := time.Second
		if meta != nil {
			delay = min(time.Duration(meta.NumDelivered)*time.Second, time.Minute)
		}
		c.log.Warn("event not applied; will be redelivered", zap.String("event_id", m.ID),
			zap.String("type", m.Type), zap.Duration("delay", delay), zap.Error(err))
		_ = msg.NakWithDelay(delay)
	default:
		if err := msg.Ack(); err != nil {
			c.log.Debug("ack failed; the event will be redelivered and skipped", zap.String("event_id", m.ID), zap.Error(err))
		}
	}
}

// Apply runs the handler for m unless an event with m's id was already applied, and records the
// id in the same transaction. It is exported so tests can replay a delivery.
func (c *Consumer) Apply(ctx context.Context, m Message) error {
	seen := processedBucket(c.cfg.Durable)
	return c.db.Update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(seen)
		if err != nil {
			return err
		}
		if b.Get([]byte(m.ID)) != nil {
			return nil
		}
		if err := c.cfg.Handle(tx, m); err != nil {
			return err
		}
		return b.Put([]byte(m.ID), store.TimeKey(time.Now()))
	})
}

// Pending returns how many events are waiting for this consumer (its lag).
func (c *Consumer) Pending(ctx context.Context) (uint64, error) {
	cons, err := c.js.Consumer(ctx, c.cfg.Stream, c.cfg.Durable)
	if err != nil {
		return 0, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// Durable returns the consumer's durable name.
func (c *Consumer) Durable() string { return c.cfg.Durable }

// PruneProcessed forgets consumed event ids recorded before cutoff, at most limit of them, and
// reports how many. JetStream only redelivers unacknowledged events, so ids older than the
// acknowledgement window are never needed again.
func PruneProcessed(tx *bbolt.Tx, cutoff time.Time, limit int) (int, error) {
	prefix := []byte("_consumed/")
	n := 0
	c := tx.Cursor()
	for name, _ := c.Seek(prefix); name != nil && bytes.HasPrefix(name, prefix) && n < limit; name, _ = c.Next() {
		b := tx.Bucket(name)
		var old [][]byte
		bc := b.Cursor()
		for k, v := bc.First(); k != nil && n+len(old) < limit; k, v = bc.Next() {
			if store.KeyTime(v).Before(cutoff) {
				old = append(old, append([]byte(nil), k...))
			}
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return n, err
			}
		}
		n += len(old)
	}
	return n, nil
}
