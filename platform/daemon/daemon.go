package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/platform/tracing"
)

// Service is what a Sanbao service gives the daemon.
type Service interface {
	// Schema declares the service's store layout.
	Schema() store.Schema
	// Register adds the service's gRPC API. It runs before the store is open; the daemon keeps
	// calls out (UNAVAILABLE) until Start has returned.
	Register(s *grpc.Server)
	// Start wires the service to the ready platform: keep p, register timer handlers
	// (p.Timers.Handle), durable consumers (p.Consume) and background tasks (p.Go). It must
	// return promptly; long work belongs in tasks.
	Start(ctx context.Context, p *Platform) error
}

// CustomerTokenMinter is a Service that mints customers' one-unit tokens (the ticket
// service): unless Security.CustomerTokenKey says otherwise, its key is
// <data dir>/customer-token-key.pem.
type CustomerTokenMinter interface {
	MintsCustomerTokens()
}

// Platform is the infrastructure a started service uses.
type Platform struct {
	Name    string
	Log     *zap.Logger
	DB      *store.DB
	NC      *nats.Conn
	JS      jetstream.JetStream
	Clock   clock.Clock
	Timers  *timer.Runner
	Metrics prometheus.Registerer
	// CustomerTokens mints the customers' one-unit tokens the guard accepts (nil: insecure, or
	// no Security.CustomerTokenKey).
	CustomerTokens *auth.CustomerTokens

	relay     *outbox.Relay
	consumers []*events.Consumer
	consumed  []auth.NATSConsumer
	tasks     []func(context.Context) error
	observe   func(consumer, result string)
	tracer    trace.TracerProvider
	security  Security      // for the service's own HTTP endpoints (ServeHTTP)
	shutdown  time.Duration // how long they get to finish on stop
}

// Notify wakes the outbox relay; call it after committing a transaction that appended events.
func (p *Platform) Notify() { p.relay.Notify() }

// Flush publishes every committed event now (tests and shutdown).
func (p *Platform) Flush(ctx context.Context) error { return p.relay.Flush(ctx) }

// Consume adds a durable consumer of another service's events, started with the service. The
// relay and the timers are woken after each commit of its transactions, so a handler need not
// call Notify (a wake-up from inside the transaction would come before the commit).
func (p *Platform) Consume(cfg events.ConsumerConfig) *events.Consumer {
	cfg.Observe = p.observe
	if cfg.Tracer == nil {
		cfg.Tracer = p.tracer
	}
	if cfg.Now == nil {
		cfg.Now = p.Clock.Now // processed ids are pruned by this clock (housekeeping)
	}
	p.consumed = append(p.consumed, auth.NATSConsumer{Stream: cfg.Stream, Durable: cfg.Durable})
	cfg.Handle = fromOwner(cfg.Stream, cfg.Handle)
	if after := cfg.AfterCommit; after != nil {
		cfg.AfterCommit = func() { p.Notify(); p.Timers.Notify(); after() }
	} else {
		cfg.AfterCommit = func() { p.Notify(); p.Timers.Notify() }
	}
	c := events.NewConsumer(p.DB, p.JS, p.Log.Named("events"), cfg)
	p.consumers = append(p.consumers, c)
	return c
}

// fromOwner wraps a consumer's handler so that it applies only events of the service that owns
// the stream: its subject under sanbao.<owner>. and its source /sanbao/<owner>. Anything else
// (a stream misconfigured to capture another's subjects, a forged source) is dropped, never
// applied. NATS permissions already keep other users from publishing on the owner's subjects.
func fromOwner(stream string, h events.Handler) events.Handler {
	owner := strings.ToLower(stream)
	prefix, source := events.SubjectPrefix(owner), "/sanbao/"+owner
	return func(tx *bbolt.Tx, m events.Message) error {
		if !strings.HasPrefix(m.Subject, prefix) || m.Source != source {
			return events.Permanent(fmt.Errorf("event %s on %s from %s: not %s's (want %s*, source %s)", m.ID, m.Subject, m.Source, owner, prefix, source))
		}
		return h(tx, m)
	}
}

// Go adds a background task that runs until shutdown. A task returning an error other than
// the context's stops the service.
func (p *Platform) Go(task func(ctx context.Context) error) { p.tasks = append(p.tasks, task) }

