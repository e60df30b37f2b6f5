package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/store"
)

var things = []byte("things")

type rig struct {
	db    *store.DB
	nats  *natstest.Server
	js    jetstream.JetStream
	relay *outbox.Relay
}

func newRig(t testing.TB, opts ...natstest.Option) *rig {
	t.Helper()
	return newRigWith(t, outbox.RelayOptions{}, opts...)
}

// newRigWith is newRig with the relay's options (Source, AckTimeout and MaxBackoff filled in
// when zero).
func newRigWith(t testing.TB, ro outbox.RelayOptions, opts ...natstest.Option) *rig {
	t.Helper()
	srv := natstest.Run(t, opts...)
	nc, err := nats.Connect(srv.URL(), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: "test"}); err != nil {
		t.Fatal(err)
	}
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{things}})
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	if ro.Source == "" {
		ro.Source = "/sanbao/test"
	}
	if ro.AckTimeout == 0 {
		ro.AckTimeout = time.Second
	}
	if ro.MaxBackoff == 0 {
		ro.MaxBackoff = 100 * time.Millisecond
	}
	return &rig{db: db, nats: srv, js: js, relay: outbox.NewRelay(db, js, log, ro)}
}

// commit writes thing id with its event, in one transaction.
func (r *rig) commit(t testing.TB, id string, n int) {
	t.Helper()
	err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
		if err := store.Put(tx, things, []byte(id), []byte(fmt.Sprint(n))); err != nil {
			return err
		}
		_, err := outbox.Append(tx, outbox.Event{
			Subject: "sanbao.test.v1.thing.changed", Resource: "things/" + id,
			Data: &typev1.Money{CurrencyCode: "CNY", AmountMinor: int64(n)},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// stream reads every message in the stream, in stream order.
func (r *rig) stream(t testing.TB) []events.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := r.js.Stream(ctx, "TEST")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Message
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		raw, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		m, err := events.Parse(raw.Subject, raw.Header, raw.Data)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

func (r *rig) depth(t testing.TB) int {
	var n int
	_ = r.db.View(func(tx *bbolt.Tx) error { n, _ = outbox.Depth(tx); return nil })
	return n
}

func TestRelayPublishesCloudEvents(t *testing.T) {
	r := newRig(t)
	r.commit(t, "a", 7)
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.stream(t)
	if len(got) != 1 {
		t.Fatalf("stream has %d messages, want 1", len(got))
	}
	m := got[0]
	if m.Type != "sanbao.type.v1.Money" || m.Source != "/sanbao/test" || m.Resource != "things/a" || m.ID == "" || m.Time.IsZero() {
		t.Errorf("event attributes = %+v", m)
	}
	var body typev1.Money
	if err := m.Decode(&body); err != nil || body.GetAmountMinor() != 7 {
		t.Errorf("Decode = %v, %v; want amount 7", &body, err)
	}
	if d := r.depth(t); d != 0 {
		t.Errorf("outbox depth after flush = %d, want 0", d)
	}
}

func TestEventCommittedWhileNATSIsDownIsPublishedWhenItReturns(t *testing.T) {
	r := newRig(t)
	r.nats.Shutdown()
	r.commit(t, "a", 1) // the state change commits although NATS is away
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.relay.Run(ctx) }()
	defer func() { cancel(); <-done }()
	r.relay.Notify()
	if d := r.depth(t); d != 1 {
		t.Fatalf("outbox depth while NATS is down = %d, want 1", d)
	}
	r.nats.Restart()
	natstest.Eventually(t, 20*time.Second, func() error {
		if d := r.depth(t); d != 0 {
			return fmt.Errorf("outbox depth = %d", d)
		}
		return nil
	})
	if got := r.stream(t); len(got) != 1 || got[0].Resource != "things/a" {
		t.Fatalf("stream = %+v, want the one event", got)
	}
}

// A crash after the stream acknowledged but before the entry was deleted leaves the entry in
// the outbox; the relay publishes it again on restart, and the stream drops the duplicate.
func TestRepublishAfterCrashIsNotDeliveredTwice(t *testing.T) {
	r := newRig(t)
	var ids []string
	for i := range 3 {
		err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
			id, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: fmt.Sprint("things/", i),
				Data: &typev1.Money{AmountMinor: int64(i)}, ID: fmt.Sprintf("01JEVENT%018d", i)})
			ids = append(ids, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The "crashed" process restarts with the same entries still in its outbox.
	for i, id := range ids {
		err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
			_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: fmt.Sprint("things/", i),
				Data: &typev1.Money{AmountMinor: int64(i)}, ID: id})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.stream(t); len(got) != 3 {
		t.Fatalf("stream has %d messages after republishing, want 3 (duplicates dropped)", len(got))
	}
}

// No commit without its event, no event without its commit: concurrent writers, some of whose
// transactions fail after appending; the stream ends up with exactly the committed changes.
func TestEventIfAndOnlyIfCommitted(t *testing.T) {
	r := newRig(t)
	errRollback := errors.New("rule broken after the event was appended")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				id := fmt.Sprintf("w%d-%d", w, i)
				err := r.db.Update(context.Background(), func(tx *bbolt.Tx) error {
					if err := store.Put(tx, things, []byte(id), []byte("x")); err != nil {
						return err
					}
					if _, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: "things/" + id,
						Data: &typev1.Money{AmountMinor: int64(i)}}); err != nil {
						return err
					}
					if i%5 == 4 {
						return errRollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	committed := map[string]bool{}
	_ = r.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(things).ForEach(func(k, _ []byte) error { committed["things/"+string(k)] = true; return nil })
	})
	published := map[string]int{}
	for _, m := range r.stream(t) {
		published[m.Resource]++
	}
	if len(committed) != 8*20 {
		t.Errorf("committed %d changes, want %d", len(committed), 8*20)
	}
	for res := range committed {
		if published[res] != 1 {
			t.Errorf("%s committed, published %d times", res, published[res])
		}
	}
	for res := range published {
		if !committed[res] {
			t.Errorf("%s published without its commit", res)
		}
	}
}

func TestPerResourceOrderIsKept(t *testing.T) {
	r := newRig(t)
	for i := range 30 {
		r.commit(t, fmt.Sprint("r", i%3), i)
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	last := map[string]int64{}
	for _, m := range r.stream(t) {
		var body typev1.Money
		if err := m.Decode(&body); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[m.Resource]; ok && body.GetAmountMinor() <= prev {
			t.Errorf("%s: event %d after %d", m.Resource, body.GetAmountMinor(), prev)
		}
		last[m.Resource] = body.GetAmountMinor()
	}
}

// BenchmarkCommitAndRelay measures events/s through the whole path: a transaction that writes
// a change and its event (group-committed across 16 writers), then the relay publishing to a
// JetStream file store that syncs every write (the production setting) or not.
func BenchmarkCommitAndRelay(b *testing.B) {
	for _, c := range []struct {
		resources int
		sync      bool
	}{{1, true}, {1000, true}, {1000, false}} {
		resources := c.resources
		b.Run(fmt.Sprintf("resources=%d/sync_always=%v", resources, c.sync), func(b *testing.B) {
			var opts []natstest.Option
			if !c.sync {
				opts = append(opts, natstest.NoSync())
			}
			r := newRig(b, opts...)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.relay.Run(ctx) }()
			var mu sync.Mutex
			n := 0
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					i := n
					n++
					mu.Unlock()
					r.commit(b, fmt.Sprint("r", i%resources), i)
					r.relay.Notify()
				}
			})
			for r.relay.Published() < uint64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			cancel()
			<-done
		})
	}
}
