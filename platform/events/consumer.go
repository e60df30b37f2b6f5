package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/tracing"
)

// Handler applies one event inside a read-write transaction of the consuming service's store.
// It may run more than once for one event (the transaction can be retried), but its effects are
// committed at most once per event id. Returning an error rolls the transaction back and the
// event is redelivered later with backoff; wrap the error with Permanent for a message that can
// never be applied: it is parked as a dead letter (logged, counted, visible to operators).
// Events of one pull are applied together in one transaction, in stream order; a handler that
// fails takes only its own event (and the later events of the same resource) out of the batch.
type Handler func(tx *bbolt.Tx, m Message) error

// permanentError marks a handler error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that redelivery cannot fix: the event is parked as a dead letter.
func Permanent(err error) error { return permanentError{err} }

// Results a delivery can have, as told to ConsumerConfig.Observe.
const (
	ResultApplied = "applied" // applied (or already applied: a redelivery)
	ResultRetry   = "retry"   // not applied now; redelivered later with backoff
	ResultParked  = "parked"  // parked as a dead letter: invalid, permanent error or out of retries
)

// ConsumerConfig describes a durable consumer of another service's stream.
type ConsumerConfig struct {
	Stream         string   // the producing service's stream, e.g. "DISPATCH"
	Durable        string   // this consumer's durable name, e.g. "ticket-jobs"; unique per consumer
	FilterSubjects []string // the subjects it wants, e.g. "sanbao.dispatch.v1.job.>"
	Handle         Handler
	// AckWait is how long JetStream waits before redelivering an unacknowledged event (30s).
	AckWait time.Duration
	// Batch bounds the events applied in one transaction (default 256).
	Batch int
	// MaxDeliveries is how many times an event whose handler keeps failing is delivered before
	// it is parked as a dead letter (default 10).
	MaxDeliveries int
	// MaxBackoff caps the delay before a failed event is delivered again (default 1 minute);
	// the delay doubles from 1s with each delivery.
	MaxBackoff time.Duration
	// Observe, when set, is told the result of every delivery: ResultApplied, ResultRetry or
	// ResultParked.
	Observe func(consumer, result string)
	// Now is the service's clock: processed ids and dead letters are stamped with it, and the
	// daemon prunes processed ids by the same clock (default time.Now).
	Now func() time.Time
	// AfterCommit, when set, runs after each transaction that applied events has committed
	// (the daemon wakes the outbox relay and the timers there).
	AfterCommit func()
	// Tracer records a consumer span per delivery, a child of the trace the event carries
	// (ce-traceparent); what the handler appends or schedules continues it (default: records
	// nothing; the trace context still flows).
	Tracer trace.TracerProvider
}

// Consumer applies another service's events to this service's store, once per event id.
type Consumer struct {
	db     *store.DB
	js     jetstream.JetStream
	log    *zap.Logger
	cfg    ConsumerConfig
	tracer trace.Tracer

	mu sync.Mutex
	// waiting holds, per resource, the stream sequences of its events handed back for a later
	// redelivery (a retry, or held behind one), each until when it is waited for (in case it
	// never comes back to this process). A later event of the resource waits behind them.
	waiting map[string]map[uint64]time.Time
}

// behind reports whether an earlier event of res than seq is waiting for its redelivery.
// Callers hold c.mu.
func (c *Consumer) behind(res string, seq uint64, now time.Time) bool {
	w := c.waiting[res]
	found := false
	for s, until := range w {
		switch {
		case now.After(until):
			delete(w, s)
		case s < seq:
			found = true
		}
	}
	if len(w) == 0 {
		delete(c.waiting, res)
	}
	return found
}

