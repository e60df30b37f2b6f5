package ticket_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/ticket"
	"github.com/sanbao/sanbao/services/warranty"
)

// t0 is the fake clock's start: a Monday 09:00 in Beijing in the test world's future.
var t0 = svctest.Epoch()

// day is the date n days from t0's (negative: before it), so that every date a test uses keeps
// its distance to the test world's clock.
func day(n int) *typev1.Date {
	d := t0.AddDate(0, 0, n) // t0 is 01:00 UTC: the same date in Beijing
	return &typev1.Date{Year: int32(d.Year()), Month: int32(d.Month()), Day: int32(d.Day())}
}

var site = &typev1.GeoPoint{Latitude: 36.65, Longitude: 117.12}

// gate is a TCP forwarder in front of a peer: while closed it drops every connection (the peer
// is down); once opened it forwards to the peer.
type gate struct {
	lis    net.Listener
	mu     sync.Mutex
	target string
}

func newGate(t testing.TB) *gate {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{lis: lis}
	t.Cleanup(func() { _ = lis.Close() })
	go g.serve()
	return g
}

func (g *gate) addr() string { return g.lis.Addr().String() }

func (g *gate) open(target string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.target = target
}

func (g *gate) serve() {
	for {
		c, err := g.lis.Accept()
		if err != nil {
			return
		}
		g.mu.Lock()
		target := g.target
		g.mu.Unlock()
		if target == "" {
			_ = c.Close()
			continue
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer u.Close()
			go func() { _, _ = io.Copy(u, c) }()
			_, _ = io.Copy(c, u)
		}()
	}
}

// recorder keeps every ticket event published on NATS.
type recorder struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func record(t testing.TB, url string) *recorder {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r := &recorder{}
	if _, err := nc.Subscribe("sanbao.ticket.>", func(m *nats.Msg) {
		r.mu.Lock()
		r.msgs = append(r.msgs, m)
		r.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *recorder) subjects(ticketID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		if m.Header.Get("ce-subject") == "tickets/"+ticketID {
			out = append(out, m.Subject)
		}
	}
	return out
}

// body returns the data of the ticket's last event on subject, nil when none yet.
func (r *recorder) body(ticketID, subject string) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []byte
	for _, m := range r.msgs {
		if m.Header.Get("ce-subject") == "tickets/"+ticketID && m.Subject == subject {
			out = m.Data
		}
	}
	return out
}

func (r *recorder) bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		out = append(out, string(m.Data))
	}
	return out
}

type env struct {
	t        testing.TB
	ns       *natstest.Server
	clock    *clock.Fake
	run      *svctest.Service
	c        ticketv1.TicketServiceClient
	events   *recorder
	wGate    *gate
	dGate    *gate
	warranty *svctest.Service
	dispatch *svctest.Service
	box      *sentBox // the customer's messages
	svc      *ticket.Service
	seq      int
}

// start runs the ticket service with gates in front of its peers (closed: peers down).
func start(t testing.TB) *env {
	t.Helper()
	ns := natstest.Run(t)
	e := &env{t: t, ns: ns, clock: clock.NewFake(t0), wGate: newGate(t), dGate: newGate(t), events: record(t, ns.URL())}
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = e.wGate.addr(), e.dGate.addr()
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e.box, e.svc = &sentBox{}, svc
	svc.SetNotifier(notify.Router{notify.SMS: e.box, notify.Email: e.box})
	e.run = svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: e.clock, NATS: ns})
	e.c = ticketv1.NewTicketServiceClient(e.run.Conn)
	return e
}

// startWarranty runs warranty-rules with a policy and unit SN-1 registered, behind the gate.
func (e *env) startWarranty() {
	e.t.Helper()
	e.warranty = svctest.Start(e.t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: e.clock, NATS: e.ns})
	w := warrantyv1.NewWarrantyServiceClient(e.warranty.Conn)
	ctx := context.Background()
	p, err := w.CreatePolicy(ctx, &warrantyv1.CreatePolicyRequest{RequestId: "p1", Template: "instrument",
		Policy: &warrantyv1.Policy{Name: "Instruments", Models: []string{"M1"}}})
	if err != nil {
		e.t.Fatalf("CreatePolicy: %v", err)
	}
	if _, err := w.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: "u1", Unit: &warrantyv1.Unit{
		Serial: "SN-1", Model: "M1", Batch: "B1", PolicyId: p.GetPolicy().GetId(), DealerId: "dealer-1",
		Dates: &warrantyv1.UnitDates{Sale: day(-175)}}}); err != nil {
		e.t.Fatalf("RegisterUnit: %v", err)
	}
	e.wGate.open(e.warranty.Addr)
}