// ServeHTTP serves h on addr beside the API's faces until the daemon stops: a service's own
// HTTP endpoint (the attachments' uploads and downloads). It has the HTTP face's transport —
// TLS with the service's certificate, re-read when it rotates, unless --insecure — and the same
// timeouts; the listener is open when ServeHTTP returns.
func (p *Platform) ServeHTTP(name, addr string, h http.Handler) error {
	tc, err := p.security.httpTLS()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: listen %s: %w", name, addr, err)
	}
	p.Log.Info("serving "+name, zap.String("addr", lis.Addr().String()), zap.Bool("tls", tc != nil))
	p.Go(func(ctx context.Context) error { return serveAPI(ctx, lis, h, tc, p.shutdown, p.Log.Named(name)) })
	return nil
}

// Options are for tests and the all-in-one binary.
type Options struct {
	Listener        net.Listener        // serve gRPC here instead of listening on Config.Listen
	MetricsListener net.Listener        // serve /metrics here instead of Config.MetricsListen
	AdminListener   net.Listener        // serve /backup here instead of Config.AdminListen
	HTTPListener    net.Listener        // serve the HTTP/JSON face here instead of Config.HTTP.Listen
	Clock           clock.Clock         // default clock.System
	OnReady         func(p *Platform)   // called once the service is serving
	NATSOptions     []nats.Option       // extra NATS options
	Retry           time.Duration       // wait between start-up attempts (default 2s)
	RunnerOptions   timer.RunnerOptions // timer tuning
	// TracerProvider records the service's spans (tests pass one with an in-memory exporter);
	// nil builds one from Config.Trace.
	TracerProvider trace.TracerProvider
}

