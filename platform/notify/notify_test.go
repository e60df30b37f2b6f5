package notify_test

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
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/platform/timer"
)

var (
	cst   = time.FixedZone("CST", 8*3600)
	epoch = svctest.Epoch() // read once: the world's clock moves on
)

// local is day d of the test world at hh:mm China time.
func local(d, hh, mm int) time.Time {
	e := epoch.In(cst)
	return time.Date(e.Year(), e.Month(), e.Day()+d, hh, mm, 0, 0, cst)
}

func TestDeliverAt(t *testing.T) {
	night := notify.Preference{QuietFrom: notify.DefaultQuietFrom, QuietTo: notify.DefaultQuietTo, Location: cst}
	lunch := notify.Preference{QuietFrom: 12 * 60, QuietTo: 14 * 60, Location: cst}
	tests := []struct {
		name string
		p    notify.Preference
		at   time.Time
		want time.Time
	}{
		{"daytime", night, local(0, 10, 0), local(0, 10, 0)},
		{"evening before quiet", night, local(0, 20, 59), local(0, 20, 59)},
		{"quiet starts", night, local(0, 21, 0), local(1, 8, 0)},
		{"late night", night, local(0, 23, 30), local(1, 8, 0)},
		{"small hours", night, local(1, 3, 0), local(1, 8, 0)},
		{"quiet ends", night, local(1, 8, 0), local(1, 8, 0)},
		{"lunch", lunch, local(0, 12, 30), local(0, 14, 0)},
		{"after lunch", lunch, local(0, 14, 0), local(0, 14, 0)},
		{"no quiet hours", notify.Preference{}, local(0, 23, 0), local(0, 23, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.DeliverAt(tc.at); !got.Equal(tc.want) {
				t.Errorf("DeliverAt(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestRoute(t *testing.T) {
	p := notify.Preference{Channels: []notify.Address{{notify.WeChat, "openid-1"}, {notify.SMS, "13900000000"}, {notify.Email, "a@b.cn"}}}
	tests := []struct {
		name   string
		served []notify.Channel
		want   notify.Channel
		err    error
	}{
		{"first preference", []notify.Channel{notify.SMS, notify.WeChat}, notify.WeChat, nil},
		{"next when the first is not served", []notify.Channel{notify.SMS, notify.Email}, notify.SMS, nil},
		{"none served", []notify.Channel{}, "", notify.ErrNoChannel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := notify.Router{}
			for _, c := range tc.served {
				r[c] = notify.Log{Log: zap.NewNop()}
			}
			got, err := p.Route(r.Has)
			if got.Channel != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("Route = %v, %v; want %s, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// recorder is a provider that records what it was given and fails while failing is set.
type recorder struct {
	mu      sync.Mutex
	sent    []notify.Message
	failing bool
}

func (r *recorder) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return errors.New("gateway down")
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.sent {
		out = append(out, m.Key)
	}
	return out
}

type world struct {
	db     *store.DB
	clk    *clock.Fake
	runner *timer.Runner
	prov   *recorder
}

func newWorld(t *testing.T, now time.Time) *world {
	db := bolttest.Open(t, store.Schema{Version: 1})
	clk := clock.NewFake(now)
	log := zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	r := timer.NewRunner(db, clk, log, timer.RunnerOptions{Concurrency: 1})
	w := &world{db: db, clk: clk, runner: r, prov: &recorder{}}
	(&notify.Deliverer{DB: db, Provider: w.prov, Clock: clk, Log: log}).Register(r)
	return w
}

func (w *world) enqueue(t *testing.T, m notify.Message, p notify.Preference) bool {
	t.Helper()
	var added bool
	err := w.db.Update(context.Background(), func(tx *bbolt.Tx) (err error) {
		added, err = notify.Enqueue(tx, m, p.DeliverAt(w.clk.Now()))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func (w *world) fire(t *testing.T) {
	t.Helper()
	if _, err := w.runner.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestEachStepSendsOnce: the same step enqueued again (a redelivered event) sends once; a
// failing gateway is retried until it takes the message, which it then has once.
func TestEachStepSendsOnce(t *testing.T) {
	w := newWorld(t, local(0, 10, 0))
	m := notify.Message{Key: "ticket/T1/received", Channel: notify.SMS, To: "13900000000", Template: "ticket.received", Text: "已受理"}
	if !w.enqueue(t, m, notify.Preference{}) {
		t.Fatal("first Enqueue = not added")
	}
	if w.enqueue(t, m, notify.Preference{}) {
		t.Error("second Enqueue of the same key = added, want ignored")
	}
	w.prov.failing = true
	w.fire(t)
	if got := w.prov.keys(); len(got) != 0 {
		t.Fatalf("sent while the gateway is down: %v", got)
	}
	var rec notify.Record
	_ = w.db.View(func(tx *bbolt.Tx) (err error) { rec, _, err = notify.Get(tx, m.Key); return err })
	if rec.Attempts != 1 || rec.LastError == "" || !rec.Sent.IsZero() {
		t.Errorf("record after a failed send = %+v, want one attempt with its error", rec)
	}
	w.prov.failing = false
	for range 10 { // the timer's backoff is in minutes at most
		w.clk.Advance(10 * time.Minute)
		w.fire(t)
	}
	if got := w.prov.keys(); len(got) != 1 || got[0] != m.Key {
		t.Errorf("sent = %v, want the message once", got)
	}
	n := 0
	_ = w.db.View(func(tx *bbolt.Tx) error {
		return notify.List(tx, 100, func(r notify.Record) error {
			n++
			if r.Sent.IsZero() {
				t.Errorf("outbox record %s not marked sent", r.Key)
			}
			return nil
		})
	})
	if n != 1 {
		t.Errorf("outbox lists %d records, want 1", n)
	}
}

// TestQuietHoursHold: a step at 22:00 is held until 08:00 the next morning.
func TestQuietHoursHold(t *testing.T) {
	w := newWorld(t, local(0, 22, 0))
	p := notify.Preference{Channels: []notify.Address{{notify.SMS, "13900000000"}}, QuietFrom: notify.DefaultQuietFrom, QuietTo: notify.DefaultQuietTo, Location: cst}
	w.enqueue(t, notify.Message{Key: "ticket/T2/assigned", Channel: notify.SMS, To: "13900000000", Template: "ticket.assigned"}, p)
	w.fire(t)
	w.clk.Set(local(1, 7, 59))
	w.fire(t)
	if got := w.prov.keys(); len(got) != 0 {
		t.Fatalf("sent in quiet hours: %v", got)
	}
	w.clk.Set(local(1, 8, 0))
	w.fire(t)
	if got := w.prov.keys(); len(got) != 1 {
		t.Errorf("sent at 08:00 = %v, want the held message", got)
	}
}

// TestRouterRefusesUnservedChannel: a channel without a provider is an error, not a silent drop.
func TestRouterRefusesUnservedChannel(t *testing.T) {
	err := notify.Router{}.Send(context.Background(), notify.Message{Key: "k", Channel: notify.Email})
	if !errors.Is(err, notify.ErrNoProvider) {
		t.Errorf("Router.Send(unserved) = %v, want ErrNoProvider", err)
	}
}
