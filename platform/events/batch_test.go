package events_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/tracing"
)

// publishOn publishes a Money event about resource with the given body.
func publishOn(t *testing.T, js jetstream.JetStream, id, resource, body string) {
	t.Helper()
	publishMsg(t, js, events.Message{ID: id, Source: "/sanbao/peer", Type: "sanbao.type.v1.Money", Resource: resource,
		Time: time.Now(), Data: []byte(body)})
}

func publishMsg(t *testing.T, js jetstream.JetStream, m events.Message) {
	t.Helper()
	msg := events.NewMsg("sanbao.peer.v1.thing.changed", m)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// drained waits until want rows are applied and the consumer has nothing pending (right after
// its creation a consumer may report 0 pending before it counted the stream).
func drained(t *testing.T, c *events.Consumer, db *store.DB, want func() bool) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, func() error {
		if n, err := c.Pending(context.Background()); err != nil || n != 0 || !want() {
			return fmt.Errorf("pending %d, %v; applied %d", n, err, len(appliedRows(db)))
		}
		return nil
	})
}

// waitPublished is a no-op kept for readability: publishOn waits for each acknowledgement.
func waitPublished(*testing.T, jetstream.JetStream) {}

// recorder applies an event by appending "resource amount" to the applied bucket (a
// non-idempotent effect: a second application would show).
func recorder(tx *bbolt.Tx, m events.Message) error {
	var body typev1.Money
	if err := m.Decode(&body); err != nil {
		return events.Permanent(err)
	}
	b := tx.Bucket(applied)
	seq, _ := b.NextSequence()
	return b.Put(store.U64(seq), fmt.Appendf(nil, "%s %d", m.Resource, body.GetAmountMinor()))
}

// appliedRows returns the applied rows in the order they were committed.
func appliedRows(db *store.DB) []string {
	var rows []string
	_ = db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(applied).ForEach(func(_, v []byte) error { rows = append(rows, string(v)); return nil })
	})
	return rows
}

// checkOnceInOrder fails unless rows hold each of n events of each resource exactly once, in
// increasing order per resource.
func checkOnceInOrder(t *testing.T, rows []string, resources, n int) {
	t.Helper()
	last := map[string]int{}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r] {
			t.Errorf("%q applied twice", r)
		}
		seen[r] = true
		var res string
		var amount int
		if _, err := fmt.Sscan(r, &res, &amount); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[res]; ok && amount <= prev {
			t.Errorf("%s: %d applied after %d", res, amount, prev)
		}
		last[res] = amount
	}
	if len(rows) != resources*n {
		t.Errorf("applied %d events, want %d", len(rows), resources*n)
	}
}

func TestConsumerBatchMixesResourcesInOrderOnce(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	const resources, n = 7, 60
	for i := range n {
		for r := range resources {
			publishOn(t, js, fmt.Sprintf("e-%d-%d", r, i), fmt.Sprint("things/", r), fmt.Sprintf(`{"amountMinor":"%d"}`, i))
		}
	}
	waitPublished(t, js)
	c := events.NewConsumer(db, js, log, events.ConsumerConfig{
		Stream: "PEER", Durable: "me", FilterSubjects: []string{"sanbao.peer.v1.>"},
		Handle: recorder, Batch: 50,
	})
	stop := run(t, c)
	defer stop()
	drained(t, c, db, func() bool { return len(appliedRows(db)) >= resources*n })
	checkOnceInOrder(t, appliedRows(db), resources, n)
}

