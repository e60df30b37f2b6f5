package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
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
	"github.com/sanbao/sanbao/platform/store"
)

// An event larger than the server's max payload can never be published: it is parked with its
// reason, and the events committed after it (of its own resource too) are published.
func TestOversizedEventIsParkedAndTheRelayGoesOn(t *testing.T) {
	r := newRig(t)
	r.commit(t, "a", 1)
	err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: "things/a",
			Data: &typev1.Contact{Name: strings.Repeat("x", 2<<20)}, ID: "01JBIG0000000000000000000", Ticket: "T-BIG", Actor: "desk-li"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r.commit(t, "a", 3)
	r.commit(t, "b", 4)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.stream(t)
	if len(got) != 3 {
		t.Fatalf("stream has %d events, want the 3 publishable ones", len(got))
	}
	if d := r.depth(t); d != 0 {
		t.Errorf("depth = %d, want 0", d)
	}
	var ls []deadletter.Letter
	var n int
	_ = r.db.View(func(tx *bbolt.Tx) (err error) {
		n = deadletter.Count(tx, deadletter.KindOutbox)
		ls, _, err = deadletter.List(tx, "", "", 10)
		return err
	})
	if n != 1 || len(ls) != 1 || ls[0].EventID != "01JBIG0000000000000000000" || !strings.Contains(ls[0].Reason, "max payload") ||
		ls[0].Resource != "things/a" || ls[0].Kind != deadletter.KindOutbox || ls[0].Ticket != "T-BIG" {
		t.Fatalf("dead letters = %d %+v", n, ls)
	}
	if r.relay.Parked() != 1 {
		t.Errorf("Parked = %d", r.relay.Parked())
	}
	// A retry puts it back at the end of the outbox; it is parked again (still too large).
	if err := r.db.UpdateAlone(func(tx *bbolt.Tx) error { return outbox.Requeue(tx, ls[0].ID) }); err != nil {
		t.Fatal(err)
	}
	if d := r.depth(t); d != 1 {
		t.Errorf("depth after requeue = %d, want 1", d)
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = r.db.View(func(tx *bbolt.Tx) error { n = deadletter.Count(tx, deadletter.KindOutbox); return nil })
	if n != 1 || r.depth(t) != 0 {
		t.Errorf("after requeue and flush: %d letters, depth %d", n, r.depth(t))
	}
	_ = r.db.View(func(tx *bbolt.Tx) (err error) { ls, _, err = deadletter.List(tx, "", "", 10); return err })
	if len(ls) != 1 || ls[0].Ticket != "T-BIG" || ls[0].Actor != "desk-li" {
		t.Errorf("the requeued and parked again letter lost its ticket or actor: %+v", ls)
	}
}

// Appends wake a running relay after their commit: no Notify, no poll.
func TestAppendWakesTheRelayAfterCommit(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.relay.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for i := range 20 {
		r.commit(t, fmt.Sprint("r", i%4), i)
	}
	natstest.Eventually(t, 2*time.Second, func() error { // the safety poll is 5s
		if n := r.relay.Published(); n != 20 {
			return fmt.Errorf("published %d", n)
		}
		return nil
	})
}

// A backlog of 100k events (the relay was away) drains while writers keep committing: every
// event once, each resource's in order, depth back to zero.
func TestBacklogDrainsWhileWritesGoOn(t *testing.T) {
	backlog := 100_000
	if testing.Short() {
		backlog = 10_000
	}
	r := newRig(t, natstest.NoSync())
	const resources = 500
	seq := map[string]int64{}
	for start := 0; start < backlog; start += 5000 {
		err := r.db.UpdateAlone(func(tx *bbolt.Tx) error {
			for i := start; i < start+5000 && i < backlog; i++ {
				res := fmt.Sprint("things/r", i%resources)
				seq[res]++
				if _, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: res,
					Data: &typev1.Money{AmountMinor: seq[res]}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := r.depth(t); d != backlog {
		t.Fatalf("depth = %d, want %d", d, backlog)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.relay.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// Writers go on while it drains: 8 of them, 2,000 more events.
	var wg sync.WaitGroup
	var more atomic.Int64
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 250 {
				res := fmt.Sprintf("things/w%d", w)
				err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
					if err := store.Put(tx, things, []byte(fmt.Sprint(res, i)), []byte("x")); err != nil {
						return err
					}
					_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: res,
						Data: &typev1.Money{AmountMinor: int64(i + 1)}})
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				more.Add(1)
			}
		}()
	}
	wg.Wait()
	total := uint64(backlog) + uint64(more.Load())
	start := time.Now()
	natstest.Eventually(t, 5*time.Minute, func() error {
		if n := r.relay.Published(); n < total {
			return fmt.Errorf("published %d of %d", n, total)
		}
		return nil
	})
	t.Logf("drained %d events; last %s after the writers finished", total, time.Since(start).Round(time.Millisecond))
	if d := r.depth(t); d != 0 {
		t.Errorf("depth = %d after draining", d)
	}
	got := r.streamAll(t, int(total))
	if uint64(len(got)) != total {
		t.Fatalf("stream has %d events, want %d", len(got), total)
	}
	last := map[string]int64{}
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
}

// streamAll reads n events of the stream with an ordered consumer (faster than r.stream's
// message-by-message reads for a large stream).
func (r *rig) streamAll(t testing.TB, n int) []events.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := r.js.OrderedConsumer(ctx, "TEST", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Message
	for len(out) < n {
		batch, err := c.Fetch(min(n-len(out), 5000), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for msg := range batch.Messages() {
			m, err := events.Parse(msg.Subject(), msg.Headers(), msg.Data())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
			got++
		}
		if got == 0 {
			break
		}
	}
	return out
}

// The hand-written entry encoding reads back as the event that was appended, whatever its
// strings hold.
func TestEntriesKeepOddStrings(t *testing.T) {
	r := newRig(t)
	odd := "things/\"q\"\\<é>&\u0001\u2028"
	err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: odd,
			Data: &typev1.Contact{Name: odd}, Time: time.Date(2026, 12, 1, 8, 0, 0, 123456789, time.FixedZone("x", 3600))})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.stream(t)
	var body typev1.Contact
	if len(got) != 1 || got[0].Resource != odd || got[0].Decode(&body) != nil || body.GetName() != odd ||
		!got[0].Time.Equal(time.Date(2026, 12, 1, 7, 0, 0, 123456789, time.UTC)) {
		t.Fatalf("stream = %+v (%q)", got, body.GetName())
	}
}
