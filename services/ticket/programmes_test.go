package ticket_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket"
)

// desk is the default calendar: Monday to Friday 09:00–17:00 in Beijing, no holidays.
func desk(t *testing.T) *calendar.Calendar {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return calendar.Weekdays9to17(loc)
}

func protoDate(d calendar.Date) *typev1.Date {
	return &typev1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func sameDate(a, b *typev1.Date) bool {
	return a.GetYear() == b.GetYear() && a.GetMonth() == b.GetMonth() && a.GetDay() == b.GetDay()
}

// count returns how many events on subject were published about resource (ce-subject).
func (r *recorder) count(subject, resource string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m.Subject == subject && m.Header.Get("ce-subject") == resource {
			n++
		}
	}
	return n
}

// waitEvent polls until an event on subject about resource was published.
func (e *env) waitEvent(subject, resource string) {
	e.t.Helper()
	natstest.Eventually(e.t, 10*time.Second, func() error {
		if e.events.count(subject, resource) == 0 {
			return fmt.Errorf("no %s for %s yet", subject, resource)
		}
		return nil
	})
}

// followUps polls until the list for req has n follow-ups and returns them.
func (e *env) followUps(req *ticketv1.ListFollowUpsRequest, n int) []*ticketv1.FollowUp {
	e.t.Helper()
	var got []*ticketv1.FollowUp
	natstest.Eventually(e.t, 10*time.Second, func() error {
		resp, err := e.c.ListFollowUps(context.Background(), req)
		if err != nil {
			return err
		}
		if got = resp.GetFollowUps(); len(got) != n {
			return fmt.Errorf("follow-ups = %d, want %d", len(got), n)
		}
		return nil
	})
	return got
}

func (e *env) fire() {
	e.t.Helper()
	if _, err := e.run.Platform.Timers.FireDue(context.Background()); err != nil {
		e.t.Logf("FireDue: %v", err)
	}
}

// closeRemote creates a consultation ticket of unit serial and walks it to CLOSED.
func (e *env) closeRemote(serial string) *ticketv1.Ticket {
	e.t.Helper()
	ctx := context.Background()
	in := consultation("cust-7")
	in.Unit.Serial = serial
	in.OrganisationId = "station-jinan"
	tk := e.create(in)
	e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_REMOTE_GUIDANCE, nil)
	if _, err := e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Resolution: &ticketv1.Resolution{Solution: "explained the settings"}}); err != nil {
		e.t.Fatalf("ResolveTicket: %v", err)
	}
	if _, err := e.c.ConfirmResolution(ctx, &ticketv1.ConfirmResolutionRequest{RequestId: e.rid(), TicketId: tk.GetId()}); err != nil {
		e.t.Fatalf("ConfirmResolution: %v", err)
	}
	resp, err := e.c.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: e.rid(), TicketId: tk.GetId()})
	if err != nil {
		e.t.Fatalf("CloseTicket: %v", err)
	}
	return resp.GetTicket()
}

