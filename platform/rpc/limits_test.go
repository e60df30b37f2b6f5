package rpc_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/rpc"
)

// funcServer serves /test.Func/Call with h on a server with the given limits.
func funcServer(t *testing.T, l rpc.Limits, h func(ctx context.Context) error) string {
	t.Helper()
	srv, err := rpc.NewServer(zaptest.NewLogger(t, zaptest.Level(zap.FatalLevel)), rpc.ServerOptions{Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	srv.GRPC.RegisterService(&grpc.ServiceDesc{ServiceName: "test.Func", HandlerType: (*any)(nil), Methods: []grpc.MethodDesc{{
		MethodName: "Call",
		Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := &ticketv1.ListTicketsRequest{}
			if err := dec(in); err != nil {
				return nil, err
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: "/test.Func/Call"}, func(ctx context.Context, req any) (any, error) {
				return req, h(ctx)
			})
		},
	}}}, struct{}{})
	srv.SetReady(true, "")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.GRPC.Serve(lis) }()
	t.Cleanup(func() { srv.Shutdown(time.Second) })
	return lis.Addr().String()
}

func call(ctx context.Context, conn *grpc.ClientConn, req *ticketv1.ListTicketsRequest) error {
	return conn.Invoke(ctx, "/test.Func/Call", req, &ticketv1.ListTicketsRequest{})
}

func dial(t *testing.T, addr string, o rpc.ClientOptions) *grpc.ClientConn {
	t.Helper()
	conn, err := rpc.Dial(addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestInFlightBoundAnswersResourceExhausted(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 10)
	addr := funcServer(t, rpc.Limits{MaxInFlight: 2, QueueWait: time.Millisecond}, func(ctx context.Context) error {
		entered <- struct{}{}
		<-release
		return nil
	})
	conn := dial(t, addr, rpc.ClientOptions{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = call(context.Background(), conn, &ticketv1.ListTicketsRequest{}) }()
	}
	<-entered
	<-entered
	err := call(context.Background(), conn, &ticketv1.ListTicketsRequest{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third call with 2 in flight = %v, want RESOURCE_EXHAUSTED", err)
	}
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("RESOURCE_EXHAUSTED details = %v, want a RetryInfo with a delay", status.Convert(err).Details())
	}
	if resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health while saturated = %v, %v; want SERVING (health is exempt)", resp, err)
	}
	close(release)
	wg.Wait()
	if err := call(context.Background(), conn, &ticketv1.ListTicketsRequest{}); err != nil {
		t.Errorf("call after the load went = %v, want OK", err)
	}
}

func TestDeadlinesAreCappedAndPropagated(t *testing.T) {
	seen := make(chan time.Duration, 1)
	addr := funcServer(t, rpc.Limits{HandlerTimeout: time.Hour}, func(ctx context.Context) error {
		dl, _ := ctx.Deadline()
		seen <- time.Until(dl)
		return nil
	})
	conn := dial(t, addr, rpc.ClientOptions{MaxTimeout: time.Minute, MethodTimeouts: map[string]time.Duration{"Call": 2 * time.Second}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	if err := call(ctx, conn, &ticketv1.ListTicketsRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got > 2*time.Second || got <= 0 {
		t.Errorf("server's deadline for a 1h caller with a 2s method cap = %v, want at most 2s", got)
	}

	// A caller without any deadline still gets the server's handler timeout.
	addr = funcServer(t, rpc.Limits{HandlerTimeout: 50 * time.Millisecond}, func(ctx context.Context) error {
		<-ctx.Done()
		return rpc.Status(ctx.Err())
	})
	conn = dial(t, addr, rpc.ClientOptions{Timeout: time.Hour})
	if err := call(context.Background(), conn, &ticketv1.ListTicketsRequest{}); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("call to a handler that waits for its deadline = %v, want DEADLINE_EXCEEDED", err)
	}
}

func TestMaxReceiveSize(t *testing.T) {
	addr := funcServer(t, rpc.Limits{MaxRecvBytes: 1 << 20}, func(context.Context) error { return nil })
	conn := dial(t, addr, rpc.ClientOptions{})
	err := call(context.Background(), conn, &ticketv1.ListTicketsRequest{PageToken: strings.Repeat("x", 2<<20)})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("2 MiB request to a 1 MiB server = %v, want RESOURCE_EXHAUSTED", err)
	}
}
