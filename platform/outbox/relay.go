package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/tracing"
)

// RelayOptions tune a Relay. The zero value is the production default.
type RelayOptions struct {
	// Source is the CloudEvents source of every event, e.g. "/sanbao/ticket".
	Source string
	// Window bounds the events published and not yet acknowledged (default 512; keep it below
	// the JetStream context's PublishAsyncMaxPending).
	Window int
	// BatchSize is the old name of Window; Window wins when both are set.
	BatchSize int
	// AckTimeout bounds the wait for the stream's acknowledgement of the oldest event in
	// flight (default 5s); on expiry everything unacknowledged is sent again, in order.
	AckTimeout time.Duration
	// Poll is how often the relay looks for events when nobody woke it (default 5s). Appends
	// wake it after their commit, so this is only a safety net.
	Poll time.Duration
	// MaxBackoff caps the wait between attempts while NATS is away (default 5s).
	MaxBackoff time.Duration
	// Tracer records a producer span per published event, in the trace of the call that
	// appended it (default: records nothing; the trace context is still published).
	Tracer trace.TracerProvider
}

// Relay publishes the outbox to JetStream. Run it in one goroutine per store.
//
// Events are published in outbox-key (commit) order, asynchronously, up to Window at once; the
// acknowledgements are taken in the same order and the acknowledged entries deleted in one
// transaction per round (group commit). When anything fails, everything not yet acknowledged is
// sent again from the oldest, in order: the stream drops the duplicates by Nats-Msg-Id (the
// event id), so a retry never doubles an event and each resource's events reach the stream in
// the order they were committed. An event the stream can never take (larger than the server's
// max payload, or rejected as too large by the stream) is parked as a dead letter with its
// reason and the relay goes on.
type Relay struct {
	db        *store.DB
	js        jetstream.JetStream
	log       *zap.Logger
	opts      RelayOptions
	wake      chan struct{}
	published atomic.Uint64
	parked    atomic.Uint64
	tracer    trace.Tracer
	system    string // the actor of events appended by no one: "service:<name>" from Source
}

