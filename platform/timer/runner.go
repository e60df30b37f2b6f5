package timer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/tracing"
)

// Handler fires a timer. It runs outside any transaction (it may call other services) and at
// least once per scheduling, so it must be idempotent. Returning nil deletes the timer unless
// the handler rescheduled it; an error retries it later with backoff.
type Handler func(ctx context.Context, t Timer) error

// RunnerOptions tune a Runner.
type RunnerOptions struct {
	Poll        time.Duration // how often to look for due timers (default 200ms)
	Concurrency int           // timers fired at once (default 8; the daemon's --timer-concurrency)
	MaxBackoff  time.Duration // cap of the retry delay (default 5 minutes)
	// Tracer records a span per firing, a child of the trace that scheduled the timer
	// (default: records nothing; the trace context still flows to what the handler calls).
	Tracer trace.TracerProvider
}

// Runner fires due timers with their kind's handler.
type Runner struct {
	db       *store.DB
	clock    clock.Clock
	log      *zap.Logger
	opts     RunnerOptions
	mu       sync.RWMutex
	handlers map[string]Handler
	wake     chan struct{}
	ready    chan Timer // committed timers due now, handed over by Schedule

	fmu    sync.Mutex
	firing map[string]bool // kind|key of the timers being fired now

	tracer trace.Tracer
}

// NewRunner returns a runner over db's timers, reading time from c.
func NewRunner(db *store.DB, c clock.Clock, log *zap.Logger, opts RunnerOptions) *Runner {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Minute
	}
	r := &Runner{db: db, clock: c, log: log, opts: opts, handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
		ready: make(chan Timer, 1024), firing: map[string]bool{},
		tracer: tracing.Provider(opts.Tracer).Tracer("github.com/sanbao/sanbao/platform/timer")}
	runnerOf(db).Store(r)
	return r
}

// offer takes a timer whose scheduling committed: one due now goes straight to Run; if Run is
// behind, the next look at the store finds it.
func (r *Runner) offer(t Timer) {
	if t.Due.After(r.clock.Now()) {
		return
	}
	select {
	case r.ready <- t:
	default:
		r.Notify()
	}
}

// claim marks t as being fired; false if it already is.
func (r *Runner) claim(t Timer) bool {
	r.fmu.Lock()
	defer r.fmu.Unlock()
	k := t.Kind + "\x00" + t.Key
	if r.firing[k] {
		return false
	}
	r.firing[k] = true
	return true
}

func (r *Runner) release(t Timer) {
	r.fmu.Lock()
	defer r.fmu.Unlock()
	delete(r.firing, t.Kind+"\x00"+t.Key)
}

// Handle registers h for timers of kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Notify makes the runner look for due timers now (after scheduling one due now).
func (r *Runner) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run fires due timers until ctx ends: those scheduled due now as soon as their transaction
// commits (no store read), the others when the poll finds them due.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.opts.Poll)
	defer t.Stop()
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		if _, err := r.FireDue(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("timers", zap.Error(err))
		}
	wait:
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				break wait
			case <-r.wake:
				break wait
			case tm := <-r.ready:
				if !r.claim(tm) {
					continue
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					r.release(tm)
					return ctx.Err()
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					defer r.release(tm)
					r.fire(ctx, tm)
				}()
			}
		}
	}
}

// FireDue fires the timers due now and returns how many it fired successfully. Tests call it
// after advancing a fake clock.
func (r *Runner) FireDue(ctx context.Context) (int, error) {
	fired := 0
	for {
		var due []Timer
		err := r.db.View(func(tx *bbolt.Tx) error {
			var err error
			due, err = Due(tx, r.clock.Now(), 64)
			return err
		})
		if err != nil || len(due) == 0 {
			return fired, err
		}
		var mu sync.Mutex
		ok := 0
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(r.opts.Concurrency)
		for _, t := range due {
			if !r.claim(t) {
				continue // being fired from the ready queue
			}
			g.Go(func() error {
				defer r.release(t)
				if r.fire(gctx, t) {
					mu.Lock()
					ok++
					mu.Unlock()
				}
				return nil
			})
		}
		_ = g.Wait()
		fired += ok
		if ctx.Err() != nil {
			return fired, ctx.Err()
		}
		if ok == 0 {
			return fired, nil // everything due failed and was pushed back, or is being fired
		}
	}
}

// fire runs one timer's handler and deletes or reschedules it; it reports success.
func (r *Runner) fire(ctx context.Context, t Timer) bool {
	r.mu.RLock()
	h := r.handlers[t.Kind]
	r.mu.RUnlock()
	ctx, span := r.tracer.Start(tracing.Continue(auth.WithActor(ctx, t.Actor), t.Trace), "timer "+t.Kind,
		trace.WithAttributes(attribute.String("sanbao.timer.kind", t.Kind), attribute.String("sanbao.timer.key", t.Key),
			attribute.Int("sanbao.timer.attempt", t.Attempt)))
	defer span.End()
	var err error
	if h == nil {
		err = fmt.Errorf("no handler for timer kind %q", t.Kind)
	} else {
		err = safeCall(ctx, h, t)
	}
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	log := r.log.With(append(tracing.Fields(ctx), zap.String("timer", t.Kind), zap.String("key", t.Key), zap.Int("attempt", t.Attempt))...)
	// The bookkeeping outlives a shutdown that began while the handler ran: a timer whose
	// handler finished is deleted rather than fired again on the next start.
	uerr := r.db.Update(context.WithoutCancel(ctx), func(tx *bbolt.Tx) error {
		if !same(tx, t) {
			return nil // rescheduled or cancelled meanwhile: leave the new one alone
		}
		if err == nil {
			return Cancel(tx, t.Kind, t.Key)
		}
		next := t
		next.Attempt++
		next.Due = r.clock.Now().Add(r.backoff(next.Attempt))
		return put(tx, next)
	})
	if uerr != nil {
		log.Error("timer bookkeeping failed; it will fire again", zap.Error(uerr))
		return false
	}
	if err != nil {
		if ctx.Err() != nil {
			log.Debug("timer interrupted by shutdown; it fires again on start", zap.Error(err))
		} else {
			log.Warn("timer failed; retrying", zap.Error(err), zap.Duration("in", r.backoff(t.Attempt+1)))
		}
		return false
	}
	return true
}

func (r *Runner) backoff(attempt int) time.Duration {
	d := time.Second << min(attempt-1, 20)
	return min(d, r.opts.MaxBackoff)
}

func safeCall(ctx context.Context, h Handler, t Timer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("timer handler panicked: %v", p)
		}
	}()
	return h(ctx, t)
}