// TestDeliveredUnitFollowUp: warranty registers a delivered unit; the desk's follow-up call
// appears due 15 working days after the delivery, counts an unreached attempt and closes with
// its outcome.
func TestDeliveredUnitFollowUp(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.startWarranty()
	w := warrantyv1.NewWarrantyServiceClient(e.warranty.Conn)
	p, err := w.CreatePolicy(ctx, &warrantyv1.CreatePolicyRequest{RequestId: "p1", Template: "instrument",
		Policy: &warrantyv1.Policy{Name: "Instruments", Models: []string{"M1"}}})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	if _, err := w.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: "u-d", Unit: &warrantyv1.Unit{
		Serial: "SN-D", Model: "M1", PolicyId: p.GetPolicy().GetId(), DealerId: "dealer-1",
		Dates: &warrantyv1.UnitDates{Sale: day(-2), Delivery: day(0)}}}); err != nil {
		t.Fatalf("RegisterUnit: %v", err)
	}
	f := e.followUps(&ticketv1.ListFollowUpsRequest{UnitSerial: "SN-D"}, 1)[0]
	due, err := desk(t).AddWorkingDays(calendar.DateOf(t0, desk(t).Location()), 15)
	if err != nil {
		t.Fatal(err)
	}
	if f.GetReason() != ticketv1.FollowUpReason_FOLLOW_UP_REASON_DELIVERY || f.GetState() != ticketv1.FollowUpState_FOLLOW_UP_STATE_DUE ||
		!sameDate(f.GetDueDate(), protoDate(due)) || !sameDate(f.GetFromDate(), day(0)) || f.GetAssignee() != "desk" || f.GetUnitId() == "" {
		t.Fatalf("follow-up = %v, want DELIVERY due %s for the desk", f, due)
	}
	if !sameDate(f.GetDueDate(), day(21)) { // t0 is a Monday: three weeks on
		t.Errorf("due = %v, want %v", f.GetDueDate(), day(21))
	}
	res := "follow_ups/" + f.GetId()
	e.waitEvent("sanbao.ticket.v1.follow_up.created", res)
	for _, c := range []struct {
		by   *typev1.Date
		want int
	}{{day(20), 0}, {day(21), 1}} {
		l, err := e.c.ListFollowUps(ctx, &ticketv1.ListFollowUpsRequest{UnitSerial: "SN-D", DueBy: c.by})
		if err != nil || len(l.GetFollowUps()) != c.want {
			t.Errorf("ListFollowUps(due by %v) = %d, %v; want %d", c.by, len(l.GetFollowUps()), err, c.want)
		}
	}

	// Not reached: still due, one attempt.
	r1 := &ticketv1.RecordFollowUpOutcomeRequest{RequestId: e.rid(), FollowUpId: f.GetId(),
		Outcome: &ticketv1.FollowUpOutcome{Channel: ticketv1.Channel_CHANNEL_PHONE}}
	got, err := e.c.RecordFollowUpOutcome(ctx, r1)
	if err != nil || got.GetFollowUp().GetState() != ticketv1.FollowUpState_FOLLOW_UP_STATE_DUE || len(got.GetFollowUp().GetAttempts()) != 1 {
		t.Fatalf("RecordFollowUpOutcome(not reached) = %v, %v; want DUE with 1 attempt", got.GetFollowUp(), err)
	}
	again, err := e.c.RecordFollowUpOutcome(ctx, r1) // same request id: the same answer, no second attempt
	if err != nil || len(again.GetFollowUp().GetAttempts()) != 1 {
		t.Fatalf("RecordFollowUpOutcome retried = %v, %v; want the first answer", again.GetFollowUp(), err)
	}
	e.waitEvent("sanbao.ticket.v1.follow_up.attempted", res)

	// Reached and satisfied: done.
	got, err = e.c.RecordFollowUpOutcome(ctx, &ticketv1.RecordFollowUpOutcomeRequest{RequestId: e.rid(), FollowUpId: f.GetId(),
		Outcome: &ticketv1.FollowUpOutcome{Reached: true, Satisfied: true, Channel: ticketv1.Channel_CHANNEL_PHONE, Note: "all fine"}})
	if err != nil || got.GetFollowUp().GetState() != ticketv1.FollowUpState_FOLLOW_UP_STATE_DONE || !got.GetFollowUp().GetOutcome().GetSatisfied() ||
		len(got.GetFollowUp().GetAttempts()) != 2 {
		t.Fatalf("RecordFollowUpOutcome(reached) = %v, %v; want DONE, satisfied, 2 attempts", got.GetFollowUp(), err)
	}
	e.waitEvent("sanbao.ticket.v1.follow_up.done", res)
	_, err = e.c.RecordFollowUpOutcome(ctx, &ticketv1.RecordFollowUpOutcomeRequest{RequestId: e.rid(), FollowUpId: f.GetId(),
		Outcome: &ticketv1.FollowUpOutcome{Reached: true}})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.GetFollowUp(ctx, &ticketv1.GetFollowUpRequest{FollowUpId: "nope"})
	wantCode(t, err, codes.NotFound)
	done := e.followUps(&ticketv1.ListFollowUpsRequest{State: ticketv1.FollowUpState_FOLLOW_UP_STATE_DONE}, 1)
	if done[0].GetId() != f.GetId() {
		t.Errorf("DONE follow-ups = %v", done)
	}
}