// startDispatch runs dispatch (without inventory) with one technician, behind the gate.
func (e *env) startDispatch() (dispatchv1.DispatchServiceClient, string) {
	e.t.Helper()
	cfg := dispatch.DefaultConfig()
	cfg.InventoryAddr = ""
	svc, err := dispatch.New(cfg, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.dispatch = svctest.Start(e.t, svc, svctest.Options{Name: "dispatch", Clock: e.clock, NATS: e.ns})
	d := dispatchv1.NewDispatchServiceClient(e.dispatch.Conn)
	cal := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for wd := int32(1); wd <= 7; wd++ {
		cal.Hours = append(cal.Hours, &dispatchv1.WorkingHours{Weekday: wd, StartMinute: 0, EndMinute: 1440})
	}
	tech, err := d.CreateTechnician(context.Background(), &dispatchv1.CreateTechnicianRequest{RequestId: "tech-1", Technician: &dispatchv1.Technician{
		DisplayName: "Li", OrganisationId: "station-jinan", OrganisationKind: dispatchv1.OrganisationKind_ORGANISATION_KIND_SERVICE_STATION,
		Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_EXPERT, Skills: []*dispatchv1.ProductSkills{{ProductLine: "instrument"}},
		HomeBase: &typev1.GeoPoint{Latitude: site.Latitude + 0.1, Longitude: site.Longitude}, ServiceRadiusKm: 100,
		Calendar: cal, CapacityPerDay: 10, Active: true}})
	if err != nil {
		e.t.Fatalf("CreateTechnician: %v", err)
	}
	// Dispatch assigns a line only to a qualified technician (seed 002).
	now := e.clock.Now()
	if _, err := d.RecordTraining(context.Background(), &dispatchv1.RecordTrainingRequest{RequestId: "train-1",
		TechnicianId: tech.GetTechnician().GetId(), ProductLine: "instrument",
		StartTime: timestamppb.New(now.AddDate(0, -3, 0)), EndTime: timestamppb.New(now.AddDate(0, -1, 0))}); err != nil {
		e.t.Fatalf("RecordTraining: %v", err)
	}
	if _, err := d.RecordAssessment(context.Background(), &dispatchv1.RecordAssessmentRequest{RequestId: "assess-1",
		TechnicianId: tech.GetTechnician().GetId(), ProductLine: "instrument",
		AssessedTime: timestamppb.New(now.AddDate(0, 0, -1)), Passed: true}); err != nil {
		e.t.Fatalf("RecordAssessment: %v", err)
	}
	e.dGate.open(e.dispatch.Addr)
	return d, tech.GetTechnician().GetId()
}

func (e *env) rid() string {
	e.seq++
	return fmt.Sprintf("r-%d", e.seq)
}

func repair() *ticketv1.Ticket {
	return &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE,
		Customer: &ticketv1.Customer{CustomerId: "cust-1", Contact: &typev1.Contact{Name: "Zhang San", Phone: "13800000000"},
			Address: &typev1.Address{Line: "1 Jingshi Road", Region: "Shandong", City: "Jinan", Point: site}},
		Unit:           &ticketv1.Unit{Serial: "SN-1", ProductLine: "instrument", Model: "M1"},
		Fault:          &ticketv1.Fault{FaultCode: "F-1", Symptom: "display flickers"},
		OrganisationId: "station-jinan", DistanceKm: ptr(12.0),
	}
}

func ptr[T any](v T) *T { return &v }

