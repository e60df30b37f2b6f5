package dispatch_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/dispatch/internal/api"
)

// start is a Monday 10:00 in Shanghai in the test world's future (svctest.Epoch + 1 h).
var start = svctest.Epoch().Add(time.Hour)

// site is the customer's site in Jinan.
var site = &typev1.GeoPoint{Latitude: 36.65, Longitude: 117.12}

type env struct {
	svc    *svctest.Service
	client dispatchv1.DispatchServiceClient
	clock  *clock.Fake
	events *eventLog
}

// startDispatch runs dispatch with a fake clock; inventoryAddr "" runs it without parts.
func startDispatch(t *testing.T, inventoryAddr string, nats *natstest.Server) *env {
	t.Helper()
	return startDispatchClock(t, inventoryAddr, nats, clock.NewFake(start))
}

// startDispatchClock runs dispatch on clk, the clock every service of the test world shares.
func startDispatchClock(t *testing.T, inventoryAddr string, nats *natstest.Server, clk *clock.Fake) *env {
	t.Helper()
	cfg := dispatch.DefaultConfig()
	cfg.InventoryAddr = inventoryAddr
	svc, err := dispatch.New(cfg, &api.Options{})
	if err != nil {
		t.Fatalf("dispatch.New: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	s := svctest.Start(t, svc, svctest.Options{Name: "dispatch", Clock: clk, NATS: nats})
	e := &env{svc: s, client: dispatchv1.NewDispatchServiceClient(s.Conn), clock: clk}
	e.events = watch(t, s.NATS.URL())
	return e
}

// eventLog records the dispatch events published on NATS.
type eventLog struct {
	mu   sync.Mutex
	msgs []*nats.Msg
}

func watch(t *testing.T, url string) *eventLog {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("nats connect: %v", err)
	}
	t.Cleanup(nc.Close)
	l := &eventLog{}
	if _, err := nc.Subscribe("sanbao.dispatch.>", func(m *nats.Msg) {
		l.mu.Lock()
		l.msgs = append(l.msgs, m)
		l.mu.Unlock()
	}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	return l
}

// forJob returns the subjects published for job id, in order.
func (l *eventLog) forJob(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, m := range l.msgs {
		if m.Header.Get("ce-subject") == "jobs/"+id {
			out = append(out, strings.TrimPrefix(m.Subject, "sanbao.dispatch.v1.job."))
		}
	}
	return out
}

func (l *eventLog) body(id, event string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if m.Header.Get("ce-subject") == "jobs/"+id && m.Subject == "sanbao.dispatch.v1.job."+event {
			return m.Data
		}
	}
	return nil
}

// waitEvents waits until the job's events include want (in that order, as a subsequence).
func (e *env) waitEvents(t *testing.T, id string, want ...string) {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, func() error {
		got := e.events.forJob(id)
		i := 0
		for _, g := range got {
			if i < len(want) && g == want[i] {
				i++
			}
		}
		if i < len(want) {
			return fmt.Errorf("events of job %s = %v, want %v in order", id, got, want)
		}
		return nil
	})
}

func alwaysCalendar() *dispatchv1.WorkingCalendar {
	c := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for d := int32(1); d <= 7; d++ {
		c.Hours = append(c.Hours, &dispatchv1.WorkingHours{Weekday: d, StartMinute: 0, EndMinute: 1440})
	}
	return c
}

// technician returns a routine diesel-engine technician dLat degrees north of the site.
func technician(name string, dLat float64) *dispatchv1.Technician {
	return &dispatchv1.Technician{
		DisplayName:      name,
		OrganisationId:   "station-jinan",
		OrganisationKind: dispatchv1.OrganisationKind_ORGANISATION_KIND_SERVICE_STATION,
		Level:            dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE,
		Skills:           []*dispatchv1.ProductSkills{{ProductLine: "diesel-engine", Skills: []string{"fuel-system"}}},
		HomeBase:         &typev1.GeoPoint{Latitude: site.Latitude + dLat, Longitude: site.Longitude},
		ServiceRadiusKm:  100,
		Calendar:         alwaysCalendar(),
		CapacityPerDay:   4,
		Active:           true,
	}
}

// createTech creates tech qualified for each of its product lines (seed 002: trained three
// months to a month ago, assessed and passed yesterday).
func (e *env) createTech(t *testing.T, tech *dispatchv1.Technician) *dispatchv1.Technician {
	t.Helper()
	created := e.createTrainee(t, tech)
	for _, ps := range tech.GetSkills() {
		e.qualify(t, created.GetId(), ps.GetProductLine())
	}
	resp, err := e.client.GetTechnician(context.Background(), &dispatchv1.GetTechnicianRequest{TechnicianId: created.GetId()})
	if err != nil {
		t.Fatalf("GetTechnician(%s): %v", created.GetId(), err)
	}
	return resp.GetTechnician()
}

// createTrainee creates tech with no qualification records.
func (e *env) createTrainee(t *testing.T, tech *dispatchv1.Technician) *dispatchv1.Technician {
	t.Helper()
	resp, err := e.client.CreateTechnician(context.Background(), &dispatchv1.CreateTechnicianRequest{RequestId: "tech-" + tech.GetDisplayName(), Technician: tech})
	if err != nil {
		t.Fatalf("CreateTechnician(%s): %v", tech.GetDisplayName(), err)
	}
	return resp.GetTechnician()
}

