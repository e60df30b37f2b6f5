package ticket_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

func fields(err error) []string {
	var out []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func consultation(customer string) *ticketv1.Ticket {
	return &ticketv1.Ticket{Kind: ticketv1.TicketKind_TICKET_KIND_CONSULTATION, Channel: ticketv1.Channel_CHANNEL_WEB,
		Customer: &ticketv1.Customer{CustomerId: customer}, Unit: &ticketv1.Unit{ProductLine: "instrument"}}
}

func TestCreateTicketRejectsBadInput(t *testing.T) {
	e := start(t)
	ok := repair()
	tests := []struct {
		name  string
		req   *ticketv1.CreateTicketRequest
		field string
	}{
		{"no ticket", &ticketv1.CreateTicketRequest{}, "ticket"},
		{"no kind", &ticketv1.CreateTicketRequest{Ticket: &ticketv1.Ticket{Channel: ticketv1.Channel_CHANNEL_PHONE}}, "ticket.kind"},
		{"no channel", &ticketv1.CreateTicketRequest{Ticket: &ticketv1.Ticket{Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR}}, "ticket.channel"},
		{"bad request_id", &ticketv1.CreateTicketRequest{RequestId: "a b", Ticket: ok}, "request_id"},
		{"repair without serial", &ticketv1.CreateTicketRequest{Ticket: func() *ticketv1.Ticket {
			tk := proto.Clone(ok).(*ticketv1.Ticket)
			tk.Unit.Serial = ""
			return tk
		}()}, "ticket.unit.serial"},
		{"negative distance", &ticketv1.CreateTicketRequest{Ticket: func() *ticketv1.Ticket {
			tk := proto.Clone(ok).(*ticketv1.Ticket)
			tk.DistanceKm = ptr(-1.0)
			return tk
		}()}, "ticket.distance_km"},
		{"window after year 9999", &ticketv1.CreateTicketRequest{Ticket: func() *ticketv1.Ticket {
			tk := proto.Clone(ok).(*ticketv1.Ticket)
			tk.WindowStartTime = &timestamppb.Timestamp{Seconds: 253402300800 * 2}
			return tk
		}()}, "ticket.window_start_time"},
		{"window before year 1", &ticketv1.CreateTicketRequest{Ticket: func() *ticketv1.Ticket {
			tk := proto.Clone(ok).(*ticketv1.Ticket)
			tk.WindowEndTime = &timestamppb.Timestamp{Seconds: -62135596800 * 2}
			return tk
		}()}, "ticket.window_end_time"},
		{"unknown policy", &ticketv1.CreateTicketRequest{Ticket: func() *ticketv1.Ticket {
			tk := proto.Clone(ok).(*ticketv1.Ticket)
			tk.ServicePolicyId = "nope"
			return tk
		}()}, "ticket.service_policy_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.CreateTicket(context.Background(), tc.req)
			wantCode(t, err, codes.InvalidArgument)
			if !slices.Contains(fields(err), tc.field) {
				t.Errorf("violations = %v, want %s", fields(err), tc.field)
			}
		})
	}
}

func TestCreateTicketIsIdempotent(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	req := &ticketv1.CreateTicketRequest{RequestId: "same", Ticket: consultation("c1")}
	a, err := e.c.CreateTicket(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.c.CreateTicket(ctx, req)
	if err != nil || b.GetTicket().GetId() != a.GetTicket().GetId() {
		t.Fatalf("retry = %v, %v; want the first ticket %s", b.GetTicket().GetId(), err, a.GetTicket().GetId())
	}
	_, err = e.c.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "same", Ticket: consultation("c2")})
	wantCode(t, err, codes.InvalidArgument)
	if !slices.Contains(fields(err), "request_id") {
		t.Errorf("violations = %v, want request_id", fields(err))
	}
}

