package warranty_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/warranty"
)

// BenchmarkEvaluateClaimSecurity measures quote-only EvaluateClaim decisions per second with
// parallel callers, plaintext and with TLS + a bearer token checked on every call, in the same
// run: the ratio of the two is the cost of the security layer.
func BenchmarkEvaluateClaimSecurity(b *testing.B) {
	for _, mode := range []string{"plaintext", "tls+token"} {
		b.Run(mode, func(b *testing.B) {
			var local *auth.Local
			if mode != "plaintext" {
				var err error
				if local, err = auth.OpenLocal(b.TempDir()); err != nil {
					b.Fatal(err)
				}
			}
			ns := natstest.Run(b)
			ns.Streams(b, "dispatch", "inventory")
			fake := clock.NewFake(t0)
			run := svctest.Start(b, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: fake, NATS: ns, Auth: local})
			e := &env{t: b, ctx: context.Background(), run: run, c: warrantyv1.NewWarrantyServiceClient(run.Conn), clock: fake}
			p := e.policy("consumer-sanbao")
			e.unit("SN1", p.GetId(), date(2026, 11, 1))
			req := &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(2026, 11, 20), QuoteOnly: true,
				Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR, Labour: durationpb.New(time.Hour)}}}
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.c.EvaluateClaim(e.ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}