func (e *env) create(tk *ticketv1.Ticket) *ticketv1.Ticket {
	e.t.Helper()
	resp, err := e.c.CreateTicket(context.Background(), &ticketv1.CreateTicketRequest{RequestId: e.rid(), Ticket: tk})
	if err != nil {
		e.t.Fatalf("CreateTicket: %v", err)
	}
	return resp.GetTicket()
}

func (e *env) get(id string) *ticketv1.Ticket {
	e.t.Helper()
	resp, err := e.c.GetTicket(context.Background(), &ticketv1.GetTicketRequest{TicketId: id})
	if err != nil {
		e.t.Fatalf("GetTicket: %v", err)
	}
	return resp.GetTicket()
}

// waitState polls (advancing the fake clock a little, so retried tasks come due) until the
// ticket reaches state.
func (e *env) waitState(id string, want ticketv1.TicketState, cond func(*ticketv1.Ticket) error) *ticketv1.Ticket {
	e.t.Helper()
	var got *ticketv1.Ticket
	natstest.Eventually(e.t, 20*time.Second, func() error {
		e.clock.Advance(time.Second)
		e.run.Platform.Timers.Notify()
		got = e.get(id)
		if got.GetState() != want {
			return fmt.Errorf("state = %s, want %s", got.GetState(), want)
		}
		if cond != nil {
			return cond(got)
		}
		return nil
	})
	return got
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

// TestWarrantyDownAtIntake: the ticket is created while warranty-rules and dispatch are down,
// waits in RECEIVED, and is triaged and dispatched once they are back; then the real dispatch
// drives it through check-in and a completed visit to RESOLVED, closure and survey.
func TestWarrantyDownAtIntake(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	tk := e.create(repair())
	if want := fmt.Sprintf("T-%d-000001", t0.Year()); tk.GetState() != ticketv1.TicketState_TICKET_STATE_RECEIVED || tk.GetNumber() != want {
		t.Fatalf("CreateTicket = %s %s, want RECEIVED %s", tk.GetState(), tk.GetNumber(), want)
	}
	// Peers down: several retries pass, the ticket waits.
	for range 5 {
		e.clock.Advance(2 * time.Second)
		if _, err := e.run.Platform.Timers.FireDue(ctx); err == nil {
			t.Log("triage fired while warranty is down")
		}
	}
	if got := e.get(tk.GetId()); got.GetState() != ticketv1.TicketState_TICKET_STATE_RECEIVED {
		t.Fatalf("state while warranty is down = %s, want RECEIVED", got.GetState())
	}

	e.startWarranty()
	d, techID := e.startDispatch()
	got := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetJobId() == "" || tk.GetJobs()[0].GetAssignTime() == nil {
			return fmt.Errorf("jobs = %v, want one assigned job", tk.GetJobs())
		}
		return nil
	})
	tri := got.GetTriage()
	if tri.GetCoverage() != ticketv1.Coverage_COVERAGE_FREE || tri.GetWarrantyPolicyId() == "" || len(tri.GetClauses()) == 0 {
		t.Errorf("triage = %v, want FREE with the policy and its clauses", tri)
	}
	jobID := got.GetJobs()[0].GetJobId()
	// The customer is told who comes and when: the technician's display name and the
	// expected arrival, on the ticket, its tracking view and the "assigned" message.
	if j := got.GetJobs()[0]; j.GetTechnicianName() != "Li" || j.GetEtaTime() == nil {
		t.Errorf("assigned job = %v, want technician Li with an ETA", j)
	}
	message := func(tpl string) notify.Message {
		var m notify.Message
		natstest.Eventually(t, 10*time.Second, func() error {
			if _, err := e.run.Platform.Timers.FireDue(ctx); err != nil {
				return err
			}
			ms := e.box.template(tk.GetId(), tpl)
			if len(ms) == 0 {
				return fmt.Errorf("no %s message yet", tpl)
			}
			m = ms[0]
			return nil
		})
		return m
	}
	for _, tpl := range []string{"ticket.technician_assigned"} {
		m := message(tpl)
		if m.Params["technician_name"] != "Li" || m.Params["eta"] == "" || !strings.Contains(m.Text, "Li") || !strings.Contains(m.Text, "预计") {
			t.Errorf("%s message = %+v, want the technician's name and ETA", tpl, m)
		}
		if strings.Contains(m.Text, "%!") {
			t.Errorf("%s message text is malformed: %q", tpl, m.Text)
		}
	}
	if _, err := d.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a1", JobId: jobID, TechnicianId: techID}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	if _, err := d.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "s1", JobId: jobID, TechnicianId: techID}); err != nil {
		t.Fatalf("StartTravel: %v", err)
	}
	if m := message("ticket.on_the_way"); m.Params["technician_name"] != "Li" || !strings.Contains(m.Text, "Li") || !strings.Contains(m.Text, "出发") {
		t.Errorf("on-the-way message = %+v, want the technician's name", m)
	}
	if _, err := d.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c1", JobId: jobID, TechnicianId: techID, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_IN_SERVICE, nil)
	e.clock.Advance(time.Hour)
	if _, err := d.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v1", JobId: jobID, TechnicianId: techID,
		Report: &dispatchv1.ServiceReport{WorkDone: "replaced display board", Resolved: true,
			Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY,
			SignOff:        &dispatchv1.SignOff{SignerName: "Zhang San", SignedTime: timestamppb.New(e.clock.Now()), SignatureRef: "sig/1"}}}); err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	res := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_RESOLVED, nil)
	if !res.GetResolution().GetFirstVisitFix() || res.GetResolution().GetSolution() != "replaced display board" {
		t.Errorf("resolution = %v, want first-visit fix with the report's work", res.GetResolution())
	}
	// Closing needs the customer's confirmation.
	_, err := e.c.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: e.rid(), TicketId: tk.GetId()})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := e.c.ConfirmResolution(ctx, &ticketv1.ConfirmResolutionRequest{RequestId: e.rid(), TicketId: tk.GetNumber()}); err != nil {
		t.Fatalf("ConfirmResolution: %v", err)
	}
	if _, err := e.c.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: e.rid(), TicketId: tk.GetId()}); err != nil {
		t.Fatalf("CloseTicket: %v", err)
	}
	sv, err := e.c.SubmitSurvey(ctx, &ticketv1.SubmitSurveyRequest{RequestId: e.rid(), TicketId: tk.GetId(), Survey: &ticketv1.Survey{
		Answers: []*ticketv1.SurveyAnswer{{Question: "timeliness", Score: 5}, {Question: "attitude", Score: 4}}, Comment: "good"}})
	if err != nil || !sv.GetTicket().GetSurvey().GetSatisfied() || sv.GetTicket().GetSurvey().GetMeanScore() != 4.5 {
		t.Fatalf("SubmitSurvey = %v, %v; want satisfied 4.5", sv.GetTicket().GetSurvey(), err)
	}
	m, err := e.c.GetServiceMetrics(ctx, &ticketv1.GetServiceMetricsRequest{StartTime: timestamppb.New(t0.Add(-time.Hour)),
		EndTime: timestamppb.New(e.clock.Now().Add(time.Hour)), OrganisationId: "station-jinan"})
	if err != nil {
		t.Fatalf("GetServiceMetrics: %v", err)
	}
	kpis := map[string]*ticketv1.Kpi{}
	for _, k := range m.GetMetrics().GetKpis() {
		kpis[k.GetName()] = k
	}
	if m.GetMetrics().GetTickets() != 1 || kpis["satisfaction_rate"].GetValue() != 1 || kpis["first_visit_fix_rate"].GetValue() != 1 ||
		kpis["timeliness_rate"].GetFlagged() {
		t.Errorf("metrics = %v", m.GetMetrics())
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		want := []string{"ticket.created", "ticket.triaged", "ticket.dispatched", "ticket.job_assigned", "ticket.in_service",
			"ticket.resolved", "ticket.resolution_confirmed", "ticket.closed", "survey.submitted"}
		got := e.events.subjects(tk.GetId())
		i := 0
		for _, g := range got {
			if i < len(want) && g == "sanbao.ticket.v1."+want[i] {
				i++
			}
		}
		if i < len(want) {
			return fmt.Errorf("events = %v, want %v in order", got, want)
		}
		return nil
	})
	for _, b := range e.events.bodies() {
		for _, pii := range []string{"Zhang San", "13800000000", "Jingshi", "flickers", "good"} {
			if strings.Contains(b, pii) {
				t.Errorf("event carries personal data %q: %s", pii, b)
			}
		}
	}
}

