package dispatch_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/dispatch/internal/osrm/osrmtest"
)

// officeCalendar works 08:00 to 18:00 every day in Shanghai.
func officeCalendar() *dispatchv1.WorkingCalendar {
	c := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for d := int32(1); d <= 7; d++ {
		c.Hours = append(c.Hours, &dispatchv1.WorkingHours{Weekday: d, StartMinute: 8 * 60, EndMinute: 18 * 60})
	}
	return c
}

// subjectCount counts the events published on subject.
func (l *eventLog) subjectCount(subject string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// commitVisits turns a plan's routes into CommitPlan's visits.
func commitVisits(p *dispatchv1.DayPlan) []*dispatchv1.CommitVisit {
	var out []*dispatchv1.CommitVisit
	for _, r := range p.GetRoutes() {
		for _, v := range r.GetVisits() {
			out = append(out, &dispatchv1.CommitVisit{JobId: v.GetJobId(), TechnicianId: r.GetTechnicianId(), StartTime: v.GetStartTime()})
		}
	}
	return out
}

// planned maps each planned job to its route's technician and visit.
func planned(p *dispatchv1.DayPlan) map[string]struct {
	tech  string
	visit *dispatchv1.PlannedVisit
} {
	out := map[string]struct {
		tech  string
		visit *dispatchv1.PlannedVisit
	}{}
	for _, r := range p.GetRoutes() {
		for _, v := range r.GetVisits() {
			out[v.GetJobId()] = struct {
				tech  string
				visit *dispatchv1.PlannedVisit
			}{r.GetTechnicianId(), v}
		}
	}
	return out
}

func TestPlanDayCommitAndReplanOverGRPC(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	var techIDs []string
	for i, d := range []float64{0.05, -0.05, 0.1} {
		tech := technician(fmt.Sprintf("planner-%d", i), d)
		tech.Calendar = officeCalendar()
		tech.CapacityPerDay = 6
		techIDs = append(techIDs, e.createTech(t, tech).GetId())
	}
	// Tomorrow in Shanghai: start is Monday 10:00 local, so the day starts 14 h later.
	dayStart := start.Add(14 * time.Hour)
	var jobs []*dispatchv1.Job
	for i := range 10 {
		in := jobInput(fmt.Sprintf("plan-%02d", i))
		in.Site = &typev1.Address{Region: "Shandong", City: "Jinan",
			Point: &typev1.GeoPoint{Latitude: site.Latitude + 0.03*float64(i%5) - 0.06, Longitude: site.Longitude + 0.04*float64(i/5) - 0.02}}
		in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
		if i%3 == 0 { // a customer available in the morning only
			in.CustomerWindow = &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(8 * time.Hour)), EndTime: timestamppb.New(dayStart.Add(12 * time.Hour))}
		}
		j := e.createJob(t, in)
		if j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED {
			t.Fatalf("job %d state = %s, want ASSIGNED", i, j.GetState())
		}
		// The assigned technician accepts, so a committed plan agrees the appointment.
		if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-" + j.GetId(), JobId: j.GetId(),
			TechnicianId: j.GetAssignment().GetTechnicianId()}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		jobs = append(jobs, j)
	}

	// An unassigned job in Guangzhou is no job for a Jinan station's day.
	far := jobInput("plan-far")
	far.Site = &typev1.Address{Region: "Guangdong", City: "Guangzhou", Point: &typev1.GeoPoint{Latitude: 23.13, Longitude: 113.26}}
	farJob := e.createJob(t, far)
	if farJob.GetState() != dispatchv1.JobState_JOB_STATE_UNASSIGNED {
		t.Fatalf("far job state = %s, want UNASSIGNED", farJob.GetState())
	}

	plan := func() *dispatchv1.DayPlan {
		t.Helper()
		resp, err := e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: techIDs,
			DayStart: timestamppb.New(dayStart), Budget: durationpb.New(200 * time.Millisecond), Seed: 1})
		if err != nil {
			t.Fatalf("PlanDay: %v", err)
		}
		return resp.GetPlan()
	}
	p := plan()
	t.Logf("day plan: %d iterations in 200 ms, %.1f km, %s driving, %d late", p.GetIterations(), p.GetKm(), p.GetTravel().AsDuration(), p.GetLate())
	if len(p.GetLeftOut()) != 0 {
		t.Fatalf("left out = %v, want none", p.GetLeftOut())
	}
	got := planned(p)
	if _, ok := got[farJob.GetId()]; ok {
		t.Fatal("the Guangzhou job is planned for the Jinan station")
	}
	if len(got) != len(jobs) {
		t.Fatalf("planned %d jobs, want %d", len(got), len(jobs))
	}
	for _, r := range p.GetRoutes() {
		prev := dayStart
		for _, v := range r.GetVisits() {
			st := v.GetStartTime().AsTime()
			if st.Before(dayStart.Add(8*time.Hour)) || v.GetEndTime().AsTime().After(dayStart.Add(18*time.Hour)) || st.Before(prev) {
				t.Fatalf("visit %s on %s at %s–%s: outside 08:00–18:00 or out of order", v.GetJobId(), r.GetTechnicianId(), st, v.GetEndTime().AsTime())
			}
			if v.GetArrivalTime().AsTime().After(st) {
				t.Fatalf("visit %s arrives %s after its start %s", v.GetJobId(), v.GetArrivalTime().AsTime(), st)
			}
			prev = v.GetEndTime().AsTime()
		}
	}
	for i, j := range jobs {
		if i%3 == 0 {
			if st := got[j.GetId()].visit.GetStartTime().AsTime(); st.After(dayStart.Add(12 * time.Hour)) {
				t.Fatalf("job %d starts %s, after its customer window", i, st)
			}
		}
	}

	// Commit; a replay with the same request_id returns the same jobs and changes nothing.
	req := &dispatchv1.CommitPlanRequest{RequestId: "plan-day-1", Visits: commitVisits(p)}
	first, err := e.client.CommitPlan(ctx, req)
	if err != nil {
		t.Fatalf("CommitPlan: %v", err)
	}
	appointments := map[string]*dispatchv1.Job{}
	for _, j := range first.GetJobs() {
		pv := got[j.GetId()]
		if j.GetAssignment().GetTechnicianId() != pv.tech {
			t.Fatalf("job %s assigned to %s, plan says %s", j.GetId(), j.GetAssignment().GetTechnicianId(), pv.tech)
		}
		if !j.GetAssignment().GetPlannedArrivalTime().AsTime().Equal(pv.visit.GetStartTime().AsTime()) {
			t.Fatalf("job %s planned arrival %s, want %s", j.GetId(), j.GetAssignment().GetPlannedArrivalTime().AsTime(), pv.visit.GetStartTime().AsTime())
		}
		if ap := j.GetAppointment(); ap != nil {
			if !ap.GetWindow().GetStartTime().AsTime().Equal(pv.visit.GetStartTime().AsTime()) {
				t.Fatalf("job %s appointment at %s, want %s", j.GetId(), ap.GetWindow().GetStartTime().AsTime(), pv.visit.GetStartTime().AsTime())
			}
			appointments[j.GetId()] = j
		}
	}
	if len(appointments) == 0 {
		t.Fatal("no appointment was agreed from the plan")
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		if n := e.events.subjectCount("sanbao.dispatch.v1.plan.committed"); n != 1 {
			return fmt.Errorf("plan.committed published %d times, want 1", n)
		}
		return nil
	})
	again, err := e.client.CommitPlan(ctx, req)
	if err != nil {
		t.Fatalf("CommitPlan replay: %v", err)
	}
	if !proto.Equal(first, again) {
		t.Fatal("CommitPlan replay returned a different response")
	}
	for _, j := range first.GetJobs() {
		now, err := e.client.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()})
		if err != nil {
			t.Fatalf("GetJob: %v", err)
		}
		if now.GetJob().GetEtag() != j.GetEtag() {
			t.Fatalf("job %s changed by the replay", j.GetId())
		}
	}

	// A stale plan: an appointment moved.
	var moved *dispatchv1.CommitVisit
	for _, v := range req.GetVisits() {
		if appointments[v.GetJobId()] != nil {
			moved = proto.Clone(v).(*dispatchv1.CommitVisit)
			moved.StartTime = timestamppb.New(v.GetStartTime().AsTime().Add(30 * time.Minute))
			break
		}
	}
	_, err = e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "plan-day-stale", Visits: []*dispatchv1.CommitVisit{moved}})
	wantCode(t, err, codes.FailedPrecondition, "CommitPlan with a moved appointment")
	if !strings.Contains(err.Error(), moved.GetJobId()) {
		t.Fatalf("stale plan error %v does not name job %s", err, moved.GetJobId())
	}
	// A stale plan: a job no longer open.
	cancelled := req.GetVisits()[len(req.GetVisits())-1]
	if _, err := e.client.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "cancel-plan", JobId: cancelled.GetJobId(), Reason: "customer fixed it"}); err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	_, err = e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "plan-day-cancelled", Visits: req.GetVisits()})
	wantCode(t, err, codes.FailedPrecondition, "CommitPlan with a cancelled job")
	if !strings.Contains(err.Error(), cancelled.GetJobId()) {
		t.Fatalf("stale plan error %v does not name job %s", err, cancelled.GetJobId())
	}

	// The single-job ranking prices a job for tomorrow into each technician's planned day.
	in := jobInput("plan-tomorrow")
	in.CustomerWindow = &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(9 * time.Hour)), EndTime: timestamppb.New(dayStart.Add(17 * time.Hour))}
	in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
	tomorrow := e.createJob(t, in)
	rk, err := e.client.RankTechnicians(ctx, &dispatchv1.RankTechniciansRequest{JobId: tomorrow.GetId()})
	if err != nil {
		t.Fatalf("RankTechnicians: %v", err)
	}
	priced := 0
	for _, c := range rk.GetRanking().GetCandidates() {
		for _, r := range c.GetReasons() {
			if strings.HasPrefix(r, "planned day: +") {
				priced++
			}
		}
	}
	if priced == 0 {
		t.Fatalf("no candidate priced into the planned day: %v", rk.GetRanking().GetCandidates())
	}

	// An urgent job arrives: the new plan keeps every committed appointment and fits it.
	in = jobInput("plan-urgent")
	in.Priority = dispatchv1.Priority_PRIORITY_URGENT
	in.ArriveBy = timestamppb.New(dayStart.Add(11 * time.Hour))
	urgent := e.createJob(t, in)
	p2 := plan()
	got2 := planned(p2)
	if _, ok := got2[urgent.GetId()]; !ok {
		t.Fatalf("urgent job not planned; left out %v", p2.GetLeftOut())
	}
	if _, ok := got2[cancelled.GetJobId()]; ok {
		t.Fatal("the cancelled job is planned again")
	}
	for id, j := range appointments {
		if id == cancelled.GetJobId() {
			continue
		}
		pv, ok := got2[id]
		if !ok {
			t.Fatalf("committed appointment of job %s dropped by the re-plan; left out %v", id, p2.GetLeftOut())
		}
		if !pv.visit.GetFixed() || pv.tech != j.GetAssignment().GetTechnicianId() ||
			!pv.visit.GetStartTime().AsTime().Equal(j.GetAppointment().GetWindow().GetStartTime().AsTime()) {
			t.Fatalf("job %s re-planned to %s at %s (fixed %v), want %s at %s", id, pv.tech, pv.visit.GetStartTime().AsTime(),
				pv.visit.GetFixed(), j.GetAssignment().GetTechnicianId(), j.GetAppointment().GetWindow().GetStartTime().AsTime())
		}
	}
	if p2.GetLate() != 0 {
		t.Fatalf("re-plan has %d late arrivals, want 0", p2.GetLate())
	}
}