// TestClosedTicketFollowUpAndSurveyChase: closing a ticket makes its follow-up call and
// requests its survey; reminders fire on the working-day schedule until the answer stops
// them, or until the policy gives up; the KPIs count requested, answered and given up.
func TestClosedTicketFollowUpAndSurveyChase(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	cal := desk(t)
	tk := e.closeRemote("SN-7")
	closed := tk.GetCloseTime().AsTime()
	sr := tk.GetSurveyRequest()
	first, err := cal.AddWorkingDaysAt(closed, 3)
	if err != nil {
		t.Fatal(err)
	}
	if sr.GetState() != ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_REQUESTED || !sr.GetNextReminderTime().AsTime().Equal(first) {
		t.Fatalf("survey request = %v, want REQUESTED with a reminder at %v", sr, first)
	}
	f := e.followUps(&ticketv1.ListFollowUpsRequest{TicketId: tk.GetId()}, 1)[0]
	due, _ := cal.AddWorkingDays(calendar.DateOf(closed, cal.Location()), 15)
	if f.GetReason() != ticketv1.FollowUpReason_FOLLOW_UP_REASON_SERVICE_CLOSED || !sameDate(f.GetDueDate(), protoDate(due)) ||
		f.GetUnitSerial() != "SN-7" || f.GetCustomerId() != "cust-7" {
		t.Fatalf("follow-up = %v, want SERVICE_CLOSED due %s", f, due)
	}
	e.waitEvent("sanbao.ticket.v1.survey.requested", "tickets/"+tk.GetId())

	// The first reminder comes due.
	e.clock.Set(first.Add(time.Minute))
	e.fire()
	got := e.get(tk.GetId()).GetSurveyRequest()
	if got.GetReminders() != 1 || got.GetState() != ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_REQUESTED {
		t.Fatalf("after the first reminder = %v, want 1 reminder, still requested", got)
	}
	e.waitEvent("sanbao.ticket.v1.survey.reminded", "tickets/"+tk.GetId())

	// The answer stops the chase.
	if _, err := e.c.SubmitSurvey(ctx, &ticketv1.SubmitSurveyRequest{RequestId: e.rid(), TicketId: tk.GetId(), Survey: &ticketv1.Survey{
		Answers: []*ticketv1.SurveyAnswer{{Question: "quality", Score: 5}}}}); err != nil {
		t.Fatalf("SubmitSurvey: %v", err)
	}
	e.clock.Advance(30 * 24 * time.Hour)
	e.fire()
	if got := e.get(tk.GetId()).GetSurveyRequest(); got.GetReminders() != 1 || got.GetState() != ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_ANSWERED {
		t.Fatalf("after the answer = %v, want ANSWERED after 1 reminder", got)
	}

	// A second ticket nobody answers: three reminders, then given up.
	tk2 := e.closeRemote("SN-8")
	for i := 0; i < 4; i++ {
		next := e.get(tk2.GetId()).GetSurveyRequest().GetNextReminderTime()
		if next == nil {
			t.Fatalf("no next reminder after %d", i)
		}
		e.clock.Set(next.AsTime().Add(time.Minute))
		e.fire()
	}
	got2 := e.get(tk2.GetId()).GetSurveyRequest()
	if got2.GetState() != ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_GIVEN_UP || got2.GetReminders() != 3 || got2.GetNextReminderTime() != nil {
		t.Fatalf("unanswered survey = %v, want GIVEN_UP after 3 reminders", got2)
	}
	e.waitEvent("sanbao.ticket.v1.survey.given_up", "tickets/"+tk2.GetId())
	e.clock.Advance(30 * 24 * time.Hour)
	e.fire()
	if n := e.events.count("sanbao.ticket.v1.survey.reminded", "tickets/"+tk2.GetId()); n != 3 {
		t.Errorf("reminders published = %d, want 3", n)
	}

	m, err := e.c.GetServiceMetrics(ctx, &ticketv1.GetServiceMetricsRequest{StartTime: timestamppb.New(t0.Add(-time.Hour)),
		EndTime: timestamppb.New(e.clock.Now().Add(time.Hour))})
	if err != nil {
		t.Fatalf("GetServiceMetrics: %v", err)
	}
	mm := m.GetMetrics()
	var rate *ticketv1.Kpi
	for _, k := range mm.GetKpis() {
		if k.GetName() == "survey_answer_rate" {
			rate = k
		}
	}
	if mm.GetSurveysRequested() != 2 || mm.GetSurveysAnswered() != 1 || mm.GetSurveysGivenUp() != 1 || rate.GetValue() != 0.5 {
		t.Errorf("metrics = requested %d answered %d given up %d rate %v; want 2 1 1 0.5", mm.GetSurveysRequested(),
			mm.GetSurveysAnswered(), mm.GetSurveysGivenUp(), rate)
	}
}

