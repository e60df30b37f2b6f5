package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/demo"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
)

// loopWait bounds every wait of the loop test: four processes on a loaded 2-core machine.
const loopWait = 90 * time.Second

// waitTicket polls a ticket until ok returns nil, or fails the test at the deadline with ok's
// last complaint.
func waitTicket(t *testing.T, c *demo.Clients, id string, ok func(*ticketv1.Ticket) error) *ticketv1.Ticket {
	t.Helper()
	var last *ticketv1.Ticket
	natstest.Eventually(t, loopWait, func() error {
		resp, err := c.Ticket.GetTicket(context.Background(), &ticketv1.GetTicketRequest{TicketId: id})
		if err != nil {
			return err
		}
		last = resp.GetTicket()
		return ok(last)
	})
	return last
}

// assigned waits until the ticket's visit n (from 1) has a job with a technician.
func assigned(t *testing.T, c *demo.Clients, id string, n int) *ticketv1.Ticket {
	t.Helper()
	return waitTicket(t, c, id, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) < n || tk.GetJobs()[n-1].GetJobId() == "" || tk.GetJobs()[n-1].GetTechnicianId() == "" {
			return fmt.Errorf("ticket %s: visit %d not assigned yet (state %s, jobs %v)", id, n, tk.GetState(), tk.GetJobs())
		}
		return nil
	})
}

// visit is the technician's side of a visit with the given report: accept, check in, sign.
func visit(t *testing.T, c *demo.Clients, jobID, techID string, site *typev1.GeoPoint, r *dispatchv1.ServiceReport) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Dispatch.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-" + jobID, JobId: jobID, TechnicianId: techID}); err != nil {
		t.Fatalf("AcceptJob(%s): %v", jobID, err)
	}
	if _, err := c.Dispatch.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "checkin-" + jobID, JobId: jobID, TechnicianId: techID,
		Point: site, CheckInTime: timestamppb.New(svctest.Now())}); err != nil {
		t.Fatalf("CheckIn(%s): %v", jobID, err)
	}
	r.SignOff = &dispatchv1.SignOff{SignerName: "Wang", SignedTime: timestamppb.New(svctest.Now()), SignatureRef: "sig/" + jobID}
	if _, err := c.Dispatch.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "complete-" + jobID, JobId: jobID, TechnicianId: techID,
		Report: r}); err != nil {
		t.Fatalf("CompleteVisit(%s): %v", jobID, err)
	}
}

func clauseNames(cs []*ticketv1.Clause) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.GetClause()
	}
	return out
}