func TestPlanDayBadInput(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	for name, req := range map[string]*dispatchv1.PlanDayRequest{
		"neither": {DayStart: timestamppb.New(start)},
		"both":    {OrganisationId: "station-jinan", TechnicianIds: []string{"t1"}, DayStart: timestamppb.New(start)},
		"budget":  {OrganisationId: "station-jinan", DayStart: timestamppb.New(start), Budget: durationpb.New(time.Minute)},
		"no day":  {OrganisationId: "station-jinan"},
	} {
		_, err := e.client.PlanDay(ctx, req)
		wantCode(t, err, codes.InvalidArgument, "PlanDay "+name)
	}
	_, err := e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: []string{"01JUNKNOWN"}, DayStart: timestamppb.New(start)})
	wantCode(t, err, codes.NotFound, "PlanDay unknown technician")
	_, err = e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{OrganisationId: "nobody", DayStart: timestamppb.New(start)})
	wantCode(t, err, codes.FailedPrecondition, "PlanDay without technicians")
	_, err = e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "empty"})
	wantCode(t, err, codes.InvalidArgument, "CommitPlan without visits")
}

func TestPlanDayMovesLateAppointmentWithLateNotice(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := technician("late-runner", 0.05)
	tech.Calendar = officeCalendar()
	techID := e.createTech(t, tech).GetId()
	dayStart := start.Add(14 * time.Hour) // tomorrow 00:00 in Shanghai
	var ids []string
	for i := range 3 {
		in := jobInput(fmt.Sprintf("late-%d", i))
		in.Site.Point = &typev1.GeoPoint{Latitude: site.Latitude + 0.02*float64(i), Longitude: site.Longitude}
		in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
		j := e.createJob(t, in)
		if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-" + j.GetId(), JobId: j.GetId(), TechnicianId: techID}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		ids = append(ids, j.GetId())
	}
	planReq := &dispatchv1.PlanDayRequest{TechnicianIds: []string{techID}, DayStart: timestamppb.New(dayStart),
		Budget: durationpb.New(100 * time.Millisecond), Seed: 7}
	resp, err := e.client.PlanDay(ctx, planReq)
	if err != nil {
		t.Fatalf("PlanDay: %v", err)
	}
	visits := commitVisits(resp.GetPlan())
	if len(visits) != 3 {
		t.Fatalf("planned %d visits, want 3", len(visits))
	}
	if _, err := e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "late-plan", Visits: visits}); err != nil {
		t.Fatalf("CommitPlan: %v", err)
	}
	// The first visit runs late: half an hour after its appointment the job is still not started.
	first := visits[0]
	e.clock.Set(first.GetStartTime().AsTime().Add(30 * time.Minute))

	// Without moving, the past appointment cannot be kept.
	resp, err = e.client.PlanDay(ctx, planReq)
	if err != nil {
		t.Fatalf("PlanDay: %v", err)
	}
	left := map[string]dispatchv1.LeftOutReason{}
	for _, l := range resp.GetPlan().GetLeftOut() {
		left[l.GetJobId()] = l.GetReason()
	}
	if left[first.GetJobId()] != dispatchv1.LeftOutReason_LEFT_OUT_REASON_APPOINTMENT_CONFLICT {
		t.Fatalf("left out %v, want job %s as APPOINTMENT_CONFLICT", resp.GetPlan().GetLeftOut(), first.GetJobId())
	}

	planReq.MoveLateAppointments = true
	resp, err = e.client.PlanDay(ctx, planReq)
	if err != nil {
		t.Fatalf("PlanDay moving late appointments: %v", err)
	}
	var move *dispatchv1.CommitVisit
	for _, r := range resp.GetPlan().GetRoutes() {
		for _, v := range r.GetVisits() {
			if v.GetJobId() == first.GetJobId() {
				if !v.GetMovesAppointment() || v.GetStartTime().AsTime().Before(e.clock.Now()) {
					t.Fatalf("late job planned at %s (moves %v), want moved to after now %s", v.GetStartTime().AsTime(), v.GetMovesAppointment(), e.clock.Now())
				}
				move = &dispatchv1.CommitVisit{JobId: v.GetJobId(), TechnicianId: r.GetTechnicianId(), StartTime: v.GetStartTime(), MoveAppointment: true}
			} else if v.GetMovesAppointment() {
				t.Fatalf("job %s moved although its appointment can be kept", v.GetJobId())
			}
		}
	}
	if move == nil {
		t.Fatalf("late job not planned; left out %v", resp.GetPlan().GetLeftOut())
	}
	// Committing the moved visit without move_appointment is a stale plan.
	stale := proto.Clone(move).(*dispatchv1.CommitVisit)
	stale.MoveAppointment = false
	_, err = e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "late-stale", Visits: []*dispatchv1.CommitVisit{stale}})
	wantCode(t, err, codes.FailedPrecondition, "CommitPlan of a moved appointment without move_appointment")

	got, err := e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "late-move", Visits: []*dispatchv1.CommitVisit{move}})
	if err != nil {
		t.Fatalf("CommitPlan moving the appointment: %v", err)
	}
	j := got.GetJobs()[0]
	rs := j.GetAppointment().GetReschedules()
	if len(rs) != 1 || !rs[0].GetLateNotice() || !j.GetAppointment().GetWindow().GetStartTime().AsTime().Equal(move.GetStartTime().AsTime()) {
		t.Fatalf("appointment after the move = %v, want one late-notice reschedule to %s", j.GetAppointment(), move.GetStartTime().AsTime())
	}
	if n := len(j.GetEscalations()); n == 0 || j.GetEscalations()[n-1].GetReason() != dispatchv1.EscalationReason_ESCALATION_REASON_LATE_NOTICE {
		t.Fatalf("escalations = %v, want LATE_NOTICE last", j.GetEscalations())
	}
	e.waitEvents(t, j.GetId(), "appointment_scheduled", "appointment_rescheduled", "escalated")
}