// Run runs svc until ctx ends, then shuts it down in order. Start-up, in steps:
//  1. gRPC server with health NOT_SERVING (so probes answer at once), its HTTP/JSON face and
//     /metrics;
//  2. open the bbolt file, retrying with a log line that says why while it cannot be opened;
//  3. connect to NATS and provision the stream; when NATS does not answer the service starts
//     degraded (writes wait in the outbox, reads work, the readiness reason says so) and
//     provisions the stream and starts the relay when NATS comes back;
//  4. start the outbox relay, timers, consumers and the service's tasks;
//  5. health SERVING.
//
// Shutdown: health NOT_SERVING, gRPC graceful stop (bounded), stop tasks, flush the relay
// (bounded), drain NATS, close the store.
func Run(ctx context.Context, cfg Config, log *zap.Logger, svc Service, opts Options) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log = log.With(zap.String("service", cfg.Name))
	if opts.Clock == nil {
		opts.Clock = clock.System{}
		if cfg.ClockOffset != 0 {
			opts.Clock = clock.Offset{D: cfg.ClockOffset}
			log.Warn("the service's clock is moved from the wall clock (clock-offset); never do this in production",
				zap.Duration("clock_offset", cfg.ClockOffset))
		}
	}
	if opts.Retry <= 0 {
		opts.Retry = 2 * time.Second
	}
	if opts.TracerProvider == nil {
		tp, shutdown, err := tracing.New(ctx, cfg.Name, cfg.Trace)
		if err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := shutdown(sctx); err != nil {
				log.Warn("spans not all exported", zap.Error(err))
			}
		}()
		opts.TracerProvider = tp
	}
	m := newMetrics()
	if _, ok := svc.(CustomerTokenMinter); ok && cfg.Security.CustomerTokenKey == "" {
		cfg.Security.CustomerTokenKey = filepath.Join(cfg.DataDir, "customer-token-key.pem")
	}

	// 1. gRPC edge and metrics.
	sopts, customers, err := cfg.Security.serverOptions(opts.Clock, log.Named("auth"))
	if err != nil {
		return err
	}
	// The standard gRPC metrics first, so that they see every call before authentication or
	// the readiness gate answer it, and a panic as the Internal it is answered with.
	// The latency histograms carry the call's trace id as an exemplar (when it is sampled).
	ex := grpcprom.WithExemplarFromContext(exemplar)
	sopts.Unary = append([]grpc.UnaryServerInterceptor{m.grpc.UnaryServerInterceptor(ex), recoverUnary}, sopts.Unary...)
	sopts.Stream = append([]grpc.StreamServerInterceptor{m.grpc.StreamServerInterceptor(ex), recoverStream}, sopts.Stream...)
	sopts.Tracer = opts.TracerProvider
	m.reg.MustRegister(clientMetrics(cfg.Name))
	sopts.Limits = cfg.Limits
	srv, err := rpc.NewServer(log.Named("rpc"), sopts)
	if err != nil {
		return err
	}
	svc.Register(srv.GRPC)
	m.grpc.InitializeMetrics(srv.GRPC) // every method's series from the start, at 0
	srv.SetReady(false, "starting")
	lis := opts.Listener
	if lis == nil {
		if lis, err = net.Listen("tcp", cfg.Listen); err != nil {
			return fmt.Errorf("listen %s: %w", cfg.Listen, err)
		}
	}
	mlis := opts.MetricsListener
	if mlis == nil && cfg.MetricsListen != "" {
		if mlis, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			_ = lis.Close()
			return fmt.Errorf("listen %s: %w", cfg.MetricsListen, err)
		}
	}
	hlis := opts.HTTPListener
	if hlis == nil && cfg.HTTP.Listen != "" {
		if hlis, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
			_ = lis.Close()
			if mlis != nil {
				_ = mlis.Close()
			}
			return fmt.Errorf("listen %s: %w", cfg.HTTP.Listen, err)
		}
	}
	var httpHandler http.Handler
	var httpTLS *tls.Config
	if hlis != nil {
		if httpHandler, err = newHTTPHandler(srv, cfg); err == nil {
			httpTLS, err = cfg.Security.httpTLS()
		}
		if err != nil {
			_ = lis.Close()
			_ = hlis.Close()
			if mlis != nil {
				_ = mlis.Close()
			}
			return err
		}
	}
	log.Info("serving gRPC (not ready yet)", zap.String("addr", lis.Addr().String()))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.GRPC.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("serve gRPC: %w", err)
		}
		return nil
	})
	if cfg.HealthListen != "" {
		hlis, err := net.Listen("tcp", cfg.HealthListen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", cfg.HealthListen, err)
		}
		hs := grpc.NewServer()
		healthpb.RegisterHealthServer(hs, srv.Health())
		log.Info("serving plaintext health for probes", zap.String("addr", hlis.Addr().String()))
		g.Go(func() error {
			if err := hs.Serve(hlis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				return fmt.Errorf("serve health: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			<-gctx.Done()
			hs.Stop()
			return nil
		})
	}
	if hlis != nil {
		log.Info("serving HTTP/JSON (REST, Connect, gRPC-web)", zap.String("addr", hlis.Addr().String()), zap.Bool("tls", httpTLS != nil),
			zap.Strings("cors_origins", cfg.HTTP.CORSOrigins))
		g.Go(func() error {
			return serveAPI(gctx, hlis, httpHandler, httpTLS, cfg.ShutdownTimeout, log.Named("http"))
		})
	}
	if mlis != nil {
		log.Info("serving metrics", zap.String("addr", mlis.Addr().String()))
		g.Go(func() error { return m.serve(gctx, mlis) })
	}
	var once sync.Once
	stopServer := func() { once.Do(func() { srv.Shutdown(cfg.ShutdownTimeout) }) }
	g.Go(func() error {
		<-gctx.Done()
		stopServer()
		return nil
	})
	g.Go(func() error {
		defer stopServer()
		return runPlatform(gctx, cfg, log, svc, opts, srv, m, customers)
	})
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	log.Info("stopped", zap.Error(err))
	return err
}

// runPlatform does steps 2–5 and the shutdown of what they started.
func runPlatform(ctx context.Context, cfg Config, log *zap.Logger, svc Service, opts Options, srv *rpc.Server, m *metrics, customers *auth.CustomerTokens) error {
	// 2. Store.
	path := filepath.Join(cfg.DataDir, cfg.Name+".db")
	var db *store.DB
	if !retry(ctx, log, srv, opts.Retry, "store not open", func() error {
		var err error
		db, err = store.Open(path, svc.Schema(), log.Named("store"), store.Options{})
		return err
	}) {
		return ctx.Err()
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close store", zap.Error(err))
		}
	}()
	log.Info("store open", zap.String("path", path))

	// 3. NATS and the stream.
	nopts := append([]nats.Option{
		nats.Name("sanbao-" + cfg.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected; events wait in the outbox", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", zap.String("url", c.ConnectedUrlRedacted())) }),
	}, opts.NATSOptions...)
	if nsec, err := cfg.Security.natsOptions(cfg.NATSURL); err != nil {
		return err
	} else if nsec != nil {
		nopts = append(nopts, nsec)
	}
	nc, err := nats.Connect(cfg.NATSURL, nopts...)
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	ensureStream := func(wait time.Duration) error {
		sctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		_, err := events.EnsureStream(sctx, js, events.StreamConfig{Service: cfg.Name, Replicas: cfg.StreamReplicas})
		if err != nil && !nc.IsConnected() {
			err = fmt.Errorf("%w (NATS at %s is not reachable)", err, redact(cfg.NATSURL))
		}
		return err
	}
	// Without the stream the service still serves: writes wait in the outbox, reads need no
	// NATS. The stream is provisioned (and the relay started) once NATS answers.
	degraded := ""
	// The first try is short: a NATS that does not answer within it should not keep the
	// service from serving.
	if err := ensureStream(2 * time.Second); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		degraded = "degraded: event stream not provisioned, events wait in the outbox: " + err.Error()
		log.Warn("serving without NATS; retrying the stream", zap.String("reason", degraded), zap.Duration("every", opts.Retry))
	} else {
		log.Info("stream ready", zap.String("stream", events.StreamName(cfg.Name)))
	}

	// 4. Relay, timers, consumers, tasks.
	ropts := opts.RunnerOptions
	if ropts.Tracer == nil {
		ropts.Tracer = opts.TracerProvider
	}
	if ropts.Concurrency == 0 {
		ropts.Concurrency = cfg.TimerConcurrency
	}
	p := &Platform{
		Name:           cfg.Name,
		Log:            log,
		DB:             db,
		NC:             nc,
		JS:             js,
		Clock:          opts.Clock,
		Timers:         timer.NewRunner(db, opts.Clock, log.Named("timer"), ropts),
		Metrics:        m.reg,
		CustomerTokens: customers,
		relay:          outbox.NewRelay(db, js, log.Named("relay"), outbox.RelayOptions{Source: "/sanbao/" + cfg.Name, Tracer: opts.TracerProvider}),
		observe:        func(consumer, result string) { m.consTotal.WithLabelValues(consumer, result).Inc() },
		tracer:         opts.TracerProvider,
		security:       cfg.Security,
		shutdown:       cfg.ShutdownTimeout,
	}
	m.watchStore(p)
	if err := svc.Start(ctx, p); err != nil {
		return fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	for _, c := range p.consumed {
		if !auth.Declared(cfg.Name, c) {
			return fmt.Errorf("start %s: consumer %s on %s is not declared in platform/auth.Consumes (its NATS user could not read it)", cfg.Name, c.Durable, c.Stream)
		}
	}
	tasksCtx, stopTasks := context.WithCancel(context.WithoutCancel(ctx))
	tg, tctx := errgroup.WithContext(tasksCtx)
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	relayDone := make(chan struct{})
	var relayStarted atomic.Bool
	startRelay := func() {
		relayStarted.Store(true)
		go func() {
			defer close(relayDone)
			_ = p.relay.Run(relayCtx)
		}()
	}
	if degraded == "" {
		startRelay()
	} else {
		tg.Go(func() error {
			if !retryQuiet(tctx, opts.Retry, func() error { return ensureStream(5 * time.Second) }) {
				close(relayDone)
				return nil
			}
			log.Info("stream ready; NATS is back", zap.String("stream", events.StreamName(cfg.Name)))
			startRelay()
			if tctx.Err() == nil {
				srv.SetReady(true, "")
			}
			return nil
		})
	}
	tg.Go(func() error { return p.Timers.Run(tctx) })
	for _, c := range p.consumers {
		tg.Go(func() error { return c.Run(tctx) })
	}
	for _, task := range p.tasks {
		tg.Go(func() error { return task(tctx) })
	}
	tg.Go(func() error { return m.pollConsumerLag(tctx, p.consumers) })
	tg.Go(func() error { return housekeeping(tctx, p, cfg.Retention) })
	if alis := opts.AdminListener; alis != nil || cfg.AdminListen != "" {
		if alis == nil {
			if alis, err = net.Listen("tcp", cfg.AdminListen); err != nil {
				log.Warn("admin endpoints off", zap.String("addr", cfg.AdminListen), zap.Error(err))
			}
		}
		if alis != nil {
			log.Info("serving admin endpoints", zap.String("addr", alis.Addr().String()))
			tg.Go(func() error { return serveAdmin(tctx, alis, cfg.Name, p, srv, log.Named("admin")) })
		}
	}

	// 5. Ready (degraded while the stream is not provisioned).
	if degraded != "" && !relayStarted.Load() {
		srv.SetReady(true, degraded)
	} else {
		srv.SetReady(true, "")
	}
	m.ready.Set(1)
	log.Info("ready", zap.String("reason", degraded))
	if opts.OnReady != nil {
		opts.OnReady(p)
	}

	var taskErr error
	select {
	case <-ctx.Done():
	case <-tctx.Done():
		taskErr = tg.Wait() // a task failed: stop the service
	}
	m.ready.Set(0)
	srv.Shutdown(cfg.ShutdownTimeout)
	stopTasks()
	if err := tg.Wait(); err != nil && !errors.Is(err, context.Canceled) && taskErr == nil {
		taskErr = err
	}
	if relayStarted.Load() {
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.relay.Flush(fctx); err != nil {
			log.Warn("relay flush incomplete; remaining events are published on next start", zap.Error(err))
		}
		cancel()
	}
	stopRelay()
	<-relayDone
	if err := nc.Drain(); err != nil {
		log.Debug("nats drain", zap.Error(err))
	}
	if taskErr != nil && !errors.Is(taskErr, context.Canceled) {
		return taskErr
	}
	return ctx.Err()
}