// NewConsumer returns a consumer; Run starts it.
func NewConsumer(db *store.DB, js jetstream.JetStream, log *zap.Logger, cfg ConsumerConfig) *Consumer {
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = 10
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Consumer{db: db, js: js, log: log.With(zap.String("consumer", cfg.Durable)), cfg: cfg,
		tracer:  tracing.Provider(cfg.Tracer).Tracer("github.com/sanbao/sanbao/platform/events"),
		waiting: map[string]map[uint64]time.Time{}}
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
		MaxDeliver:     -1, // the consumer parks an event itself after MaxDeliveries
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("create consumer on %s: %w", c.cfg.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(c.cfg.Batch))
	if err != nil {
		return fmt.Errorf("pull from %s: %w", c.cfg.Stream, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	// One goroutine takes the deliveries off the iterator; the loop below applies whatever has
	// arrived as one batch.
	msgs := make(chan jetstream.Msg, c.cfg.Batch)
	errc := make(chan error, 1)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			msg, err := it.Next()
			if err != nil {
				errc <- err
				return
			}
			select {
			case msgs <- msg:
			case <-quit:
				return
			}
		}
	}()
	defer func() {
		close(quit)
		it.Stop()
		wg.Wait()
	}()
	batch := make([]jetstream.Msg, 0, c.cfg.Batch)
	for {
		batch = batch[:0]
		select {
		case msg := <-msgs:
			batch = append(batch, msg)
		case err := <-errc:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("next event: %w", err)
		}
	more:
		for len(batch) < c.cfg.Batch {
			select {
			case msg := <-msgs:
				batch = append(batch, msg)
			default:
				break more
			}
		}
		c.handle(ctx, batch)
	}
}

// What happens to one delivery of a batch.
const (
	doApply = iota // run the handler
	doPark         // park as a dead letter
	doRetry        // the handler failed: redeliver later
	doHold         // an earlier event of its resource waits for a retry: redeliver after it
)

type delivery struct {
	msg        jetstream.Msg
	m          Message
	seq        uint64
	deliveries int
	resource   string
	action     int
	reason     string
	delay      time.Duration
	ctx        context.Context // the delivery's span: the handler's store.Context
	span       trace.Span
}

// failedAt is how the batch transaction reports the delivery whose handler failed.
type failedAt struct {
	i   int
	err error
}

func (f *failedAt) Error() string { return f.err.Error() }

// handle applies one batch: one transaction, one fsync, then every delivery acknowledged (or
// handed back for redelivery).
func (c *Consumer) handle(ctx context.Context, batch []jetstream.Msg) {
	ds := make([]delivery, len(batch))
	now := time.Now()
	c.mu.Lock()
	for i, msg := range batch {
		d := &ds[i]
		d.msg = msg
		d.deliveries = 1
		if meta, err := msg.Metadata(); err == nil {
			d.seq = meta.Sequence.Stream
			d.deliveries = int(meta.NumDelivered)
		}
		m, err := Parse(msg.Subject(), msg.Headers(), msg.Data())
		if err != nil {
			m = Message{ID: msg.Headers().Get(HeaderID), Type: msg.Headers().Get(HeaderType), Subject: msg.Subject(), Data: msg.Data()}
			if m.ID == "" {
				m.ID = "seq-" + strconv.FormatUint(d.seq, 10)
			}
			d.m, d.action, d.reason = m, doPark, "not a CloudEvents event: "+err.Error()
			continue
		}
		d.m = m
		d.resource = m.Resource
		if d.resource == "" {
			d.resource = m.Subject
		}
		if err := validate(&d.m); err != nil {
			d.action, d.reason = doPark, err.Error()
			continue
		}
		// An earlier event of this resource waits for its retry: this one waits behind it.
		if c.behind(d.resource, d.seq, now) {
			d.action, d.delay = doHold, min(100*time.Millisecond, c.cfg.MaxBackoff)
		}
	}
	c.mu.Unlock()
	for i := range ds {
		c.startSpan(&ds[i])
	}
	for {
		err := c.apply(ds)
		var fa *failedAt
		if errors.As(err, &fa) {
			c.failed(ds, fa.i, fa.err)
			continue // again, without the failed delivery
		}
		if err != nil {
			// The store failed: nothing was applied; everything comes back later.
			c.log.Warn("events not applied; will be redelivered", zap.Int("events", len(ds)), zap.Error(err))
			for i := range ds {
				if ds[i].action == doApply {
					ds[i].action, ds[i].delay = doRetry, c.backoff(ds[i].deliveries)
				}
			}
		}
		break
	}
	if c.cfg.AfterCommit != nil {
		c.cfg.AfterCommit()
	}
	c.mu.Lock()
	for i := range ds {
		d := &ds[i]
		switch d.action {
		case doApply, doPark:
			if w := c.waiting[d.resource]; w != nil {
				delete(w, d.seq)
				if len(w) == 0 {
					delete(c.waiting, d.resource)
				}
			}
		case doRetry, doHold:
			w := c.waiting[d.resource]
			if w == nil {
				w = map[uint64]time.Time{}
				c.waiting[d.resource] = w
			}
			w[d.seq] = time.Now().Add(d.delay + c.cfg.AckWait)
		}
	}
	c.mu.Unlock()
	for i := range ds {
		d := &ds[i]
		result := ResultApplied
		switch d.action {
		case doApply:
			if err := d.msg.Ack(); err != nil {
				c.log.Debug("ack failed; the event will be redelivered and skipped", append(tracing.Fields(d.ctx), zap.String("event_id", d.m.ID), zap.Error(err))...)
			} else if ce := c.log.Check(zap.DebugLevel, "event applied"); ce != nil {
				ce.Write(append(tracing.Fields(d.ctx), zap.String("event_id", d.m.ID), zap.String("type", d.m.Type),
					zap.String("resource", d.m.Resource))...)
			}
		case doPark:
			result = ResultParked
			c.log.Error("event parked as a dead letter", append(tracing.Fields(d.ctx), zap.String("event_id", d.m.ID), zap.String("type", d.m.Type),
				zap.String("subject", d.m.Subject), zap.Int("deliveries", d.deliveries), zap.String("reason", d.reason))...)
			_ = d.msg.Ack()
		case doRetry, doHold:
			result = ResultRetry
			if d.action == doRetry {
				c.log.Warn("event not applied; will be redelivered", append(tracing.Fields(d.ctx), zap.String("event_id", d.m.ID),
					zap.String("type", d.m.Type), zap.Int("deliveries", d.deliveries), zap.Duration("delay", d.delay),
					zap.String("reason", d.reason))...)
			}
			_ = d.msg.NakWithDelay(d.delay)
		}
		if c.cfg.Observe != nil {
			c.cfg.Observe(c.cfg.Durable, result)
		}
		d.span.SetAttributes(attribute.String("sanbao.consumer.result", result))
		if d.action == doPark || d.action == doRetry {
			d.span.SetStatus(codes.Error, d.reason)
		}
		d.span.End()
	}
}

