// Package tracing carries OpenTelemetry traces through what is not a gRPC call: the W3C trace
// context kept with an outbox event or a durable timer and continued where it is published,
// applied or fired, the trace fields of a log line, and the tracer provider a service exports
// its spans with (off by default; OTLP or stdout when configured).
package tracing

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
)

// Carried is a W3C trace context stored with an event or a timer: the traceparent and
// tracestate header values (https://www.w3.org/TR/trace-context/), both empty when the work
// that made it was not traced.
type Carried struct {
	Parent string // traceparent, e.g. 00-<trace id>-<span id>-01
	State  string // tracestate, usually empty
}

// Empty reports whether c carries no trace.
func (c Carried) Empty() bool { return c.Parent == "" }

// Propagator is the W3C trace-context propagator every Sanbao hop uses (gRPC metadata, event
// headers, timers).
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// carrier adapts Carried to the propagator.
type carrier struct{ c *Carried }

func (k carrier) Get(key string) string {
	switch key {
	case "traceparent":
		return k.c.Parent
	case "tracestate":
		return k.c.State
	}
	return ""
}

func (k carrier) Set(key, value string) {
	switch key {
	case "traceparent":
		k.c.Parent = value
	case "tracestate":
		k.c.State = value
	}
}

func (k carrier) Keys() []string { return []string{"traceparent", "tracestate"} }

// From returns the trace context of the span in ctx, to store with an event or a timer; empty
// when ctx has no valid span context.
func From(ctx context.Context) Carried {
	var c Carried
	if trace.SpanContextFromContext(ctx).IsValid() {
		Propagator.Inject(ctx, carrier{&c})
	}
	return c
}

// Continue returns ctx with c as its remote parent span context, so that the next span started
// from it (publish, apply, fire) belongs to the trace that made c.
func Continue(ctx context.Context, c Carried) context.Context {
	if c.Empty() {
		return ctx
	}
	return Propagator.Extract(ctx, carrier{&c})
}

// Fields are the log fields naming the trace and span of ctx (trace_id, span_id), or none.
// They carry no personal data: ids only.
func Fields(ctx context.Context) []zap.Field {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	return []zap.Field{zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String())}
}

// TraceID returns the trace id of a sampled span in ctx ("" otherwise): the exemplar label of
// the latency histograms.
func TraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() && sc.IsSampled() {
		return sc.TraceID().String()
	}
	return ""
}

// Provider returns tp, or a provider that records nothing when tp is nil.
func Provider(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return noop.NewTracerProvider()
	}
	return tp
}

// FromParent is a tracer provider whose tracers start each span with the provider of the span
// already in the context (a server call's, a consumer's, a timer's), and record nothing
// without one. Clients dialled before their service's provider exists (peers, the CLI) use it:
// their spans join whatever trace the call is made in.
type FromParent struct{ embedded.TracerProvider }

// Tracer returns a tracer that starts spans with the parent's provider.
func (FromParent) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return parentTracer{name: name, opts: opts}
}

type parentTracer struct {
	embedded.Tracer
	name string
	opts []trace.TracerOption
}

func (t parentTracer) Start(ctx context.Context, span string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer(t.name, t.opts...).Start(ctx, span, opts...)
}

var _ trace.TracerProvider = FromParent{}
