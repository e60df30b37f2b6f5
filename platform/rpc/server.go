package rpc

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"buf.build/go/protovalidate"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/platform/tracing"
)

// Observer is told of every finished call (for metrics).
type Observer func(fullMethod string, code codes.Code, elapsed time.Duration)

// ServerOptions tune NewServer.
type ServerOptions struct {
	Observer Observer // optional
	// Creds are the transport credentials (TLS); nil serves plaintext.
	Creds credentials.TransportCredentials
	// Unary and Stream interceptors run after logging and recovery and before the readiness
	// gate and validation (authentication and authorisation: platform/auth's Guard).
	Unary  []grpc.UnaryServerInterceptor
	Stream []grpc.StreamServerInterceptor
	Limits Limits // message sizes, in-flight calls, handler deadline (zero: defaults)
	// Tracer records a server span per call (otelgrpc), continuing the caller's W3C trace
	// context; nil records nothing (the context still reaches handlers and their peer calls).
	Tracer trace.TracerProvider
}

// Server is a gRPC server with Sanbao's interceptors, the standard health service and
// reflection. Until SetReady(true) every call except health and reflection is UNAVAILABLE.
type Server struct {
	GRPC   *grpc.Server
	health *health.Server
	ready  atomic.Bool
	reason atomic.Value // string: why not ready
	log    *zap.Logger
}

// NewServer builds the server. Register services on s.GRPC before serving.
func NewServer(log *zap.Logger, opts ServerOptions) (*Server, error) {
	v, err := protovalidate.New()
	if err != nil {
		return nil, fmt.Errorf("protovalidate: %w", err)
	}
	s := &Server{health: health.NewServer(), log: log}
	s.reason.Store("starting")
	limits := opts.Limits.withDefaults()
	// localizing is outermost, so that the logging sees an internal error's cause and every
	// answer, whichever interceptor gave it, carries its ErrorInfo and LocalizedMessage.
	unary := append([]grpc.UnaryServerInterceptor{localizing, s.logging(opts.Observer), recovery}, opts.Unary...)
	unary = append(unary, s.gate, limiting(limits), validating(v))
	// Streaming methods (the Import<Kind>s bulk loads) get the same logging, recovery and
	// readiness gate; their handlers validate each received message with Validate.
	stream := append([]grpc.StreamServerInterceptor{s.streamLogging(opts.Observer), streamRecovery}, opts.Stream...)
	stream = append(stream, s.streamGate)
	gopts := append(limits.serverOptions(), grpc.ChainUnaryInterceptor(unary...), grpc.ChainStreamInterceptor(stream...),
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tracing.Provider(opts.Tracer)),
			otelgrpc.WithPropagators(tracing.Propagator), otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelgrpc.WithFilter(func(info *stats.RPCTagInfo) bool { return !infrastructure(info.FullMethodName) }))))
	if opts.Creds != nil {
		gopts = append(gopts, grpc.Creds(opts.Creds))
	}
	s.GRPC = grpc.NewServer(gopts...)
	healthpb.RegisterHealthServer(s.GRPC, s.health)
	reflection.Register(s.GRPC)
	s.setHealth(healthpb.HealthCheckResponse_NOT_SERVING)
	// Liveness is separate from readiness: a process waiting for NATS or its store is alive and
	// must not be restarted for it; only a stopped server answers NOT_SERVING here.
	s.health.SetServingStatus(LivenessService, healthpb.HealthCheckResponse_SERVING)
	return s, nil
}

// Health is the server's health service, to serve on a plaintext probe listener too (the
// kubelet's gRPC probes speak no TLS).
func (s *Server) Health() healthpb.HealthServer { return s.health }

// LivenessService is the health service name a liveness probe asks for: SERVING from start
// until shutdown, whether or not the service is ready.
const LivenessService = "liveness"

