package ticket_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// BenchmarkCreateTicketSecurity measures durable CreateTicket calls per second with many
// parallel callers, plaintext and with TLS + a bearer token checked on every call (and the
// caller's scope and redaction applied), in the same run.
func BenchmarkCreateTicketSecurity(b *testing.B) {
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
			ns.Streams(b, "dispatch")
			cfg := ticket.DefaultConfig()
			cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
			svc, err := ticket.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(svc.Close)
			run := svctest.Start(b, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
			c := ticketv1.NewTicketServiceClient(run.Conn)
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					if _, err := c.CreateTicket(context.Background(), &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("bench-%d", i),
						Ticket: consultation(fmt.Sprintf("c%d", i%100))}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
		})
	}
}