// TestAutoAssignCostsThePlannedDay: automatic assignment prices a job into each technician's
// planned day. The technician whose base is next to the site spends tomorrow 39 road km east
// (appointments at 10:00 and 14:00); the customer is free only at midday, so taking the job
// costs them a round trip between the two appointments. A colleague with an empty day 14 road
// km away is cheaper, and gets it; by the drive from home alone the first would have.
func TestAutoAssignCostsThePlannedDay(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	dayStart := start.Add(14 * time.Hour) // tomorrow 00:00 in Shanghai
	busy := technician("busy-near", 0.01)
	busy.Calendar, busy.CapacityPerDay = officeCalendar(), 20
	busyID := e.createTech(t, busy).GetId()

	east := &typev1.GeoPoint{Latitude: site.Latitude, Longitude: site.Longitude + 0.34}
	for i, h := range []time.Duration{10, 14} {
		in := jobInput(fmt.Sprintf("east-%d", i))
		in.Site = &typev1.Address{Region: "Shandong", City: "Zibo", Point: east}
		in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
		j := e.createJob(t, in)
		if j.GetAssignment().GetTechnicianId() != busyID {
			t.Fatalf("east job %d assigned to %q, want %s (the only technician)", i, j.GetAssignment().GetTechnicianId(), busyID)
		}
		if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-" + j.GetId(), JobId: j.GetId(), TechnicianId: busyID}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		win := &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(h * time.Hour)), EndTime: timestamppb.New(dayStart.Add((h + 1) * time.Hour))}
		if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{RequestId: "appt-" + j.GetId(),
			JobId: j.GetId(), TechnicianId: busyID, Window: win}); err != nil {
			t.Fatalf("ScheduleAppointment: %v", err)
		}
	}
	free := technician("free-far", 0.1)
	free.Calendar, free.CapacityPerDay = officeCalendar(), 20
	freeID := e.createTech(t, free).GetId()

	in := jobInput("midday-near")
	in.CustomerWindow = &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(11*time.Hour + 30*time.Minute)),
		EndTime: timestamppb.New(dayStart.Add(13 * time.Hour))}
	in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
	j := e.createJob(t, in)
	if got := j.GetAssignment().GetTechnicianId(); got != freeID {
		t.Fatalf("job assigned to %q, want %s (the empty day); ranking %v", got, freeID, j.GetLastRanking().GetCandidates())
	}
	var busyC *dispatchv1.Candidate
	for _, c := range j.GetLastRanking().GetCandidates() {
		if c.GetTechnicianId() == busyID {
			busyC = c
		}
	}
	if busyC == nil {
		t.Fatalf("the busy technician is not a candidate: %v", j.GetLastRanking())
	}
	if !slices.ContainsFunc(busyC.GetReasons(), func(r string) bool { return strings.HasPrefix(r, "planned day: +") }) {
		t.Fatalf("busy candidate's reasons %q do not price the planned day", busyC.GetReasons())
	}
	if busyC.GetDistanceKm() < 60 {
		t.Fatalf("busy candidate costed %.1f km, want the round trip from the east (about 78 km of driving)", busyC.GetDistanceKm())
	}

	// A customer free only at 10:30 cannot be fitted into the busy day at all: left out as
	// planned_day, and the colleague takes it.
	in = jobInput("ten-thirty")
	in.CustomerWindow = &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(10*time.Hour + 30*time.Minute)),
		EndTime: timestamppb.New(dayStart.Add(10*time.Hour + 45*time.Minute))}
	in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
	rk, err := e.client.RankTechnicians(ctx, &dispatchv1.RankTechniciansRequest{JobId: e.createJob(t, in).GetId()})
	if err != nil {
		t.Fatalf("RankTechnicians: %v", err)
	}
	for _, c := range rk.GetRanking().GetCandidates() {
		if c.GetTechnicianId() == busyID {
			t.Fatalf("busy technician ranked for 10:30 while at an appointment 39 km away: %v", c.GetReasons())
		}
	}
	if !slices.ContainsFunc(rk.GetRanking().GetExclusions(), func(x *dispatchv1.Exclusion) bool { return x.GetReason() == "planned_day" }) {
		t.Fatalf("exclusions %v, want planned_day counted", rk.GetRanking().GetExclusions())
	}
}