// train records a training of the technician for line from start to end.
func (e *env) train(t *testing.T, techID, line string, start, end time.Time) *dispatchv1.Qualification {
	t.Helper()
	resp, err := e.client.RecordTraining(context.Background(), &dispatchv1.RecordTrainingRequest{
		RequestId: "train-" + techID + "-" + line + "-" + start.Format("20060102"), TechnicianId: techID, ProductLine: line,
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(end),
	})
	if err != nil {
		t.Fatalf("RecordTraining(%s, %s): %v", techID, line, err)
	}
	return resp.GetQualification()
}

// assess records an assessment of the technician for line at at.
func (e *env) assess(techID, line string, at time.Time, passed bool) (*dispatchv1.Qualification, error) {
	resp, err := e.client.RecordAssessment(context.Background(), &dispatchv1.RecordAssessmentRequest{
		RequestId: fmt.Sprintf("assess-%s-%s-%d", techID, line, at.Unix()), TechnicianId: techID, ProductLine: line,
		AssessedTime: timestamppb.New(at), Passed: passed,
	})
	return resp.GetQualification(), err
}

// qualify trains the technician for line (three months ago to a month ago) and passes them
// yesterday.
func (e *env) qualify(t *testing.T, techID, line string) {
	t.Helper()
	now := e.clock.Now()
	e.train(t, techID, line, now.AddDate(0, -3, 0), now.AddDate(0, -1, 0))
	if _, err := e.assess(techID, line, now.Add(-24*time.Hour), true); err != nil {
		t.Fatalf("RecordAssessment(%s, %s): %v", techID, line, err)
	}
}

func jobInput(ticket string) *dispatchv1.Job {
	return &dispatchv1.Job{
		TicketId:       ticket,
		Kind:           dispatchv1.JobKind_JOB_KIND_REPAIR,
		Site:           &typev1.Address{Line: "1 Jingshi Road", Region: "Shandong", City: "Jinan", Point: site},
		ProductLine:    "diesel-engine",
		UnitSerial:     "SN-1001",
		FaultCode:      "F-INJ",
		RequiredSkills: []string{"fuel-system"},
		Level:          dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE,
		Priority:       dispatchv1.Priority_PRIORITY_NORMAL,
		ArriveBy:       timestamppb.New(start.Add(24 * time.Hour)),
	}
}

func (e *env) createJob(t *testing.T, in *dispatchv1.Job) *dispatchv1.Job {
	t.Helper()
	resp, err := e.client.CreateJob(context.Background(), &dispatchv1.CreateJobRequest{RequestId: "ticket:" + in.GetTicketId(), Job: in})
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	return resp.GetJob()
}

func wantCode(t *testing.T, err error, code codes.Code, call string) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("%s error = %v, want %s", call, err, code)
	}
}

func signed(at time.Time) *dispatchv1.SignOff {
	return &dispatchv1.SignOff{SignerName: "Wang Wei", SignedTime: timestamppb.New(at), SignatureRef: "sig/0001.png"}
}

func TestJobLifecycleOverGRPC(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	near := e.createTech(t, technician("near", 0.1))
	e.createTech(t, technician("far", 0.5))

	j := e.createJob(t, jobInput("T-1"))
	if j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED || j.GetAssignment().GetTechnicianId() != near.GetId() {
		t.Fatalf("CreateJob() = %s to %s, want ASSIGNED to the nearest %s", j.GetState(), j.GetAssignment().GetTechnicianId(), near.GetId())
	}
	if got := len(j.GetAssignment().GetRanking().GetCandidates()); got != 2 {
		t.Fatalf("CreateJob() ranking has %d candidates, want 2", got)
	}
	if len(j.GetAssignment().GetRanking().GetCandidates()[0].GetReasons()) == 0 {
		t.Fatalf("CreateJob() ranking has no reasons")
	}
	tid := near.GetId()
	if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a1", JobId: j.GetId(), TechnicianId: tid}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	win := &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(3 * time.Hour)), EndTime: timestamppb.New(start.Add(5 * time.Hour))}
	if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{RequestId: "s1", JobId: j.GetId(), TechnicianId: tid, Window: win}); err != nil {
		t.Fatalf("ScheduleAppointment: %v", err)
	}
	e.clock.Advance(2 * time.Hour)
	if _, err := e.client.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "t1", JobId: j.GetId(), TechnicianId: tid}); err != nil {
		t.Fatalf("StartTravel: %v", err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.client.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c1", JobId: j.GetId(), TechnicianId: tid, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	if _, err := e.client.RecordWork(ctx, &dispatchv1.RecordWorkRequest{RequestId: "w1", JobId: j.GetId(), TechnicianId: tid,
		Report: &dispatchv1.ServiceReport{Diagnosis: "injector clogged", WorkDone: "replaced injector"}}); err != nil {
		t.Fatalf("RecordWork: %v", err)
	}
	e.clock.Advance(time.Hour)
	resp, err := e.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v1", JobId: j.GetId(), TechnicianId: tid,
		Report: &dispatchv1.ServiceReport{Resolved: true, Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY, SignOff: signed(e.clock.Now())}})
	if err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	done := resp.GetJob()
	if done.GetState() != dispatchv1.JobState_JOB_STATE_COMPLETED || done.GetReport().GetWorkDone() != "replaced injector" || done.GetReport().GetCompletedTime() == nil {
		t.Fatalf("CompleteVisit() = %s, report %v; want COMPLETED with the draft's work and a completed time", done.GetState(), done.GetReport())
	}
	e.waitEvents(t, j.GetId(), "created", "assigned", "accepted", "appointment_scheduled", "en_route", "checked_in", "visit_completed")

	// No personal data in events.
	body := string(e.events.body(j.GetId(), "visit_completed"))
	for _, pii := range []string{"Wang Wei", "Jingshi"} {
		if strings.Contains(body, pii) {
			t.Errorf("visit_completed event contains personal data %q: %s", pii, body)
		}
	}
	var vc dispatchv1.VisitCompleted
	if err := protojson.Unmarshal([]byte(body), &vc); err != nil {
		t.Fatalf("decode visit_completed: %v", err)
	}
	if vc.GetJob().GetSite().GetPoint() != nil || vc.GetJob().GetCheckIn().GetPoint() != nil || vc.GetReport().GetSignOff().GetSignerName() != "" {
		t.Errorf("visit_completed keeps a position or the signer: %v", &vc)
	}
	if vc.GetJob().GetUnitSerial() != "SN-1001" || vc.GetReport().GetSignOff().GetSignatureRef() == "" || vc.GetJob().GetTicketId() != "T-1" {
		t.Fatalf("visit_completed = %v; want ticket, serial and signature reference", &vc)
	}
}