// A handler that panics, and one that fails once, take only their own event (and the later
// events of the same resource) out of the batch; every event is applied once, in order.
func TestConsumerHandlerFailureMidBatch(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.FatalLevel))
	const resources, n = 4, 40
	for i := range n {
		for r := range resources {
			publishOn(t, js, fmt.Sprintf("e-%d-%d", r, i), fmt.Sprint("things/", r), fmt.Sprintf(`{"amountMinor":"%d"}`, i))
		}
	}
	waitPublished(t, js)
	var panicked, failed atomic.Bool
	c := events.NewConsumer(db, js, log, events.ConsumerConfig{
		Stream: "PEER", Durable: "me", FilterSubjects: []string{"sanbao.peer.v1.>"}, Batch: 64,
		MaxBackoff: 50 * time.Millisecond,
		Handle: func(tx *bbolt.Tx, m events.Message) error {
			if err := recorder(tx, m); err != nil {
				return err
			}
			switch {
			case m.ID == "e-1-10" && panicked.CompareAndSwap(false, true):
				panic("handler bug")
			case m.ID == "e-2-20" && failed.CompareAndSwap(false, true):
				return errors.New("store busy")
			}
			return nil
		},
	})
	stop := run(t, c)
	defer stop()
	drained(t, c, db, func() bool { return len(appliedRows(db)) >= resources*n })
	if !panicked.Load() || !failed.Load() {
		t.Fatal("the failing handlers did not run")
	}
	checkOnceInOrder(t, appliedRows(db), resources, n)
}

// The process stops after a batch committed and before it was acknowledged: the restarted
// consumer is delivered the whole batch again and applies none of it a second time. (Events the
// dead process had pulled but not applied come back only after AckWait, possibly after later
// events of their resource: order across a crash is not promised, only exactly-once.)
func TestConsumerStopsBetweenCommitAndAck(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	const resources, n = 3, 30
	for i := range n {
		for r := range resources {
			publishOn(t, js, fmt.Sprintf("e-%d-%d", r, i), fmt.Sprint("things/", r), fmt.Sprintf(`{"amountMinor":"%d"}`, i))
		}
	}
	waitPublished(t, js)
	cfg := events.ConsumerConfig{Stream: "PEER", Durable: "me", FilterSubjects: []string{"sanbao.peer.v1.>"},
		Handle: recorder, AckWait: 500 * time.Millisecond, Batch: 1000}
	first := cfg
	died := make(chan struct{})
	first.AfterCommit = func() {
		close(died)
		runtime.Goexit() // the process dies right after its commit: no acknowledgement is sent
	}
	c1 := events.NewConsumer(db, js, log, first)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = c1.Run(ctx) }()
	<-died
	if len(appliedRows(db)) == 0 {
		t.Fatal("first process committed nothing")
	}
	c2 := events.NewConsumer(db, js, log, cfg)
	stop := run(t, c2)
	defer stop()
	drained(t, c2, db, func() bool { return len(appliedRows(db)) >= resources*n })
	checkOnce(t, appliedRows(db), resources*n)
}

func checkOnce(t *testing.T, rows []string, n int) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r] {
			t.Errorf("%q applied twice", r)
		}
		seen[r] = true
	}
	if len(rows) != n {
		t.Errorf("applied %d events, want %d", len(rows), n)
	}
}

func letters(t *testing.T, db *store.DB) map[string]deadletter.Letter {
	t.Helper()
	out := map[string]deadletter.Letter{}
	_ = db.View(func(tx *bbolt.Tx) error {
		ls, _, err := deadletter.List(tx, deadletter.KindConsumer, "", 100)
		for _, l := range ls {
			out[l.EventID] = l
		}
		return err
	})
	return out
}

