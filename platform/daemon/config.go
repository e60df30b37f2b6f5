// Package daemon runs a Sanbao service: configuration, start-up in numbered steps (gRPC edge,
// metrics, store, NATS and stream, relay, timers, consumers), readiness, and an orderly shutdown.
// Every service's Run is a thin call of daemon.Run.
package daemon

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/tracing"
)

// Config is what every service binary is configured with. Each field has a flag and a SANBAO_*
// environment variable (the flag wins).
type Config struct {
	Name          string // service name: ticket, warranty, dispatch, inventory
	Listen        string // gRPC listen address
	DataDir       string // directory of the service's bbolt file
	NATSURL       string // NATS server URL(s), comma-separated
	LogLevel      string // debug, info, warn, error
	LogFormat     string // json or console
	MetricsListen string // Prometheus /metrics listen address; empty turns it off
	AdminListen   string // operator endpoints (GET /backup); loopback by default, empty turns it off
	HealthListen  string // plaintext grpc.health.v1 only, for the kubelet's probes; empty turns it off
	// HTTP is the HTTP/JSON face (REST, Connect, gRPC-web) of the same API (http.go).
	HTTP            HTTP
	StreamReplicas  int           // JetStream replicas of the service's stream (3 in production)
	ShutdownTimeout time.Duration // how long in-flight calls get on SIGTERM
	// Retention is how long request_id records and consumed event ids are kept (7 days).
	Retention time.Duration
	// TimerConcurrency is how many timers fire at once (default 64). Timer handlers call other
	// services (triage asks warranty and dispatch), so it bounds how many tickets a second move
	// on: timers fired per second ≈ TimerConcurrency ÷ a handler's latency.
	TimerConcurrency int
	// ClockOffset runs the service's clock this far from the wall clock. Zero in production; a
	// rehearsal or a test run of separate processes sets it to live a day, a month or years ahead.
	ClockOffset time.Duration
	// Security is TLS, mTLS between services and token verification (security.go).
	Security Security
	// Limits bound the gRPC server's work: message sizes, calls in flight, handler deadline.
	Limits rpc.Limits
	// Trace says where the service's spans go (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set
	// or an exporter is chosen) and which share of new traces is recorded.
	Trace tracing.Config

	env Env // SANBAO_* values that did not parse are reported by Validate
}

// Defaults returns the configuration of the all-in-one run for service name on port.
func Defaults(name string, grpcPort, metricsPort int) Config {
	return Config{
		Name:             name,
		Listen:           fmt.Sprintf("127.0.0.1:%d", grpcPort),
		DataDir:          "./data/" + name,
		NATSURL:          "nats://127.0.0.1:4222",
		LogLevel:         "info",
		LogFormat:        "json",
		MetricsListen:    fmt.Sprintf("127.0.0.1:%d", metricsPort),
		AdminListen:      adminAddr(metricsPort),
		HTTP:             HTTP{Listen: httpAddr(metricsPort)},
		StreamReplicas:   1,
		ShutdownTimeout:  15 * time.Second,
		Retention:        7 * 24 * time.Hour,
		TimerConcurrency: 64,
		Limits: rpc.Limits{
			MaxRecvBytes:   rpc.DefaultMaxRecvBytes,
			MaxSendBytes:   rpc.DefaultMaxSendBytes,
			MaxInFlight:    rpc.DefaultMaxInFlight,
			QueueWait:      rpc.DefaultQueueWait,
			HandlerTimeout: rpc.DefaultHandlerTimeout,
		},
	}
}