func TestSignOffRules(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := e.createTech(t, technician("a", 0.1))
	j := e.createJob(t, jobInput("T-2"))
	tid, id := tech.GetId(), j.GetId()
	complete := func(rid string, r *dispatchv1.ServiceReport) error {
		_, err := e.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: rid, JobId: id, TechnicianId: tid, Report: r})
		return err
	}
	if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: id, TechnicianId: tid}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	// Signed before the service: refused.
	err := complete("v0", &dispatchv1.ServiceReport{WorkDone: "x", Resolved: true, SignOff: signed(e.clock.Now())})
	wantCode(t, err, codes.FailedPrecondition, "CompleteVisit before check-in")
	if !strings.Contains(status.Convert(err).Message(), "checked in") {
		t.Errorf("CompleteVisit before check-in message = %q, want it to say not checked in", status.Convert(err).Message())
	}
	// A draft may not be signed.
	_, err = e.client.RecordWork(ctx, &dispatchv1.RecordWorkRequest{JobId: id, TechnicianId: tid, Report: &dispatchv1.ServiceReport{WorkDone: "x", SignOff: signed(e.clock.Now())}})
	wantCode(t, err, codes.InvalidArgument, "RecordWork with a sign-off")

	checkIn := e.clock.Advance(time.Hour)
	if _, err := e.client.CheckIn(ctx, &dispatchv1.CheckInRequest{JobId: id, TechnicianId: tid, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	e.clock.Advance(time.Hour)
	wantCode(t, complete("v1", &dispatchv1.ServiceReport{Resolved: true, SignOff: signed(e.clock.Now())}), codes.FailedPrecondition, "CompleteVisit without work recorded")
	wantCode(t, complete("v2", &dispatchv1.ServiceReport{WorkDone: "x", Resolved: true, SignOff: signed(checkIn.Add(-time.Minute))}), codes.FailedPrecondition, "CompleteVisit signed before check-in")
	wantCode(t, complete("v3", &dispatchv1.ServiceReport{WorkDone: "x", Resolved: true}), codes.InvalidArgument, "CompleteVisit without sign-off")
	wantCode(t, complete("v4", &dispatchv1.ServiceReport{WorkDone: "x", Resolved: true, SignOff: signed(e.clock.Now().Add(time.Hour))}), codes.InvalidArgument, "CompleteVisit signed in the future")
	_, err = e.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v5", JobId: id, TechnicianId: "someone-else",
		Report: &dispatchv1.ServiceReport{WorkDone: "x", Resolved: false, SignOff: signed(e.clock.Now())}})
	wantCode(t, err, codes.FailedPrecondition, "CompleteVisit by another technician")

	// Unresolved: FAILED, escalated; the signed report is immutable afterwards.
	if err := complete("v6", &dispatchv1.ServiceReport{WorkDone: "checked wiring", Resolved: false, SignOff: signed(e.clock.Now())}); err != nil {
		t.Fatalf("CompleteVisit(unresolved): %v", err)
	}
	// A retry with the same request id answers the same.
	if err := complete("v6", &dispatchv1.ServiceReport{WorkDone: "checked wiring", Resolved: false, SignOff: signed(e.clock.Now())}); err != nil {
		t.Fatalf("CompleteVisit retry: %v", err)
	}
	wantCode(t, complete("v7", &dispatchv1.ServiceReport{WorkDone: "changed", Resolved: true, SignOff: signed(e.clock.Now())}), codes.FailedPrecondition, "CompleteVisit on a signed report")
	_, err = e.client.RecordWork(ctx, &dispatchv1.RecordWorkRequest{JobId: id, TechnicianId: tid, Report: &dispatchv1.ServiceReport{WorkDone: "changed"}})
	wantCode(t, err, codes.FailedPrecondition, "RecordWork on a signed report")

	resp, err := e.client.AmendReport(ctx, &dispatchv1.AmendReportRequest{RequestId: "am1", JobId: id,
		Amendment: &dispatchv1.ReportAmendment{AuthorId: "desk-1", Reason: "wrong cause", FaultCause: "loose connector"}})
	if err != nil {
		t.Fatalf("AmendReport: %v", err)
	}
	got := resp.GetJob()
	if got.GetState() != dispatchv1.JobState_JOB_STATE_FAILED || got.GetReport().GetWorkDone() != "checked wiring" || len(got.GetAmendments()) != 1 {
		t.Fatalf("AmendReport() = %s, report %q, %d amendments; want FAILED, original report kept, 1 amendment", got.GetState(), got.GetReport().GetWorkDone(), len(got.GetAmendments()))
	}
	_, err = e.client.AmendReport(ctx, &dispatchv1.AmendReportRequest{JobId: id, Amendment: &dispatchv1.ReportAmendment{AuthorId: "desk-1"}})
	wantCode(t, err, codes.InvalidArgument, "AmendReport without reason")
	e.waitEvents(t, id, "checked_in", "failed", "escalated", "report_amended")
}