// TestFollowUpNewProblemRaisesLinkedTicket: a new problem found on a follow-up call raises a
// ticket on the same unit and customer, linked both ways.
func TestFollowUpNewProblemRaisesLinkedTicket(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tk := e.closeRemote("SN-9")
	f := e.followUps(&ticketv1.ListFollowUpsRequest{TicketId: tk.GetId()}, 1)[0]
	problem := &ticketv1.NewProblem{Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Fault: &ticketv1.Fault{Symptom: "grinding noise"}}
	_, err := e.c.RecordFollowUpOutcome(ctx, &ticketv1.RecordFollowUpOutcomeRequest{RequestId: e.rid(), FollowUpId: f.GetId(),
		Outcome: &ticketv1.FollowUpOutcome{NewProblem: problem}})
	wantCode(t, err, codes.InvalidArgument)
	if fs := fields(err); len(fs) != 1 || fs[0] != "outcome.new_problem" {
		t.Errorf("violations = %v, want outcome.new_problem", fs)
	}
	got, err := e.c.RecordFollowUpOutcome(ctx, &ticketv1.RecordFollowUpOutcomeRequest{RequestId: e.rid(), FollowUpId: f.GetId(),
		Outcome: &ticketv1.FollowUpOutcome{Reached: true, NewProblem: problem}})
	if err != nil {
		t.Fatalf("RecordFollowUpOutcome: %v", err)
	}
	raised := got.GetRaisedTicket()
	if got.GetFollowUp().GetState() != ticketv1.FollowUpState_FOLLOW_UP_STATE_DONE || got.GetFollowUp().GetRaisedTicketId() != raised.GetId() ||
		raised.GetFollowUpId() != f.GetId() || raised.GetKind() != ticketv1.TicketKind_TICKET_KIND_REPAIR ||
		raised.GetUnit().GetSerial() != "SN-9" || raised.GetCustomer().GetCustomerId() != "cust-7" || raised.GetOrganisationId() != "station-jinan" {
		t.Fatalf("outcome = %v, raised %v; want DONE linked both ways to a repair of SN-9", got.GetFollowUp(), raised)
	}
	if stored := e.get(raised.GetId()); stored.GetFollowUpId() != f.GetId() || stored.GetState() != ticketv1.TicketState_TICKET_STATE_RECEIVED {
		t.Errorf("raised ticket = %v", stored)
	}
	e.waitEvent("sanbao.ticket.v1.ticket.created", "tickets/"+raised.GetId())
	if created := e.events.body(raised.GetId(), "sanbao.ticket.v1.ticket.created"); !strings.Contains(string(created), f.GetId()) {
		t.Errorf("ticket.created = %s, want the follow-up id", created)
	}
	e.waitEvent("sanbao.ticket.v1.follow_up.done", "follow_ups/"+f.GetId())
}

