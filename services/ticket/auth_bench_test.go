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

// BenchmarkCreateTicketSecurity measures durable CreateTicket calls per second with 16
// parallel callers against two servers in the same run, one plaintext and one with TLS and a
// bearer token checked on every call, alternating rounds between them so a loaded machine
// weighs on both alike. It reports both rates and their ratio (the security layer's cost).
func BenchmarkCreateTicketSecurity(b *testing.B) {
	local, err := auth.OpenLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ns := natstest.Run(b)
	ns.Streams(b, "dispatch")
	fake := clock.NewFake(t0)
	clients := map[string]ticketv1.TicketServiceClient{}
	for _, mode := range []string{svctest.Plaintext, svctest.Secure} {
		cfg := ticket.DefaultConfig()
		cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1" // triage waits; not measured
		svc, err := ticket.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(svc.Close)
		o := svctest.Options{Name: "ticket", Clock: fake, NATS: ns}
		if mode == svctest.Secure {
			o.Auth = local
		}
		clients[mode] = ticketv1.NewTicketServiceClient(svctest.Start(b, svc, o).Conn)
	}
	var n atomic.Int64
	call := func(mode string) error {
		i := n.Add(1)
		_, err := clients[mode].CreateTicket(context.Background(), &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("bench-%d", i),
			Ticket: consultation(fmt.Sprintf("c%d", i%100))})
		return err
	}
	svctest.CompareSecurity(b, 16, "tickets", call)
}
