// Package natstest runs a real in-process NATS server with JetStream for tests, which can be
// stopped and restarted on the same port and store to test what happens while NATS is away,
// and polls with a deadline instead of sleeping.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natsembed"
)

// Server is a test NATS server.
type Server struct {
	t   testing.TB
	cfg natsembed.Config
	s   *server.Server
}

// Option changes the test server's configuration.
type Option func(*natsembed.Config)

// NoSync turns off syncing every JetStream write (only to measure what syncing costs).
func NoSync() Option { return func(c *natsembed.Config) { c.NoSync = true } }

// Run starts a server on a free loopback port with its store in t's temp dir, syncing every
// write as production does; it is shut down at cleanup.
func Run(t testing.TB, opts ...Option) *Server {
	t.Helper()
	srv := &Server{t: t, cfg: natsembed.Config{Port: freePort(t), StoreDir: t.TempDir(), Name: "test"}}
	for _, o := range opts {
		o(&srv.cfg)
	}
	srv.start()
	t.Cleanup(srv.Shutdown)
	return srv
}

func (s *Server) start() {
	s.t.Helper()
	ns, err := natsembed.Start(s.cfg)
	if err != nil {
		s.t.Fatalf("start nats: %v", err)
	}
	s.s = ns
}

// URL is the client URL, stable across restarts.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.cfg.Port) }

// Shutdown stops the server (idempotent).
func (s *Server) Shutdown() {
	if s.s != nil {
		s.s.Shutdown()
		s.s.WaitForShutdown()
		s.s = nil
	}
}

// Restart starts the server again on the same port with the same store.
func (s *Server) Restart() {
	s.t.Helper()
	s.Shutdown()
	s.start()
}

// Running reports whether the server is up.
func (s *Server) Running() bool { return s.s != nil }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// Eventually calls f until it returns nil or timeout passes, then fails the test with f's last
// error. It polls every 10ms: tests wait for asynchronous work this way, never by sleeping.
func Eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Streams provisions the named services' streams on the server, as their producers would, so
// that a consumer of a peer's events attaches at once in a test that does not run the peer.
func (s *Server) Streams(t testing.TB, services ...string) {
	t.Helper()
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, svc := range services {
		if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: svc}); err != nil {
			t.Fatalf("%s stream: %v", svc, err)
		}
	}
}
