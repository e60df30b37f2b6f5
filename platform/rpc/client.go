package rpc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/platform/tracing"
)

// ClientOptions tune Dial.
type ClientOptions struct {
	// Timeout is the deadline given to a call whose context has none (default 10s).
	Timeout time.Duration
	// Attempts is how often a retryable call is tried in all (default 4).
	Attempts int
	// Backoff is the first wait between attempts, doubled each time (default 100ms).
	Backoff time.Duration
	// Creds are the transport credentials (TLS, with the service's client certificate for
	// mTLS); default plaintext.
	Creds credentials.TransportCredentials
	// PerRPC are per-call credentials (a person's bearer token); they require Creds.
	PerRPC credentials.PerRPCCredentials
	// Unary interceptors run first, around the deadline and the retries (client metrics).
	Unary []grpc.UnaryClientInterceptor
	// MaxTimeout caps every call's deadline, even one its context sets later (0: no cap), so a
	// peer call made for a slow caller cannot outlive what this client allows it.
	MaxTimeout time.Duration
	// MethodTimeouts caps the deadline of single methods, by name ("ReserveParts"); it wins
	// over MaxTimeout. The deadline reaches the peer (grpc-timeout), which stops work on it.
	MethodTimeouts map[string]time.Duration
	// MaxRecvBytes is the largest response accepted (default rpc.DefaultMaxSendBytes).
	MaxRecvBytes int
}

// Dial returns a client connection to target (host:port) with a deadline on every call and
// retries of UNAVAILABLE answers for calls that are safe to repeat: those carrying a non-empty
// request_id (the server does the work once) and reads (Get*/List*).
func Dial(target string, opts ClientOptions) (*grpc.ClientConn, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 4
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	if opts.MaxRecvBytes <= 0 {
		opts.MaxRecvBytes = DefaultMaxSendBytes
	}
	creds := opts.Creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(opts.MaxRecvBytes)),
		grpc.WithChainUnaryInterceptor(append(append([]grpc.UnaryClientInterceptor{}, opts.Unary...), deadline(opts.Timeout), capping(opts), retry(opts))...),
		// A client span per attempt in the trace the call is made in (a server call's, a
		// consumer's, a timer's), and the W3C trace context sent to the peer.
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tracing.FromParent{}),
			otelgrpc.WithPropagators(tracing.Propagator), otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()))),
	}
	if opts.PerRPC != nil {
		dopts = append(dopts, grpc.WithPerRPCCredentials(opts.PerRPC))
	}
	conn, err := grpc.NewClient(target, dopts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

func deadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func retry(o ClientOptions) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if !retryable(method, req) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		wait := o.Backoff
		var err error
		for attempt := 1; ; attempt++ {
			err = invoker(ctx, method, req, reply, cc, opts...)
			if status.Code(err) != codes.Unavailable || attempt >= o.Attempts {
				return err
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
			wait *= 2
		}
	}
}

func retryable(method string, req any) bool {
	if r, ok := req.(interface{ GetRequestId() string }); ok {
		return r.GetRequestId() != ""
	}
	name := method[strings.LastIndexByte(method, '/')+1:]
	return strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List")
}