func TestIllegalTransitionsAndValidation(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := e.createTech(t, technician("a", 0.1))
	j := e.createJob(t, jobInput("T-3"))
	id, tid := j.GetId(), tech.GetId()

	_, err := e.client.StartTravel(ctx, &dispatchv1.StartTravelRequest{JobId: id, TechnicianId: tid})
	wantCode(t, err, codes.FailedPrecondition, "StartTravel while ASSIGNED")
	_, err = e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: id, TechnicianId: "not-assigned"})
	wantCode(t, err, codes.FailedPrecondition, "AcceptJob by another technician")
	_, err = e.client.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: "01NOSUCHJOB"})
	wantCode(t, err, codes.NotFound, "GetJob(unknown)")
	_, err = e.client.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "c", JobId: id, Reason: "customer fixed it"})
	if err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	_, err = e.client.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "c2", JobId: id})
	wantCode(t, err, codes.FailedPrecondition, "CancelJob twice")
	_, err = e.client.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "c", JobId: id, Reason: "customer fixed it"})
	if err != nil {
		t.Fatalf("CancelJob retry with the same request_id: %v", err)
	}
	e.waitEvents(t, id, "created", "assigned", "cancelled")

	// Validation: field and rule named.
	// A site without a position: accepted, not assigned automatically, escalated to the desk.
	nopos := jobInput("T-NOPOS")
	nopos.Site.Point = nil
	np := e.createJob(t, nopos)
	if np.GetState() != dispatchv1.JobState_JOB_STATE_UNASSIGNED || len(np.GetEscalations()) != 1 {
		t.Fatalf("CreateJob(no site position) = %s with %d escalations; want UNASSIGNED, escalated", np.GetState(), len(np.GetEscalations()))
	}
	_, err = e.client.RankTechnicians(ctx, &dispatchv1.RankTechniciansRequest{JobId: np.GetId()})
	wantCode(t, err, codes.FailedPrecondition, "RankTechnicians(no site position)")
	bad := jobInput("T-4")
	bad.Kind = dispatchv1.JobKind_JOB_KIND_UNSPECIFIED
	_, err = e.client.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: "x", Job: bad})
	wantField(t, err, "job.kind")
	_, err = e.client.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: "bad id!", Job: jobInput("T-4")})
	wantField(t, err, "request_id")
	bad = jobInput("T-4")
	bad.CustomerWindow = &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(time.Hour)), EndTime: timestamppb.New(start)}
	_, err = e.client.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: "x", Job: bad})
	wantCode(t, err, codes.InvalidArgument, "CreateJob with a reversed customer window")
	tb := technician("b", 0)
	tb.Calendar.TimeZone = "Mars/Olympus"
	_, err = e.client.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{Technician: tb})
	wantField(t, err, "technician.calendar.time_zone")
	// A chosen id (the technician_id of an identity provider's tokens): kept, and not taken twice.
	chosen, err := e.client.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{RequestId: "chosen", TechnicianId: "tech-7", Technician: technician("c", 0)})
	if err != nil || chosen.GetTechnician().GetId() != "tech-7" {
		t.Fatalf("CreateTechnician(technician_id tech-7) = %v, %v; want id tech-7", chosen, err)
	}
	_, err = e.client.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{RequestId: "chosen-again", TechnicianId: "tech-7", Technician: technician("d", 0)})
	wantCode(t, err, codes.AlreadyExists, "CreateTechnician(an id in use)")
	_, err = e.client.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{TechnicianId: "bad id!", Technician: technician("d", 0)})
	wantField(t, err, "technician_id")

	// Idempotency: same request_id and request → same job; different request → INVALID_ARGUMENT.
	first := e.createJob(t, jobInput("T-5"))
	again := e.createJob(t, jobInput("T-5"))
	if first.GetId() != again.GetId() {
		t.Fatalf("CreateJob retry created %s, want the first job %s", again.GetId(), first.GetId())
	}
	e.waitEvents(t, first.GetId(), "created", "assigned")
	if got := e.events.forJob(first.GetId()); len(got) != 2 {
		t.Fatalf("events after a retried CreateJob = %v, want created and assigned once", got)
	}
	other := jobInput("T-5")
	other.FaultCode = "F-OTHER"
	_, err = e.client.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: "ticket:T-5", Job: other})
	wantField(t, err, "request_id")

	// Etag: a stale update is ABORTED.
	upd := technician("a", 0.2)
	upd.Id, upd.Etag = tid, "stale"
	_, err = e.client.UpdateTechnician(ctx, &dispatchv1.UpdateTechnicianRequest{Technician: upd})
	wantCode(t, err, codes.Aborted, "UpdateTechnician(stale etag)")
	upd.Etag = tech.GetEtag()
	if _, err := e.client.UpdateTechnician(ctx, &dispatchv1.UpdateTechnicianRequest{Technician: upd}); err != nil {
		t.Fatalf("UpdateTechnician: %v", err)
	}
	_, err = e.client.UpdateTechnician(ctx, &dispatchv1.UpdateTechnicianRequest{Technician: upd})
	wantCode(t, err, codes.Aborted, "UpdateTechnician(reused etag)")

	// Lists filter by ticket and technician.
	lr, err := e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{TicketId: "T-5"})
	if err != nil || len(lr.GetJobs()) != 1 {
		t.Fatalf("ListJobs(ticket T-5) = %d jobs, %v; want 1", len(lr.GetJobs()), err)
	}
	lr, err = e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{State: dispatchv1.JobState_JOB_STATE_CANCELLED})
	if err != nil || len(lr.GetJobs()) != 1 || lr.GetJobs()[0].GetId() != id {
		t.Fatalf("ListJobs(CANCELLED) = %v, %v; want job %s", lr.GetJobs(), err, id)
	}
	tl, err := e.client.ListTechnicians(ctx, &dispatchv1.ListTechniciansRequest{ProductLine: "diesel-engine", PageSize: 1})
	if err != nil || len(tl.GetTechnicians()) != 1 {
		t.Fatalf("ListTechnicians() = %v, %v", tl, err)
	}
	_, err = e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{PageToken: "not-a-token"})
	wantField(t, err, "page_token")
	_, err = e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{PageSize: 501})
	wantField(t, err, "page_size")
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("error = %v, want INVALID_ARGUMENT on %s", err, field)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
			}
		}
	}
	t.Fatalf("error %v has no field violation on %s", err, field)
}

