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
// 8 parallel callers against two servers in the same run, one plaintext and one with TLS and
// a bearer token checked on every call, alternating rounds between them so a loaded machine
// weighs on both alike. It reports both rates and their ratio (the security layer's cost).
func BenchmarkEvaluateClaimSecurity(b *testing.B) {
	local, err := auth.OpenLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ns := natstest.Run(b)
	ns.Streams(b, "dispatch", "inventory")
	fake := clock.NewFake(t0)
	clients := map[string]warrantyv1.WarrantyServiceClient{}
	for _, mode := range []string{svctest.Plaintext, svctest.Secure} {
		o := svctest.Options{Name: "warranty", Clock: fake, NATS: ns}
		if mode == svctest.Secure {
			o.Auth = local
		}
		run := svctest.Start(b, warranty.New(warranty.DefaultConfig()), o)
		e := &env{t: b, ctx: context.Background(), run: run, c: warrantyv1.NewWarrantyServiceClient(run.Conn), clock: fake}
		p := e.policy("consumer-sanbao")
		e.unit("SN1", p.GetId(), day(-22))
		clients[mode] = e.c
	}
	req := &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(-3), QuoteOnly: true,
		Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR, Labour: durationpb.New(time.Hour)}}}
	svctest.CompareSecurity(b, 8, "decisions", func(mode string) error {
		_, err := clients[mode].EvaluateClaim(context.Background(), req)
		return err
	})
}