// TestPlanDayRoutesPartsOverGRPC: the day plan reads parts-inventory. A job whose part is only
// on a distant colleague's van goes to that colleague; a job whose part is only in the station
// store goes to the nearby technician (the colleague takes one job a day), whose day starts
// with a depot stop there; the nearby technician is never given the first job, since the store
// does not hold its part.
func TestPlanDayRoutesPartsOverGRPC(t *testing.T) {
	p := startWithInventory(t)
	ctx := context.Background()
	near := technician("parts-near", 0.01)
	near.Calendar, near.CapacityPerDay = officeCalendar(), 10
	nearID := p.createTech(t, near).GetId()
	far := technician("parts-far", 0.2)
	far.Calendar, far.CapacityPerDay = officeCalendar(), 1 // one job: the one only their van can do
	farID := p.createTech(t, far).GetId()

	part := func(sku string) string {
		resp, err := p.inv.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: p.rid(), Part: &inventoryv1.Part{
			Sku: sku, Name: sku, Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, SupplierId: "sup-1",
			UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 5000}}})
		if err != nil {
			t.Fatalf("CreatePart(%s): %v", sku, err)
		}
		return resp.GetPart().GetId()
	}
	receive := func(partID, loc string) {
		if _, err := p.inv.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: p.rid(), PartId: partID, LocationId: loc,
			Quantity: 5, ReceivingNote: "RN-" + partID}); err != nil {
			t.Fatalf("ReceiveStock: %v", err)
		}
	}
	pcb, filter := part("PCB-7"), part("FLT-2")
	van := p.location(t, "van-far", inventoryv1.LocationKind_LOCATION_KIND_VAN,
		&typev1.GeoPoint{Latitude: site.Latitude + 0.2, Longitude: site.Longitude}, farID)
	store := p.location(t, "station-store", inventoryv1.LocationKind_LOCATION_KIND_STATION,
		&typev1.GeoPoint{Latitude: site.Latitude + 0.05, Longitude: site.Longitude}, "")
	receive(pcb, van)
	receive(filter, store)

	dayStart := start.Add(14 * time.Hour)
	job := func(ticket, partID string) string {
		in := jobInput(ticket)
		in.LikelyParts = []*dispatchv1.PartNeed{{PartId: partID, Quantity: 1}}
		in.CustomerWindow = &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(9 * time.Hour)),
			EndTime: timestamppb.New(dayStart.Add(17 * time.Hour))}
		in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
		return p.createJob(t, in).GetId()
	}
	pcbJob, filterJob := job("needs-pcb", pcb), job("needs-filter", filter)

	resp, err := p.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: []string{nearID, farID},
		DayStart: timestamppb.New(dayStart), Budget: durationpb.New(200 * time.Millisecond), Seed: 1})
	if err != nil {
		t.Fatalf("PlanDay: %v", err)
	}
	got := planned(resp.GetPlan())
	if g := got[pcbJob]; g.tech != farID {
		t.Fatalf("PCB job planned on %q, want %s (the only van with the part); left out %v", g.tech, farID, resp.GetPlan().GetLeftOut())
	}
	g, ok := got[filterJob]
	if !ok || g.tech != nearID {
		t.Fatalf("filter job planned on %q, want %s (collects it at the station store); left out %v", g.tech, nearID, resp.GetPlan().GetLeftOut())
	}
	for _, r := range resp.GetPlan().GetRoutes() {
		if r.GetTechnicianId() != nearID {
			continue
		}
		if r.GetDepotLocationId() != store {
			t.Fatalf("near technician's depot stop = %q, want the station store %s", r.GetDepotLocationId(), store)
		}
		if !r.GetDepotArrivalTime().AsTime().Before(g.visit.GetArrivalTime().AsTime()) {
			t.Fatalf("depot stop at %s, visit at %s: want the depot first", r.GetDepotArrivalTime().AsTime(), g.visit.GetArrivalTime().AsTime())
		}
	}
}

