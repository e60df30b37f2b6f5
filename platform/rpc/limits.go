package rpc

import (
	"context"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Defaults of the server's limits (ServerOptions, daemon flags).
const (
	DefaultMaxRecvBytes   = 4 << 20  // largest request a server accepts
	DefaultMaxSendBytes   = 16 << 20 // largest response a server sends (and a client accepts)
	DefaultMaxInFlight    = 256      // calls a server works on at once
	DefaultQueueWait      = 100 * time.Millisecond
	DefaultHandlerTimeout = 30 * time.Second
	// RetryAfter is the delay a RESOURCE_EXHAUSTED answer asks the caller to wait.
	RetryAfter = time.Second
)

// Limits bound the work a server takes on. The zero value means the defaults above.
type Limits struct {
	// MaxRecvBytes and MaxSendBytes are the gRPC message size limits.
	MaxRecvBytes, MaxSendBytes int
	// MaxInFlight is how many calls run at once; a call beyond it waits up to QueueWait for a
	// slot, then gets RESOURCE_EXHAUSTED with a google.rpc.RetryInfo. Health and reflection are
	// exempt.
	MaxInFlight int
	QueueWait   time.Duration
	// HandlerTimeout caps every call's deadline on the server, so work done for a caller that
	// set none (and calls to peers made on its behalf, which inherit the deadline) still ends.
	HandlerTimeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxRecvBytes <= 0 {
		l.MaxRecvBytes = DefaultMaxRecvBytes
	}
	if l.MaxSendBytes <= 0 {
		l.MaxSendBytes = DefaultMaxSendBytes
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = DefaultMaxInFlight
	}
	if l.QueueWait <= 0 {
		l.QueueWait = DefaultQueueWait
	}
	if l.HandlerTimeout <= 0 {
		l.HandlerTimeout = DefaultHandlerTimeout
	}
	return l
}

// serverOptions are the gRPC server options the limits set.
func (l Limits) serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(l.MaxRecvBytes), grpc.MaxSendMsgSize(l.MaxSendBytes)}
}

// limiting bounds in-flight calls and caps each call's deadline.
func limiting(l Limits) grpc.UnaryServerInterceptor {
	slots := make(chan struct{}, l.MaxInFlight)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if infrastructure(info.FullMethod) {
			return h(ctx, req)
		}
		select {
		case slots <- struct{}{}:
		default:
			t := time.NewTimer(l.QueueWait)
			select {
			case slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				return nil, overloaded(l.MaxInFlight)
			case <-ctx.Done():
				t.Stop()
				return nil, Status(ctx.Err())
			}
		}
		defer func() { <-slots }()
		ctx, cancel := context.WithTimeout(ctx, l.HandlerTimeout)
		defer cancel()
		return h(ctx, req)
	}
}

func overloaded(n int) error {
	st := status.Newf(codes.ResourceExhausted, "server busy: %d calls in flight; retry after %v", n, RetryAfter)
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(RetryAfter)}); err == nil {
		st = d
	}
	return st.Err()
}

// capping shortens a call's deadline to its method's cap (ClientOptions.MethodTimeouts, else
// MaxTimeout). Calls keep any shorter deadline their context has; gRPC sends the result to
// the peer.
func capping(o ClientOptions) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		limit := o.MaxTimeout
		if d, ok := o.MethodTimeouts[method[strings.LastIndexByte(method, '/')+1:]]; ok {
			limit = d
		}
		if limit > 0 {
			if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > limit {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, limit)
				defer cancel()
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