// TestInspectionProgrammeMakesWorkOnce: a twice-yearly inspection programme makes its
// maintenance ticket and dispatch job 14 days before the due date, once, across a restart
// and a timer fired again.
func TestInspectionProgrammeMakesWorkOnce(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.startWarranty()
	d, _ := e.startDispatch()
	cal := desk(t)
	// The first inspection is nominally due 30 days from now.
	nominal := calendar.DateOf(t0, cal.Location()).AddDays(30)
	start := nominal.AddMonths(-6)
	if start.AddMonths(6) != nominal {
		nominal = start.AddMonths(6) // month-end clamping
	}
	due := nominal
	for !cal.IsWorkingDay(due) {
		due = due.AddDays(1)
	}
	makeAt := due.AddDays(-14).Time(cal.Location())
	pr, err := e.c.CreateProgramme(ctx, &ticketv1.CreateProgrammeRequest{RequestId: e.rid(), Programme: &ticketv1.Programme{
		Kind: ticketv1.ProgrammeKind_PROGRAMME_KIND_INSPECTION, Unit: &ticketv1.Unit{Serial: "SN-1", ProductLine: "instrument", Model: "M1"},
		Customer: repair().GetCustomer(), OrganisationId: "station-jinan", StartDate: protoDate(start)}})
	if err != nil {
		t.Fatalf("CreateProgramme: %v", err)
	}
	p := pr.GetProgramme()
	if !sameDate(p.GetNextDueDate(), protoDate(due)) || p.GetOccurrences() != 0 {
		t.Fatalf("programme = %v, want next due %s", p, due)
	}
	e.waitEvent("sanbao.ticket.v1.programme.created", "programmes/"+p.GetId())
	maintenance := func() []*ticketv1.Ticket {
		resp, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{UnitSerial: "SN-1", Kind: ticketv1.TicketKind_TICKET_KIND_MAINTENANCE})
		if err != nil {
			t.Fatalf("ListTickets: %v", err)
		}
		return resp.GetTickets()
	}
	e.clock.Set(makeAt.Add(-time.Hour))
	e.fire()
	if got := maintenance(); len(got) != 0 {
		t.Fatalf("maintenance tickets before the lead time = %d, want 0", len(got))
	}
	e.clock.Set(makeAt.Add(time.Minute))
	e.fire()
	var tk *ticketv1.Ticket
	natstest.Eventually(t, 10*time.Second, func() error {
		if got := maintenance(); len(got) != 1 {
			return fmt.Errorf("maintenance tickets = %d, want 1", len(got))
		} else {
			tk = got[0]
		}
		return nil
	})
	open := due.Time(cal.Location()).Add(9 * time.Hour)
	if tk.GetProgrammeId() != p.GetId() || !tk.GetWindowStartTime().AsTime().Equal(open) || !tk.GetWindowEndTime().AsTime().Equal(open.Add(8*time.Hour)) {
		t.Fatalf("inspection ticket = programme %q window %v–%v, want %s 09:00–17:00", tk.GetProgrammeId(),
			tk.GetWindowStartTime().AsTime(), tk.GetWindowEndTime().AsTime(), due)
	}
	e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetJobId() == "" {
			return fmt.Errorf("jobs = %v, want one job at dispatch", tk.GetJobs())
		}
		return nil
	})
	job, err := d.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: e.get(tk.GetId()).GetJobs()[0].GetJobId()})
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	if w := job.GetJob().GetCustomerWindow(); !w.GetStartTime().AsTime().Equal(open) || !w.GetEndTime().AsTime().Equal(open.Add(8*time.Hour)) ||
		job.GetJob().GetKind() != dispatchv1.JobKind_JOB_KIND_MAINTENANCE {
		t.Errorf("dispatch job = %v, want a maintenance job in the due day's window", job.GetJob())
	}
	created := e.events.body(tk.GetId(), "sanbao.ticket.v1.ticket.created")
	if !strings.Contains(string(created), p.GetId()) {
		t.Errorf("ticket.created = %s, want the programme id", created)
	}
	gp, err := e.c.GetProgramme(ctx, &ticketv1.GetProgrammeRequest{ProgrammeId: p.GetId()})
	if err != nil || gp.GetProgramme().GetOccurrences() != 1 || gp.GetProgramme().GetLastTicketId() != tk.GetId() ||
		!sameDate(gp.GetProgramme().GetNextDueDate(), func() *typev1.Date {
			d := start.AddMonths(12)
			for !cal.IsWorkingDay(d) {
				d = d.AddDays(1)
			}
			return protoDate(d)
		}()) {
		t.Fatalf("GetProgramme = %v, %v; want 1 occurrence and the next a year from the start", gp.GetProgramme(), err)
	}
	e.waitEvent("sanbao.ticket.v1.programme.occurred", "programmes/"+p.GetId())

	// A restart, and the first occurrence's timer fired again (as after a crash between the
	// handler's commit and the timer's bookkeeping): still one ticket.
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
	if err := e.run.Platform.DB.Update(ctx, func(tx *bbolt.Tx) error {
		return timer.Schedule(tx, "programme.occur", p.GetId(), e.clock.Now(), []byte("1"))
	}); err != nil {
		t.Fatal(err)
	}
	e.fire()
	e.clock.Advance(time.Minute)
	e.fire()
	if got := maintenance(); len(got) != 1 {
		t.Fatalf("maintenance tickets after a restart and a repeated timer = %d, want 1", len(got))
	}
	if n := e.events.count("sanbao.ticket.v1.programme.occurred", "programmes/"+p.GetId()); n != 1 {
		t.Errorf("programme.occurred published %d times, want 1", n)
	}
	if got := e.get(tk.GetId()); len(got.GetJobs()) != 1 {
		t.Errorf("jobs after restart = %d, want 1", len(got.GetJobs()))
	}

	// Bad input is named.
	_, err = e.c.CreateProgramme(ctx, &ticketv1.CreateProgrammeRequest{RequestId: e.rid(), Programme: &ticketv1.Programme{
		Kind: ticketv1.ProgrammeKind_PROGRAMME_KIND_REVISIT, Unit: &ticketv1.Unit{ProductLine: "engine"}, StartDate: protoDate(start)}})
	wantCode(t, err, codes.InvalidArgument)
	if fs := fields(err); len(fs) != 1 || fs[0] != "programme.unit.serial" {
		t.Errorf("violations = %v, want programme.unit.serial", fs)
	}
}