// TestReplanStartsWhereTheTechnicianIs: once the day has started, a technician is planned from
// their latest check-in, free an hour after it while still on site; not from their base.
func TestReplanStartsWhereTheTechnicianIs(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := technician("on-site", 0.01)
	tech.Calendar, tech.CapacityPerDay = officeCalendar(), 10
	tid := e.createTech(t, tech).GetId()
	today := start.Add(-10 * time.Hour) // start is 10:00 in Shanghai
	east := &typev1.GeoPoint{Latitude: site.Latitude, Longitude: site.Longitude + 0.34}

	in := jobInput("on-site-now")
	in.Site = &typev1.Address{Region: "Shandong", City: "Zibo", Point: east}
	j := e.createJob(t, in)
	for _, call := range []func() error{
		func() error {
			_, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "acc", JobId: j.GetId(), TechnicianId: tid})
			return err
		},
		func() error {
			_, err := e.client.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "trv", JobId: j.GetId(), TechnicianId: tid})
			return err
		},
		func() error {
			_, err := e.client.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "chk", JobId: j.GetId(), TechnicianId: tid, Point: east})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatalf("setting the technician on site: %v", err)
		}
	}
	checkedIn := e.clock.Now()
	e.clock.Advance(30 * time.Minute)

	next := jobInput("next-door")
	next.Site = &typev1.Address{Region: "Shandong", City: "Zibo", Point: &typev1.GeoPoint{Latitude: east.Latitude, Longitude: east.Longitude + 0.02}}
	next.ArriveBy = timestamppb.New(today.Add(18 * time.Hour))
	nj := e.createJob(t, next)
	if nj.GetAssignment().GetTechnicianId() != tid {
		t.Fatalf("next job assigned to %q, want %s", nj.GetAssignment().GetTechnicianId(), tid)
	}
	resp, err := e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: []string{tid},
		DayStart: timestamppb.New(today), Budget: durationpb.New(100 * time.Millisecond), Seed: 1})
	if err != nil {
		t.Fatalf("PlanDay: %v", err)
	}
	g, ok := planned(resp.GetPlan())[nj.GetId()]
	if !ok {
		t.Fatalf("next job not planned; left out %v", resp.GetPlan().GetLeftOut())
	}
	if d := g.visit.GetTravelBefore().AsDuration(); d > 10*time.Minute {
		t.Fatalf("drive to the next job = %s, want a few minutes from the site they are on (not %s from the base)", d, "about 40m")
	}
	if a := g.visit.GetArrivalTime().AsTime(); a.Before(checkedIn.Add(time.Hour)) {
		t.Fatalf("arrives %s, before the hour on site since %s is over", a, checkedIn)
	}
}

