package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
	// Window bounds the events published and not yet acknowledged (default 1000; keep it at or
	// below the JetStream context's PublishAsyncMaxPending, which bounds the single publishes).
	Window int
	// BatchSize is the old name of Window; Window wins when both are set.
	BatchSize int
	// Batch is the most events one atomic batch publish carries (default 250; at most the NATS
	// server's jetstream.limits.max_batch_size, 1000 unless set). 1 turns batches off.
	Batch int
	// MinBatch is the fewest events worth a batch (default 32): a stream pays about as much for
	// setting up an atomic batch as for that many single publishes, so fewer events found at
	// once (a trickle) are published one by one, which is also quicker for each of them.
	MinBatch int
	// AckTimeout bounds the wait for the stream's acknowledgement of the oldest event or batch
	// in flight (default 5s); on expiry everything unacknowledged is sent again, in order.
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

// batchBytes bounds the payload of one atomic batch, whatever its count: the stream stages a
// batch on disk before committing it.
const batchBytes = 4 << 20

// Relay publishes the outbox to JetStream. Run it in one goroutine per store.
//
// Events are published in outbox-key (commit) order, up to Window at once. What the relay finds
// at once (MinBatch events or more, under load or after an outage) goes out as JetStream atomic
// batches of up to Batch events: the stream stores a batch whole or not at all and, syncing
// every write, syncs once per batch instead of once per event; fewer are published one by one.
// Batches and single publishes are pipelined on one connection, so they reach the stream in
// key order; each carries Nats-Expected-Last-Sequence, the stream's last sequence as it will be
// once everything sent before it is stored, so nothing is ever stored ahead of something sent
// before it that the stream refused or lost (a reconnect, a restart): what follows is refused
// too and sent again in order. The first unit after a start or a refusal is sent without it,
// alone, and its acknowledgement anchors the chain. The relay must therefore be its stream's
// only publisher (the service's NATS user is the only one allowed its subjects); another
// publisher costs the relay a resend, never an event.
//
// The acknowledgements are taken in order and the acknowledged entries deleted in one
// transaction per round (group commit); the depth is a counter kept by the same transactions.
// When anything fails, everything not yet acknowledged is sent again from the oldest, in order:
// the stream drops the duplicates by Nats-Msg-Id (the event id), so a retry never doubles an
// event. A batch holding an event the stream already has, or one it refuses (too large), is
// refused whole; its events are then published one by one, so that the duplicates are dropped
// and an event the stream can never take (larger than the server's max payload, or rejected as
// too large by the stream) is parked as a dead letter with its reason while the relay goes on.
// An event larger than the max payload never enters a batch. On a server without atomic
// batches (before 2.12, or a stream without AllowAtomicPublish) the relay publishes one event at
// a time; it says so once in its log.
type Relay struct {
	db        *store.DB
	js        jetstream.JetStream
	log       *zap.Logger
	opts      RelayOptions
	wake      chan struct{}
	published atomic.Uint64
	parked    atomic.Uint64
	batches   atomic.Uint64
	tracer    trace.Tracer
	system    string       // the actor of events appended by no one: "service:<name>" from Source
	noBatch   atomic.Bool  // the server cannot take batches: single publishes only
	batch     atomic.Int64 // the most events per batch (opts.Batch, or less if the server said so)
}

// session is what one pump keeps (Flush may pump while Run does).
type session struct {
	batcher   *events.BatchPublisher
	singlesTo []byte // the entries up to this key go one by one (a batch of them was refused)
}