// startSpan starts the delivery's consumer span, continuing the trace the event carries, on
// behalf of the event's actor (what the handler changes is recorded as theirs).
func (c *Consumer) startSpan(d *delivery) {
	ctx := tracing.Continue(auth.WithActor(context.Background(), d.m.Actor), d.m.Trace)
	d.ctx, d.span = c.tracer.Start(ctx, "apply "+d.m.Type, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", d.m.Subject),
			attribute.String("messaging.consumer.group.name", c.cfg.Durable),
			attribute.String("messaging.message.id", d.m.ID), attribute.Int("messaging.nats.deliveries", d.deliveries)))
}

// failed takes delivery i out of the batch after its handler returned err: parked when err is
// permanent or the event is out of deliveries, else retried later, with the later events of its
// resource held behind it.
func (c *Consumer) failed(ds []delivery, i int, err error) {
	d := &ds[i]
	var perm permanentError
	switch {
	case errors.As(err, &perm):
		d.action, d.reason = doPark, "permanent: "+err.Error()
		return
	case d.deliveries >= c.cfg.MaxDeliveries:
		d.action, d.reason = doPark, fmt.Sprintf("still failing after %d deliveries: %v", d.deliveries, err)
		return
	}
	d.action, d.reason, d.delay = doRetry, err.Error(), c.backoff(d.deliveries)
	for j := i + 1; j < len(ds); j++ {
		if ds[j].resource == d.resource && ds[j].action == doApply {
			ds[j].action, ds[j].delay = doHold, d.delay
		}
	}
}

func (c *Consumer) backoff(deliveries int) time.Duration {
	return min(time.Second<<min(max(deliveries-1, 0), 20), c.cfg.MaxBackoff)
}

