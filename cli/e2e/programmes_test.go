package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sanbao/sanbao/cli/internal/demo"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
)

// date is t's calendar date in Beijing time, as the desk reads it.
func date(t time.Time) *typev1.Date {
	t = t.In(time.FixedZone("CST", 8*3600))
	return &typev1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func dateTime(d *typev1.Date) time.Time {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

// TestFieldProgrammes walks issue #16 across the four processes: a unit sold and delivered
// today has its delivery follow-up due 15 working days on; its inspection programme makes a
// maintenance ticket and a dispatch job ahead of the due date; a recall of the unit is flagged
// on that inspection and completed by the same visit.
func TestFieldProgrammes(t *testing.T) {
	s := start(t, nil)
	c := s.clients(t)
	ctx := context.Background()
	run := demo.RunID()
	w := &demo.Walk{C: c, Run: run, Poll: loopWait, Stock: 5, Now: svctest.Now}
	seed, err := w.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	today := svctest.Now()
	serial := "SN-P-" + run
	if _, err := c.Warranty.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: "unit-" + run, Unit: &warrantyv1.Unit{
		Serial: serial, Model: "TX-904", ProductName: "Tractor", PolicyId: seed.PolicyID, DealerId: "dealer-jinan", Batch: "B-" + run,
		Customer: &warrantyv1.Customer{CustomerId: "cust-p-" + run, Contact: &typev1.Contact{Name: "Zhao Liu", Phone: "13700000000"},
			Address: &typev1.Address{Line: "9 Jingshi Road", Region: "Shandong", City: "Jinan", Point: seed.Site}},
		Dates: &warrantyv1.UnitDates{Sale: date(today), Delivery: date(today)}}}); err != nil {
		t.Fatalf("RegisterUnit: %v", err)
	}

	// The delivery follow-up (回访), due 15 working days after delivery (seed 004).
	var f *ticketv1.FollowUp
	natstest.Eventually(t, loopWait, func() error {
		resp, err := c.Ticket.ListFollowUps(ctx, &ticketv1.ListFollowUpsRequest{UnitSerial: serial})
		if err != nil {
			return err
		}
		if len(resp.GetFollowUps()) != 1 {
			return fmt.Errorf("follow-ups of %s = %d, want 1", serial, len(resp.GetFollowUps()))
		}
		f = resp.GetFollowUps()[0]
		return nil
	})
	due := dateTime(f.GetDueDate())
	from := dateTime(date(today))
	if f.GetReason() != ticketv1.FollowUpReason_FOLLOW_UP_REASON_DELIVERY || f.GetState() != ticketv1.FollowUpState_FOLLOW_UP_STATE_DUE ||
		due.Before(from.AddDate(0, 0, 15)) || due.After(from.AddDate(0, 0, 35)) {
		t.Fatalf("follow-up = %v, want a DUE delivery call 15 working days after %v", f, from)
	}

	// A recall of the unit (its serial alone), open before it comes in.
	camp, err := c.Warranty.CreateCampaign(ctx, &warrantyv1.CreateCampaignRequest{RequestId: "recall-" + run, Campaign: &warrantyv1.Campaign{
		Name: "Hydraulic hose recall " + run, Model: "TX-904", SerialFrom: serial, SerialTo: serial, ProductLine: seed.ProductLine,
		Remedy: warrantyv1.Remedy_REMEDY_REPAIR, StartDate: date(today.AddDate(0, 0, -1))}})
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	campaignID := camp.GetCampaign().GetId()

	// The inspection programme: twice a year, the next one a week away, so its maintenance
	// ticket (made 14 days ahead) is due now.
	if _, err := c.Ticket.CreateProgramme(ctx, &ticketv1.CreateProgrammeRequest{RequestId: "programme-" + run, Programme: &ticketv1.Programme{
		Kind: ticketv1.ProgrammeKind_PROGRAMME_KIND_INSPECTION, Unit: &ticketv1.Unit{Serial: serial, ProductLine: seed.ProductLine, Model: "TX-904"},
		Customer:       &ticketv1.Customer{CustomerId: "cust-p-" + run, Address: &typev1.Address{Region: "Shandong", City: "Jinan", Point: seed.Site}},
		OrganisationId: "station-jinan", StartDate: date(today.AddDate(0, -6, 7))}}); err != nil {
		t.Fatalf("CreateProgramme: %v", err)
	}
	var inspection *ticketv1.Ticket
	natstest.Eventually(t, loopWait, func() error {
		resp, err := c.Ticket.ListTickets(ctx, &ticketv1.ListTicketsRequest{UnitSerial: serial, Kind: ticketv1.TicketKind_TICKET_KIND_MAINTENANCE})
		if err != nil {
			return err
		}
		for _, tk := range resp.GetTickets() {
			if tk.GetProgrammeId() != "" {
				inspection = tk
				return nil
			}
		}
		return fmt.Errorf("no inspection ticket for %s yet (%d maintenance tickets)", serial, len(resp.GetTickets()))
	})
	tk := assigned(t, c, inspection.GetId(), 1)
	if !slices.Contains(tk.GetCampaignIds(), campaignID) {
		t.Fatalf("inspection ticket campaign_ids = %v, want the open recall %s flagged for the same visit", tk.GetCampaignIds(), campaignID)
	}
	job := tk.GetJobs()[0]
	j, err := c.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: job.GetJobId()})
	if err != nil || j.GetJob().GetKind() != dispatchv1.JobKind_JOB_KIND_MAINTENANCE || !slices.Contains(j.GetJob().GetCampaignIds(), campaignID) {
		t.Fatalf("inspection job = %v (%v), want a MAINTENANCE job showing the recall", j.GetJob(), err)
	}

	// The inspection visit does the recall too.
	visit(t, c, job.GetJobId(), job.GetTechnicianId(), seed.Site, &dispatchv1.ServiceReport{
		Diagnosis: "twice-yearly inspection", WorkDone: "inspected; replaced the recalled hydraulic hose",
		Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY, Resolved: true})
	natstest.Eventually(t, loopWait, func() error {
		units, err := c.Warranty.ListCampaignUnits(ctx, &warrantyv1.ListCampaignUnitsRequest{CampaignId: campaignID})
		if err != nil {
			return err
		}
		if len(units.GetUnits()) != 1 || units.GetUnits()[0].GetState() != warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_COMPLETED ||
			units.GetUnits()[0].GetTicketId() != inspection.GetId() {
			return fmt.Errorf("recall units = %v, want %s completed on the inspection %s", units.GetUnits(), serial, inspection.GetId())
		}
		return nil
	})
	g, err := c.Warranty.GetCampaign(ctx, &warrantyv1.GetCampaignRequest{CampaignId: campaignID})
	if err != nil || g.GetProgress().GetCompleted() != 1 || g.GetProgress().GetOpen() != 0 {
		t.Fatalf("recall progress = %v (%v), want 1 completed, none left", g.GetProgress(), err)
	}
}
