package timer_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type fired struct {
	mu   sync.Mutex
	keys []string
}

func (f *fired) add(k string) { f.mu.Lock(); f.keys = append(f.keys, k); f.mu.Unlock() }
func (f *fired) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.keys...)
}

func setup(t *testing.T) (*store.DB, *clock.Fake, *timer.Runner) {
	db := bolttest.Open(t, store.Schema{Version: 1})
	c := clock.NewFake(t0)
	return db, c, timer.NewRunner(db, c, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), timer.RunnerOptions{Concurrency: 1})
}

func schedule(t *testing.T, db *store.DB, kind, key string, due time.Time) {
	t.Helper()
	if err := db.UpdateAlone(func(tx *bbolt.Tx) error { return timer.Schedule(tx, kind, key, due, []byte(key)) }); err != nil {
		t.Fatal(err)
	}
}

func TestTimersFireWhenDueInOrder(t *testing.T) {
	db, c, r := setup(t)
	var f fired
	r.Handle("k", func(_ context.Context, tm timer.Timer) error { f.add(string(tm.Payload)); return nil })
	schedule(t, db, "k", "b", t0.Add(2*time.Hour))
	schedule(t, db, "k", "a", t0.Add(time.Hour))
	schedule(t, db, "k", "c", t0.Add(3*time.Hour))
	schedule(t, db, "k", "c", t0.Add(4*time.Hour)) // rescheduled: fires once, later
	steps := []struct {
		advance time.Duration
		want    []string
	}{
		{59 * time.Minute, nil},
		{time.Minute, []string{"a"}},
		{2 * time.Hour, []string{"a", "b"}},
		{time.Hour, []string{"a", "b", "c"}},
		{10 * time.Hour, []string{"a", "b", "c"}},
	}
	for _, s := range steps {
		c.Advance(s.advance)
		if _, err := r.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := f.got(); len(got) != len(s.want) || (len(got) > 0 && got[len(got)-1] != s.want[len(s.want)-1]) {
			t.Fatalf("at %v fired %v, want %v", c.Now().Sub(t0), got, s.want)
		}
	}
}

func TestFailedTimerIsRetriedWithBackoffAndSurvivesRestart(t *testing.T) {
	db, c, r := setup(t)
	calls := 0
	schedule(t, db, "flaky", "x", t0)
	var handler timer.Handler
	handler = func(context.Context, timer.Timer) error {
		calls++
		if calls < 3 {
			return errors.New("peer down")
		}
		return nil
	}
	r.Handle("flaky", handler)
	// t0: attempt 1 fails, retry due at +1s; +1s: attempt 2 fails, retry due at +1s+2s.
	for i, wantCalls := range []int{1, 2, 2, 3, 3} {
		if i == 2 { // the process restarts: a new runner over the same file
			r = timer.NewRunner(db, c, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), timer.RunnerOptions{})
			r.Handle("flaky", handler)
		}
		if _, err := r.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if calls != wantCalls {
			t.Fatalf("step %d: %d calls, want %d", i, calls, wantCalls)
		}
		c.Advance(time.Second)
	}
	_ = db.View(func(tx *bbolt.Tx) error {
		if _, ok, _ := timer.Get(tx, "flaky", "x"); ok {
			t.Error("timer still scheduled after it succeeded")
		}
		return nil
	})
}

func TestHandlerMayRescheduleItself(t *testing.T) {
	db, c, r := setup(t)
	n := 0
	r.Handle("tick", func(_ context.Context, tm timer.Timer) error {
		n++
		return db.UpdateAlone(func(tx *bbolt.Tx) error { return timer.Schedule(tx, "tick", tm.Key, tm.Due.Add(time.Hour), nil) })
	})
	schedule(t, db, "tick", "x", t0)
	for range 3 {
		if _, err := r.FireDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Hour)
	}
	if n != 3 {
		t.Fatalf("fired %d times, want 3", n)
	}
}

func TestCancel(t *testing.T) {
	db, c, r := setup(t)
	n := 0
	r.Handle("k", func(context.Context, timer.Timer) error { n++; return nil })
	schedule(t, db, "k", "x", t0)
	if err := db.UpdateAlone(func(tx *bbolt.Tx) error { return timer.Cancel(tx, "k", "x") }); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	if _, err := r.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("cancelled timer fired %d times", n)
	}
}

// A timer scheduled due now fires once its transaction commits, without a poll or a Notify.
func TestTimerDueNowFiresWithoutAPoll(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1})
	c := clock.NewFake(t0)
	r := timer.NewRunner(db, c, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), timer.RunnerOptions{Poll: time.Hour})
	done := make(chan string, 10)
	r.Handle("k", func(_ context.Context, tm timer.Timer) error { done <- tm.Key; return nil })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- r.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	schedule(t, db, "k", "later", t0.Add(time.Minute)) // not due: waits for its time
	schedule(t, db, "k", "now", t0)
	select {
	case k := <-done:
		if k != "now" {
			t.Fatalf("fired %q first", k)
		}
	case <-time.After(30 * time.Second): // the poll is an hour
		t.Fatal("timer due now did not fire")
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		var ok bool
		_ = db.View(func(tx *bbolt.Tx) (err error) { _, ok, err = timer.Get(tx, "k", "now"); return err })
		if ok {
			return errors.New("fired timer not deleted yet")
		}
		return nil
	})
}
