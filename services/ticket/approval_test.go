package ticket_test

import (
	"context"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// TestSeriousComplaintIsAnsweredByAnother: with tokens on, the verification and the answer of
// a complaint name the managers who made them, whatever the request carried; a serious
// complaint's answer (management's approval of the solution) by the manager who verified it is
// PERMISSION_DENIED with ErrorInfo SELF_APPROVAL, and a desk agent may answer none.
func TestSeriousComplaintIsAnsweredByAnother(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
	ctx := context.Background()
	as := func(subject string, roles ...auth.Role) ticketv1.TicketServiceClient {
		return ticketv1.NewTicketServiceClient(run.DialAs(t, auth.Person{Subject: subject, Roles: roles}))
	}
	desk := as("desk-1", auth.RoleServiceDesk)
	mgr1, mgr2 := as("mgr-1", auth.RoleManager), as("mgr-2", auth.RoleManager)

	created, err := desk.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "c1", Ticket: &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_COMPLAINT, Channel: ticketv1.Channel_CHANNEL_LETTER,
		Customer: &ticketv1.Customer{CustomerId: "c9"}, Fault: &ticketv1.Fault{Symptom: "pump failed twice"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetTicket().GetId()
	if by := created.GetTicket().GetCreatedBy(); by != "desk-1" {
		t.Errorf("created_by = %q, want the caller desk-1", by)
	}
	v, err := mgr1.VerifyComplaint(ctx, &ticketv1.VerifyComplaintRequest{RequestId: "v1", TicketId: id,
		Category: ticketv1.ComplaintCategory_COMPLAINT_CATEGORY_PRODUCT_QUALITY, Content: ticketv1.ComplaintContent_COMPLAINT_CONTENT_PRODUCT,
		Severity:     ticketv1.ComplaintSeverity_COMPLAINT_SEVERITY_SERIOUS,
		Verification: &ticketv1.ComplaintVerification{Substantiated: true, VerifiedBy: "mgr-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.GetTicket().GetComplaint().GetVerification().GetVerifiedBy(); got != "mgr-1" {
		t.Errorf("verified_by = %q, want the caller mgr-1", got)
	}
	answer := func(c ticketv1.TicketServiceClient, rid string) (*ticketv1.Ticket, error) {
		resp, err := c.AnswerComplaint(ctx, &ticketv1.AnswerComplaintRequest{RequestId: rid, TicketId: id, Answer: &ticketv1.ComplaintAnswer{
			Text: "replaced under warranty", RootCause: "bad batch", Prevention: "incoming inspection", SignOffs: []string{"quality"},
			AnsweredBy: "mgr-2"}})
		return resp.GetTicket(), err
	}
	if _, err := answer(desk, "a0"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("AnswerComplaint by the desk = %v, want PERMISSION_DENIED", err)
	}
	_, err = answer(mgr1, "a1")
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || reason(st) != string(rpc.ReasonSelfApproval) {
		t.Errorf("AnswerComplaint by its verifier = %v (reason %q), want PERMISSION_DENIED %s", err, reason(st), rpc.ReasonSelfApproval)
	}
	got, err := answer(mgr2, "a2")
	if err != nil {
		t.Fatalf("AnswerComplaint by another manager: %v", err)
	}
	if a := got.GetComplaint().GetAnswer().GetAnsweredBy(); a != "mgr-2" || got.GetState() != ticketv1.TicketState_TICKET_STATE_RESOLVED {
		t.Errorf("answered_by = %q, state %v; want mgr-2, RESOLVED", a, got.GetState())
	}
	if got.GetCreatedBy() != "desk-1" || got.GetUpdatedBy() != "mgr-2" {
		t.Errorf("created_by, updated_by = %q, %q; want desk-1, mgr-2", got.GetCreatedBy(), got.GetUpdatedBy())
	}
}

// reason is the ErrorInfo reason of st, or "".
func reason(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