func TestIllegalChangesAndUnknownTickets(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	_, err := e.c.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: "T-2026-999999"})
	wantCode(t, err, codes.NotFound)
	tk := e.create(repair()) // peers are down: stays RECEIVED
	_, err = e.c.CloseTicket(ctx, &ticketv1.CloseTicketRequest{TicketId: tk.GetId()})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.HoldTicket(ctx, &ticketv1.HoldTicketRequest{TicketId: tk.GetId(), Reason: ticketv1.PauseReason_PAUSE_REASON_WAITING_FOR_PARTS})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.VerifyComplaint(ctx, &ticketv1.VerifyComplaintRequest{TicketId: tk.GetId(),
		Category: ticketv1.ComplaintCategory_COMPLAINT_CATEGORY_OTHER, Content: ticketv1.ComplaintContent_COMPLAINT_CONTENT_PRODUCT,
		Severity: ticketv1.ComplaintSeverity_COMPLAINT_SEVERITY_MINOR, Verification: &ticketv1.ComplaintVerification{}})
	wantCode(t, err, codes.FailedPrecondition)
	c, err := e.c.CancelTicket(ctx, &ticketv1.CancelTicketRequest{RequestId: e.rid(), TicketId: tk.GetNumber()})
	if err != nil || c.GetTicket().GetState() != ticketv1.TicketState_TICKET_STATE_CANCELLED {
		t.Fatalf("CancelTicket = %v, %v", c.GetTicket().GetState(), err)
	}
	for _, cl := range c.GetTicket().GetClocks() {
		if cl.GetState() != ticketv1.SlaClockState_SLA_CLOCK_STATE_CANCELLED {
			t.Errorf("clock %s = %s after cancel, want CANCELLED", cl.GetName(), cl.GetState())
		}
	}
	_, err = e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{TicketId: tk.GetId(), Resolution: &ticketv1.Resolution{Solution: "x"}})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{TicketId: tk.GetId(), Resolution: &ticketv1.Resolution{}})
	wantCode(t, err, codes.InvalidArgument)
}

// TestComplaintFlow: numbered, acknowledged by an outbound contact, verified as a serious
// quality complaint (escalated), answered with root cause and prevention.
func TestComplaintFlow(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tk := e.create(&ticketv1.Ticket{Kind: ticketv1.TicketKind_TICKET_KIND_COMPLAINT, Channel: ticketv1.Channel_CHANNEL_LETTER,
		Customer: &ticketv1.Customer{CustomerId: "c9"}, Fault: &ticketv1.Fault{Symptom: "rude technician"}})
	if want := fmt.Sprintf("C-%d-000001", t0.Year()); tk.GetComplaint().GetNumber() != want || len(tk.GetClocks()) != 4 {
		t.Fatalf("complaint = %v, clocks %d; want %s and 4 clocks", tk.GetComplaint(), len(tk.GetClocks()), want)
	}
	e.clock.Advance(2 * time.Hour)
	rc, err := e.c.RecordContact(ctx, &ticketv1.RecordContactRequest{RequestId: e.rid(), TicketId: tk.GetId(), Contact: &ticketv1.ContactRecord{
		Channel: ticketv1.Channel_CHANNEL_PHONE, Direction: ticketv1.ContactDirection_CONTACT_DIRECTION_OUTBOUND, Summary: "called back"}})
	if err != nil {
		t.Fatalf("RecordContact: %v", err)
	}
	if rc.GetTicket().GetComplaint().GetAcknowledgeTime() == nil || rc.GetTicket().GetContactCount() != 1 {
		t.Errorf("after contact: %v", rc.GetTicket().GetComplaint())
	}
	v, err := e.c.VerifyComplaint(ctx, &ticketv1.VerifyComplaintRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Category: ticketv1.ComplaintCategory_COMPLAINT_CATEGORY_PRODUCT_QUALITY, Content: ticketv1.ComplaintContent_COMPLAINT_CONTENT_PRODUCT,
		Severity: ticketv1.ComplaintSeverity_COMPLAINT_SEVERITY_SERIOUS, Verification: &ticketv1.ComplaintVerification{Substantiated: true}})
	if err != nil || v.GetTicket().GetEscalationLevel() != 1 {
		t.Fatalf("VerifyComplaint = level %d, %v; want escalated", v.GetTicket().GetEscalationLevel(), err)
	}
	_, err = e.c.AnswerComplaint(ctx, &ticketv1.AnswerComplaintRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Answer: &ticketv1.ComplaintAnswer{Text: "sorry", SignOffs: []string{"quality"}}})
	wantCode(t, err, codes.InvalidArgument)
	if !slices.Contains(fields(err), "answer.root_cause") {
		t.Errorf("violations = %v, want answer.root_cause", fields(err))
	}
	a, err := e.c.AnswerComplaint(ctx, &ticketv1.AnswerComplaintRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Answer: &ticketv1.ComplaintAnswer{Text: "sorry", RootCause: "bad batch", Prevention: "incoming inspection", SignOffs: []string{"quality"}}})
	if err != nil || a.GetTicket().GetState() != ticketv1.TicketState_TICKET_STATE_RESOLVED {
		t.Fatalf("AnswerComplaint = %v, %v", a.GetTicket().GetState(), err)
	}
	for _, cl := range a.GetTicket().GetClocks() {
		if cl.GetState() != ticketv1.SlaClockState_SLA_CLOCK_STATE_STOPPED || cl.GetBreached() {
			t.Errorf("clock %s = %s breached %v, want stopped in time", cl.GetName(), cl.GetState(), cl.GetBreached())
		}
	}
	contacts, err := e.c.ListContacts(ctx, &ticketv1.ListContactsRequest{TicketId: tk.GetNumber()})
	if err != nil || len(contacts.GetContacts()) != 1 {
		t.Errorf("ListContacts = %v, %v", contacts, err)
	}
}

