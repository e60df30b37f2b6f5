package daemon_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/platform/tracing"
)

// unimplemented serves the ticket API, every method UNIMPLEMENTED: calls that go through the
// whole server chain.
type unimplemented struct{ nothing }

func (unimplemented) Register(s *grpc.Server) {
	ticketv1.RegisterTicketServiceServer(s, ticketv1.UnimplementedTicketServiceServer{})
}

// TestCallTracedLoggedAndExemplified: a call made inside a client span is served in a server
// span of the same trace (the W3C context crosses gRPC), its log line carries that trace's
// trace_id and span_id, and its latency observation carries the trace id as an exemplar on
// /metrics (OpenMetrics).
func TestCallTracedLoggedAndExemplified(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := tracing.NewProvider("traced", tracing.Config{}, sdktrace.WithSpanProcessor(rec))
	mlis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	s := svctest.Start(t, unimplemented{}, svctest.Options{Name: "traced", Log: zap.New(core),
		Daemon: daemon.Options{MetricsListener: mlis, TracerProvider: tp}})
	ctx, root := tp.Tracer("test").Start(context.Background(), "caller")
	_, err = ticketv1.NewTicketServiceClient(s.Conn).GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: "t1"})
	root.End()
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetTicket = %v, want UNIMPLEMENTED from the handler", err)
	}
	id := root.SpanContext().TraceID()

	// The server span ends once the answer is sent, maybe after the client has it.
	var server sdktrace.ReadOnlySpan
	natstest.Eventually(t, 10*time.Second, func() error {
		for _, sp := range rec.Ended() {
			if sp.SpanKind() == trace.SpanKindServer && sp.SpanContext().TraceID() == id {
				server = sp
				return nil
			}
		}
		return fmt.Errorf("no server span in the caller's trace %s", id)
	})
	var line *observer.LoggedEntry
	for _, e := range logs.FilterMessage("rpc").All() {
		if e.ContextMap()["method"] == "/sanbao.ticket.v1.TicketService/GetTicket" {
			line = &e
		}
	}
	if line == nil {
		t.Fatal("no rpc log line of the call")
	}
	if got := line.ContextMap()["trace_id"]; got != id.String() {
		t.Errorf("rpc log line trace_id = %v, want %s", got, id)
	}
	if got := line.ContextMap()["span_id"]; got != server.SpanContext().SpanID().String() {
		t.Errorf("rpc log line span_id = %v, want the server span's %s", got, server.SpanContext().SpanID())
	}

	req, err := http.NewRequest(http.MethodGet, "http://"+mlis.Addr().String()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "grpc_server_handling_seconds_bucket{") && strings.Contains(l, `grpc_method="GetTicket"`) &&
			strings.Contains(l, `# {trace_id="`+id.String()+`"}`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no grpc_server_handling_seconds bucket of GetTicket carries the exemplar trace_id=%s", id)
	}
}