// NewRelay returns a relay from db's outbox to js. Appends to db wake it after their commit.
func NewRelay(db *store.DB, js jetstream.JetStream, log *zap.Logger, opts RelayOptions) *Relay {
	if opts.Window <= 0 {
		opts.Window = opts.BatchSize
	}
	if opts.Window <= 0 {
		opts.Window = 512
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 5 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	r := &Relay{db: db, js: js, log: log, opts: opts, wake: make(chan struct{}, 1),
		tracer: tracing.Provider(opts.Tracer).Tracer("github.com/sanbao/sanbao/platform/outbox"),
		system: systemActor(opts.Source)}
	wake := r.Notify
	stateOf(db).wake.Store(&wake)
	return r
}

// Notify wakes the relay. It never blocks. Append already wakes it after each commit; Notify
// remains for callers that want to be explicit.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Published returns how many events this relay has had acknowledged.
func (r *Relay) Published() uint64 { return r.published.Load() }

// Parked returns how many events this relay has parked as dead letters since start.
func (r *Relay) Parked() uint64 { return r.parked.Load() }

// Run publishes until ctx ends. Failures (NATS away, stream missing) are retried with backoff;
// Run returns only ctx's error.
func (r *Relay) Run(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	failing := false
	for {
		progressed, err := r.pump(ctx, false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if progressed {
			backoff = 50 * time.Millisecond
			if failing {
				r.log.Info("outbox relay publishing again")
				failing = false
			}
		}
		if !failing {
			r.log.Warn("outbox relay cannot publish; retrying", zap.Error(err))
			failing = true
		}
		if !sleep(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(backoff*2, r.opts.MaxBackoff)
	}
}

// Flush publishes until the outbox is empty or ctx ends; used on shutdown and in tests.
func (r *Relay) Flush(ctx context.Context) error {
	_, err := r.pump(ctx, true)
	return err
}

type inflight struct {
	key    []byte
	entry  entry
	future jetstream.PubAckFuture
	sent   time.Time
}

// pump publishes from the oldest entry on. With drain it returns nil once the outbox is empty;
// otherwise it waits for wake-ups and returns only on a failure (or ctx's end). progressed says
// whether some entry was acknowledged or parked before it returned.
func (r *Relay) pump(ctx context.Context, drain bool) (progressed bool, err error) {
	var (
		queue []*inflight // published, in key order, not acknowledged yet
		after []byte      // the last key read; the next read starts after it
		done  [][]byte    // acknowledged, to delete
		park  []parked    // never publishable, to move to the dead letters
		read  int         // entries the last read returned
	)
	commit := func() error {
		if len(done) == 0 && len(park) == 0 {
			return nil
		}
		if err := r.settle(done, park); err != nil {
			return err
		}
		r.published.Add(uint64(len(done)))
		r.parked.Add(uint64(len(park)))
		done, park = done[:0], park[:0]
		progressed = true
		return nil
	}
	defer func() {
		if cerr := commit(); err == nil {
			err = cerr
		}
	}()
	var poll *time.Timer
	for {
		// Fill the window with what has been committed since the last read.
		read = 0
		if len(queue) < r.opts.Window {
			batch, err := r.read(after, r.opts.Window-len(queue))
			if err != nil {
				return progressed, err
			}
			read = len(batch)
			for _, p := range batch {
				after = p.key
				if p.bad != nil {
					park = append(park, parked{p.key, r.letter(p.key, p.entry, fmt.Sprintf("unreadable outbox entry: %v", p.bad))})
					continue
				}
				msg, span := r.message(p.entry)
				f, err := r.js.PublishMsgAsync(msg)
				span.End()
				if err != nil {
					if reason, ok := permanent(err); ok {
						park = append(park, parked{p.key, r.letter(p.key, p.entry, reason)})
						continue
					}
					return progressed, fmt.Errorf("publish %s: %w", p.entry.Subject, err)
				}
				queue = append(queue, &inflight{key: p.key, entry: p.entry, future: f, sent: time.Now()})
			}
		}
		if len(queue) == 0 {
			if err := commit(); err != nil {
				return progressed, err
			}
			if drain {
				if read == 0 {
					return progressed, nil
				}
				continue
			}
			if poll == nil {
				poll = time.NewTimer(r.opts.Poll)
				defer poll.Stop()
			} else {
				poll.Reset(r.opts.Poll)
			}
			select {
			case <-ctx.Done():
				return progressed, ctx.Err()
			case <-r.wake:
			case <-poll.C:
			}
			continue
		}
		// Take the acknowledgements in order: wait for the oldest, then every one already in.
		head := queue[0]
		wait := time.NewTimer(max(time.Until(head.sent.Add(r.opts.AckTimeout)), time.Millisecond))
		var res ackResult
		select {
		case <-ctx.Done():
			wait.Stop()
			return progressed, ctx.Err()
		case <-r.wake:
			wait.Stop()
			continue // read what was just committed while the acknowledgements come in
		case <-head.future.Ok():
			res = ackResult{ok: true}
		case err := <-head.future.Err():
			res = ackResult{err: err}
		case <-wait.C:
			res = ackResult{err: jetstream.ErrAsyncPublishTimeout}
		}
		wait.Stop()
		for {
			if res.err != nil {
				if reason, ok := permanent(res.err); ok {
					park = append(park, parked{head.key, r.letter(head.key, head.entry, reason)})
				} else {
					// Everything from head on is sent again on the next pump, in order.
					return progressed, fmt.Errorf("publish %s: %w", head.entry.Subject, res.err)
				}
			} else if res.ok {
				done = append(done, head.key)
			} else {
				break // not acknowledged yet
			}
			queue = queue[1:]
			if len(queue) == 0 {
				break
			}
			head = queue[0]
			res = poll1(head.future)
		}
		if err := commit(); err != nil {
			return progressed, err
		}
	}
}

// systemActor is the actor of the events of the service whose source is source
// ("/sanbao/ticket" → "service:ticket"), or "" for another source.
func systemActor(source string) string {
	if name, ok := strings.CutPrefix(source, "/sanbao/"); ok && name != "" {
		return "service:" + name
	}
	return ""
}

// message builds the NATS message of e inside a producer span of the trace that appended e; the
// message carries that span's trace context (ce-traceparent), which its consumers continue.
func (r *Relay) message(e entry) (*nats.Msg, trace.Span) {
	ctx := tracing.Continue(context.Background(), tracing.Carried{Parent: e.Trace, State: e.State})
	ctx, span := r.tracer.Start(ctx, "publish "+e.Subject, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", e.Subject),
			attribute.String("messaging.message.id", e.ID), attribute.String("cloudevents.event_type", e.Type)))
	actor := e.Actor
	if actor == "" {
		actor = r.system // the service's own work, of nobody's (an --insecure call, a start-up task)
	}
	return events.NewMsg(e.Subject, events.Message{
		ID: e.ID, Source: r.opts.Source, Type: e.Type, Resource: e.Resource, Time: e.Time, Ticket: e.Ticket,
		Actor: actor, Trace: tracing.From(ctx), Data: e.Data,
	}), span
}

type ackResult struct {
	ok  bool
	err error
}

// poll1 reports a future's result without waiting.
func poll1(f jetstream.PubAckFuture) ackResult {
	select {
	case <-f.Ok():
		return ackResult{ok: true}
	case err := <-f.Err():
		return ackResult{err: err}
	default:
		return ackResult{}
	}
}

// permanent reports whether a publish error can never be fixed by sending the same event
// again, and the reason to park it with.
func permanent(err error) (string, bool) {
	if errors.Is(err, nats.ErrMaxPayload) {
		return "larger than the NATS server's max payload: " + err.Error(), true
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum {
		return "rejected by the stream: " + err.Error(), true
	}
	return "", false
}

func (r *Relay) letter(key []byte, e entry, reason string) deadletter.Letter {
	r.log.Error("outbox event parked as a dead letter; the relay goes on", zap.String("event_id", e.ID),
		zap.String("subject", e.Subject), zap.String("resource", e.Resource), zap.Int("bytes", len(e.Data)),
		zap.String("reason", reason))
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("seq-%d", store.Uint64(key))
	}
	return deadletter.Letter{Kind: deadletter.KindOutbox, Owner: "outbox", EventID: id, Subject: e.Subject,
		Type: e.Type, Source: r.opts.Source, Resource: e.Resource, Time: e.Time, Ticket: e.Ticket, Actor: e.Actor,
		TraceParent: e.Trace, TraceState: e.State, Data: []byte(e.Data),
		Reason: reason, ParkedAt: time.Now()}
}

type parked struct {
	key    []byte
	letter deadletter.Letter
}

// settle deletes the acknowledged entries and moves the parked ones to the dead letters, in one
// transaction group-committed with the service's other writes (one fsync for both). It is safe
// to run more than once: only entries still there are deleted and counted.
func (r *Relay) settle(done [][]byte, park []parked) error {
	err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		n := 0
		for _, k := range done {
			if b.Get(k) != nil {
				if err := b.Delete(k); err != nil {
					return err
				}
				n++
			}
		}
		for _, p := range park {
			k := p.key
			if b.Get(k) == nil {
				continue
			}
			if err := deadletter.Put(tx, p.letter); err != nil {
				return err
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			n++
		}
		return addDepth(tx, -n)
	})
	if err != nil {
		return fmt.Errorf("delete published events: %w", err)
	}
	return nil
}

type pending struct {
	key   []byte
	entry entry
	bad   error // the entry could not be decoded
}

// read returns up to limit entries after the key `after` (from the first when nil).
func (r *Relay) read(after []byte, limit int) ([]pending, error) {
	var batch []pending
	err := r.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		var k, v []byte
		if after == nil {
			k, v = c.First()
		} else if k, v = c.Seek(after); bytes.Equal(k, after) {
			k, v = c.Next()
		}
		for ; k != nil && len(batch) < limit; k, v = c.Next() {
			p := pending{key: append([]byte(nil), k...)}
			if err := json.Unmarshal(v, &p.entry); err != nil {
				p.bad = err
				p.entry.Data = nil
			}
			batch = append(batch, p)
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