func TestNoMatchIsUnassignedAndEscalated(t *testing.T) {
	e := startDispatch(t, "", nil)
	e.createTech(t, technician("too-far", 2.0)) // ~290 road km
	in := jobInput("T-6")
	in.Priority = dispatchv1.Priority_PRIORITY_URGENT
	j := e.createJob(t, in)
	if j.GetState() != dispatchv1.JobState_JOB_STATE_UNASSIGNED {
		t.Fatalf("CreateJob() state = %s, want UNASSIGNED", j.GetState())
	}
	var reasons []dispatchv1.EscalationReason
	for _, x := range j.GetEscalations() {
		reasons = append(reasons, x.GetReason())
	}
	want := []dispatchv1.EscalationReason{dispatchv1.EscalationReason_ESCALATION_REASON_URGENT, dispatchv1.EscalationReason_ESCALATION_REASON_NO_TECHNICIAN}
	if !slices.Equal(reasons, want) {
		t.Fatalf("CreateJob() escalations = %v, want %v", reasons, want)
	}
	if ex := j.GetLastRanking().GetExclusions(); len(ex) != 1 || ex[0].GetReason() != "radius" {
		t.Fatalf("CreateJob() exclusions = %v, want radius 1", ex)
	}
	e.waitEvents(t, j.GetId(), "created", "escalated", "escalated")

	// A dispatcher assigns by hand.
	near := e.createTech(t, technician("near", 0.1))
	resp, err := e.client.AssignJob(context.Background(), &dispatchv1.AssignJobRequest{RequestId: "m1", JobId: j.GetId(), TechnicianId: near.GetId(), Reason: "called in"})
	if err != nil || resp.GetJob().GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED ||
		resp.GetJob().GetAssignment().GetSource() != dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_MANUAL {
		t.Fatalf("AssignJob() = %v, %v; want ASSIGNED by hand", resp.GetJob(), err)
	}
}

func TestDeclineGoesToNextBest(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	a := e.createTech(t, technician("a", 0.1))
	b := e.createTech(t, technician("b", 0.2))
	j := e.createJob(t, jobInput("T-7"))
	resp, err := e.client.DeclineJob(ctx, &dispatchv1.DeclineJobRequest{RequestId: "d1", JobId: j.GetId(), TechnicianId: a.GetId(), Reason: "sick"})
	if err != nil {
		t.Fatalf("DeclineJob: %v", err)
	}
	got := resp.GetJob()
	if got.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED || got.GetAssignment().GetTechnicianId() != b.GetId() {
		t.Fatalf("DeclineJob() = %s to %s, want ASSIGNED to %s", got.GetState(), got.GetAssignment().GetTechnicianId(), b.GetId())
	}
	resp, err = e.client.DeclineJob(ctx, &dispatchv1.DeclineJobRequest{RequestId: "d2", JobId: j.GetId(), TechnicianId: b.GetId()})
	if err != nil {
		t.Fatalf("DeclineJob: %v", err)
	}
	if got := resp.GetJob(); got.GetState() != dispatchv1.JobState_JOB_STATE_UNASSIGNED || got.GetAssignment() != nil || len(got.GetPreviousAssignments()) != 2 {
		t.Fatalf("DeclineJob() = %v, want UNASSIGNED with 2 previous assignments", got)
	}
	e.waitEvents(t, j.GetId(), "assigned", "declined", "assigned", "reassigned", "declined", "escalated")
}

