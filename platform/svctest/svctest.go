// Package svctest starts a real service for tests: daemon.Run on a loopback port with its bbolt
// file in a temp dir and a real in-process NATS server, and a real gRPC client connection to it.
package svctest

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/platform/auth"
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
	// Auth, when set, runs the service with TLS and authentication as in production: its
	// certificate and the token issuer come from this local CA, Conn calls as Operator and
	// DialAs calls as anyone. Without it the service runs --insecure (plaintext, no checks).
	Auth *auth.Local
}

// Operator is who Conn calls as on a service started with Auth: every staff role, no scope.
var Operator = auth.Person{Subject: "test-operator", Roles: []auth.Role{auth.RoleServiceDesk, auth.RoleDispatcher,
	auth.RoleWarehouse, auth.RoleTechnical, auth.RoleManager, auth.RoleAdmin}}

// Service is a running service.
type Service struct {
	Conn *grpc.ClientConn
	Addr string
	// HTTPURL is the base URL of the service's HTTP/JSON face (https:// with Auth).
	HTTPURL  string
	Platform *daemon.Platform
	NATS     *natstest.Server
	DataDir  string
	auth     *auth.Local
	clock    clock.Clock
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
	hlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cfg := daemon.Defaults(o.Name, 0, 0)
	cfg.Listen = lis.Addr().String()
	cfg.MetricsListen = ""
	cfg.AdminListen = ""
	cfg.HTTP.Listen = hlis.Addr().String()
	cfg.DataDir = o.DataDir
	cfg.NATSURL = o.NATS.URL()
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.Security.Insecure = true
	if o.Auth != nil {
		files, err := o.Auth.ServiceFiles(o.Name)
		if err != nil {
			t.Fatalf("service certificate: %v", err)
		}
		cfg.Security = daemon.Security{TLSCert: files.Cert, TLSKey: files.Key, TLSCA: files.CA,
			TokenJWKS: o.Auth.JWKSFile(), TokenIssuer: o.Auth.Issuer, TokenAudience: o.Auth.Audience}
	}
	if o.Clock == nil {
		o.Clock = WallClock()
	}
	opts := o.Daemon
	opts.Listener = lis
	opts.HTTPListener = hlis
	opts.Clock = o.Clock
	opts.Retry = 100 * time.Millisecond
	ready := make(chan *daemon.Platform, 1)
	opts.OnReady = func(p *daemon.Platform) { ready <- p }
	ctx, cancel := context.WithCancel(context.Background())
	scheme := "http://"
	if o.Auth != nil {
		scheme = "https://"
	}
	s := &Service{Addr: lis.Addr().String(), HTTPURL: scheme + hlis.Addr().String(), NATS: o.NATS, DataDir: o.DataDir, auth: o.Auth, clock: o.Clock, cancel: cancel, done: make(chan error, 1)}
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
	if o.Auth != nil {
		s.Conn = s.DialAs(t, Operator)
	} else if s.Conn, err = rpc.Dial(s.Addr, rpc.ClientOptions{}); err != nil {
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

// DialAs returns a connection to a service started with Auth that calls as p (a token from
// the local issuer, valid for an hour of the test's clock, over TLS). It is closed at cleanup.
func (s *Service) DialAs(t testing.TB, p auth.Person) *grpc.ClientConn {
	t.Helper()
	if s.auth == nil {
		t.Fatal("svctest: DialAs needs Options.Auth")
	}
	tok, err := s.auth.Issue(p, s.clock.Now(), time.Hour)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return s.DialToken(t, tok)
}

// DialToken returns a connection to a service started with Auth that presents the bearer
// token tok (a customer's, say) over TLS. It is closed at cleanup.
func (s *Service) DialToken(t testing.TB, tok string) *grpc.ClientConn {
	t.Helper()
	if s.auth == nil {
		t.Fatal("svctest: DialToken needs Options.Auth")
	}
	tc, err := auth.ClientCA(s.auth.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := rpc.Dial(s.Addr, rpc.ClientOptions{Creds: credentials.NewTLS(tc), PerRPC: auth.Token(tok)})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Token returns a bearer token of the local issuer for p, valid for an hour of the test's clock
// (a service started with Auth).
func (s *Service) Token(t testing.TB, p auth.Person) string {
	t.Helper()
	if s.auth == nil {
		t.Fatal("svctest: Token needs Options.Auth")
	}
	tok, err := s.auth.Issue(p, s.clock.Now(), time.Hour)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok
}

// HTTPClient returns a client for the service's HTTP/JSON face at HTTPURL: it trusts the local
// CA when the service runs with Auth (present a token in the Authorization header yourself).
func (s *Service) HTTPClient(t testing.TB) *http.Client {
	t.Helper()
	tr := &http.Transport{ForceAttemptHTTP2: true}
	if s.auth != nil {
		tc, err := auth.ClientCA(s.auth.CAFile())
		if err != nil {
			t.Fatal(err)
		}
		tr.TLSClientConfig = tc
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
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