// TestPlanDayOnTheRoadNetwork: with an OSRM server configured, the day's drives are the road
// engine's (the fake's grid of roads, not straight lines); when it stops answering, days are
// still planned, on straight lines, and the plan says so.
func TestPlanDayOnTheRoadNetwork(t *testing.T) {
	roads := osrmtest.Start(t, 100, nil)
	cfg := dispatch.DefaultConfig()
	cfg.InventoryAddr, cfg.OSRMURL = "", roads.URL
	svc, err := dispatch.New(cfg, nil)
	if err != nil {
		t.Fatalf("dispatch.New: %v", err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	clk := clock.NewFake(start)
	s := svctest.Start(t, svc, svctest.Options{Name: "dispatch", Clock: clk})
	e := &env{svc: s, client: dispatchv1.NewDispatchServiceClient(s.Conn), clock: clk}
	ctx := context.Background()

	tech := technician("on-roads", 0)
	tech.Calendar = officeCalendar()
	tid := e.createTech(t, tech).GetId()
	dayStart := start.Add(14 * time.Hour)
	in := jobInput("roads")
	to := &typev1.GeoPoint{Latitude: site.Latitude + 0.1, Longitude: site.Longitude + 0.1}
	in.Site = &typev1.Address{Region: "Shandong", City: "Jinan", Point: to}
	in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
	j := e.createJob(t, in)

	planIt := func() *dispatchv1.DayPlan {
		t.Helper()
		resp, err := e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: []string{tid},
			DayStart: timestamppb.New(dayStart), Budget: durationpb.New(100 * time.Millisecond), Seed: 1})
		if err != nil {
			t.Fatalf("PlanDay: %v", err)
		}
		return resp.GetPlan()
	}
	p := planIt()
	if p.GetTravelSource() != "road_network" {
		t.Fatalf("travel source = %q, want road_network", p.GetTravelSource())
	}
	v := planned(p)[j.GetId()].visit
	// The engine's seconds, rounded up to the second as every planned drive is.
	want := time.Duration(math.Ceil(osrmtest.Seconds(site.Latitude, site.Longitude, to.Latitude, to.Longitude))) * time.Second
	if got := v.GetTravelBefore().AsDuration(); got != want {
		t.Fatalf("drive to the job = %s, want the road engine's %s", got, want)
	}
	if km := p.GetKm(); math.Abs(km-2*osrmtest.Metres(site.Latitude, site.Longitude, to.Latitude, to.Longitude)/1000) > 1e-6 {
		t.Fatalf("day's km = %.3f, want the road engine's there and back", km)
	}

	roads.Close()
	p = planIt()
	if !strings.HasPrefix(p.GetTravelSource(), "straight_line (road network: ") {
		t.Fatalf("travel source with the road engine down = %q, want straight_line with the reason", p.GetTravelSource())
	}
	if _, ok := planned(p)[j.GetId()]; !ok {
		t.Fatalf("job not planned on straight lines; left out %v", p.GetLeftOut())
	}
}