// TestWarrantyLoop walks the 三包 loop across the four processes: a unit repaired, a failed
// visit and a second repair, so the third report may be exchanged (seed 000); a misuse
// finding on site turns a free ticket into a quoted paid one that dispatch holds for a
// manager's approval; a part fitted under warranty that fails after the unit's own warranty is
// free by the part's warranty; the cost report prices those visits from the signed reports.
func TestWarrantyLoop(t *testing.T) {
	s := start(t, nil)
	c := s.clients(t)
	ctx := context.Background()
	run := demo.RunID()
	w := &demo.Walk{C: c, Run: run, Poll: loopWait, Stock: 20, Now: svctest.Now}
	seed, err := w.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ticket := func(t *testing.T, name, serial, fault string, edit func(*ticketv1.Fault)) string {
		t.Helper()
		f := &ticketv1.Fault{FaultCode: fault, Symptom: "hydraulic lift does not hold", LikelyParts: []*ticketv1.PartNeed{{PartId: seed.PartID, Quantity: 1}}}
		if edit != nil {
			edit(f)
		}
		resp, err := c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "loop-" + run + "-" + name, Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE,
			Customer: &ticketv1.Customer{CustomerId: "cust-" + run, Address: &typev1.Address{Region: "Shandong", City: "Jinan", Point: seed.Site}},
			Unit:     &ticketv1.Unit{Serial: serial, ProductLine: seed.ProductLine, Model: "TX-904"}, Fault: f,
			RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE, OrganisationId: "station-jinan",
		}})
		if err != nil {
			t.Fatalf("CreateTicket(%s): %v", name, err)
		}
		return resp.GetTicket().GetId()
	}

	t.Run("repaired, a failed visit, a second repair: the third report may be exchanged", func(t *testing.T) {
		if _, err := w.Repair(ctx, seed, demo.RepairOptions{}); err != nil {
			t.Fatal(err)
		}
		again := &demo.Walk{C: c, Run: run + "b", Poll: loopWait, Now: svctest.Now}
		if _, err := again.Repair(ctx, seed, demo.RepairOptions{FailFirstVisit: true}); err != nil {
			t.Fatal(err)
		}
		// Warranty holds the three handlings: fixed, not fixed, fixed.
		natstest.Eventually(t, loopWait, func() error {
			r, err := c.Warranty.ListRepairs(ctx, &warrantyv1.ListRepairsRequest{Serial: seed.Serial})
			if err != nil {
				return err
			}
			var outcomes []string
			for _, rep := range r.GetRepairs() {
				outcomes = append(outcomes, rep.GetOutcome().String())
			}
			if len(outcomes) != 3 || outcomes[1] != "REPAIR_OUTCOME_NOT_FIXED" {
				return fmt.Errorf("handlings of %s = %v, want fixed, not fixed, fixed", seed.Serial, outcomes)
			}
			return nil
		})
		id := ticket(t, "third", seed.Serial, "HYD-01", nil)
		tk := waitTicket(t, c, id, func(tk *ticketv1.Ticket) error {
			if tk.GetTriage().GetTriageTime() == nil {
				return fmt.Errorf("not triaged yet")
			}
			return nil
		})
		tr := tk.GetTriage()
		if tr.GetCoverage() != ticketv1.Coverage_COVERAGE_FREE || !slices.Contains(tr.GetAllowedRemedies(), ticketv1.Remedy_REMEDY_EXCHANGE) ||
			!slices.Contains(clauseNames(tr.GetClauses()), "repeat_failure") {
			t.Fatalf("third report triage = %v, want FREE with an exchange allowed by repeat_failure", tr)
		}
		if _, err := c.Ticket.CancelTicket(ctx, &ticketv1.CancelTicketRequest{RequestId: "cancel-" + id, TicketId: id, Reason: "customer takes the exchange at the dealer"}); err != nil {
			t.Fatalf("CancelTicket: %v", err)
		}
	})

	var misuseFee int64
	t.Run("a misuse finding on site makes the free ticket a quoted, approved paid one", func(t *testing.T) {
		id := ticket(t, "misuse", seed.Serial, "HYD-02", nil)
		tk := assigned(t, c, id, 1)
		if tk.GetTriage().GetCoverage() != ticketv1.Coverage_COVERAGE_FREE {
			t.Fatalf("triage = %v, want FREE before the visit", tk.GetTriage())
		}
		first := tk.GetJobs()[0]
		visit(t, c, first.GetJobId(), first.GetTechnicianId(), seed.Site, &dispatchv1.ServiceReport{
			Diagnosis: "relief valve tampered with, pump run dry", WorkDone: "diagnosed; repair quoted as paid service",
			Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER, Causes: []string{"misuse"}, PartOpened: true,
			TimeSpent: durationpb.New(time.Hour), TravelKm: 12, Resolved: false})
		tk = assigned(t, c, id, 2)
		tr := tk.GetTriage()
		if tr.GetCoverage() != ticketv1.Coverage_COVERAGE_NOT_COVERED || tr.GetFee().GetAmountMinor() <= 0 ||
			!slices.Contains(clauseNames(tr.GetClauses()), "site_finding") || !slices.Contains(clauseNames(tr.GetClauses()), "exclusion") {
			t.Fatalf("triage after the finding = %v, want NOT_COVERED, site_finding and exclusion, a quoted fee", tr)
		}
		misuseFee = tr.GetFee().GetAmountMinor()
		second := tk.GetJobs()[1]
		job, err := c.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: second.GetJobId()})
		if err != nil || !job.GetJob().GetPaid() || job.GetJob().GetFee().GetAmountMinor() != misuseFee {
			t.Fatalf("second job = %v, %v; want a paid job at the quoted %d", job.GetJob(), err, misuseFee)
		}
		if _, err := c.Dispatch.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-" + second.GetJobId(), JobId: second.GetJobId(),
			TechnicianId: second.GetTechnicianId()}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		if _, err := c.Dispatch.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "early-" + second.GetJobId(), JobId: second.GetJobId(),
			TechnicianId: second.GetTechnicianId()}); err == nil {
			t.Fatal("StartTravel of the unapproved paid job succeeded, want FAILED_PRECONDITION")
		}
		if _, err := c.Dispatch.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: "approve-" + second.GetJobId(), JobId: second.GetJobId(),
			ApproverId: "manager-" + run, Note: "customer accepted the quote"}); err != nil {
			t.Fatalf("ApproveJob: %v", err)
		}
		visit(t, c, second.GetJobId(), second.GetTechnicianId(), seed.Site, &dispatchv1.ServiceReport{
			Diagnosis: "relief valve tampered with", WorkDone: "reset the relief valve, refilled the circuit",
			Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER, Causes: []string{"misuse"},
			TimeSpent: durationpb.New(time.Hour), TravelKm: 12, Resolved: true, Collected: &typev1.Money{CurrencyCode: "CNY", AmountMinor: misuseFee}})
		done := waitTicket(t, c, id, func(tk *ticketv1.Ticket) error {
			if tk.GetState() != ticketv1.TicketState_TICKET_STATE_RESOLVED {
				return fmt.Errorf("state %s, want RESOLVED", tk.GetState())
			}
			return nil
		})
		if r := done.GetResolution(); !r.GetPaid() || r.GetFee().GetAmountMinor() != misuseFee {
			t.Errorf("resolution = %v, want paid at the quoted %d", r, misuseFee)
		}
		if err := hasAll(s.published(t, "TICKET", "tickets/"+id), "TicketCoverageChanged"); err != nil {
			t.Error(err)
		}
	})

	oldSerial := seed.Serial + "-OLD"
	t.Run("a part fitted under warranty fails again: free by the part's own warranty", func(t *testing.T) {
		// A unit sold 400 days ago (its free year is over) whose pump was replaced under warranty
		// 60 days ago.
		sold, fitted := svctest.Now().AddDate(0, 0, -400), svctest.Now().AddDate(0, 0, -60)
		day := func(t time.Time) *typev1.Date {
			return &typev1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
		}
		if _, err := c.Warranty.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: "unit-old-" + run, Unit: &warrantyv1.Unit{
			Serial: oldSerial, Model: "TX-904", PolicyId: seed.PolicyID, DealerId: "dealer-jinan", Dates: &warrantyv1.UnitDates{Sale: day(sold)}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Warranty.ReturnWarrantyCard(ctx, &warrantyv1.ReturnWarrantyCardRequest{RequestId: "card-old-" + run, Serial: oldSerial,
			ReceivedDate: day(sold.AddDate(0, 0, 5))}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Warranty.RecordRepair(ctx, &warrantyv1.RecordRepairRequest{RequestId: "repair-old-" + run, Repair: &warrantyv1.Repair{
			Serial: oldSerial, FaultCode: "HYD-01", RepairDate: day(fitted), Outcome: warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED,
			Kind:  warrantyv1.VisitKind_VISIT_KIND_REPAIR,
			Parts: []*warrantyv1.PartSwap{{PartId: seed.PartID, Quantity: 1, FaultySerial: "P-0", ReplacementSerial: "P-FITTED", UnderWarranty: true}}}}); err != nil {
			t.Fatal(err)
		}
		id := ticket(t, "part", oldSerial, "HYD-01", func(f *ticketv1.Fault) { f.FaultyPartId, f.FaultyPartSerial = seed.PartID, "P-FITTED" })
		tk := assigned(t, c, id, 1)
		tr := tk.GetTriage()
		if tr.GetCoverage() != ticketv1.Coverage_COVERAGE_FREE || !slices.Contains(clauseNames(tr.GetClauses()), "part_warranty") || tr.GetFee() != nil {
			t.Fatalf("triage = %v, want FREE by part_warranty, no fee", tr)
		}
		j := tk.GetJobs()[0]
		visit(t, c, j.GetJobId(), j.GetTechnicianId(), seed.Site, &dispatchv1.ServiceReport{
			Diagnosis: "replacement pump failed", WorkDone: "replaced the pump again", Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_SUPPLIER,
			PartsUsed: []*dispatchv1.UsedPart{{PartId: seed.PartID, Quantity: 1, FaultySerial: "P-FITTED", ReplacementSerial: "P-FITTED-2",
				Reason: "failed again", UnderWarranty: true, OldPartTakenBack: true}},
			TimeSpent: durationpb.New(time.Hour), TravelKm: 12, Resolved: true})
		done := waitTicket(t, c, id, func(tk *ticketv1.Ticket) error {
			if tk.GetState() != ticketv1.TicketState_TICKET_STATE_RESOLVED {
				return fmt.Errorf("state %s, want RESOLVED", tk.GetState())
			}
			return nil
		})
		if done.GetResolution().GetPaid() {
			t.Errorf("resolution = %v, want free", done.GetResolution())
		}
	})

	t.Run("the cost report shows what the visits cost", func(t *testing.T) {
		// Consumer fee schedule: labour 80.00/h per started quarter hour, travel 50.00 + 1.50/km;
		// the pump at its cost of 420.00. The demo's visits take 1.5 h and 12 km.
		//   repair:                 pump 420 + labour 120 + travel 68   = 608.00
		//   failed visit:                      labour 120 + travel 68   = 188.00
		//   second repair:          pump 420 + labour 120 + travel 68   = 608.00
		//   misuse, diagnosed:                 labour  80 + travel 68   = 148.00
		//   misuse, paid repair:    the customer's, not counted
		//   part warranty repair:   pump 420 + labour  80 + travel 68   = 568.00
		want := struct {
			visits, repairs, parts, total int64
			repeat, ftf                   float64
		}{visits: 6, repairs: 6, parts: 1260_00, total: 2120_00, repeat: 4.0 / 6, ftf: 0.5}
		natstest.Eventually(t, loopWait, func() error {
			resp, err := c.Warranty.GetWarrantyCost(ctx, &warrantyv1.GetWarrantyCostRequest{Model: "TX-904"})
			if err != nil {
				return err
			}
			got := resp.GetCost()
			if got.GetVisits() != want.visits || got.GetRepairs() != want.repairs || got.GetVisitParts().GetAmountMinor() != want.parts ||
				got.GetVisitTotal().GetAmountMinor() != want.total || got.GetRepeatRepairRate() != want.repeat || got.GetFirstTimeFixRate() != want.ftf {
				return fmt.Errorf("GetWarrantyCost(TX-904) = visits %d repairs %d parts %v total %v repeat %.3f first-time fix %.3f; want %+v",
					got.GetVisits(), got.GetRepairs(), got.GetVisitParts(), got.GetVisitTotal(), got.GetRepeatRepairRate(), got.GetFirstTimeFixRate(), want)
			}
			if len(got.GetByModel()) != 1 || got.GetByModel()[0].GetVisitTotal().GetAmountMinor() != want.total {
				return fmt.Errorf("by model = %v, want TX-904 alone with the same total", got.GetByModel())
			}
			return nil
		})
	})
}