// fire advances the fake clock by d and fires the timers due.
func (e *env) fire(t *testing.T, d time.Duration) {
	t.Helper()
	e.clock.Advance(d)
	if _, err := e.svc.Platform.Timers.FireDue(context.Background()); err != nil {
		t.Fatalf("FireDue: %v", err)
	}
}

func (e *env) job(t *testing.T, id string) *dispatchv1.Job {
	t.Helper()
	resp, err := e.client.GetJob(context.Background(), &dispatchv1.GetJobRequest{JobId: id})
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	return resp.GetJob()
}

func TestAcceptanceTimeoutReassignmentChain(t *testing.T) {
	e := startDispatch(t, "", nil)
	a := e.createTech(t, technician("a", 0.1))
	b := e.createTech(t, technician("b", 0.2))
	c := e.createTech(t, technician("c", 0.3))
	j := e.createJob(t, jobInput("T-8"))
	steps := []struct {
		advance time.Duration
		state   dispatchv1.JobState
		tech    string
		escal   int
	}{
		{2*time.Hour - time.Minute, dispatchv1.JobState_JOB_STATE_ASSIGNED, a.GetId(), 0}, // 1 minute before the deadline
		{time.Minute, dispatchv1.JobState_JOB_STATE_ASSIGNED, b.GetId(), 1},               // at 2 h: next best, escalated
		{2 * time.Hour, dispatchv1.JobState_JOB_STATE_ASSIGNED, c.GetId(), 3},             // + arrangement check at 4 h
		{2 * time.Hour, dispatchv1.JobState_JOB_STATE_UNASSIGNED, "", 5},                  // no one left
		{2 * time.Hour, dispatchv1.JobState_JOB_STATE_UNASSIGNED, "", 5},                  // nothing more fires
	}
	for i, s := range steps {
		e.fire(t, s.advance)
		got := e.job(t, j.GetId())
		if got.GetState() != s.state || got.GetAssignment().GetTechnicianId() != s.tech || len(got.GetEscalations()) != s.escal {
			t.Fatalf("step %d: job = %s to %q with %d escalations; want %s to %q with %d", i, got.GetState(),
				got.GetAssignment().GetTechnicianId(), len(got.GetEscalations()), s.state, s.tech, s.escal)
		}
	}
	got := e.job(t, j.GetId())
	var reasons []dispatchv1.EscalationReason
	for _, x := range got.GetEscalations() {
		reasons = append(reasons, x.GetReason())
	}
	want := []dispatchv1.EscalationReason{
		dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ACCEPTED,
		dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ACCEPTED,
		dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ARRANGED,
		dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ACCEPTED,
		dispatchv1.EscalationReason_ESCALATION_REASON_NO_TECHNICIAN,
	}
	// The 4 h acceptance deadline and the 4 h arrangement check fire at the same instant, in
	// either order: compare as sets, and check the last one (no one left).
	last := reasons[len(reasons)-1]
	slices.Sort(reasons)
	slices.Sort(want)
	if !slices.Equal(reasons, want) || last != dispatchv1.EscalationReason_ESCALATION_REASON_NO_TECHNICIAN {
		t.Fatalf("escalations = %v, want %v ending with NO_TECHNICIAN", reasons, want)
	}
	for _, x := range got.GetEscalations() {
		if x.GetReason() == dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ARRANGED && x.GetLevel() != dispatchv1.EscalationLevel_ESCALATION_LEVEL_MANAGEMENT {
			t.Fatalf("arrangement escalation level = %s, want MANAGEMENT", x.GetLevel())
		}
	}
	e.waitEvents(t, j.GetId(), "assigned", "escalated", "assigned", "reassigned", "escalated", "escalated", "escalated")
}