// TestPlanDayCountsTeamMembers: a member of a team job another technician leads that day has
// that job taken from their capacity in the day plan; with nothing left they are planned no
// visit, although they are the nearest.
func TestPlanDayCountsTeamMembers(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	dayStart := start.Add(14 * time.Hour) // tomorrow 00:00 in Shanghai
	mk := func(name string, dLat float64, capacity int32) string {
		tech := technician(name, dLat)
		tech.Calendar, tech.CapacityPerDay = officeCalendar(), capacity
		return e.createTech(t, tech).GetId()
	}
	lead := mk("team-lead", 0.2, 6)
	member := mk("team-member", 0.01, 1) // the nearest: the jobs are at its door
	other := mk("other", 0.3, 6)
	in := jobInput("team-job")
	in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
	team := e.createJob(t, in)
	if _, err := e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "team", JobId: team.GetId(), TechnicianId: lead,
		MemberIds: []string{member}, Reason: "two-person job"}); err != nil {
		t.Fatalf("AssignJob(lead with member) = %v", err)
	}
	if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-team", JobId: team.GetId(), TechnicianId: lead}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	win := &dispatchv1.TimeWindow{StartTime: timestamppb.New(dayStart.Add(9 * time.Hour)), EndTime: timestamppb.New(dayStart.Add(11 * time.Hour))}
	if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{RequestId: "appt-team", JobId: team.GetId(), TechnicianId: lead, Window: win}); err != nil {
		t.Fatalf("ScheduleAppointment: %v", err)
	}
	for i := range 2 {
		in := jobInput(fmt.Sprintf("near-%d", i))
		in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
		in.Site = &typev1.Address{Region: "Shandong", City: "Jinan", Point: &typev1.GeoPoint{Latitude: site.Latitude + 0.01, Longitude: site.Longitude + 0.02*float64(i)}}
		e.createJob(t, in)
	}
	resp, err := e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: []string{member, other, lead},
		DayStart: timestamppb.New(dayStart), Budget: durationpb.New(200 * time.Millisecond), Seed: 1})
	if err != nil {
		t.Fatalf("PlanDay: %v", err)
	}
	n := map[string]int{}
	for job, p := range planned(resp.GetPlan()) {
		if job != team.GetId() {
			n[p.tech]++
		}
	}
	if n[member] != 0 || n[other]+n[lead] != 2 {
		t.Errorf("visits planned per technician = %v, want none for the member %s (their one job of the day is the team's), both for the others", n, member)
	}
}

