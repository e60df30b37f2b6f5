package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/svctest"
)

// nothing is a service without an API of its own.
type nothing struct{}

func (nothing) Schema() store.Schema                          { return store.Schema{Version: 1} }
func (nothing) Register(*grpc.Server)                         {}
func (nothing) Start(context.Context, *daemon.Platform) error { return nil }

func health(t *testing.T, addr string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn, err := rpc.Dial(addr, rpc.ClientOptions{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		return healthpb.HealthCheckResponse_UNKNOWN
	}
	return resp.GetStatus()
}

func TestServingOnceStoreAndStreamAreReady(t *testing.T) {
	s := svctest.Start(t, nothing{}, svctest.Options{Name: "smoke"})
	if got := health(t, s.Addr); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, want SERVING", got)
	}
}

// start runs the daemon in the background and returns its gRPC and metrics addresses.
func start(t *testing.T, cfg daemon.Config) (string, string, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, cfg, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), nothing{},
			daemon.Options{Listener: lis, MetricsListener: mlis, Retry: 50 * time.Millisecond})
	}()
	return lis.Addr().String(), mlis.Addr().String(), func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}
}

func TestNotServingUntilTheCauseGoesAway(t *testing.T) {
	nats := natstest.Run(t)
	t.Run("data dir not usable", func(t *testing.T) {
		blocker := filepath.Join(t.TempDir(), "not-a-dir")
		if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := daemon.Defaults("blocked", 0, 0)
		cfg.DataDir = filepath.Join(blocker, "data")
		cfg.Security.Insecure = true
		cfg.NATSURL = nats.URL()
		addr, _, stop := start(t, cfg)
		defer stop()
		natstest.Eventually(t, 5*time.Second, func() error {
			if got := health(t, addr); got != healthpb.HealthCheckResponse_NOT_SERVING {
				return errorf("health = %v, want NOT_SERVING", got)
			}
			return nil
		})
		if err := os.Remove(blocker); err != nil {
			t.Fatal(err)
		}
		natstest.Eventually(t, 10*time.Second, func() error {
			if got := health(t, addr); got != healthpb.HealthCheckResponse_SERVING {
				return errorf("health = %v, want SERVING after the data dir became usable", got)
			}
			return nil
		})
	})
	t.Run("NATS unreachable", func(t *testing.T) {
		nats.Shutdown()
		cfg := daemon.Defaults("waiting", 0, 0)
		cfg.DataDir = t.TempDir()
		cfg.NATSURL = nats.URL()
		cfg.Security.Insecure = true
		addr, metrics, stop := start(t, cfg)
		defer stop()
		natstest.Eventually(t, 5*time.Second, func() error {
			if got := health(t, addr); got != healthpb.HealthCheckResponse_SERVING {
				return errorf("health = %v, want SERVING (degraded: events wait in the outbox)", got)
			}
			return nil
		})
		nats.Restart()
		natstest.Eventually(t, 15*time.Second, func() error {
			if got := health(t, addr); got != healthpb.HealthCheckResponse_SERVING {
				return errorf("health = %v, want SERVING after NATS came back", got)
			}
			return nil
		})
		body := scrape(t, metrics)
		for _, name := range []string{"sanbao_ready 1", "sanbao_outbox_depth", "sanbao_outbox_oldest_age_seconds",
			"sanbao_outbox_published_total", "sanbao_store_size_bytes"} {
			if !strings.Contains(body, name) {
				t.Errorf("/metrics lacks %q", name)
			}
		}
	})
}

func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}
