// Package svctest starts a real service for tests: daemon.Run on a loopback port with its bbolt
// file in a temp dir and a real in-process NATS server, and a real gRPC client connection to it.
package svctest

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"

	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
)

// Options say how to start the service; the zero value works.
type Options struct {
	Name    string           // service name (stream name derives from it); default "test"
	NATS    *natstest.Server // shared NATS server; a new one when nil
	Clock   clock.Clock      // default WallClock(); every service of one test world gets the same clock
	DataDir string           // reuse a data dir (restart tests); a new temp dir when empty
	Log     *zap.Logger      // default zaptest
	Daemon  daemon.Options   // extra daemon options (RunnerOptions, NATSOptions); Listener, Clock, OnReady are set here
}

// Service is a running service.
type Service struct {
	Conn     *grpc.ClientConn
	Addr     string
	Platform *daemon.Platform
	NATS     *natstest.Server
	DataDir  string
	cancel   context.CancelFunc
	done     chan error
}

// Start runs svc and waits (up to 30s) until it is serving. It is stopped at cleanup.
func Start(t testing.TB, svc daemon.Service, o Options) *Service {
	t.Helper()
	if o.Name == "" {
		o.Name = "test"
	}
	if o.NATS == nil {
		o.NATS = natstest.Run(t)
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Log == nil {
		o.Log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := daemon.Defaults(o.Name, 0, 0)
	cfg.Listen = lis.Addr().String()
	cfg.MetricsListen = ""
	cfg.AdminListen = ""
	cfg.DataDir = o.DataDir
	cfg.NATSURL = o.NATS.URL()
	cfg.ShutdownTimeout = 5 * time.Second
	opts := o.Daemon
	opts.Listener = lis
	opts.Clock = o.Clock
	if opts.Clock == nil {
		opts.Clock = WallClock()
	}
	opts.Retry = 100 * time.Millisecond
	ready := make(chan *daemon.Platform, 1)
	opts.OnReady = func(p *daemon.Platform) { ready <- p }
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{Addr: lis.Addr().String(), NATS: o.NATS, DataDir: o.DataDir, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- daemon.Run(ctx, cfg, o.Log, svc, opts) }()
	select {
	case s.Platform = <-ready:
	case err := <-s.done:
		cancel()
		t.Fatalf("service %s stopped before it was ready: %v", o.Name, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("service %s not ready within 30s", o.Name)
	}
	s.Conn, err = rpc.Dial(s.Addr, rpc.ClientOptions{})
	if err != nil {
		cancel()
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop %s: %v", o.Name, err)
		}
	})
	return s
}

// Stop shuts the service down and waits for it (idempotent). Use it to test restarts: start a
// new one with the same DataDir and NATS.
func (s *Service) Stop() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.cancel = nil
	_ = s.Conn.Close()
	return <-s.done
}
