package ticket_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

// TestMisuseFindingMakesItPaid: a free repair whose first visit finds misuse and an opened part
// (seed 002 "看") is re-decided on the signed report: the triage says not covered, with the
// clauses the customer is told and a fee quoted by warranty (instrument policy: labour 80.00/h
// for the report's hour, no travel charge); ticket.coverage_changed says so; the next job is a
// paid job at that fee that dispatch holds until a manager approves it, and the resolution is
// paid at the quote.
func TestMisuseFindingMakesItPaid(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.startWarranty()
	d, techID := e.startDispatch()
	tk := e.create(repair())
	first := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetAssignTime() == nil {
			return fmt.Errorf("jobs = %v, want one assigned job", tk.GetJobs())
		}
		return nil
	})
	if first.GetTriage().GetCoverage() != ticketv1.Coverage_COVERAGE_FREE {
		t.Fatalf("triage = %v, want FREE", first.GetTriage())
	}
	visit := func(jobID, step string, r *dispatchv1.ServiceReport) {
		t.Helper()
		if _, err := d.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a" + step, JobId: jobID, TechnicianId: techID}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		if _, err := d.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c" + step, JobId: jobID, TechnicianId: techID, Point: site}); err != nil {
			t.Fatalf("CheckIn: %v", err)
		}
		e.clock.Advance(time.Hour)
		r.SignOff = &dispatchv1.SignOff{SignerName: "Zhang San", SignedTime: timestamppb.New(e.clock.Now()), SignatureRef: "sig/" + step}
		if _, err := d.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v" + step, JobId: jobID, TechnicianId: techID, Report: r}); err != nil {
			t.Fatalf("CompleteVisit: %v", err)
		}
	}
	visit(first.GetJobs()[0].GetJobId(), "1", &dispatchv1.ServiceReport{Diagnosis: "casing opened, board burnt by a wrong supply", WorkDone: "diagnosed",
		Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER, Causes: []string{"misuse"}, PartOpened: true,
		TimeSpent: durationpb.New(time.Hour), TravelKm: 10, Resolved: false})

	paid := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 2 || tk.GetJobs()[1].GetJobId() == "" {
			return fmt.Errorf("jobs = %v, want a second visit requested", tk.GetJobs())
		}
		return nil
	})
	tr := paid.GetTriage()
	var clauses []string
	for _, c := range tr.GetClauses() {
		clauses = append(clauses, c.GetClause())
	}
	if tr.GetCoverage() != ticketv1.Coverage_COVERAGE_NOT_COVERED || tr.GetFee().GetAmountMinor() != 80_00 || tr.GetFindingJobId() != first.GetJobs()[0].GetJobId() ||
		!slices.Contains(clauses, "site_finding") || !slices.Contains(clauses, "exclusion") {
		t.Fatalf("triage after the finding = %v, want NOT_COVERED with site_finding and exclusion, fee 80.00", tr)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		body := e.events.body(tk.GetId(), "sanbao.ticket.v1.ticket.coverage_changed")
		if body == nil {
			return fmt.Errorf("no ticket.coverage_changed yet")
		}
		ev := &ticketv1.TicketCoverageChanged{}
		if err := protojson.Unmarshal(body, ev); err != nil {
			return err
		}
		if ev.GetPreviousCoverage() != ticketv1.Coverage_COVERAGE_FREE || ev.GetCoverage() != ticketv1.Coverage_COVERAGE_NOT_COVERED || ev.GetFee().GetAmountMinor() != 80_00 {
			return fmt.Errorf("coverage_changed = %v", ev)
		}
		return nil
	})

	second := paid.GetJobs()[1].GetJobId()
	j, err := d.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: second})
	if err != nil || !j.GetJob().GetPaid() || j.GetJob().GetFee().GetAmountMinor() != 80_00 || j.GetJob().GetRequestedBy() == "" {
		t.Fatalf("second job = %v, %v; want a paid job at 80.00 with its requester", j.GetJob(), err)
	}
	if _, err := d.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a2", JobId: second, TechnicianId: techID}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	if _, err := d.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c2-early", JobId: second, TechnicianId: techID, Point: site}); err == nil {
		t.Fatal("CheckIn of the unapproved paid job succeeded, want FAILED_PRECONDITION")
	}
	if _, err := d.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: "ap", JobId: second, ApproverId: "u-manager"}); err != nil {
		t.Fatalf("ApproveJob: %v", err)
	}
	if _, err := d.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c2", JobId: second, TechnicianId: techID, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	e.clock.Advance(time.Hour)
	if _, err := d.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v2", JobId: second, TechnicianId: techID, Report: &dispatchv1.ServiceReport{
		WorkDone: "replaced the board", Resolved: true, Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER, Causes: []string{"misuse"},
		TimeSpent: durationpb.New(time.Hour), Collected: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 80_00},
		SignOff: &dispatchv1.SignOff{SignerName: "Zhang San", SignedTime: timestamppb.New(e.clock.Now()), SignatureRef: "sig/2"}}}); err != nil {
		t.Fatalf("CompleteVisit(paid): %v", err)
	}
	done := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_RESOLVED, nil)
	if r := done.GetResolution(); !r.GetPaid() || r.GetFee().GetAmountMinor() != 80_00 {
		t.Errorf("resolution = %v, want paid at the quoted 80.00", r)
	}
}

// TestPaidResolutionNeedsTheQuote: no arbitrary pricing: a ticket without a fee quote cannot be
// resolved as paid, and a free resolution carries no fee.
func TestPaidResolutionNeedsTheQuote(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tk := e.create(consultation("c1"))
	e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_REMOTE_GUIDANCE, nil)
	_, err := e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Resolution: &ticketv1.Resolution{Solution: "explained by phone", Paid: true, Fee: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 500_00}}})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Resolution: &ticketv1.Resolution{Solution: "explained by phone", Fee: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 500_00}}})
	wantCode(t, err, codes.InvalidArgument)
	if _, err := e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Resolution: &ticketv1.Resolution{Solution: "explained by phone"}}); err != nil {
		t.Fatalf("ResolveTicket(free): %v", err)
	}
}