// apply runs the batch's handlers and parks its dead letters in one transaction, group-committed
// with the service's other writes (one fsync for all). It only reads ds, so the store may run it
// more than once; when a handler fails, the store commits the others' work without it and
// apply reports which delivery failed.
func (c *Consumer) apply(ds []delivery) error {
	seen := processedBucket(c.cfg.Durable)
	return c.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(seen)
		if err != nil {
			return err
		}
		now := store.TimeKey(c.cfg.Now())
		for i := range ds {
			d := &ds[i]
			switch d.action {
			case doPark:
				if b.Get([]byte(d.m.ID)) != nil {
					continue // applied before; only this redelivery is bad
				}
				if err := deadletter.Put(tx, c.letter(d)); err != nil {
					return err
				}
			case doApply:
				if b.Get([]byte(d.m.ID)) != nil {
					continue
				}
				if err := store.WithContext(tx, d.ctx, func() error { return safeHandle(c.cfg.Handle, tx, d.m) }); err != nil {
					return &failedAt{i, err}
				}
				if err := b.Put([]byte(d.m.ID), now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func (c *Consumer) letter(d *delivery) deadletter.Letter {
	return deadletter.Letter{Kind: deadletter.KindConsumer, Owner: c.cfg.Durable, EventID: d.m.ID, Subject: d.m.Subject,
		Type: d.m.Type, Source: d.m.Source, Resource: d.m.Resource, Time: d.m.Time, Ticket: d.m.Ticket, Actor: d.m.Actor,
		TraceParent: d.m.Trace.Parent, TraceState: d.m.Trace.State, Data: d.m.Data,
		Reason: d.reason, ParkedAt: c.cfg.Now(), Deliveries: d.deliveries}
}

func safeHandle(h Handler, tx *bbolt.Tx, m Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("event handler panicked: %v", p)
		}
	}()
	return h(tx, m)
}

// Apply runs the handler for m unless an event with m's id was already applied, and records the
// id in the same transaction. It is exported so tests can replay a delivery.
func (c *Consumer) Apply(ctx context.Context, m Message) error {
	seen := processedBucket(c.cfg.Durable)
	err := c.db.Update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(seen)
		if err != nil {
			return err
		}
		if b.Get([]byte(m.ID)) != nil {
			return nil
		}
		if err := safeHandle(c.cfg.Handle, tx, m); err != nil {
			return err
		}
		return b.Put([]byte(m.ID), store.TimeKey(c.cfg.Now()))
	})
	if err == nil && c.cfg.AfterCommit != nil {
		c.cfg.AfterCommit()
	}
	return err
}

// Retry applies the dead letter id of this consumer again (validation, then the handler, in
// one transaction) and removes it once applied. It fails, leaving the letter parked, when the
// event still cannot be applied. The handler runs as on delivery: with the event's actor and
// in its trace, so what it changes and the events it appends say who and which trace.
func (c *Consumer) Retry(ctx context.Context, id string) error {
	var l deadletter.Letter
	if err := c.db.View(func(tx *bbolt.Tx) (err error) { l, err = deadletter.Get(tx, id); return err }); err != nil {
		return err
	}
	if l.Kind != deadletter.KindConsumer || l.Owner != c.cfg.Durable {
		return fmt.Errorf("dead letter %s belongs to %s %s, not consumer %s", id, l.Kind, l.Owner, c.cfg.Durable)
	}
	m := Message{ID: l.EventID, Source: l.Source, Type: l.Type, Resource: l.Resource, Time: l.Time, Subject: l.Subject,
		Ticket: l.Ticket, Actor: l.Actor, Trace: tracing.Carried{Parent: l.TraceParent, State: l.TraceState}, Data: l.Data}
	if err := validate(&m); err != nil {
		return err
	}
	hctx, span := c.tracer.Start(tracing.Continue(auth.WithActor(ctx, m.Actor), m.Trace), "retry "+m.Type,
		trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	seen := processedBucket(c.cfg.Durable)
	err := c.db.UpdateAlone(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(seen)
		if err != nil {
			return err
		}
		if b.Get([]byte(m.ID)) == nil {
			if err := store.WithContext(tx, hctx, func() error { return safeHandle(c.cfg.Handle, tx, m) }); err != nil {
				return err
			}
			if err := b.Put([]byte(m.ID), store.TimeKey(c.cfg.Now())); err != nil {
				return err
			}
		}
		return deadletter.Delete(tx, id)
	})
	if err == nil && c.cfg.AfterCommit != nil {
		c.cfg.AfterCommit()
	}
	return err
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
