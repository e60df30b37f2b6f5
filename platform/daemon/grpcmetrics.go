package daemon

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/tracing"
)

// grpcBuckets are the latency histogram buckets of the gRPC server and client metrics (0.5ms to
// 10s: a call is an fsync or two, or a peer call).
var grpcBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// newServerMetrics returns go-grpc-middleware's standard server metrics (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_msg_received_total, grpc_server_msg_sent_total and the
// grpc_server_handling_seconds histogram, labelled grpc_type, grpc_service, grpc_method and, for
// handled, grpc_code) so the community's dashboards and alerts fit.
func newServerMetrics() *grpcprom.ServerMetrics {
	return grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(grpcBuckets)))
}

// peerMetrics holds the standard gRPC client metrics of each service's calls to its peers, by
// service name. Services dial their peers before Run builds the service's registry, so the
// metrics live here and Run registers the ones of its service. In one process each service
// name runs once (the all-in-one runs four different ones); tests that start a service of the
// same name again add to the same counters.
var peerMetrics sync.Map // service name → *grpcprom.ClientMetrics

// clientMetrics returns the client metrics of the service called name, creating them once.
func clientMetrics(name string) *grpcprom.ClientMetrics {
	if m, ok := peerMetrics.Load(name); ok {
		return m.(*grpcprom.ClientMetrics)
	}
	m, _ := peerMetrics.LoadOrStore(name, grpcprom.NewClientMetrics(
		grpcprom.WithClientHandlingTimeHistogram(grpcprom.WithHistogramBuckets(grpcBuckets))))
	return m.(*grpcprom.ClientMetrics)
}

// PeerOptions are the client options for this service's calls to a peer service: the
// Security's credentials (mTLS) and go-grpc-middleware's standard client metrics
// (grpc_client_handled_total, grpc_client_handling_seconds, ...), served on this service's
// /metrics, and the actor of the work each call is made in (auth.OnBehalfOf), so the peer
// records its change as that person's. Services dial their peers with these.
func (c Config) PeerOptions() (rpc.ClientOptions, error) {
	o, err := c.Security.PeerOptions()
	if err != nil {
		return o, err
	}
	o.Unary = append(o.Unary, clientMetrics(c.Name).UnaryClientInterceptor(), auth.OnBehalfOf)
	return o, nil
}

// recoverUnary and recoverStream turn a handler's panic into Internal (with the stack, which
// rpc's logging writes at level error) inside the metrics interceptors, so the metrics count it.
var (
	recoverUnary  = recovery.UnaryServerInterceptor(recovery.WithRecoveryHandler(panicked))
	recoverStream = recovery.StreamServerInterceptor(recovery.WithRecoveryHandler(panicked))
)

func panicked(p any) error { return rpc.Internal(fmt.Errorf("panic: %v\n%s", p, debug.Stack())) }

// exemplar labels a latency observation with its call's trace id, when the call is sampled, so
// a dashboard can jump from a slow bucket to the trace.
func exemplar(ctx context.Context) prometheus.Labels {
	if id := tracing.TraceID(ctx); id != "" {
		return prometheus.Labels{"trace_id": id}
	}
	return nil
}
