package ticket_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// sentBox is a provider that keeps what it is given.
type sentBox struct {
	mu   sync.Mutex
	msgs []notify.Message
}

func (b *sentBox) Send(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	return nil
}

// template returns the ticket's messages of template tpl.
func (b *sentBox) template(ticketID, tpl string) []notify.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []notify.Message
	for _, m := range b.msgs {
		if m.Params["ticket_id"] == ticketID && m.Template == tpl {
			out = append(out, m)
		}
	}
	return out
}

// find returns the ticket's messages of template "ticket.received".
func (b *sentBox) find(ticketID string) []notify.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []notify.Message
	for _, m := range b.msgs {
		if m.Params["ticket_id"] == ticketID && m.Template == "ticket.received" {
			out = append(out, m)
		}
	}
	return out
}

// TestCustomerNotifications: a ticket's "received" reaches the customer once (a replayed
// CreateTicket sends nothing more), on the channel their contact allows, and a ticket opened
// at 22:00 Beijing time is told at 08:00.
func TestCustomerNotifications(t *testing.T) {
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1" // peers away: triage waits
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	box := &sentBox{}
	svc.SetNotifier(notify.Router{notify.SMS: box, notify.Email: box})
	fake := clock.NewFake(t0) // Monday 09:00 Beijing
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: fake, NATS: ns})
	client := ticketv1.NewTicketServiceClient(run.Conn)
	ctx := context.Background()
	open := func(id string, contact *typev1.Contact) string {
		tk := consultation("cust-" + id)
		tk.Customer.Contact = contact
		var got string
		for range 2 { // the second is a replay
			resp, err := client.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: id, Ticket: tk})
			if err != nil {
				t.Fatal(err)
			}
			got = resp.GetTicket().GetId()
		}
		return got
	}
	fire := func() {
		if _, err := run.Platform.Timers.FireDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wait := func(id string, n int) []notify.Message {
		var got []notify.Message
		natstest.Eventually(t, 10*time.Second, func() error {
			fire()
			if got = box.find(id); len(got) < n {
				return fmt.Errorf("%d messages for %s, want %d", len(got), id, n)
			}
			return nil
		})
		return got
	}

	phone := open("n-phone", &typev1.Contact{Name: "Li Lei", Phone: "13900000000", Email: "li@example.cn"})
	got := wait(phone, 1)
	fire()
	if got = box.find(phone); len(got) != 1 || got[0].Template != "ticket.received" || got[0].Channel != notify.SMS || got[0].To != "13900000000" {
		t.Fatalf("messages for the phone customer = %+v, want one ticket.received by SMS", got)
	}

	mail := open("n-mail", &typev1.Contact{Name: "Han Meimei", Email: "han@example.cn"})
	if got := wait(mail, 1); got[0].Channel != notify.Email || got[0].To != "han@example.cn" {
		t.Errorf("message for the e-mail-only customer = %+v, want e-mail", got[0])
	}

	fake.Advance(13 * time.Hour) // 22:00 Beijing
	late := open("n-late", &typev1.Contact{Name: "Wang Wu", Phone: "13800000000"})
	fire()
	fake.Advance(9*time.Hour + 59*time.Minute) // 07:59
	fire()
	if got := box.find(late); len(got) != 0 {
		t.Fatalf("sent in quiet hours: %+v", got)
	}
	fake.Advance(time.Minute) // 08:00
	if got := wait(late, 1); got[0].Template != "ticket.received" {
		t.Errorf("held message = %+v", got[0])
	}
}