// Invalid events, events refused as permanent and events that keep failing are parked, acked
// and counted; the others of the same batch are applied; a retry after the fix applies the
// parked one once.
func TestConsumerParksWhatCannotBeApplied(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.FatalLevel))
	var fixed atomic.Bool
	var retried atomic.Value // what the handler saw of the retried event
	var results [3]atomic.Int32
	c := events.NewConsumer(db, js, log, events.ConsumerConfig{
		Stream: "PEER", Durable: "me", FilterSubjects: []string{"sanbao.peer.v1.>"},
		MaxDeliveries: 3, MaxBackoff: 20 * time.Millisecond,
		Observe: func(_, result string) {
			results[map[string]int{events.ResultApplied: 0, events.ResultRetry: 1, events.ResultParked: 2}[result]].Add(1)
		},
		Handle: func(tx *bbolt.Tx, m events.Message) error {
			var body typev1.Money
			if err := m.Decode(&body); err != nil {
				return events.Permanent(err)
			}
			switch body.GetAmountMinor() {
			case 666:
				return events.Permanent(errors.New("no such thing"))
			case 13:
				if !fixed.Load() {
					return errors.New("peer not there")
				}
				retried.Store(fmt.Sprintf("%s %s %s %s", m.Ticket, m.Actor, auth.Actor(store.Context(tx), "-"),
					trace.SpanContextFromContext(store.Context(tx)).TraceID()))
			}
			return recorder(tx, m)
		},
	})
	stop := run(t, c)
	defer stop()
	publishOn(t, js, "ok1", "things/1", `{"amountMinor":"1"}`)
	publishOn(t, js, "invalid", "things/2", `{"currencyCode":"cny","amountMinor":"2"}`) // breaks the field's rule
	publishOn(t, js, "garbage", "things/3", `{"amountMinor":`)
	publishOn(t, js, "refused", "things/4", `{"amountMinor":"666"}`)
	// The flaky one was caused by a person's change, in a trace, for a ticket: its retry keeps them.
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	publishMsg(t, js, events.Message{ID: "flaky", Source: "/sanbao/peer", Type: "sanbao.type.v1.Money", Resource: "things/5",
		Time: time.Now(), Data: []byte(`{"amountMinor":"13"}`), Ticket: "T-5", Actor: "desk-wang",
		Trace: tracing.Carried{Parent: "00-" + traceID + "-00f067aa0ba902b7-01"}})
	publishOn(t, js, "ok2", "things/1", `{"amountMinor":"2"}`)
	waitPublished(t, js)
	drained(t, c, db, func() bool { return len(appliedRows(db)) >= 2 && len(letters(t, db)) >= 4 })
	if rows := appliedRows(db); strings.Join(rows, ",") != "things/1 1,things/1 2" {
		t.Errorf("applied %q, want the two valid events", rows)
	}
	ls := letters(t, db)
	for id, want := range map[string]string{"invalid": "invalid", "garbage": "undecodable", "refused": "permanent", "flaky": "after 3 deliveries"} {
		if l, ok := ls[id]; !ok || !strings.Contains(l.Reason, want) || l.Owner != "me" {
			t.Errorf("letter %s = %+v, want parked with a reason saying %q", id, l, want)
		}
	}
	if len(ls) != 4 {
		t.Errorf("%d letters, want 4", len(ls))
	}
	if got := results[2].Load(); got != 4 {
		t.Errorf("observed %d parked, want 4", got)
	}
	var count int
	_ = db.View(func(tx *bbolt.Tx) error { count = deadletter.Count(tx, deadletter.KindConsumer); return nil })
	if count != 4 {
		t.Errorf("Count = %d, want 4", count)
	}
	// The operator fixes the peer and retries the flaky one; the invalid one still fails.
	fixed.Store(true)
	if l := ls["flaky"]; l.Ticket != "T-5" || l.Actor != "desk-wang" || !strings.Contains(l.TraceParent, traceID) {
		t.Errorf("the parked letter lost the ticket, actor or trace: %+v", l)
	}
	if err := c.Retry(context.Background(), ls["flaky"].ID); err != nil {
		t.Fatal(err)
	}
	if got, want := retried.Load(), "T-5 desk-wang desk-wang "+traceID; got != want {
		t.Errorf("the retried handler saw %q (ticket, event actor, store actor, trace), want %q", got, want)
	}
	if err := c.Retry(context.Background(), ls["invalid"].ID); err == nil {
		t.Error("retry of an invalid event succeeded")
	}
	if err := c.Retry(context.Background(), ls["flaky"].ID); !errors.Is(err, deadletter.ErrNotFound) {
		t.Errorf("second retry = %v, want ErrNotFound", err)
	}
	if rows := appliedRows(db); len(rows) != 3 || rows[2] != "things/5 13" {
		t.Errorf("applied %q after the retry", rows)
	}
	_ = db.View(func(tx *bbolt.Tx) error { count = deadletter.Count(tx, deadletter.KindConsumer); return nil })
	if count != 3 {
		t.Errorf("Count after retry = %d, want 3", count)
	}
}
