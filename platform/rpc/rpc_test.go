package rpc_test

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/rpc"
)

// pointService is a one-method gRPC service over GeoPoint (which carries protovalidate rules):
// latitude 42 panics, latitude 13 answers UNAVAILABLE the first `unavailable` times.
type pointService struct{ unavailable atomic.Int32 }

func (p *pointService) desc() *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "test.Points",
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{p.method("Echo"), p.method("GetEcho")},
	}
}

func (p *pointService) method(name string) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := &typev1.GeoPoint{}
			if err := dec(in); err != nil {
				return nil, err
			}
			h := func(ctx context.Context, req any) (any, error) {
				pt := req.(*typev1.GeoPoint)
				switch pt.GetLatitude() {
				case 42:
					panic("boom")
				case 13:
					if p.unavailable.Add(-1) >= 0 {
						return nil, status.Error(codes.Unavailable, "try again")
					}
				}
				return pt, nil
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{FullMethod: "/test.Points/" + name}, h)
		},
	}
}

func serve(t *testing.T) (*rpc.Server, *pointService, *grpc.ClientConn) {
	t.Helper()
	srv, err := rpc.NewServer(zaptest.NewLogger(t, zaptest.Level(zap.FatalLevel)), rpc.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ps := &pointService{}
	srv.GRPC.RegisterService(ps.desc(), ps)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.GRPC.Serve(lis) }()
	t.Cleanup(func() { srv.Shutdown(time.Second) })
	conn, err := rpc.Dial(lis.Addr().String(), rpc.ClientOptions{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, ps, conn
}

func echo(conn *grpc.ClientConn, lat float64) error {
	return conn.Invoke(context.Background(), "/test.Points/Echo", &typev1.GeoPoint{Latitude: lat}, &typev1.GeoPoint{})
}

func TestServer(t *testing.T) {
	srv, _, conn := serve(t)
	if err := echo(conn, 10); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "starting") {
		t.Fatalf("call before ready = %v, want UNAVAILABLE saying why", err)
	}
	h, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health before ready = %v, %v; want NOT_SERVING", h, err)
	}
	live, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: rpc.LivenessService})
	if err != nil || live.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("liveness before ready = %v, %v; want SERVING (alive, not ready)", live, err)
	}
	srv.SetReady(true, "")
	tests := []struct {
		name      string
		lat       float64
		code      codes.Code
		violation string
	}{
		{"valid", 10, codes.OK, ""},
		{"latitude out of range", 91, codes.InvalidArgument, "latitude"},
		{"handler panics", 42, codes.Internal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := echo(conn, tt.lat)
			st := status.Convert(err)
			if st.Code() != tt.code {
				t.Fatalf("Echo(%v) code = %v (%v), want %v", tt.lat, st.Code(), err, tt.code)
			}
			if tt.code == codes.Internal && strings.Contains(st.Message(), "boom") {
				t.Errorf("internal error leaked its cause to the caller: %q", st.Message())
			}
			if tt.violation == "" {
				return
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if len(fields) != 1 || fields[0] != tt.violation {
				t.Errorf("field violations = %v, want [%s]", fields, tt.violation)
			}
			if !strings.Contains(st.Message(), tt.violation) {
				t.Errorf("message %q does not name the field", st.Message())
			}
		})
	}
}

// Reads (Get*/List*) are retried on UNAVAILABLE; Echo carries no request_id and is not a read,
// so it is not retried.
func TestClientRetriesOnlySafeCalls(t *testing.T) {
	srv, ps, conn := serve(t)
	srv.SetReady(true, "")
	ps.unavailable.Store(1)
	if err := echo(conn, 13); status.Code(err) != codes.Unavailable {
		t.Fatalf("Echo (not retryable) = %v, want UNAVAILABLE passed through", err)
	}
	ps.unavailable.Store(3)
	err := conn.Invoke(context.Background(), "/test.Points/GetEcho", &typev1.GeoPoint{Latitude: 13}, &typev1.GeoPoint{})
	if err != nil {
		t.Fatalf("GetEcho after 3 UNAVAILABLE answers = %v, want success on the 4th attempt", err)
	}
}

func TestStatusMapsPlatformErrors(t *testing.T) {
	if got := status.Code(rpc.Status(context.DeadlineExceeded)); got != codes.DeadlineExceeded {
		t.Errorf("Status(DeadlineExceeded) = %v", got)
	}
	if got := status.Code(rpc.Status(status.Error(codes.NotFound, "x"))); got != codes.NotFound {
		t.Errorf("Status(NotFound status) = %v", got)
	}
	err := rpc.Status(errString("disk on fire"))
	if st := status.Convert(err); st.Code() != codes.Internal || strings.Contains(st.Message(), "disk") {
		t.Errorf("Status(unknown) = %v, want a generic INTERNAL", st)
	}
	if !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("the server-side error %q lost its cause", err)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
