package ticket_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// campaignTickets returns the tickets that carry campaign id, by serial.
func (e *env) campaignTickets(id string) map[string]*ticketv1.Ticket {
	e.t.Helper()
	out := map[string]*ticketv1.Ticket{}
	token := ""
	for {
		resp, err := e.c.ListTickets(context.Background(), &ticketv1.ListTicketsRequest{PageSize: 100, PageToken: token})
		if err != nil {
			e.t.Fatalf("ListTickets: %v", err)
		}
		for _, t := range resp.GetTickets() {
			if slices.Contains(t.GetCampaignIds(), id) && t.GetKind() == ticketv1.TicketKind_TICKET_KIND_MAINTENANCE {
				if prev, dup := out[t.GetUnit().GetSerial()]; dup {
					e.t.Fatalf("two campaign tickets for %s: %s and %s", t.GetUnit().GetSerial(), prev.GetId(), t.GetId())
				}
				out[t.GetUnit().GetSerial()] = t
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// TestRecallRaisesOneTicketAndJobPerUnit: a recall over 50 units raises 50 tickets, each with
// a job, exactly once (a redelivered page raises none); a unit that comes in for another fault
// is flagged with the open campaign, its job shows it, and resolving that visit completes the
// unit's campaign.
func TestRecallRaisesOneTicketAndJobPerUnit(t *testing.T) {
	e := start(t)
	e.startWarranty()
	d, techID := e.startDispatch()
	w := warrantyv1.NewWarrantyServiceClient(e.warranty.Conn)
	id := e.recall(w)

	var tickets map[string]*ticketv1.Ticket
	natstest.Eventually(t, 60*time.Second, func() error {
		e.clock.Advance(time.Second)
		e.run.Platform.Timers.Notify()
		tickets = e.campaignTickets(id)
		withJob := 0
		for _, tk := range tickets {
			if len(tk.GetJobs()) == 1 && tk.GetJobs()[0].GetJobId() != "" {
				withJob++
			}
		}
		if len(tickets) != 50 || withJob != 50 {
			return fmt.Errorf("%d campaign tickets, %d with a job; want 50 and 50", len(tickets), withJob)
		}
		return nil
	})
	e.afterRecall(t, d, techID, w, id, tickets)
}

// recall registers 52 units SN-C000..SN-C051 and creates a recall of the first 50.
func (e *env) recall(w warrantyv1.WarrantyServiceClient) string {
	t := e.t
	ctx := context.Background()
	pol, err := w.ListPolicies(ctx, &warrantyv1.ListPoliciesRequest{})
	if err != nil || len(pol.GetPolicies()) == 0 {
		t.Fatalf("ListPolicies: %v", err)
	}
	for i := range 52 { // SN-C050 and SN-C051 are outside the recall
		if _, err := w.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: fmt.Sprintf("cu-%d", i), Unit: &warrantyv1.Unit{
			Serial: fmt.Sprintf("SN-C%03d", i), Model: "M1", Batch: "B7", PolicyId: pol.GetPolicies()[0].GetId(), DealerId: "dealer-1",
			Customer: &warrantyv1.Customer{CustomerId: fmt.Sprintf("cust-%d", i), Contact: &typev1.Contact{Name: "Li Si", Phone: "13900000000"},
				Address: &typev1.Address{Line: "2 Jingshi Road", Region: "Shandong", City: "Jinan", Point: site}},
			Dates: &warrantyv1.UnitDates{Sale: day(-100)}}}); err != nil {
			t.Fatalf("RegisterUnit(%d): %v", i, err)
		}
	}
	c, err := w.CreateCampaign(ctx, &warrantyv1.CreateCampaignRequest{RequestId: "recall", Campaign: &warrantyv1.Campaign{
		Name: "Sensor recall", Model: "M1", SerialFrom: "SN-C000", SerialTo: "SN-C049", ProductLine: "instrument",
		Remedy: warrantyv1.Remedy_REMEDY_REPAIR, StartDate: day(-1)}})
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	return c.GetCampaign().GetId()
}

// afterRecall checks the recall's tickets, a redelivered page, and a unit's other visit.
func (e *env) afterRecall(t *testing.T, d dispatchv1.DispatchServiceClient, techID string, w warrantyv1.WarrantyServiceClient,
	id string, tickets map[string]*ticketv1.Ticket) {
	ctx := context.Background()
	if _, outside := tickets["SN-C050"]; outside {
		t.Fatalf("a ticket was raised for SN-C050, outside the recall")
	}

	// Redelivery: the first page published again raises nothing new.
	nc, err := nats.Connect(e.ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "WARRANTY")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, "sanbao.warranty.v1.campaign.units_affected")
	if err != nil {
		t.Fatal(err)
	}
	copyMsg := &nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
	copyMsg.Header.Set("Nats-Msg-Id", "redelivered-page")
	if err := nc.PublishMsg(copyMsg); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		cons, err := js.Consumer(ctx, "WARRANTY", "ticket-campaigns")
		if err != nil {
			return err
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("campaign consumer pending %d, ack pending %d", info.NumPending, info.NumAckPending)
		}
		return nil
	})
	e.clock.Advance(time.Second)
	e.run.Platform.Timers.Notify()
	if n := len(e.campaignTickets(id)); n != 50 {
		t.Fatalf("after a redelivered page: %d campaign tickets, want 50", n)
	}

	// SN-C000 comes in for another fault: the ticket and its job show the open campaign.
	rep := repair()
	rep.Unit.Serial = "SN-C000"
	tk := e.create(rep)
	got := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetJobId() == "" {
			return fmt.Errorf("no job yet")
		}
		return nil
	})
	if !slices.Contains(got.GetCampaignIds(), id) {
		t.Fatalf("repair ticket campaign_ids = %v, want the open campaign %s", got.GetCampaignIds(), id)
	}
	jobID := got.GetJobs()[0].GetJobId()
	job, err := d.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
	if err != nil || !slices.Contains(job.GetJob().GetCampaignIds(), id) {
		t.Fatalf("job campaign_ids = %v (%v), want %s", job.GetJob().GetCampaignIds(), err, id)
	}
	// The visit (assigned by hand: the day is full of campaign jobs) resolves it.
	if _, err := d.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "as", JobId: jobID, TechnicianId: techID, Reason: "same visit"}); err != nil {
		t.Fatalf("AssignJob: %v", err)
	}
	for _, step := range []func() error{
		func() error {
			_, err := d.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "ac", JobId: jobID, TechnicianId: techID})
			return err
		},
		func() error {
			_, err := d.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "ci", JobId: jobID, TechnicianId: techID, Point: site})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("visit: %v", err)
		}
	}
	e.clock.Advance(time.Hour)
	if _, err := d.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "cv", JobId: jobID, TechnicianId: techID,
		Report: &dispatchv1.ServiceReport{Resolved: true, WorkDone: "fixed the display and replaced the recalled sensor",
			Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY,
			SignOff:        &dispatchv1.SignOff{SignerName: "Li Si", SignedTime: timestamppb.New(e.clock.Now()), SignatureRef: "sig/2"}}}); err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	natstest.Eventually(t, 20*time.Second, func() error {
		e.clock.Advance(time.Second)
		e.run.Platform.Timers.Notify()
		g, err := w.GetCampaign(ctx, &warrantyv1.GetCampaignRequest{CampaignId: id})
		if err != nil {
			return err
		}
		if p := g.GetProgress(); p.GetCompleted() != 1 || p.GetOpen() != 49 {
			return fmt.Errorf("campaign progress = %v, want 1 completed, 49 open", p)
		}
		return nil
	})
	units, err := w.ListCampaignUnits(ctx, &warrantyv1.ListCampaignUnitsRequest{CampaignId: id,
		State: warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_COMPLETED})
	if err != nil || len(units.GetUnits()) != 1 || units.GetUnits()[0].GetSerial() != "SN-C000" || units.GetUnits()[0].GetTicketId() != tk.GetId() {
		t.Fatalf("completed units = %v (%v), want SN-C000 done on %s", units.GetUnits(), err, tk.GetId())
	}
}

// TestRecallSurvivesRestart: the ticket service stops while raising a recall's tickets; on
// restart it raises the rest, none twice.
func TestRecallSurvivesRestart(t *testing.T) {
	e := start(t)
	e.startWarranty()
	e.startDispatch()
	w := warrantyv1.NewWarrantyServiceClient(e.warranty.Conn)
	id := e.recall(w)
	natstest.Eventually(t, 30*time.Second, func() error {
		e.clock.Advance(time.Second)
		e.run.Platform.Timers.Notify()
		if n := len(e.campaignTickets(id)); n == 0 {
			return fmt.Errorf("no campaign ticket yet")
		}
		return nil
	})
	if err := e.run.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = e.wGate.addr(), e.dGate.addr()
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e.run = svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: e.clock, NATS: e.ns, DataDir: e.run.DataDir})
	e.c = ticketv1.NewTicketServiceClient(e.run.Conn)
	natstest.Eventually(t, 60*time.Second, func() error {
		e.clock.Advance(time.Second)
		e.run.Platform.Timers.Notify()
		if n := len(e.campaignTickets(id)); n != 50 {
			return fmt.Errorf("%d campaign tickets after the restart, want 50", n)
		}
		return nil
	})
}