// TestAFullDayDefersToTheNext: a technician whose day is booked solid is not left out of a job
// that can wait: the ranking looks at their next working day, before the job's deadline, and
// they take it there. (Ranking only by the arrival day dropped them as planned_day, and a job
// whose only technician was busy tonight stayed unassigned until a person stepped in.)
func TestAFullDayDefersToTheNext(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	dayStart := start.Add(14 * time.Hour) // tomorrow 00:00 in Shanghai; now is today 10:00
	busy := technician("booked-solid", 0.01)
	busy.Calendar, busy.CapacityPerDay = officeCalendar(), 20
	busyID := e.createTech(t, busy).GetId()
	east := &typev1.GeoPoint{Latitude: site.Latitude, Longitude: site.Longitude + 0.34}
	for i := range 7 { // 10:30, 11:30, …, 16:30, an hour each, 39 road km east: no gap to fill
		in := jobInput(fmt.Sprintf("solid-%d", i))
		in.Site = &typev1.Address{Region: "Shandong", City: "Zibo", Point: east}
		in.ArriveBy = timestamppb.New(dayStart.Add(72 * time.Hour))
		j := e.createJob(t, in)
		if j.GetAssignment().GetTechnicianId() != busyID {
			t.Fatalf("east job %d assigned to %q, want %s", i, j.GetAssignment().GetTechnicianId(), busyID)
		}
		if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "accept-" + j.GetId(), JobId: j.GetId(), TechnicianId: busyID}); err != nil {
			t.Fatalf("AcceptJob: %v", err)
		}
		at := start.Add(30*time.Minute + time.Duration(i)*time.Hour)
		win := &dispatchv1.TimeWindow{StartTime: timestamppb.New(at), EndTime: timestamppb.New(at.Add(time.Hour))}
		if _, err := e.client.ScheduleAppointment(ctx, &dispatchv1.ScheduleAppointmentRequest{RequestId: "appt-" + j.GetId(),
			JobId: j.GetId(), TechnicianId: busyID, Window: win}); err != nil {
			t.Fatalf("ScheduleAppointment: %v", err)
		}
	}
	in := jobInput("can-wait")
	in.ArriveBy = timestamppb.New(dayStart.Add(48 * time.Hour))
	j := e.createJob(t, in)
	if got := j.GetAssignment().GetTechnicianId(); got != busyID {
		t.Fatalf("job assigned to %q, want %s on their next day; ranking %v", got, busyID, j.GetLastRanking())
	}
	c := j.GetLastRanking().GetCandidates()[0]
	if at := c.GetArrivalTime().AsTime(); at.Before(dayStart.Add(8*time.Hour)) || !at.Before(dayStart.Add(10*time.Hour)) {
		t.Errorf("planned arrival %s, want tomorrow morning after 08:00 Shanghai", at.In(time.FixedZone("CST", 8*3600)))
	}

	// A job due tonight cannot wait for tomorrow: still left out as planned_day.
	in = jobInput("due-tonight")
	in.ArriveBy = timestamppb.New(start.Add(8 * time.Hour))
	rk, err := e.client.RankTechnicians(ctx, &dispatchv1.RankTechniciansRequest{JobId: e.createJob(t, in).GetId()})
	if err != nil {
		t.Fatalf("RankTechnicians: %v", err)
	}
	if len(rk.GetRanking().GetCandidates()) != 0 ||
		!slices.ContainsFunc(rk.GetRanking().GetExclusions(), func(x *dispatchv1.Exclusion) bool { return x.GetReason() == "planned_day" }) {
		t.Fatalf("ranking %v, want the booked technician left out as planned_day", rk.GetRanking())
	}
}
