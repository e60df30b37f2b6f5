package rpc_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/rpc"
)

// echoServer serves /test.Echo/<Type> for each request type, answering the request itself.
func echoServer(t *testing.T, types ...proto.Message) *grpc.ClientConn {
	t.Helper()
	srv, err := rpc.NewServer(zaptest.NewLogger(t, zaptest.Level(zap.FatalLevel)), rpc.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	desc := &grpc.ServiceDesc{ServiceName: "test.Echo", HandlerType: (*any)(nil)}
	for _, m := range types {
		desc.Methods = append(desc.Methods, grpc.MethodDesc{
			MethodName: string(m.ProtoReflect().Descriptor().Name()),
			Handler: func(_ any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
				in := m.ProtoReflect().New().Interface()
				if err := dec(in); err != nil {
					return nil, err
				}
				info := &grpc.UnaryServerInfo{FullMethod: "/test.Echo/" + string(m.ProtoReflect().Descriptor().Name())}
				return ic(ctx, in, info, func(_ context.Context, req any) (any, error) { return req, nil })
			},
		})
	}
	srv.GRPC.RegisterService(desc, struct{}{})
	srv.SetReady(true, "")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.GRPC.Serve(lis) }()
	t.Cleanup(func() { srv.Shutdown(time.Second) })
	conn, err := rpc.Dial(lis.Addr().String(), rpc.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func fieldViolations(err error) map[string]string {
	out := map[string]string{}
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	return out
}

func TestValidationNamesTheFields(t *testing.T) {
	conn := echoServer(t, &inventoryv1.ReleaseReservationRequest{}, &ticketv1.ListTicketsRequest{})
	tests := []struct {
		name  string
		req   proto.Message
		field string // a field the BadRequest must name
		rule  string // a word its description must hold
	}{
		{"oneof with neither field", &inventoryv1.ReleaseReservationRequest{}, "reservation_id", "exactly one of reservation_id, job_id"},
		{"oneof with both fields", &inventoryv1.ReleaseReservationRequest{ReservationId: "R", JobId: "J"}, "job_id", "exactly one"},
		{"NUL in an id", &inventoryv1.ReleaseReservationRequest{JobId: "JOBA\x00victim"}, "job_id", "control characters"},
		{"timestamp after 9999", &ticketv1.ListTicketsRequest{CreateTimeStart: &timestamppb.Timestamp{Seconds: 1 << 40}}, "create_time_start", "2200"},
		{"timestamp before year 1", &ticketv1.ListTicketsRequest{CreateTimeEnd: &timestamppb.Timestamp{Seconds: -1 << 40}}, "create_time_end", "1970"},
		{"negative nanos", &ticketv1.ListTicketsRequest{CreateTimeEnd: &timestamppb.Timestamp{Seconds: 5, Nanos: -1}}, "create_time_end", "not a valid timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "/test.Echo/" + string(tt.req.ProtoReflect().Descriptor().Name())
			err := conn.Invoke(context.Background(), method, tt.req, tt.req.ProtoReflect().New().Interface())
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("%s(%v) = %v, want INVALID_ARGUMENT", method, tt.req, err)
			}
			vs := fieldViolations(err)
			if d, ok := vs[tt.field]; !ok || !strings.Contains(d, tt.rule) {
				t.Fatalf("%s(%v) violations = %v, want %s: …%s…", method, tt.req, vs, tt.field, tt.rule)
			}
		})
	}
}