// NewRelay returns a relay from db's outbox to js. Appends to db wake it after their commit.
func NewRelay(db *store.DB, js jetstream.JetStream, log *zap.Logger, opts RelayOptions) *Relay {
	if opts.Window <= 0 {
		opts.Window = opts.BatchSize
	}
	if opts.Window <= 0 {
		opts.Window = 1000
	}
	if opts.Batch <= 0 {
		opts.Batch = 250
	}
	opts.Batch = min(opts.Batch, opts.Window)
	if opts.MinBatch <= 0 {
		opts.MinBatch = 32
	}
	opts.MinBatch = max(min(opts.MinBatch, opts.Batch), 2)
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
	r.batch.Store(int64(opts.Batch))
	r.noBatch.Store(opts.Batch < 2)
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

// Batches returns how many atomic batches the stream has committed for this relay since start.
func (r *Relay) Batches() uint64 { return r.batches.Load() }

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

// unit is what one publish sent: one event, or an atomic batch of several.
type unit struct {
	keys    [][]byte
	entries []entry
	single  jetstream.PubAckFuture // one event
	batch   <-chan events.BatchAck // several
	forget  func()                 // drops the wait for the batch's answer
	sent    time.Time
	anchor  bool // sent without an expected last sequence: its acknowledgement anchors the chain
	chained bool // sent with an expected last sequence
}

func (u *unit) first() []byte { return u.keys[0] }
func (u *unit) last() []byte  { return u.keys[len(u.keys)-1] }

// poll reports the unit's result without waiting.
func (u *unit) poll() ackResult {
	if u.single != nil {
		select {
		case a := <-u.single.Ok():
			return ackResult{ok: true, seq: a.Sequence, dup: a.Duplicate}
		case err := <-u.single.Err():
			return ackResult{err: err}
		default:
			return ackResult{}
		}
	}
	select {
	case b := <-u.batch:
		return batchAck(b)
	default:
		return ackResult{}
	}
}

// drop stops waiting for the unit's answer.
func (u *unit) drop() {
	if u.forget != nil {
		u.forget()
	}
}

// chain is what the relay knows of the stream's last sequence.
type chain struct {
	known bool
	next  uint64 // the stream's last sequence once everything sent is stored
}

// pump publishes from the oldest entry on. With drain it returns nil once the outbox is empty;
// otherwise it waits for wake-ups and returns only on a failure (or ctx's end). progressed says
// whether some entry was acknowledged or parked before it returned.
func (r *Relay) pump(ctx context.Context, drain bool) (progressed bool, err error) {
	var (
		queue    []*unit  // published, in key order, not acknowledged yet
		inflight int      // events in queue
		after    []byte   // the last key read; the next read starts after it
		done     [][]byte // acknowledged, to delete
		park     []parked // never publishable, to move to the dead letters
		read     int      // entries the last read returned
		ch       chain
		ss       session
	)
	defer func() {
		if ss.batcher != nil {
			ss.batcher.Close()
		}
	}()
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
		for _, u := range queue {
			u.drop()
		}
	}()
	// resend drops queue[i:] (refused, or sent after something refused) and reads again from
	// its first entry, with the chain to be anchored anew.
	resend := func(i int) {
		after = before(queue[i].first())
		for _, u := range queue[i:] {
			u.drop()
			inflight -= len(u.keys)
		}
		queue = queue[:i]
		ch.known = false
	}
	var poll *time.Timer
	for {
		// Fill the window with what has been committed since the last read.
		read = 0
		singles := ss.singlesTo != nil && (after == nil || bytes.Compare(after, ss.singlesTo) < 0)
		if room := r.opts.Window - inflight; room > 0 && (ch.known || len(queue) == 0 || singles) {
			if !ch.known && !singles {
				room = min(room, int(r.batch.Load())) // only the anchor goes until it is acknowledged
			}
			batch, err := r.read(after, room)
			if err != nil {
				return progressed, err
			}
			read = len(batch)
			if err := r.send(&ss, batch, &queue, &inflight, &after, &park, &ch); err != nil {
				return progressed, err
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
		var (
			okc  <-chan *jetstream.PubAck
			errc <-chan error
		)
		if head.single != nil {
			okc, errc = head.single.Ok(), head.single.Err()
		}
		wait := time.NewTimer(max(time.Until(head.sent.Add(r.opts.AckTimeout)), time.Millisecond))
		var res ackResult
		select {
		case <-ctx.Done():
			wait.Stop()
			return progressed, ctx.Err()
		case <-r.wake:
			wait.Stop()
			continue // read what was just committed while the acknowledgements come in
		case a := <-okc:
			res = ackResult{ok: true, seq: a.Sequence, dup: a.Duplicate}
		case err := <-errc:
			res = ackResult{err: err}
		case b := <-head.batch:
			res = batchAck(b)
		case <-wait.C:
			res = ackResult{err: jetstream.ErrAsyncPublishTimeout}
		}
		wait.Stop()
	acks:
		for {
			if res.err == nil && !res.ok {
				break // not acknowledged yet
			}
			n := len(head.keys)
			switch {
			case res.ok && head.batch != nil && !res.batched:
				// An older server stored the messages one by one, unacknowledged: publish them
				// again one at a time (the stream drops the ones it has).
				r.disableBatches("the server acknowledged a batch as a single message (nats-server before 2.12)")
				resend(0)
				break acks
			case res.ok && head.batch != nil && res.count != n:
				return progressed, fmt.Errorf("publish batch %s: the stream committed %d of %d events", head.entries[0].Subject, res.count, n)
			case res.ok:
				for _, k := range head.keys {
					done = append(done, k)
				}
				if head.batch != nil {
					r.batches.Add(1)
				}
				if head.anchor && !res.dup {
					ch = chain{known: true, next: res.seq}
				}
				ss.passed(head.last())
				queue, inflight = queue[1:], inflight-n
				if res.dup && head.chained && len(queue) > 0 {
					// The stream's last sequence did not move: what follows expects otherwise.
					resend(0)
					break acks
				}
			case wrongLast(res.err):
				// Sent after something the stream did not store, or another publisher wrote.
				resend(0)
				break acks
			case head.batch != nil:
				if reason, ok := r.refused(res.err, n); ok {
					// The stream refused the batch whole: its events go again one by one.
					r.log.Info("outbox batch refused; publishing its events one by one", zap.Int("events", n),
						zap.String("reason", reason))
					ss.singlesTo = head.last()
					resend(0)
					break acks
				}
				return progressed, fmt.Errorf("publish batch of %d from %s: %w", n, head.entries[0].Subject, res.err)
			default:
				reason, ok := permanent(res.err)
				if !ok {
					// Everything from head on is sent again on the next pump, in order.
					return progressed, fmt.Errorf("publish %s: %w", head.entries[0].Subject, res.err)
				}
				park = append(park, parked{head.keys[0], r.letter(head.keys[0], head.entries[0], reason)})
				ss.passed(head.last())
				queue, inflight = queue[1:], inflight-1
				if head.chained && len(queue) > 0 {
					resend(0) // what follows expected this event in the stream
					break acks
				}
			}
			if len(queue) == 0 {
				break
			}
			head = queue[0]
			res = head.poll()
		}
		if err := commit(); err != nil {
			return progressed, err
		}
	}
}

// send publishes entries read after the window's last: fewer than MinBatch one by one (and only
// when nothing else is in flight), more as batches of up to Batch events; it stops at the first
// unit that has to wait for the chain's anchor (and reads it again next time).
func (r *Relay) send(ss *session, batch []pending, queue *[]*unit, inflight *int, after *[]byte, park *[]parked, ch *chain) error {
	if len(batch) == 0 {
		return nil
	}
	size := int(r.batch.Load())
	least := max(min(r.opts.MinBatch, size), 2)
	if len(batch) < least && len(*queue) > 0 && !r.noBatch.Load() && !ss.inSingles(batch[0].key) {
		// A few events while others are in flight: let them gather until those are
		// acknowledged (or MinBatch have come) rather than pay a sync each.
		return nil
	}
	maxPayload := r.js.Conn().MaxPayload()
	batched := !r.noBatch.Load() && size >= 2 && len(batch) >= least
	var (
		keys    [][]byte
		entries []entry
		msgs    []*nats.Msg
		total   int64
	)
	// flush publishes what has been gathered as one unit; false when it must wait.
	flush := func() (bool, error) {
		if len(keys) == 0 {
			return true, nil
		}
		singles := ss.inSingles(keys[len(keys)-1])
		u := &unit{keys: keys, entries: entries, sent: time.Now()}
		switch {
		case singles:
		case ch.known:
			u.chained = true
		case len(*queue) == 0:
			u.anchor = true
		default:
			return false, nil // the chain needs the anchor's acknowledgement first
		}
		if len(msgs) == 1 {
			if u.chained {
				msgs[0].Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(ch.next, 10))
			}
			f, err := r.js.PublishMsgAsync(msgs[0])
			if err != nil {
				if reason, ok := permanent(err); ok {
					*park = append(*park, parked{keys[0], r.letter(keys[0], entries[0], reason)})
					*after = keys[0]
					keys, entries, msgs, total = nil, nil, nil, 0
					return true, nil
				}
				return false, fmt.Errorf("publish %s: %w", entries[0].Subject, err)
			}
			u.single = f
		} else {
			if ss.batcher == nil {
				b, err := events.NewBatchPublisher(r.js.Conn())
				if err != nil {
					return false, err
				}
				ss.batcher = b
			}
			c, forget, err := ss.batcher.Publish(msgs, u.chained, ch.next)
			if err != nil {
				return false, fmt.Errorf("publish batch: %w", err)
			}
			u.batch, u.forget = c, forget
		}
		if u.chained {
			ch.next += uint64(len(keys))
		}
		*queue = append(*queue, u)
		*inflight += len(keys)
		*after = keys[len(keys)-1]
		keys, entries, msgs, total = nil, nil, nil, 0
		return true, nil
	}
	for _, p := range batch {
		if p.bad != nil {
			if ok, err := flush(); !ok || err != nil {
				return err
			}
			*park = append(*park, parked{p.key, r.letter(p.key, p.entry, fmt.Sprintf("unreadable outbox entry: %v", p.bad))})
			*after = p.key
			continue
		}
		msg, span := r.message(p.entry)
		span.End()
		n := msgSize(msg)
		alone := !batched || n+256 > maxPayload || ss.inSingles(p.key)
		if alone || len(keys) == size || total+n > batchBytes {
			if ok, err := flush(); !ok || err != nil {
				return err
			}
		}
		keys, entries, msgs, total = append(keys, p.key), append(entries, p.entry), append(msgs, msg), total+n
		if alone {
			if ok, err := flush(); !ok || err != nil {
				return err
			}
		}
	}
	_, err := flush()
	return err
}

// msgSize is what NATS counts against its max payload: the body and the encoded headers.
func msgSize(m *nats.Msg) int64 {
	n := len(m.Data) + len("NATS/1.0\r\n\r\n")
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return int64(n)
}

// passed notes that the entries up to key are settled: past a refused batch's range, batches
// resume.
func (ss *session) passed(key []byte) {
	if ss.singlesTo != nil && bytes.Compare(key, ss.singlesTo) >= 0 {
		ss.singlesTo = nil
	}
}

// inSingles reports whether key is in the range of a refused batch, published one by one.
func (ss *session) inSingles(key []byte) bool {
	return ss.singlesTo != nil && key != nil && bytes.Compare(key, ss.singlesTo) <= 0
}

// before returns the key just before key, where a read starts to return key first.
func before(key []byte) []byte { return store.U64(store.Uint64(key) - 1) }

// disableBatches turns batches off for the relay's life, saying so once.
func (r *Relay) disableBatches(why string) {
	if r.noBatch.CompareAndSwap(false, true) {
		r.log.Warn("outbox relay publishing one event at a time: the NATS server or the stream does not take atomic batches (needs nats-server 2.12+ and the stream's allow_atomic)",
			zap.String("reason", why))
	}
}

// refused reports whether a batch's error is the stream refusing it (a duplicate event, an
// event too large, a header, batches not allowed, or the batch incomplete on arrival: the stream
// drops a batch silently at an event it refuses, or lost it in a restart), so that its events
// should go one by one, and the reason. Everything else (no answer, a lost connection, too
// many batches in flight) is sent again as it was.
func (r *Relay) refused(err error, n int) (string, bool) {
	var api *jetstream.APIError
	if !errors.As(err, &api) {
		return "", false
	}
	switch api.ErrorCode {
	case jsAtomicPublishTooManyInflight:
		return "", false
	case jsAtomicPublishDisabled:
		r.disableBatches(api.Error())
	case jsAtomicPublishTooLarge:
		half := max(n/2, 1)
		r.batch.Store(int64(half))
		r.log.Warn("outbox batch larger than the NATS server allows (jetstream.limits.batch.max_msgs); halving it",
			zap.Int("batch", half))
		if half < 2 {
			r.disableBatches(api.Error())
		}
	}
	return api.Error(), true
}

// JetStream error codes of atomic batch publishes and expected sequences (nats-server's
// errors.json).
const (
	jsWrongLastSequence            jetstream.ErrorCode = 10071
	jsWrongLastSequenceConstant    jetstream.ErrorCode = 10164
	jsAtomicPublishDisabled        jetstream.ErrorCode = 10174
	jsAtomicPublishIncomplete      jetstream.ErrorCode = 10176
	jsAtomicPublishTooLarge        jetstream.ErrorCode = 10199
	jsAtomicPublishTooManyInflight jetstream.ErrorCode = 10210
)

// wrongLast reports whether err is the stream refusing a publish whose expected last sequence
// it does not have.
func wrongLast(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jsWrongLastSequence || api.ErrorCode == jsWrongLastSequenceConstant)
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

// ackResult is what became of a unit: acknowledged (ok), refused or lost (err), or neither yet.
type ackResult struct {
	ok      bool
	err     error
	seq     uint64 // the stream sequence of the (last) event
	dup     bool   // a single event the stream already had
	batched bool   // a batch the stream committed as one
	count   int    // the events of that batch
}

func batchAck(b events.BatchAck) ackResult {
	if b.Err != nil {
		return ackResult{err: b.Err}
	}
	return ackResult{ok: true, seq: b.Seq, batched: b.Batched, count: b.Count}
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
