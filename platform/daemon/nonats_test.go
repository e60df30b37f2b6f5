package daemon_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
)

// writer is a service with one write (it appends an event) and one read.
type writer struct {
	p atomic.Pointer[daemon.Platform]
}

var points = []byte("points")

func (w *writer) Schema() store.Schema { return store.Schema{Version: 1, Buckets: [][]byte{points}} }
func (w *writer) Start(_ context.Context, p *daemon.Platform) error {
	w.p.Store(p)
	return nil
}

func (w *writer) Register(g *grpc.Server) {
	method := func(name string, h func(ctx context.Context, pt *typev1.GeoPoint) error) grpc.MethodDesc {
		return grpc.MethodDesc{MethodName: name, Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := &typev1.GeoPoint{}
			if err := dec(in); err != nil {
				return nil, err
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: "/test.Writer/" + name}, func(ctx context.Context, req any) (any, error) {
				return req, h(ctx, req.(*typev1.GeoPoint))
			})
		}}
	}
	g.RegisterService(&grpc.ServiceDesc{ServiceName: "test.Writer", HandlerType: (*any)(nil), Methods: []grpc.MethodDesc{
		method("Write", func(ctx context.Context, pt *typev1.GeoPoint) error {
			p := w.p.Load()
			err := p.DB.Update(ctx, func(tx *bbolt.Tx) error {
				if err := store.PutProto(tx, points, []byte("p"), pt); err != nil {
					return err
				}
				_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.nonats.v1.point.written", Resource: "points/p", Data: pt, Time: p.Clock.Now()})
				return err
			})
			p.Notify()
			return err
		}),
		method("Read", func(_ context.Context, pt *typev1.GeoPoint) error {
			return w.p.Load().DB.View(func(tx *bbolt.Tx) error {
				_, err := store.GetProto(tx, points, []byte("p"), pt)
				return err
			})
		}),
	}}, struct{}{})
}

func TestServesWithoutNATSAndPublishesWhenItReturns(t *testing.T) {
	srv := natstest.Run(t)
	srv.Shutdown()
	cfg := daemon.Defaults("nonats", 0, 0)
	cfg.DataDir = t.TempDir()
	cfg.NATSURL = srv.URL()
	cfg.Security.Insecure = true
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	alis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, cfg, zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel)), &writer{},
			daemon.Options{Listener: lis, AdminListener: alis, Retry: 50 * time.Millisecond})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	conn, err := rpc.Dial(lis.Addr().String(), rpc.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// NATS is down: the write is accepted (it waits in the outbox), the read works.
	natstest.Eventually(t, 10*time.Second, func() error {
		return conn.Invoke(context.Background(), "/test.Writer/Write", &typev1.GeoPoint{Latitude: 7}, &typev1.GeoPoint{})
	})
	got := &typev1.GeoPoint{}
	if err := conn.Invoke(context.Background(), "/test.Writer/Read", &typev1.GeoPoint{}, got); err != nil || got.GetLatitude() != 7 {
		t.Fatalf("Read while NATS is down = %v, %v; want latitude 7", got, err)
	}
	if body := readyz(t, alis.Addr().String()); !strings.Contains(body, "degraded") {
		t.Errorf("/readyz while NATS is down = %q, want it to say degraded", body)
	}

	// NATS returns: the stream is created and the event published.
	srv.Restart()
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 20*time.Second, func() error {
		st, err := js.Stream(context.Background(), "NONATS")
		if err != nil {
			return err
		}
		if n := st.CachedInfo().State.Msgs; n != 1 {
			info, err := st.Info(context.Background())
			if err != nil || info.State.Msgs != 1 {
				return errorf("stream NONATS holds %v messages, want 1 (%v)", n, err)
			}
		}
		return nil
	})
	natstest.Eventually(t, 10*time.Second, func() error {
		if body := readyz(t, alis.Addr().String()); strings.TrimSpace(body) != "ready" {
			return errorf("/readyz after NATS came back = %q, want ready", body)
		}
		return nil
	})
}

func readyz(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