// TestRevisitProgrammeMakesFollowUps: a key customer's revisit programme makes a follow-up due
// each quarter.
func TestRevisitProgrammeMakesFollowUps(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	cal := desk(t)
	start := calendar.DateOf(t0, cal.Location()).AddMonths(-3).AddDays(7)
	pr, err := e.c.CreateProgramme(ctx, &ticketv1.CreateProgrammeRequest{RequestId: e.rid(), Programme: &ticketv1.Programme{
		Kind: ticketv1.ProgrammeKind_PROGRAMME_KIND_REVISIT, Unit: &ticketv1.Unit{Serial: "SN-E", ProductLine: "engine"},
		Customer: &ticketv1.Customer{CustomerId: "cust-key"}, KeyCustomer: true, StartDate: protoDate(start)}})
	if err != nil {
		t.Fatalf("CreateProgramme: %v", err)
	}
	due := pr.GetProgramme().GetNextDueDate()
	e.clock.Set(dateTime(due, cal).Add(time.Minute))
	e.fire()
	f := e.followUps(&ticketv1.ListFollowUpsRequest{UnitSerial: "SN-E"}, 1)[0]
	if f.GetReason() != ticketv1.FollowUpReason_FOLLOW_UP_REASON_REVISIT || f.GetProgrammeId() != pr.GetProgramme().GetId() ||
		f.GetSequence() != 1 || !sameDate(f.GetDueDate(), due) {
		t.Fatalf("revisit = %v, want the programme's first, due %v", f, due)
	}
	next := func() *typev1.Date {
		gp, err := e.c.GetProgramme(ctx, &ticketv1.GetProgrammeRequest{ProgrammeId: pr.GetProgramme().GetId()})
		if err != nil {
			t.Fatalf("GetProgramme: %v", err)
		}
		return gp.GetProgramme().GetNextDueDate()
	}()
	if d := calendar.DaysBetween(dateOf(due), dateOf(next)); d < 85 || d > 95 {
		t.Errorf("next revisit %v is %d days after %v, want a quarter", next, d, due)
	}
}