func TestArrangementCheck(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := e.createTech(t, technician("a", 0.1))
	tech.Id = ""
	arrangedJob := e.createJob(t, jobInput("T-9"))
	unarranged := e.createJob(t, jobInput("T-10"))
	tid := arrangedJob.GetAssignment().GetTechnicianId()
	for _, id := range []string{arrangedJob.GetId(), unarranged.GetId()} {
		if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: id, TechnicianId: tid}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
	}
	win := &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(6 * time.Hour)), EndTime: timestamppb.New(start.Add(8 * time.Hour))}
	if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{JobId: arrangedJob.GetId(), TechnicianId: tid, Window: win}); err != nil {
		t.Fatalf("ScheduleAppointment: %v", err)
	}
	e.fire(t, 4*time.Hour-time.Minute)
	if n := len(e.job(t, unarranged.GetId()).GetEscalations()); n != 0 {
		t.Fatalf("escalations before 4 h = %d, want 0", n)
	}
	e.fire(t, time.Minute)
	if got := e.job(t, unarranged.GetId()).GetEscalations(); len(got) != 1 || got[0].GetLevel() != dispatchv1.EscalationLevel_ESCALATION_LEVEL_MANAGEMENT {
		t.Fatalf("unarranged job escalations at 4 h = %v, want one to MANAGEMENT", got)
	}
	if n := len(e.job(t, arrangedJob.GetId()).GetEscalations()); n != 0 {
		t.Fatalf("arranged job escalations = %d, want 0", n)
	}

	// Lateness notice: 3 h ahead is fine; 1 h ahead is flagged and escalated.
	e.clock.Set(start.Add(3 * time.Hour))
	win2 := &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(8 * time.Hour)), EndTime: timestamppb.New(start.Add(10 * time.Hour))}
	resp, err := e.client.RescheduleAppointment(ctx, &dispatchv1.RescheduleAppointmentRequest{JobId: arrangedJob.GetId(), TechnicianId: tid, Window: win2, Reason: "traffic"})
	if err != nil || resp.GetJob().GetAppointment().GetReschedules()[0].GetLateNotice() {
		t.Fatalf("RescheduleAppointment(3 h ahead) = %v, %v; want on time", resp.GetJob().GetAppointment(), err)
	}
	e.clock.Set(start.Add(7 * time.Hour))
	win3 := &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(26 * time.Hour)), EndTime: timestamppb.New(start.Add(28 * time.Hour))}
	resp, err = e.client.RescheduleAppointment(ctx, &dispatchv1.RescheduleAppointmentRequest{JobId: arrangedJob.GetId(), TechnicianId: tid, Window: win3})
	if err != nil {
		t.Fatalf("RescheduleAppointment(1 h ahead): %v", err)
	}
	ap := resp.GetJob().GetAppointment()
	if len(ap.GetReschedules()) != 2 || !ap.GetReschedules()[1].GetLateNotice() || len(resp.GetJob().GetEscalations()) != 1 {
		t.Fatalf("RescheduleAppointment(1 h ahead) = %v, escalations %v; want flagged late and escalated", ap, resp.GetJob().GetEscalations())
	}
}

// TestRestartKeepsTimersAndLoads: the acceptance deadline and the technicians' loads survive a
// restart (timers are records in the store; the roster is rebuilt from it).
func TestRestartKeepsTimersAndLoads(t *testing.T) {
	e := startDispatch(t, "", nil)
	a := technician("a", 0.1)
	a.CapacityPerDay = 1
	ta := e.createTech(t, a)
	tb := e.createTech(t, technician("b", 0.2))
	j := e.createJob(t, jobInput("T-R1"))
	if j.GetAssignment().GetTechnicianId() != ta.GetId() {
		t.Fatalf("first job went to %s, want %s", j.GetAssignment().GetTechnicianId(), ta.GetId())
	}

	dir, ns := e.svc.DataDir, e.svc.NATS
	if err := e.svc.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	svc, err := dispatch.New(dispatch.DefaultConfig(), &api.Options{})
	if err != nil {
		t.Fatalf("dispatch.New: %v", err)
	}
	e.svc = svctest.Start(t, svc, svctest.Options{Name: "dispatch", Clock: e.clock, NATS: ns, DataDir: dir})
	e.client = dispatchv1.NewDispatchServiceClient(e.svc.Conn)

	// a is at capacity (1 open job) after the restart: the next job goes to b.
	j2 := e.createJob(t, jobInput("T-R2"))
	if j2.GetAssignment().GetTechnicianId() != tb.GetId() {
		t.Fatalf("after restart, second job went to %s, want %s (a is at capacity)", j2.GetAssignment().GetTechnicianId(), tb.GetId())
	}
	// The first job's acceptance deadline still fires.
	e.fire(t, 2*time.Hour)
	got := e.job(t, j.GetId())
	if len(got.GetPreviousAssignments()) != 1 || got.GetPreviousAssignments()[0].GetOutcome() != dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_TIMED_OUT {
		t.Fatalf("after restart and 2 h, job = %v; want the first assignment timed out", got)
	}
}

func TestInstallationAppointmentLead(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := e.createTech(t, technician("a", 0.1))
	in := jobInput("T-INST")
	in.Kind = dispatchv1.JobKind_JOB_KIND_INSTALLATION
	in.ArriveBy = nil
	j := e.createJob(t, in)
	if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: j.GetId(), TechnicianId: tech.GetId()}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	win := func(ahead time.Duration) *dispatchv1.TimeWindow {
		return &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(ahead)), EndTime: timestamppb.New(start.Add(ahead + 2*time.Hour))}
	}
	_, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{JobId: j.GetId(), TechnicianId: tech.GetId(), Window: win(24 * time.Hour)})
	wantCode(t, err, codes.FailedPrecondition, "ScheduleAppointment(installation tomorrow)")
	if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{JobId: j.GetId(), TechnicianId: tech.GetId(), Window: win(48 * time.Hour)}); err != nil {
		t.Fatalf("ScheduleAppointment(installation 2 days ahead): %v", err)
	}
	_, err = e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{JobId: j.GetId(), TechnicianId: tech.GetId(), Window: win(72 * time.Hour)})
	wantCode(t, err, codes.FailedPrecondition, "ScheduleAppointment twice")
}

