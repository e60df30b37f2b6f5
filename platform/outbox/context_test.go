package outbox_test

import (
	"context"
	"testing"

	"go.etcd.io/bbolt"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/tracing"
)

// An event appended in a call's transaction names the call's caller as its actor and carries
// the call's trace context; one appended by nobody names the service; events appended by two
// calls sharing one group commit each keep their own caller and trace.
func TestAppendTakesTheCallersActorAndTrace(t *testing.T) {
	r := newRig(t)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	call := func(subject string) (context.Context, trace.SpanContext) {
		ctx := auth.NewContext(context.Background(), &auth.Caller{Subject: subject, Kind: auth.KindPerson})
		ctx, span := tp.Tracer("test").Start(ctx, "call "+subject)
		t.Cleanup(func() { span.End() })
		return ctx, span.SpanContext()
	}
	ctxA, scA := call("agent-a")
	ctxB, scB := call("agent-b")
	// The service acts for someone (a timer of theirs): it records them.
	ctxC := auth.WithActor(auth.NewContext(context.Background(), &auth.Caller{Subject: "service:ticket", Kind: auth.KindService}), "agent-c")
	appendIn := func(ctx context.Context, id string) error {
		return r.db.Update(ctx, func(tx *bbolt.Tx) error {
			_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.test.v1.thing.changed", Resource: "things/" + id,
				Data: &typev1.Money{CurrencyCode: "CNY"}})
			return err
		})
	}
	errs := make(chan error, 4)
	for _, c := range []struct {
		ctx context.Context
		id  string
	}{{ctxA, "a"}, {ctxB, "b"}, {ctxC, "c"}, {context.Background(), "none"}} {
		go func() { errs <- appendIn(c.ctx, c.id) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := r.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		actor string
		trace trace.TraceID
	}{"things/a": {"agent-a", scA.TraceID()}, "things/b": {"agent-b", scB.TraceID()}, "things/c": {"agent-c", trace.TraceID{}},
		"things/none": {"service:test", trace.TraceID{}}}
	for _, m := range r.stream(t) {
		w := want[m.Resource]
		if m.Actor != w.actor {
			t.Errorf("%s: actor %q, want %q", m.Resource, m.Actor, w.actor)
		}
		got := trace.SpanContextFromContext(tracing.Continue(context.Background(), m.Trace)).TraceID()
		if got != w.trace {
			t.Errorf("%s: traceparent %q, want trace %s", m.Resource, m.Trace.Parent, w.trace)
		}
	}
}