// retry runs step until it succeeds or ctx ends, keeping the server NOT_SERVING with the reason
// and logging each new reason once. It reports whether step succeeded.
func retry(ctx context.Context, log *zap.Logger, srv *rpc.Server, wait time.Duration, what string, step func() error) bool {
	last := ""
	for {
		err := step()
		if err == nil {
			if last != "" {
				log.Info(what + ": recovered")
			}
			return true
		}
		reason := what + ": " + err.Error()
		srv.SetReady(false, reason)
		if reason != last {
			log.Warn("not ready; retrying", zap.String("reason", reason), zap.Duration("every", wait))
			last = reason
		}
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// sleep waits d, or until ctx ends; it reports whether the whole wait passed.
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

// retryQuiet runs step every wait until it succeeds (true) or ctx ends (false).
func retryQuiet(ctx context.Context, wait time.Duration, step func() error) bool {
	for {
		if step() == nil {
			return true
		}
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// housekeeping prunes request_id records and consumed event ids older than the retention, hourly.
func housekeeping(ctx context.Context, p *Platform, retention time.Duration) error {
	if retention <= 0 {
		return nil
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		cutoff := p.Clock.Now().Add(-retention)
		for {
			var n int
			err := p.DB.UpdateAlone(func(tx *bbolt.Tx) error {
				a, err := idem.Prune(tx, cutoff, 10000)
				if err != nil {
					return err
				}
				b, err := events.PruneProcessed(tx, cutoff, 10000)
				n = a + b
				return err
			})
			if err != nil {
				p.Log.Error("housekeeping", zap.Error(err))
			}
			if err != nil || n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i >= 0 {
		if j := strings.Index(url, "://"); j >= 0 && j < i {
			return url[:j+3] + "***" + url[i:]
		}
	}
	return url
}

// Update is the state change of a handler: fn runs in a group-committed transaction at the
// platform clock's now, once per request_id (idem.Update: a retry gets the first response in
// resp), and the relay is woken once it committed. The error is fn's (or the store's), for the
// service's toStatus.
func (p *Platform) Update(ctx context.Context, method string, req idem.Request, resp proto.Message, fn func(tx *bbolt.Tx, now time.Time) error) error {
	now := p.Clock.Now()
	if err := idem.Update(ctx, p.DB, method, req, resp, now, func(tx *bbolt.Tx) error { return fn(tx, now) }); err != nil {
		return err
	}
	p.Notify()
	return nil
}
