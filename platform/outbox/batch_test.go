package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/deadletter"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/outbox"
)

// seqs numbers each resource's events 1, 2, 3… as they are appended, so that the stream can be
// checked for every event once, in order per resource.
type seqs map[string]int64

// appendN appends n events in one transaction (so that the relay finds them together), over
// resources "things/<prefix><i%resources>"; id, when set, names event i's id.
func (r *rig) appendN(t testing.TB, s seqs, prefix string, n, resources int, id func(i int) string) {
	t.Helper()
	err := r.db.UpdateAlone(func(tx *bbolt.Tx) error {
		for i := range n {
			res := fmt.Sprintf("things/%s%d", prefix, i%resources)
			s[res]++
			ev := outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: res,
				Data: &typev1.Money{CurrencyCode: "CNY", AmountMinor: s[res]}}
			if id != nil {
				ev.ID = id(i)
			}
			if _, err := outbox.Append(tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkOnceInOrder fails unless got holds every event of want once, each resource's in order.
func checkOnceInOrder(t testing.TB, got []events.Message, want seqs) {
	t.Helper()
	total := int64(0)
	for _, n := range want {
		total += n
	}
	if int64(len(got)) != total {
		t.Errorf("stream has %d events, want %d", len(got), total)
	}
	last := seqs{}
	ids := map[string]bool{}
	for _, m := range got {
		if ids[m.ID] {
			t.Fatalf("event %s twice", m.ID)
		}
		ids[m.ID] = true
		var body typev1.Money
		if err := m.Decode(&body); err != nil {
			t.Fatal(err)
		}
		if body.GetAmountMinor() != last[m.Resource]+1 {
			t.Fatalf("%s: event %d after %d", m.Resource, body.GetAmountMinor(), last[m.Resource])
		}
		last[m.Resource] = body.GetAmountMinor()
	}
	for res, n := range want {
		if last[res] != n {
			t.Errorf("%s: stream ends at event %d of %d", res, last[res], n)
		}
	}
}

// updateStream changes the test stream's configuration as an operator would.
func (r *rig) updateStream(t testing.TB, change func(*jetstream.StreamConfig)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := r.js.Stream(ctx, "TEST")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	change(&cfg)
	if _, err := r.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}

// flushing is the relay of the tests that Flush, which returns the first failure: an
// acknowledgement slower than a second on a loaded machine is not one.
var flushing = outbox.RelayOptions{AckTimeout: 30 * time.Second}

// What the relay finds at once goes out as atomic batches; batches and single publishes mixing
// resources, pipelined, keep each resource's order and publish every event once.
func TestBatchesMixingResourcesKeepPerResourceOrder(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.relay.Run(ctx) }()
	defer func() { cancel(); <-done }()
	want := seqs{}
	for round := range 4 {
		r.appendN(t, want, "r", 700, 7, nil) // batches, several in flight
		for range 5 {                        // a trickle between them: single publishes
			r.appendN(t, want, "r", 1, 7, nil)
			r.appendN(t, want, fmt.Sprint("t", round), 1, 1, nil)
		}
	}
	total := uint64(0)
	for _, n := range want {
		total += uint64(n)
	}
	natstest.Eventually(t, time.Minute, func() error {
		if d := r.depth(t); d != 0 {
			return fmt.Errorf("depth %d", d)
		}
		return nil
	})
	checkOnceInOrder(t, r.streamAll(t, int(total)), want)
	if r.relay.Published() != total {
		t.Errorf("Published = %d, want %d", r.relay.Published(), total)
	}
	if r.relay.Batches() == 0 {
		t.Errorf("no atomic batch was published")
	}
}

// An event the stream refuses (larger than its max_msg_size, within NATS's max payload) inside
// a batch makes the stream drop the whole batch; the relay publishes its events one by one,
// parks that one event and publishes the others once, in order.
func TestPoisonEventInsideABatchIsParkedAndTheOthersPublishedOnce(t *testing.T) {
	r := newRigWith(t, flushing)
	r.updateStream(t, func(c *jetstream.StreamConfig) { c.MaxMsgSize = 16 << 10 })
	want := seqs{}
	r.appendN(t, want, "a", 40, 4, nil)
	err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: "things/a1",
			Data: &typev1.Contact{Name: strings.Repeat("x", 32<<10)}, ID: "01JPOISON0000000000000000"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r.appendN(t, want, "a", 300, 4, nil)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnceInOrder(t, r.streamAll(t, 340), want)
	if d := r.depth(t); d != 0 {
		t.Errorf("depth = %d, want 0", d)
	}
	var ls []deadletter.Letter
	_ = r.db.View(func(tx *bbolt.Tx) (err error) { ls, _, err = deadletter.List(tx, "", "", 10); return err })
	if len(ls) != 1 || ls[0].EventID != "01JPOISON0000000000000000" || !strings.Contains(ls[0].Reason, "rejected by the stream") {
		t.Fatalf("dead letters = %+v", ls)
	}
	if r.relay.Parked() != 1 || r.relay.Batches() == 0 {
		t.Errorf("Parked = %d, Batches = %d; want 1 and some", r.relay.Parked(), r.relay.Batches())
	}
}

// The stream goes away and comes back while batches are in flight, with writers appending:
// every event reaches it exactly once, each resource's in order.
func TestServerRestartInTheMiddleOfBatches(t *testing.T) {
	r := newRig(t)
	want := seqs{}
	for range 8 {
		r.appendN(t, want, "b", 2500, 50, nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.relay.Run(ctx) }()
	defer func() { cancel(); <-done }()
	var restarts atomic.Int32
	for _, at := range []uint64{2000, 9000} {
		natstest.Eventually(t, time.Minute, func() error {
			if n := r.relay.Published(); n < at {
				return fmt.Errorf("published %d of %d before the restart", n, at)
			}
			return nil
		})
		r.nats.Restart()
		restarts.Add(1)
		for range 20 { // writers go on across the restart
			r.appendN(t, want, "b", 3, 50, nil)
			r.appendN(t, want, "w", 1, 2, nil)
		}
	}
	total := 0
	for _, n := range want {
		total += int(n)
	}
	natstest.Eventually(t, 2*time.Minute, func() error {
		if d := r.depth(t); d != 0 {
			return fmt.Errorf("depth %d after %d restarts", d, restarts.Load())
		}
		return nil
	})
	checkOnceInOrder(t, r.streamAll(t, total), want)
	if r.relay.Batches() == 0 {
		t.Errorf("no atomic batch was published")
	}
}

// A crash after the stream committed a batch but before its entries were deleted: the relay
// sends the batch again, the stream refuses it whole for its duplicates, and the relay
// publishes its events one by one, the stream dropping the ones it has; new events in the
// same batch are published once.
func TestRepublishedBatchIsNotDeliveredTwice(t *testing.T) {
	r := newRigWith(t, flushing)
	id := func(i int) string { return fmt.Sprintf("01JBATCH%017d", i) }
	first := seqs{}
	r.appendN(t, first, "d", 200, 5, id)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The "crashed" process restarts with the same entries still in its outbox, and more.
	again := seqs{}
	r.appendN(t, again, "d", 200, 5, id)
	want := seqs{}
	for k, v := range first {
		want[k] = v
	}
	r.appendN(t, want, "d", 300, 5, nil)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnceInOrder(t, r.streamAll(t, 500), want)
	if d := r.depth(t); d != 0 {
		t.Errorf("depth = %d, want 0", d)
	}
}

// A stream that does not allow atomic publishes (an operator's, or an older server's) gets
// every event one at a time, in order.
func TestStreamWithoutAtomicPublishGetsSinglePublishes(t *testing.T) {
	r := newRigWith(t, flushing)
	r.updateStream(t, func(c *jetstream.StreamConfig) { c.AllowAtomicPublish = false })
	want := seqs{}
	r.appendN(t, want, "s", 600, 3, nil)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOnceInOrder(t, r.streamAll(t, 600), want)
	if r.relay.Batches() != 0 || r.depth(t) != 0 {
		t.Errorf("Batches = %d, depth = %d; want 0, 0", r.relay.Batches(), r.depth(t))
	}
}

// A shutdown flushes while the relay still runs: two pumps publish the same entries, and the
// stream still gets every event once, each resource's in order.
func TestFlushWhileRunning(t *testing.T) {
	r := newRigWith(t, flushing)
	want := seqs{}
	r.appendN(t, want, "f", 3000, 9, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.relay.Run(ctx) }()
	defer func() { cancel(); <-done }()
	r.appendN(t, want, "f", 500, 9, nil)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := r.depth(t); d != 0 {
		t.Errorf("depth = %d after Flush", d)
	}
	checkOnceInOrder(t, r.streamAll(t, 3500), want)
}