func dateOf(d *typev1.Date) calendar.Date {
	return calendar.NewDate(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()))
}

func dateTime(d *typev1.Date, cal *calendar.Calendar) time.Time {
	return dateOf(d).Time(cal.Location())
}

// TestInformClock: arranging a visit starts the 2-hour "tell the customer" clock; the
// promised-time contact stops it; nobody calling breaches it.
func TestInformClock(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.startWarranty()
	e.startDispatch()
	inform := func(tk *ticketv1.Ticket) *ticketv1.SlaClock {
		for _, c := range tk.GetClocks() {
			if c.GetName() == "customer.inform" {
				return c
			}
		}
		return nil
	}
	assigned := func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetAssignTime() == nil {
			return fmt.Errorf("jobs = %v, want one assigned", tk.GetJobs())
		}
		return nil
	}
	told := e.create(repair())
	got := e.waitState(told.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, assigned)
	c := inform(got)
	at := got.GetJobs()[0].GetAssignTime().AsTime()
	if c.GetState() != ticketv1.SlaClockState_SLA_CLOCK_STATE_RUNNING || !c.GetDeadline().AsTime().Equal(at.Add(2*time.Hour)) {
		t.Fatalf("inform clock = %v, want running until %v", c, at.Add(2*time.Hour))
	}
	contact := &ticketv1.ContactRecord{Channel: ticketv1.Channel_CHANNEL_PHONE, Direction: ticketv1.ContactDirection_CONTACT_DIRECTION_OUTBOUND,
		Purpose: ticketv1.ContactPurpose_CONTACT_PURPOSE_PROMISED_TIME}
	_, err := e.c.RecordContact(ctx, &ticketv1.RecordContactRequest{RequestId: e.rid(), TicketId: told.GetId(), Contact: contact})
	wantCode(t, err, codes.InvalidArgument)
	if fs := fields(err); len(fs) != 1 || fs[0] != "contact.promised_time" {
		t.Errorf("violations = %v, want contact.promised_time", fs)
	}
	contact.PromisedTime = timestamppb.New(e.clock.Now().Add(20 * time.Hour))
	rc, err := e.c.RecordContact(ctx, &ticketv1.RecordContactRequest{RequestId: e.rid(), TicketId: told.GetId(), Contact: contact})
	if err != nil {
		t.Fatalf("RecordContact: %v", err)
	}
	if c := inform(rc.GetTicket()); c.GetState() != ticketv1.SlaClockState_SLA_CLOCK_STATE_STOPPED || c.GetBreached() {
		t.Fatalf("inform clock after the call = %v, want stopped in time", c)
	}
	if rc.GetContact().GetPurpose() != ticketv1.ContactPurpose_CONTACT_PURPOSE_PROMISED_TIME || rc.GetContact().GetPromisedTime() == nil {
		t.Errorf("contact = %v, want the promised time kept", rc.GetContact())
	}

	silent := e.create(repair())
	e.waitState(silent.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, assigned)
	e.clock.Advance(2*time.Hour + time.Minute)
	e.fire()
	natstest.Eventually(t, 10*time.Second, func() error {
		e.fire()
		if c := inform(e.get(silent.GetId())); !c.GetBreached() {
			return fmt.Errorf("inform clock = %v, want breached", c)
		}
		return nil
	})
	if c := inform(e.get(told.GetId())); c.GetBreached() {
		t.Errorf("the told customer's clock breached: %v", c)
	}
	e.waitEvent("sanbao.ticket.v1.sla.breached", "tickets/"+silent.GetId())
}