// SetReady flips the health of the server and of every registered service, and opens or closes
// the gate. reason is what callers are told while not ready (e.g. "store not open: ...").
func (s *Server) SetReady(ready bool, reason string) {
	s.reason.Store(reason)
	s.ready.Store(ready)
	if ready {
		s.setHealth(healthpb.HealthCheckResponse_SERVING)
	} else {
		s.setHealth(healthpb.HealthCheckResponse_NOT_SERVING)
	}
}

// Ready reports whether the server is serving.
func (s *Server) Ready() bool { return s.ready.Load() }

func (s *Server) setHealth(st healthpb.HealthCheckResponse_ServingStatus) {
	s.health.SetServingStatus("", st)
	for name := range s.GRPC.GetServiceInfo() {
		if strings.HasPrefix(name, "grpc.") || name == LivenessService {
			continue
		}
		s.health.SetServingStatus(name, st)
	}
}

// Shutdown marks the server not serving and stops it gracefully, forcing it after timeout.
func (s *Server) Shutdown(timeout time.Duration) {
	s.SetReady(false, "shutting down")
	s.health.Shutdown()
	done := make(chan struct{})
	go func() {
		s.GRPC.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.GRPC.Stop()
		<-done
	}
}

func infrastructure(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.") || strings.HasPrefix(method, "/grpc.reflection.")
}

func (s *Server) gate(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if !s.ready.Load() && !infrastructure(info.FullMethod) {
		return nil, Fail(ReasonNotReady, "service not ready: %s", s.reason.Load())
	}
	return h(ctx, req)
}

func (s *Server) logging(obs Observer) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := h(ctx, req)
		elapsed := time.Since(start)
		code := status.Code(err)
		if infrastructure(info.FullMethod) {
			return resp, err // probes and reflection are neither logged nor counted
		}
		if obs != nil {
			obs(info.FullMethod, code, elapsed)
		}
		level := zapcore.InfoLevel
		switch code {
		case codes.OK:
			level = zapcore.DebugLevel
		case codes.Internal, codes.Unknown, codes.DataLoss:
			level = zapcore.ErrorLevel
		}
		// The fields are built only for a line that is written: at the default level a call
		// that succeeded costs no log allocation.
		ce := s.log.Check(level, "rpc")
		if ce == nil {
			return resp, err
		}
		fields := append(tracing.Fields(ctx), zap.String("method", info.FullMethod), zap.String("code", code.String()), zap.Duration("elapsed", elapsed))
		if r, ok := req.(interface{ GetRequestId() string }); ok && r.GetRequestId() != "" {
			fields = append(fields, zap.String("request_id", r.GetRequestId()))
		}
		switch level {
		case zapcore.DebugLevel:
		case zapcore.ErrorLevel:
			fields = append(fields, zap.Error(err))
		default:
			fields = append(fields, zap.String("error", status.Convert(err).Message()))
		}
		ce.Write(fields...)
		return resp, err
	}
}

func (s *Server) streamGate(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if !s.ready.Load() && !infrastructure(info.FullMethod) {
		return status.Errorf(codes.Unavailable, "service not ready: %s", s.reason.Load())
	}
	return h(srv, ss)
}

// streamLogging is logging for streaming calls: one line when the stream ends.
func (s *Server) streamLogging(obs Observer) grpc.StreamServerInterceptor {
	unary := s.logging(obs)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		_, err := unary(ss.Context(), nil, &grpc.UnaryServerInfo{Server: srv, FullMethod: info.FullMethod}, func(context.Context, any) (any, error) {
			return nil, h(srv, ss)
		})
		return err
	}
}

func streamRecovery(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Internal(fmt.Errorf("panic in %s: %v\n%s", info.FullMethod, p, debug.Stack()))
		}
	}()
	return h(srv, ss)
}

func recovery(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Internal(fmt.Errorf("panic in %s: %v\n%s", info.FullMethod, p, debug.Stack()))
		}
	}()
	return h(ctx, req)
}