// TestSLABreachEscalatesAndHoldPauses: a consultation goes to remote guidance, whose 2 h
// callback clock breaches (event, escalation, breached index); a second one is held for the
// customer for 5 h and does not breach.
func TestSLABreachEscalatesAndHoldPauses(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	late := e.create(consultation("c1"))
	held := e.create(consultation("c2"))
	for _, id := range []string{late.GetId(), held.GetId()} {
		e.waitState(id, ticketv1.TicketState_TICKET_STATE_REMOTE_GUIDANCE, nil)
	}
	if _, err := e.c.HoldTicket(ctx, &ticketv1.HoldTicketRequest{RequestId: e.rid(), TicketId: held.GetId(),
		Reason: ticketv1.PauseReason_PAUSE_REASON_WAITING_FOR_CUSTOMER}); err != nil {
		t.Fatalf("HoldTicket: %v", err)
	}
	e.clock.Advance(5 * time.Hour)
	r, err := e.c.ResumeTicket(ctx, &ticketv1.ResumeTicketRequest{RequestId: e.rid(), TicketId: held.GetId()})
	if err != nil || r.GetTicket().GetState() != ticketv1.TicketState_TICKET_STATE_REMOTE_GUIDANCE || r.GetTicket().GetHoldTime() != nil {
		t.Fatalf("ResumeTicket = %v (hold time %v), %v", r.GetTicket().GetState(), r.GetTicket().GetHoldTime(), err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		body := e.events.body(held.GetId(), "sanbao.ticket.v1.ticket.resumed")
		if body == nil {
			return fmt.Errorf("no ticket.resumed yet")
		}
		ev := &ticketv1.TicketResumed{}
		if err := protojson.Unmarshal(body, ev); err != nil {
			return err
		}
		if ev.GetWaited().AsDuration() != 5*time.Hour || ev.GetReason() != ticketv1.PauseReason_PAUSE_REASON_WAITING_FOR_CUSTOMER {
			return fmt.Errorf("ticket.resumed waited %s for %s, want 5h waiting for the customer", ev.GetWaited().AsDuration(), ev.GetReason())
		}
		return nil
	})
	natstest.Eventually(t, 10*time.Second, func() error {
		e.run.Platform.Timers.Notify()
		got := e.get(late.GetId())
		if !got.GetBreached() || got.GetEscalationLevel() != 1 {
			return fmt.Errorf("breached %v, escalation %d", got.GetBreached(), got.GetEscalationLevel())
		}
		return nil
	})
	h := e.get(held.GetId())
	if h.GetBreached() {
		t.Errorf("held ticket breached: %v", h.GetClocks())
	}
	for _, cl := range h.GetClocks() {
		if cl.GetName() == "customer.callback" {
			if len(cl.GetPaused()) != 1 || cl.GetPaused()[0].GetDuration().AsDuration() != 5*time.Hour {
				t.Errorf("callback paused = %v, want 5h waiting for customer", cl.GetPaused())
			}
		}
	}
	list, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{Breached: ptr(true)})
	if err != nil || len(list.GetTickets()) != 1 || list.GetTickets()[0].GetId() != late.GetId() {
		t.Errorf("ListTickets(breached) = %v, %v", list.GetTickets(), err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		subs := e.events.subjects(late.GetId())
		if !slices.Contains(subs, "sanbao.ticket.v1.sla.breached") || !slices.Contains(subs, "sanbao.ticket.v1.sla.warning") ||
			!slices.Contains(subs, "sanbao.ticket.v1.ticket.escalated") {
			return fmt.Errorf("events = %v", subs)
		}
		return nil
	})
}

