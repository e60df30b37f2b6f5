package events_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
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
	"github.com/sanbao/sanbao/platform/store"
)

var applied = []byte("applied")

func setup(t *testing.T) (jetstream.JetStream, *store.DB) {
	t.Helper()
	srv := natstest.Run(t)
	nc, err := nats.Connect(srv.URL())
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
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: "peer"}); err != nil {
		t.Fatal(err)
	}
	return js, bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{applied}})
}

func publish(t *testing.T, js jetstream.JetStream, id string, amount int64) {
	t.Helper()
	msg := events.NewMsg("sanbao.peer.v1.thing.changed", events.Message{
		ID: id, Source: "/sanbao/peer", Type: "sanbao.type.v1.Money", Resource: "things/1",
		Time: time.Now(), Data: []byte(fmt.Sprintf(`{"amountMinor":"%d"}`, amount)),
	})
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// count is how many times the handler's effect was committed.
func count(t *testing.T, db *store.DB) int {
	var n int
	_ = db.View(func(tx *bbolt.Tx) error { n = tx.Bucket(applied).Stats().KeyN; return nil })
	return n
}

// handler records one row per applied event (a non-idempotent effect, so a second application
// would show) and can be told to fail.
func handler(fail *atomic.Int32) events.Handler {
	return func(tx *bbolt.Tx, m events.Message) error {
		var body typev1.Money
		if err := m.Decode(&body); err != nil {
			return events.Permanent(err)
		}
		b := tx.Bucket(applied)
		seq, _ := b.NextSequence()
		if err := b.Put(store.U64(seq), []byte(m.ID)); err != nil {
			return err
		}
		if fail != nil && fail.Add(-1) >= 0 {
			return errors.New("crash mid-handler")
		}
		return nil
	}
}

func run(t *testing.T, c *events.Consumer) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return func() { cancel(); <-done }
}

func TestConsumerAppliesEachEventOnce(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	var fail atomic.Int32
	fail.Store(2) // the first two attempts die after writing, before committing
	c := events.NewConsumer(db, js, log, events.ConsumerConfig{
		Stream: "PEER", Durable: "me", FilterSubjects: []string{"sanbao.peer.v1.>"},
		Handle: handler(&fail), AckWait: 500 * time.Millisecond,
	})
	stop := run(t, c)
	defer stop()
	publish(t, js, "e1", 1)
	publish(t, js, "e1", 1) // republished with the same id: the stream drops it
	publish(t, js, "e2", 2)
	natstest.Eventually(t, 20*time.Second, func() error {
		if n := count(t, db); n != 2 {
			return fmt.Errorf("applied %d events, want 2", n)
		}
		return nil
	})
	// Delivered again after being applied (ack lost in a crash): skipped.
	if err := c.Apply(context.Background(), events.Message{ID: "e1", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db); n != 2 {
		t.Fatalf("after redelivery of e1 applied %d, want 2", n)
	}
}

func TestConsumerRestartAfterCrashBeforeAck(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	cfg := events.ConsumerConfig{Stream: "PEER", Durable: "me", FilterSubjects: []string{"sanbao.peer.v1.>"},
		Handle: handler(nil), AckWait: 300 * time.Millisecond}
	publish(t, js, "e1", 1)
	// The first process applied e1 and died before acknowledging it.
	first := events.NewConsumer(db, js, log, cfg)
	if err := first.Apply(context.Background(), events.Message{ID: "e1", Data: []byte(`{"amountMinor":"1"}`)}); err != nil {
		t.Fatal(err)
	}
	// The restarted consumer is delivered e1 again, skips it and acknowledges it.
	second := events.NewConsumer(db, js, log, cfg)
	stop := run(t, second)
	defer stop()
	natstest.Eventually(t, 10*time.Second, func() error {
		n, err := second.Pending(context.Background())
		if err != nil || n != 0 {
			return fmt.Errorf("pending = %d, %v", n, err)
		}
		return nil
	})
	if n := count(t, db); n != 1 {
		t.Fatalf("applied %d times, want 1", n)
	}
}

func TestConsumerWaitsForAStreamThatDoesNotExistYet(t *testing.T) {
	js, db := setup(t)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	c := events.NewConsumer(db, js, log, events.ConsumerConfig{Stream: "LATER", Durable: "me",
		FilterSubjects: []string{"sanbao.later.v1.>"}, Handle: handler(nil)})
	stop := run(t, c)
	defer stop()
	if _, err := events.EnsureStream(context.Background(), js, events.StreamConfig{Service: "later"}); err != nil {
		t.Fatal(err)
	}
	msg := events.NewMsg("sanbao.later.v1.thing.changed", events.Message{ID: "x", Source: "/s", Type: "t", Time: time.Now(), Data: []byte(`{}`)})
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 15*time.Second, func() error {
		if n := count(t, db); n != 1 {
			return fmt.Errorf("applied %d", n)
		}
		return nil
	})
}

// EnsureStream updates a stream provisioned before atomic batches to allow them, and a batch
// is then committed whole.
func TestEnsureStreamAllowsAtomicBatchesOnAnExistingStream(t *testing.T) {
	srv := natstest.Run(t)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OLD", Subjects: []string{"sanbao.old.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	s, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.CachedInfo().Config.AllowAtomicPublish {
		t.Fatalf("stream config after EnsureStream = %+v, want atomic publishes allowed", s.CachedInfo().Config)
	}
	bp, err := events.NewBatchPublisher(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer bp.Close()
	var msgs []*nats.Msg
	for i := range 3 {
		msgs = append(msgs, events.NewMsg("sanbao.old.v1.thing.changed", events.Message{ID: fmt.Sprint("e", i), Source: "/sanbao/old",
			Type: "sanbao.type.v1.Money", Resource: "things/a", Time: time.Now(), Data: []byte(`{}`)}))
	}
	ch, _, err := bp.Publish(msgs, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-ch:
		if a.Err != nil || !a.Batched || a.Count != 3 || a.Seq != 3 {
			t.Fatalf("batch ack = %+v, want 3 events committed at sequence 3", a)
		}
	case <-ctx.Done():
		t.Fatal("no answer to the batch's commit")
	}
	// A batch expecting a last sequence the stream does not have is refused whole.
	msgs = msgs[:0]
	for i := range 2 {
		msgs = append(msgs, events.NewMsg("sanbao.old.v1.thing.changed", events.Message{ID: fmt.Sprint("f", i), Source: "/sanbao/old",
			Type: "sanbao.type.v1.Money", Resource: "things/a", Time: time.Now(), Data: []byte(`{}`)}))
	}
	ch, _, err = bp.Publish(msgs, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-ch:
		var api *jetstream.APIError
		if !errors.As(a.Err, &api) || api.ErrorCode != 10071 {
			t.Fatalf("batch ack = %+v, want wrong last sequence", a)
		}
	case <-ctx.Done():
		t.Fatal("no answer to the batch's commit")
	}
}