// TestDuplicateDispatchEventsAppliedOnce publishes the same JobFailed event twice (same ce-id,
// different JetStream message ids so both are delivered): the ticket escalates and asks for
// a second visit once.
func TestDuplicateDispatchEventsAppliedOnce(t *testing.T) {
	e := start(t)
	e.startWarranty()
	e.startDispatch()
	tk := e.create(repair())
	got := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetJobId() == "" {
			return fmt.Errorf("no job yet")
		}
		return nil
	})
	job := &dispatchv1.Job{Id: got.GetJobs()[0].GetJobId(), TicketId: tk.GetId(), State: dispatchv1.JobState_JOB_STATE_FAILED}
	body, err := protojson.Marshal(&dispatchv1.JobFailed{Job: job, Report: &dispatchv1.ServiceReport{Diagnosis: "needs expert"}})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(e.ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for i := range 2 {
		m := events.NewMsg("sanbao.dispatch.v1.job.failed", events.Message{ID: "evt-failed-1", Source: "/sanbao/dispatch",
			Type: "sanbao.dispatch.v1.JobFailed", Resource: "jobs/" + job.GetId(), Time: e.clock.Now(), Data: body})
		m.Header.Set("Nats-Msg-Id", fmt.Sprintf("copy-%d", i))
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	second := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) < 2 {
			return fmt.Errorf("jobs = %d, want a second visit", len(tk.GetJobs()))
		}
		return nil
	})
	// Both copies were delivered and acknowledged: the consumer has nothing pending.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		cons, err := js.Consumer(context.Background(), "DISPATCH", "ticket-jobs")
		if err != nil {
			return err
		}
		info, err := cons.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 || info.Delivered.Stream < 2 {
			return fmt.Errorf("consumer pending %d, ack pending %d, delivered up to %d", info.NumPending, info.NumAckPending, info.Delivered.Stream)
		}
		got := e.get(tk.GetId())
		if got.GetEscalationLevel() != 1 || len(got.GetJobs()) != 2 {
			return fmt.Errorf("escalation %d, jobs %d; want 1 and 2", got.GetEscalationLevel(), len(got.GetJobs()))
		}
		return nil
	})
	if !second.GetJobs()[1].GetExpert() || second.GetJobs()[0].GetState() != ticketv1.JobState_JOB_STATE_FAILED {
		t.Errorf("jobs = %v, want the failed first visit and an expert second visit", second.GetJobs())
	}
}