func TestListTicketsFiltersAndPages(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	var ids []string
	for i := range 7 {
		tk := consultation(fmt.Sprintf("c%d", i%2))
		if i == 6 {
			tk.Kind = ticketv1.TicketKind_TICKET_KIND_COMPLAINT
		}
		ids = append(ids, e.create(tk).GetId())
		e.clock.Advance(time.Minute)
	}
	var got []string
	token := ""
	for {
		resp, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range resp.GetTickets() {
			got = append(got, tk.GetId())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	want := slices.Clone(ids)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want newest first %v", got, want)
	}
	tests := []struct {
		name string
		req  *ticketv1.ListTicketsRequest
		want int
	}{
		{"customer", &ticketv1.ListTicketsRequest{CustomerId: "c1"}, 3},
		{"kind", &ticketv1.ListTicketsRequest{Kind: ticketv1.TicketKind_TICKET_KIND_COMPLAINT}, 1},
		{"customer and kind", &ticketv1.ListTicketsRequest{CustomerId: "c0", Kind: ticketv1.TicketKind_TICKET_KIND_COMPLAINT}, 1},
		{"time range", &ticketv1.ListTicketsRequest{CreateTimeStart: timestamppb.New(t0.Add(2 * time.Minute)),
			CreateTimeEnd: timestamppb.New(t0.Add(4 * time.Minute))}, 2},
		{"not breached", &ticketv1.ListTicketsRequest{Breached: ptr(false)}, 7},
	}
	for _, tc := range tests {
		resp, err := e.c.ListTickets(ctx, tc.req)
		if err != nil || len(resp.GetTickets()) != tc.want {
			t.Errorf("%s: ListTickets = %d, %v; want %d", tc.name, len(resp.GetTickets()), err, tc.want)
		}
	}
	_, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{PageToken: "garbage"})
	wantCode(t, err, codes.InvalidArgument)
}

