package auth

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/sanbao/sanbao/platform/clock"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// BenchmarkGuard measures the interceptor's work per call, without the network: a token
// remembered from an earlier call ("cached"), and one verified afresh each time ("verify":
// the ES256 signature check).
func BenchmarkGuard(b *testing.B) {
	l, err := OpenLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	v, err := l.Verifier(TokenConfig{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	g := &Guard{Tokens: v}
	tok, err := l.Issue(agent, clk.Now(), time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
	info := &grpc.UnaryServerInfo{FullMethod: warrantyService + "EvaluateClaim"}
	req := &warrantyv1.EvaluateClaimRequest{Serial: "SN1"}
	h := func(context.Context, any) (any, error) { return &warrantyv1.EvaluateClaimResponse{}, nil }
	for _, mode := range []string{"cached", "verify"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				if mode == "verify" {
					v.mu.Lock()
					clear(v.cache)
					v.mu.Unlock()
				}
				if _, err := g.Unary(ctx, req, info, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