// TestFailedVisitDispatchesAgain: the real dispatch reports a visit that did not fix the
// fault; the ticket escalates (服务事件升级) and asks for a second visit at expert level, which
// dispatch assigns. Resolved without confirmation, the ticket closes after the policy's
// 7-day close timeout.
func TestFailedVisitDispatchesAgain(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.startWarranty()
	d, techID := e.startDispatch()
	tk := e.create(repair())
	got := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 1 || tk.GetJobs()[0].GetAssignTime() == nil {
			return fmt.Errorf("jobs = %v, want one assigned job", tk.GetJobs())
		}
		return nil
	})
	jobID := got.GetJobs()[0].GetJobId()
	// The customer is told who comes and when: the technician's display name and the
	// expected arrival, on the ticket, its tracking view and the "assigned" message.
	if j := got.GetJobs()[0]; j.GetTechnicianName() != "Li" || j.GetEtaTime() == nil {
		t.Errorf("assigned job = %v, want technician Li with an ETA", j)
	}
	message := func(tpl string) notify.Message {
		var m notify.Message
		natstest.Eventually(t, 10*time.Second, func() error {
			if _, err := e.run.Platform.Timers.FireDue(ctx); err != nil {
				return err
			}
			ms := e.box.template(tk.GetId(), tpl)
			if len(ms) == 0 {
				return fmt.Errorf("no %s message yet", tpl)
			}
			m = ms[0]
			return nil
		})
		return m
	}
	for _, tpl := range []string{"ticket.technician_assigned"} {
		m := message(tpl)
		if m.Params["technician_name"] != "Li" || m.Params["eta"] == "" || !strings.Contains(m.Text, "Li") || !strings.Contains(m.Text, "预计") {
			t.Errorf("%s message = %+v, want the technician's name and ETA", tpl, m)
		}
		if strings.Contains(m.Text, "%!") {
			t.Errorf("%s message text is malformed: %q", tpl, m.Text)
		}
	}
	if _, err := d.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a1", JobId: jobID, TechnicianId: techID}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	if _, err := d.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "s1", JobId: jobID, TechnicianId: techID}); err != nil {
		t.Fatalf("StartTravel: %v", err)
	}
	if m := message("ticket.on_the_way"); m.Params["technician_name"] != "Li" || !strings.Contains(m.Text, "Li") || !strings.Contains(m.Text, "出发") {
		t.Errorf("on-the-way message = %+v, want the technician's name", m)
	}
	if _, err := d.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c1", JobId: jobID, TechnicianId: techID, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	e.clock.Advance(time.Hour)
	if _, err := d.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v1", JobId: jobID, TechnicianId: techID,
		Report: &dispatchv1.ServiceReport{WorkDone: "cleaned contacts", Diagnosis: "intermittent board fault", Resolved: false,
			Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY,
			SignOff:        &dispatchv1.SignOff{SignerName: "Zhang San", SignedTime: timestamppb.New(e.clock.Now()), SignatureRef: "sig/1"}}}); err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	second := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) != 2 || tk.GetJobs()[1].GetJobId() == "" {
			return fmt.Errorf("jobs = %v, want a second requested visit", tk.GetJobs())
		}
		return nil
	})
	first, next := second.GetJobs()[0], second.GetJobs()[1]
	if first.GetState() != ticketv1.JobState_JOB_STATE_FAILED || !next.GetExpert() || second.GetEscalationLevel() < 1 {
		t.Errorf("after the failed visit: jobs %v, escalation %d; want FAILED then an expert visit, escalated", second.GetJobs(), second.GetEscalationLevel())
	}
	if second.GetEscalations()[len(second.GetEscalations())-1].GetReason() != ticketv1.EscalationReason_ESCALATION_REASON_VISIT_FAILED {
		t.Errorf("escalations = %v, want the last for a failed visit", second.GetEscalations())
	}
	res, err := e.c.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{RequestId: e.rid(), TicketId: tk.GetId(),
		Resolution: &ticketv1.Resolution{Solution: "customer replaced the board under guidance"}})
	if err != nil || res.GetTicket().GetResolution().GetFirstVisitFix() {
		t.Fatalf("ResolveTicket = %v, %v; want resolved, not a first-visit fix", res.GetTicket().GetResolution(), err)
	}
	e.clock.Advance(7*24*time.Hour + time.Minute)
	closed := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_CLOSED, nil)
	if closed.GetResolution().GetCustomerConfirmed() {
		t.Errorf("closed by timeout but marked confirmed")
	}
	// The cancelled second job is cancelled at dispatch too.
	natstest.Eventually(t, 10*time.Second, func() error {
		e.run.Platform.Timers.Notify()
		j, err := d.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: next.GetJobId()})
		if err != nil {
			return err
		}
		if j.GetJob().GetState() != dispatchv1.JobState_JOB_STATE_CANCELLED {
			return fmt.Errorf("second job = %s, want CANCELLED", j.GetJob().GetState())
		}
		return nil
	})
}

// TestTriageSurvivesRestart: a ticket created while warranty is down is still triaged after
// the ticket service restarts (its triage task is a durable timer in the bbolt file).
func TestTriageSurvivesRestart(t *testing.T) {
	e := start(t)
	tk := e.create(repair())
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
	if got := e.get(tk.GetId()); got.GetState() != ticketv1.TicketState_TICKET_STATE_RECEIVED {
		t.Fatalf("after restart = %s, want RECEIVED", got.GetState())
	}
	e.startWarranty()
	e.startDispatch()
	e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, nil)
}