// adminAddr is the loopback admin address beside a metrics port (9101 → 9201), or none.
func adminAddr(metricsPort int) string {
	if metricsPort <= 0 {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", metricsPort+100)
}

// httpAddr is the loopback HTTP/JSON address beside a metrics port (9101 → 8081), or none.
func httpAddr(metricsPort int) string {
	if metricsPort <= 0 {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", metricsPort-1020)
}

// RegisterFlags defines the flags on fs with c's current values (or the SANBAO_* environment
// variables, when set) as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.env.String("SANBAO_LISTEN", c.Listen), "gRPC listen address [SANBAO_LISTEN]")
	fs.StringVar(&c.DataDir, "data-dir", c.env.String("SANBAO_DATA_DIR", c.DataDir), "directory of the bbolt file [SANBAO_DATA_DIR]")
	fs.StringVar(&c.NATSURL, "nats-url", c.env.String("SANBAO_NATS_URL", c.NATSURL), "NATS URL(s), comma-separated [SANBAO_NATS_URL]")
	fs.StringVar(&c.LogLevel, "log-level", c.env.String("SANBAO_LOG_LEVEL", c.LogLevel), "debug, info, warn or error [SANBAO_LOG_LEVEL]")
	fs.StringVar(&c.LogFormat, "log-format", c.env.String("SANBAO_LOG_FORMAT", c.LogFormat), "json or console [SANBAO_LOG_FORMAT]")
	fs.StringVar(&c.MetricsListen, "metrics-listen", c.env.String("SANBAO_METRICS_LISTEN", c.MetricsListen), "Prometheus /metrics address, empty to disable [SANBAO_METRICS_LISTEN]")
	fs.StringVar(&c.AdminListen, "admin-listen", c.env.String("SANBAO_ADMIN_LISTEN", c.AdminListen), "operator endpoints (GET /backup: a consistent copy of the bbolt file); keep it on loopback, empty to disable [SANBAO_ADMIN_LISTEN]")
	fs.StringVar(&c.HealthListen, "health-listen", c.env.String("SANBAO_HEALTH_LISTEN", c.HealthListen), "plaintext gRPC health service only (kubelet probes speak no TLS), empty to disable [SANBAO_HEALTH_LISTEN]")
	fs.IntVar(&c.StreamReplicas, "stream-replicas", c.env.Int("SANBAO_STREAM_REPLICAS", c.StreamReplicas), "JetStream replicas of the service's stream [SANBAO_STREAM_REPLICAS]")
	fs.IntVar(&c.TimerConcurrency, "timer-concurrency", c.env.Int("SANBAO_TIMER_CONCURRENCY", c.TimerConcurrency), "timers fired at once; their handlers call other services [SANBAO_TIMER_CONCURRENCY]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.env.Duration("SANBAO_SHUTDOWN_TIMEOUT", c.ShutdownTimeout), "grace period for in-flight calls [SANBAO_SHUTDOWN_TIMEOUT]")
	fs.DurationVar(&c.ClockOffset, "clock-offset", c.env.Duration("SANBAO_CLOCK_OFFSET", c.ClockOffset), "run the service's clock this far ahead of the wall clock: for rehearsals and tests only, 0 in production [SANBAO_CLOCK_OFFSET]")
	fs.DurationVar(&c.Retention, "retention", c.env.Duration("SANBAO_RETENTION", c.Retention), "how long request ids and consumed event ids are remembered [SANBAO_RETENTION]")
	c.HTTP.registerFlags(fs, &c.env)
	c.Security.registerFlags(fs, &c.env)
	fs.StringVar(&c.Trace.Export, "trace-export", c.env.String("SANBAO_TRACE_EXPORT", c.Trace.Export), "where spans go: off, otlp (to OTEL_EXPORTER_OTLP_ENDPOINT, with the standard OTEL_* settings) or stdout; empty: otlp when OTEL_EXPORTER_OTLP_ENDPOINT is set, else off [SANBAO_TRACE_EXPORT]")
	fs.Float64Var(&c.Trace.Sample, "trace-sample", c.env.Float("SANBAO_TRACE_SAMPLE", c.Trace.Sample), "share of new traces recorded, 0 to 1 (0: all); calls and events continuing a trace follow its decision; OTEL_TRACES_SAMPLER wins when set [SANBAO_TRACE_SAMPLE]")
	fs.IntVar(&c.Limits.MaxRecvBytes, "grpc-max-recv-bytes", c.env.Int("SANBAO_GRPC_MAX_RECV_BYTES", c.Limits.MaxRecvBytes), "largest gRPC request accepted, in bytes [SANBAO_GRPC_MAX_RECV_BYTES]")
	fs.IntVar(&c.Limits.MaxSendBytes, "grpc-max-send-bytes", c.env.Int("SANBAO_GRPC_MAX_SEND_BYTES", c.Limits.MaxSendBytes), "largest gRPC response sent, in bytes [SANBAO_GRPC_MAX_SEND_BYTES]")
	fs.IntVar(&c.Limits.MaxInFlight, "max-in-flight", c.env.Int("SANBAO_MAX_IN_FLIGHT", c.Limits.MaxInFlight), "calls served at once; beyond it a call waits --queue-wait, then gets RESOURCE_EXHAUSTED [SANBAO_MAX_IN_FLIGHT]")
	fs.DurationVar(&c.Limits.QueueWait, "queue-wait", c.env.Duration("SANBAO_QUEUE_WAIT", c.Limits.QueueWait), "how long a call waits for a free slot [SANBAO_QUEUE_WAIT]")
	fs.DurationVar(&c.Limits.HandlerTimeout, "handler-timeout", c.env.Duration("SANBAO_HANDLER_TIMEOUT", c.Limits.HandlerTimeout), "longest a call may run on the server, whatever the caller's deadline [SANBAO_HANDLER_TIMEOUT]")
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var bad []string
	if err := c.env.Err(); err != nil {
		bad = append(bad, err.Error())
	}
	if c.Name == "" {
		bad = append(bad, "name is empty")
	}
	if c.Listen == "" {
		bad = append(bad, "listen is empty")
	}
	if c.DataDir == "" {
		bad = append(bad, "data-dir is empty")
	}
	if c.NATSURL == "" {
		bad = append(bad, "nats-url is empty")
	}
	if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
		bad = append(bad, fmt.Sprintf("stream-replicas must be 1 to 5, got %d", c.StreamReplicas))
	}
	bad = append(bad, c.Security.problems()...)
	if err := c.Trace.Validate(); err != nil {
		bad = append(bad, err.Error())
	}
	bad = append(bad, c.HTTP.problems()...)
	if c.Limits.MaxRecvBytes < 0 || c.Limits.MaxSendBytes < 0 || c.Limits.MaxInFlight < 0 || c.Limits.QueueWait < 0 || c.Limits.HandlerTimeout < 0 {
		bad = append(bad, "grpc limits must not be negative")
	}
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		bad = append(bad, fmt.Sprintf("log-level %q is not debug, info, warn or error", c.LogLevel))
	}
	if len(bad) > 0 {
		return fmt.Errorf("config: %s", strings.Join(bad, "; "))
	}
	return nil
}

// NewLogger builds the process logger: JSON for machines, console for people.
func NewLogger(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
		cfg.DisableStacktrace = true
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	return cfg.Build()
}
