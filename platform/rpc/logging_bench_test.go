package rpc

import (
	"context"
	"io"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// BenchmarkLoggingOK measures the logging interceptor around a call that succeeds, with the
// logger at its default level (info: the line is not written).
func BenchmarkLoggingOK(b *testing.B) {
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	s := &Server{log: zap.New(core)}
	intercept := s.logging(nil)
	info := &grpc.UnaryServerInfo{FullMethod: "/sanbao.ticket.v1.TicketService/GetTicket"}
	h := func(context.Context, any) (any, error) { return nil, nil }
	req := &healthpb.HealthCheckRequest{Service: "x"}
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		if _, err := intercept(ctx, req, info, h); err != nil {
			b.Fatal(err)
		}
	}
}