// TestCapacityCountsPerDay: a job counts toward its technician's capacity on the day it is
// planned; moving its appointment to another day frees the first.
func TestCapacityCountsPerDay(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	a := technician("a", 0.1)
	a.CapacityPerDay = 1
	ta := e.createTech(t, a)
	tb := e.createTech(t, technician("b", 0.3))
	j1 := e.createJob(t, jobInput("T-C1"))
	if j1.GetAssignment().GetTechnicianId() != ta.GetId() {
		t.Fatalf("first job to %s, want %s", j1.GetAssignment().GetTechnicianId(), ta.GetId())
	}
	if j := e.createJob(t, jobInput("T-C2")); j.GetAssignment().GetTechnicianId() != tb.GetId() {
		t.Fatalf("second job today to %s, want %s (a is full today)", j.GetAssignment().GetTechnicianId(), tb.GetId())
	}
	// a agrees the first job for the day after tomorrow: today is free again.
	if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: j1.GetId(), TechnicianId: ta.GetId()}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	later := &dispatchv1.TimeWindow{StartTime: timestamppb.New(start.Add(48 * time.Hour)), EndTime: timestamppb.New(start.Add(50 * time.Hour))}
	if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{JobId: j1.GetId(), TechnicianId: ta.GetId(), Window: later}); err != nil {
		t.Fatalf("ScheduleAppointment: %v", err)
	}
	if j := e.createJob(t, jobInput("T-C3")); j.GetAssignment().GetTechnicianId() != ta.GetId() {
		t.Fatalf("third job today to %s, want %s (a's first job moved to another day)", j.GetAssignment().GetTechnicianId(), ta.GetId())
	}
}

// TestTeamMembersCountTowardCapacity: a team job fills its member's day as well as its
// lead's, so automatic assignment does not book the member again that day; once the team job
// is done, the member is free again.
func TestTeamMembersCountTowardCapacity(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	m := technician("member", 0.05) // the nearest
	m.CapacityPerDay = 1
	member := e.createTech(t, m)
	lead := e.createTech(t, technician("lead", 0.1))
	j1 := e.createJob(t, jobInput("T-TEAM-1"))
	if got := j1.GetAssignment().GetTechnicianId(); got != member.GetId() {
		t.Fatalf("first job to %s, want the nearest, %s", got, member.GetId())
	}
	if _, err := e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "team", JobId: j1.GetId(), TechnicianId: lead.GetId(),
		MemberIds: []string{member.GetId()}, Reason: "two-person job"}); err != nil {
		t.Fatalf("AssignJob(lead with member) = %v", err)
	}
	if j := e.createJob(t, jobInput("T-TEAM-2")); j.GetAssignment().GetTechnicianId() != lead.GetId() {
		t.Fatalf("second job today to %s, want %s: the member's one job of the day is the team's", j.GetAssignment().GetTechnicianId(), lead.GetId())
	}
	if _, err := e.client.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "cancel-team", JobId: j1.GetId(), Reason: "customer fixed it"}); err != nil {
		t.Fatalf("CancelJob = %v", err)
	}
	if j := e.createJob(t, jobInput("T-TEAM-3")); j.GetAssignment().GetTechnicianId() != member.GetId() {
		t.Fatalf("third job to %s, want %s: the team job is gone, the member is free", j.GetAssignment().GetTechnicianId(), member.GetId())
	}
}

// TestConcurrentCreatesRespectCapacity: jobs created at once (sharing group commits) never
// overbook a technician, and concurrent retries of one request create one job.
func TestConcurrentCreatesRespectCapacity(t *testing.T) {
	e := startDispatch(t, "", nil)
	a := technician("a", 0.1)
	a.CapacityPerDay = 2
	ta := e.createTech(t, a)
	const n = 12
	var wg sync.WaitGroup
	jobs := make([]*dispatchv1.Job, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := jobInput(fmt.Sprintf("T-CC%d", i%6)) // each request twice
			resp, err := e.client.CreateJob(context.Background(), &dispatchv1.CreateJobRequest{RequestId: "ticket:" + in.GetTicketId(), Job: in})
			jobs[i], errs[i] = resp.GetJob(), err
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	assigned := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("CreateJob %d: %v", i, errs[i])
		}
		ids[jobs[i].GetId()] = true
		if jobs[i].GetAssignment().GetTechnicianId() == ta.GetId() {
			assigned[jobs[i].GetId()] = true
		}
	}
	if len(ids) != 6 || len(assigned) != 2 {
		t.Fatalf("%d concurrent creates of 6 requests = %d jobs, %d assigned to a; want 6 jobs, 2 assigned (capacity 2)", n, len(ids), len(assigned))
	}
}

// TestCreateJobRejectsTimesProtojsonCannotEncode: such a time was once accepted and failed
// later, as INTERNAL, when job.created was encoded.
func TestCreateJobRejectsTimesProtojsonCannotEncode(t *testing.T) {
	e := startDispatch(t, "", nil)
	for _, ts := range []*timestamppb.Timestamp{{Seconds: 253402300800 * 2}, {Seconds: -62135596800 * 2}, {Seconds: 1, Nanos: -1}} {
		in := jobInput("T-ts")
		in.ArriveBy = ts
		_, err := e.client.CreateJob(context.Background(), &dispatchv1.CreateJobRequest{RequestId: "ts", Job: in})
		wantCode(t, err, codes.InvalidArgument, "CreateJob")
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "job.arrive_by") {
			t.Errorf("CreateJob(arrive_by %v) message %q should name job.arrive_by", ts, msg)
		}
	}
}
