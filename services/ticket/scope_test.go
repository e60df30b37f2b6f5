package ticket_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// TestDealerScope: with TLS and tokens on, dealer A opens, reads and lists only its own
// tickets; dealer B's are NOT_FOUND or PERMISSION_DENIED through every method and filter, and
// the changes a dealer may not make are refused; an integrator never sees personal data.
func TestDealerScope(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1" // peers away: triage waits
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
	ctx := context.Background()
	as := func(p auth.Person) ticketv1.TicketServiceClient {
		return ticketv1.NewTicketServiceClient(run.DialAs(t, p))
	}
	dealerA := as(auth.Person{Subject: "dealer-a-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-a"})
	dealerB := as(auth.Person{Subject: "dealer-b-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-b"})
	integrator := as(auth.Person{Subject: "crm", Roles: []auth.Role{auth.RoleIntegrator}})

	open := func(c ticketv1.TicketServiceClient, id, org string) (*ticketv1.Ticket, error) {
		tk := consultation("cust-" + id)
		tk.OrganisationId = org
		tk.Customer.Contact = &typev1.Contact{Name: "Li Lei", Phone: "13900000000"}
		resp, err := c.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: id, Ticket: tk})
		return resp.GetTicket(), err
	}
	a, err := open(dealerA, "a1", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.GetOrganisationId() != "dealer-a" {
		t.Errorf("dealer A's ticket organisation = %q, want dealer-a (from the token)", a.GetOrganisationId())
	}
	b, err := open(dealerB, "b1", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(dealerA, "a2", "dealer-b"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A opening a ticket for dealer B = %v, want PERMISSION_DENIED", err)
	}
	if _, err := dealerA.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: b.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("dealer A's GetTicket of B's ticket = %v, want NOT_FOUND", err)
	}
	if got, err := dealerA.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: a.GetId()}); err != nil || got.GetTicket().GetId() != a.GetId() {
		t.Errorf("dealer A's GetTicket of its own = %v, %v", got, err)
	}
	for _, filter := range []*ticketv1.ListTicketsRequest{{}, {CustomerId: "cust-b1"}, {State: ticketv1.TicketState_TICKET_STATE_RECEIVED}} {
		resp, err := dealerA.ListTickets(ctx, filter)
		for _, tk := range resp.GetTickets() {
			if tk.GetId() == b.GetId() {
				t.Errorf("dealer A's ListTickets(%v) returned B's ticket", filter)
			}
		}
		_ = err // narrowed to dealer A or refused; never B's
	}
	if _, err := dealerA.ListTickets(ctx, &ticketv1.ListTicketsRequest{OrganisationId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's ListTickets(organisation_id=dealer-b) = %v, want PERMISSION_DENIED", err)
	}
	if _, err := dealerA.GetServiceMetrics(ctx, &ticketv1.GetServiceMetricsRequest{OrganisationId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's GetServiceMetrics(dealer-b) = %v, want PERMISSION_DENIED", err)
	}
	if _, err := dealerA.CancelTicket(ctx, &ticketv1.CancelTicketRequest{RequestId: "c", TicketId: b.GetId(), Reason: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's CancelTicket of B's ticket = %v, want PERMISSION_DENIED", err)
	}
	if _, err := dealerA.RecordContact(ctx, &ticketv1.RecordContactRequest{RequestId: "rc", TicketId: b.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's RecordContact on B's ticket = %v, want PERMISSION_DENIED", err)
	}

	got, err := integrator.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: a.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.GetTicket().GetCustomer(); c.GetContact().GetName() != "" || c.GetContact().GetPhone() != "" {
		t.Errorf("the integrator's GetTicket customer = %v, want no name or phone", c)
	}
}