// TestBadUnitEventIsParked: a unit event without a unit id or any date is input the consumer
// refuses (parked as a dead letter); a unit sold more than 90 days ago gets no delivery call;
// the next unit is followed up as usual.
func TestBadUnitEventIsParked(t *testing.T) {
	e := start(t)
	e.startWarranty() // the WARRANTY stream
	nc, err := nats.Connect(e.ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	publish := func(id string, u *warrantyv1.Unit) {
		body, err := protojson.Marshal(&warrantyv1.UnitRegistered{Unit: u})
		if err != nil {
			t.Fatal(err)
		}
		m := events.NewMsg("sanbao.warranty.v1.unit.registered", events.Message{ID: id, Source: "/sanbao/warranty",
			Type: "sanbao.warranty.v1.UnitRegistered", Resource: "units/" + u.GetId(), Time: e.clock.Now(), Data: body})
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	publish("evt-bad", &warrantyv1.Unit{Serial: "SN-BAD"})
	publish("evt-old", &warrantyv1.Unit{Id: "01J00000000000000000000OLD", Serial: "SN-OLD", Dates: &warrantyv1.UnitDates{Sale: day(-400)}})
	publish("evt-good", &warrantyv1.Unit{Id: "01J0000000000000000000GOOD", Serial: "SN-GOOD", Dates: &warrantyv1.UnitDates{Sale: day(0)}})
	f := e.followUps(&ticketv1.ListFollowUpsRequest{UnitSerial: "SN-GOOD"}, 1)[0]
	if !sameDate(f.GetDueDate(), day(21)) {
		t.Errorf("due = %v, want %v (15 working days after the sale)", f.GetDueDate(), day(21))
	}
	for _, serial := range []string{"SN-BAD", "SN-OLD"} {
		if got := e.followUps(&ticketv1.ListFollowUpsRequest{UnitSerial: serial}, 0); len(got) != 0 {
			t.Errorf("unit %s followed up: %v", serial, got)
		}
	}
}

// TestProgrammeStartedLongAgo: a programme whose start is years back makes no backlog: it
// goes on with the first occurrence not yet due, once. Dates far from today are refused.
func TestProgrammeStartedLongAgo(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	cal := desk(t)
	today := calendar.DateOf(t0, cal.Location())
	pr, err := e.c.CreateProgramme(ctx, &ticketv1.CreateProgrammeRequest{RequestId: e.rid(), Programme: &ticketv1.Programme{
		Kind: ticketv1.ProgrammeKind_PROGRAMME_KIND_REVISIT, Unit: &ticketv1.Unit{Serial: "SN-OLD", ProductLine: "engine"},
		StartDate: protoDate(today.AddYears(-5).AddDays(10))}})
	if err != nil {
		t.Fatalf("CreateProgramme: %v", err)
	}
	p := pr.GetProgramme()
	next := dateOf(p.GetNextDueDate())
	if next.Before(today) || next.After(today.AddYears(1).AddDays(7)) || p.GetNextSequence() < 2 || p.GetOccurrences() != 0 {
		t.Fatalf("programme = %v, want the next revisit within a year from today, later than the first", p)
	}
	e.clock.Set(dateTime(p.GetNextDueDate(), cal).Add(time.Minute))
	e.fire()
	e.fire()
	if got := e.followUps(&ticketv1.ListFollowUpsRequest{UnitSerial: "SN-OLD"}, 1); got[0].GetSequence() != p.GetNextSequence() {
		t.Errorf("revisit = %v, want sequence %d", got[0], p.GetNextSequence())
	}
	_, err = e.c.CreateProgramme(ctx, &ticketv1.CreateProgrammeRequest{RequestId: e.rid(), Programme: &ticketv1.Programme{
		Kind: ticketv1.ProgrammeKind_PROGRAMME_KIND_INSPECTION, Unit: &ticketv1.Unit{Serial: "SN-OLD"},
		StartDate: protoDate(today.AddYears(-80))}})
	wantCode(t, err, codes.InvalidArgument)
	if fs := fields(err); len(fs) != 1 || fs[0] != "programme.start_date" {
		t.Errorf("violations = %v, want programme.start_date", fs)
	}
}