func TestCalendarsAndPolicies(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	cal := &ticketv1.BusinessCalendar{Id: "jinan", TimeZone: "Asia/Shanghai", Hours: []*ticketv1.WorkingHours{
		{Weekday: 1, StartMinute: 510, EndMinute: 1050}}}
	c, err := e.c.CreateBusinessCalendar(ctx, &ticketv1.CreateBusinessCalendarRequest{RequestId: e.rid(), Calendar: cal})
	if err != nil {
		t.Fatalf("CreateBusinessCalendar: %v", err)
	}
	_, err = e.c.CreateBusinessCalendar(ctx, &ticketv1.CreateBusinessCalendarRequest{RequestId: e.rid(), Calendar: cal})
	wantCode(t, err, codes.AlreadyExists)
	bad := proto.Clone(cal).(*ticketv1.BusinessCalendar)
	bad.Id, bad.TimeZone = "x", "Mars/Olympus"
	_, err = e.c.CreateBusinessCalendar(ctx, &ticketv1.CreateBusinessCalendarRequest{Calendar: bad})
	wantCode(t, err, codes.InvalidArgument)
	upd := proto.Clone(c.GetCalendar()).(*ticketv1.BusinessCalendar)
	upd.Holidays = nil
	if _, err := e.c.UpdateBusinessCalendar(ctx, &ticketv1.UpdateBusinessCalendarRequest{RequestId: e.rid(), Calendar: upd}); err != nil {
		t.Fatalf("UpdateBusinessCalendar: %v", err)
	}
	_, err = e.c.UpdateBusinessCalendar(ctx, &ticketv1.UpdateBusinessCalendarRequest{RequestId: e.rid(), Calendar: upd})
	wantCode(t, err, codes.Aborted)
	cals, err := e.c.ListBusinessCalendars(ctx, &ticketv1.ListBusinessCalendarsRequest{})
	if err != nil || len(cals.GetCalendars()) != 2 {
		t.Errorf("ListBusinessCalendars = %d, %v; want default and jinan", len(cals.GetCalendars()), err)
	}

	p, err := e.c.CreateServicePolicy(ctx, &ticketv1.CreateServicePolicyRequest{RequestId: e.rid(), Policy: &ticketv1.ServicePolicy{
		Id: "fast", CalendarId: "jinan", Targets: []*ticketv1.SlaTarget{{Name: "customer.fix", Metric: ticketv1.SlaMetric_SLA_METRIC_FIX,
			Target: durationpb.New(12 * time.Hour)}}}})
	if err != nil {
		t.Fatalf("CreateServicePolicy: %v", err)
	}
	if p.GetPolicy().GetRadiusKm() != 100 || p.GetPolicy().GetVersion() != 1 || p.GetPolicy().GetKpiTargets().GetTimelinessMin() != 0.9 {
		t.Errorf("policy defaults = %v", p.GetPolicy())
	}
	tk := consultation("c1")
	tk.ServicePolicyId = "fast"
	got := e.create(tk)
	if len(got.GetClocks()) != 1 || got.GetClocks()[0].GetName() != "customer.fix" || got.GetClocks()[0].GetDeadline() == nil {
		t.Errorf("clocks = %v, want the policy's one fix clock with a deadline", got.GetClocks())
	}
	_, err = e.c.UpdateServicePolicy(ctx, &ticketv1.UpdateServicePolicyRequest{RequestId: e.rid(), Policy: &ticketv1.ServicePolicy{Id: "fast", Etag: "stale"}})
	wantCode(t, err, codes.Aborted)
	def, err := e.c.GetServicePolicy(ctx, &ticketv1.GetServicePolicyRequest{PolicyId: "default"})
	if err != nil || len(def.GetPolicy().GetTargets()) != 12 { // DOMAIN.md's targets and the 2-hour inform clock
		t.Errorf("default policy = %d targets, %v", len(def.GetPolicy().GetTargets()), err)
	}
}

func TestRecordContactRejectsTimesProtojsonCannotEncode(t *testing.T) {
	e := start(t)
	tk := e.create(consultation("c1"))
	for _, ts := range []*timestamppb.Timestamp{{Seconds: 253402300800 * 2}, {Seconds: -62135596800 * 2}, {Seconds: 1, Nanos: -1}} {
		_, err := e.c.RecordContact(context.Background(), &ticketv1.RecordContactRequest{RequestId: e.rid(), TicketId: tk.GetId(), Contact: &ticketv1.ContactRecord{
			Channel: ticketv1.Channel_CHANNEL_PHONE, Direction: ticketv1.ContactDirection_CONTACT_DIRECTION_OUTBOUND, Summary: "called", ContactTime: ts}})
		wantCode(t, err, codes.InvalidArgument)
		if !slices.Contains(fields(err), "contact.contact_time") {
			t.Errorf("RecordContact(contact_time %v) violations = %v, want contact.contact_time", ts, fields(err))
		}
	}
}
