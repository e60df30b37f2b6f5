package warranty_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// BenchmarkEvaluateClaimGRPC measures quote-only EvaluateClaim decisions per second over gRPC
// on loopback (store read, policy from cache, decision; no write), with parallel callers.
func BenchmarkEvaluateClaimGRPC(b *testing.B) {
	e := start(b)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-22))
	req := &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(-3), QuoteOnly: true,
		Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR, Labour: durationpb.New(time.Hour)}}}
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
}

// BenchmarkEvaluateClaimRecordedGRPC measures recorded EvaluateClaim calls (decision, cost and
// event written in one group-committed transaction) over gRPC with parallel callers.
func BenchmarkEvaluateClaimRecordedGRPC(b *testing.B) {
	e := start(b)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-22))
	req := &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(-3)}
	b.SetParallelism(8)
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
}
