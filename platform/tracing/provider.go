package tracing

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The exporters a service can send its spans to.
const (
	ExportOff    = "off"    // no spans are recorded (the default); trace context still flows
	ExportOTLP   = "otlp"   // OTLP over gRPC to OTEL_EXPORTER_OTLP_ENDPOINT (standard OTEL_* variables)
	ExportStdout = "stdout" // one JSON line per span on standard output (the all-in-one's option)
)

// Config says where a service's spans go.
type Config struct {
	// Export is ExportOff, ExportOTLP or ExportStdout. Empty means ExportOTLP when
	// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, else off.
	Export string
	// Sample is the share of new traces recorded, 0 to 1 (default 1); a call or event that
	// continues a trace follows its parent's decision. OTEL_TRACES_SAMPLER, when set, wins.
	Sample float64
	// Out is where ExportStdout writes (default os.Stdout).
	Out io.Writer
}

// Validate reports a bad setting.
func (c Config) Validate() error {
	switch c.Export {
	case "", ExportOff, ExportOTLP, ExportStdout:
	default:
		return fmt.Errorf("trace export %q: want off, otlp or stdout", c.Export)
	}
	if c.Sample < 0 || c.Sample > 1 {
		return fmt.Errorf("trace sample %v: want a share between 0 and 1", c.Sample)
	}
	return nil
}

// export is the exporter Config selects, after the environment.
func (c Config) export() string {
	if c.Export != "" {
		return c.Export
	}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		return ExportOTLP
	}
	return ExportOff
}

// New returns the tracer provider of the service called name, and a shutdown that flushes what
// it holds. With export off it is a provider that records nothing (nil shutdown work).
func New(ctx context.Context, name string, c Config) (trace.TracerProvider, func(context.Context) error, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	var exp sdktrace.SpanExporter
	switch c.export() {
	case ExportOff:
		return Provider(nil), func(context.Context) error { return nil }, nil
	case ExportStdout:
		out := c.Out
		if out == nil {
			out = os.Stdout
		}
		e, err := stdouttrace.New(stdouttrace.WithWriter(out))
		if err != nil {
			return nil, nil, fmt.Errorf("stdout trace exporter: %w", err)
		}
		exp = e
	case ExportOTLP:
		// Endpoint, headers, TLS and timeout come from the standard OTEL_EXPORTER_OTLP_*
		// variables; the exporter connects lazily, so a collector that is down stops nothing.
		e, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		exp = e
	}
	tp := NewProvider(name, c, sdktrace.WithBatcher(exp))
	return tp, tp.Shutdown, nil
}

// NewProvider returns an SDK provider for the service called name with c's sampling and the
// given options (an exporter; tests pass a tracetest recorder with sdktrace.WithSpanProcessor).
func NewProvider(name string, c Config, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	res := resource.NewSchemaless(attribute.String("service.name", "sanbao-"+name),
		attribute.String("service.namespace", "sanbao"))
	all := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER")) == "" {
		share := c.Sample
		if share == 0 {
			share = 1
		}
		all = append(all, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(share))))
	}
	return sdktrace.NewTracerProvider(append(all, opts...)...)
}
