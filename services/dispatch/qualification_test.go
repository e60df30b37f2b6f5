package dispatch_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
)

// wantReason fails unless err is FAILED_PRECONDITION with an ErrorInfo of reason.
func wantReason(t *testing.T, err error, reason, call string) {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != codes.FailedPrecondition {
		t.Fatalf("%s = %v, want FAILED_PRECONDITION (%s)", call, err, reason)
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == reason {
			return
		}
	}
	t.Fatalf("%s = %v (details %v), want ErrorInfo reason %s", call, err, st.Details(), reason)
}

// TestUnqualifiedTechnicianIsNeverAssigned: a trainee and a technician whose qualification
// lapsed are nearer than the qualified one; automatic assignment, the ranking, a manual
// assignment and the day plan all pass them over, and say why. A trainee works only
// alongside a qualified lead; the team shows in every member's jobs and in the report.
func TestUnqualifiedTechnicianIsNeverAssigned(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	now := e.clock.Now()
	const line = "diesel-engine"

	qualified := e.createTech(t, technician("qualified", 0.4))
	trainee := e.createTrainee(t, technician("trainee", 0.05))
	e.train(t, trainee.GetId(), line, now.AddDate(0, -1, 0), now.AddDate(0, 1, 0))
	lapsed := e.createTrainee(t, technician("lapsed", 0.1))
	e.train(t, lapsed.GetId(), line, now.AddDate(0, -18, 0), now.AddDate(0, -15, 0))
	if _, err := e.assess(lapsed.GetId(), line, now.AddDate(0, -14, 0), true); err != nil {
		t.Fatalf("RecordAssessment(lapsed): %v", err)
	}

	// Records: an assessment before the training ends is refused; the list says where each stands.
	_, err := e.assess(trainee.GetId(), line, now, true)
	wantReason(t, err, "TRAINING_INCOMPLETE", "RecordAssessment(trainee mid-training)")
	for _, c := range []struct {
		id    string
		state dispatchv1.QualificationState
	}{
		{qualified.GetId(), dispatchv1.QualificationState_QUALIFICATION_STATE_QUALIFIED},
		{trainee.GetId(), dispatchv1.QualificationState_QUALIFICATION_STATE_IN_TRAINING},
		{lapsed.GetId(), dispatchv1.QualificationState_QUALIFICATION_STATE_EXPIRED},
	} {
		resp, err := e.client.ListQualifications(ctx, &dispatchv1.ListQualificationsRequest{TechnicianId: c.id})
		if err != nil || len(resp.GetQualifications()) != 1 || resp.GetQualifications()[0].GetState() != c.state {
			t.Fatalf("ListQualifications(%s) = %v, %v; want one line %s", c.id, resp, err, c.state)
		}
	}

	// Automatic assignment and the ranking.
	j := e.createJob(t, jobInput("Q-1"))
	if got := j.GetAssignment().GetTechnicianId(); got != qualified.GetId() {
		t.Fatalf("CreateJob() assigned %s, want the qualified %s", got, qualified.GetId())
	}
	if j.GetAssignment().GetQualifiedUntil() == nil {
		t.Fatalf("CreateJob() assignment has no qualified_until")
	}
	rk, err := e.client.RankTechnicians(ctx, &dispatchv1.RankTechniciansRequest{JobId: j.GetId()})
	if err != nil {
		t.Fatalf("RankTechnicians: %v", err)
	}
	cs := rk.GetRanking().GetCandidates()
	if len(cs) != 1 || cs[0].GetTechnicianId() != qualified.GetId() || cs[0].GetReasons()[0][:len("qualified until ")] != "qualified until " {
		t.Fatalf("RankTechnicians() = %v, want only the qualified technician, first reason \"qualified until …\"", cs)
	}
	excluded := false
	for _, x := range rk.GetRanking().GetExclusions() {
		if x.GetReason() == "not qualified for "+line && x.GetCount() == 2 {
			excluded = true
		}
	}
	if !excluded {
		t.Fatalf("RankTechnicians() exclusions = %v, want \"not qualified for %s\" × 2", rk.GetRanking().GetExclusions(), line)
	}

	// Manual assignment: alone, neither the trainee nor the lapsed technician.
	_, err = e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "m1", JobId: j.GetId(), TechnicianId: trainee.GetId()})
	wantReason(t, err, "TRAINEE_NEEDS_LEAD", "AssignJob(trainee alone)")
	_, err = e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "m2", JobId: j.GetId(), TechnicianId: lapsed.GetId()})
	wantReason(t, err, "NOT_QUALIFIED", "AssignJob(lapsed)")
	_, err = e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "m3", JobId: j.GetId(), TechnicianId: trainee.GetId(),
		MemberIds: []string{qualified.GetId()}})
	wantReason(t, err, "TRAINEE_NEEDS_LEAD", "AssignJob(trainee leading)")
	_, err = e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "m4", JobId: j.GetId(), TechnicianId: qualified.GetId(),
		MemberIds: []string{lapsed.GetId()}})
	wantReason(t, err, "NOT_QUALIFIED", "AssignJob(lapsed member)")
	if got := e.job(t, j.GetId()).GetAssignment().GetTechnicianId(); got != qualified.GetId() {
		t.Fatalf("after refused assignments the job is with %s, want %s", got, qualified.GetId())
	}

	// The day plan: with only the unqualified two, the job is left out for want of skill.
	dayStart := now.Truncate(time.Hour)
	plan, err := e.client.PlanDay(ctx, &dispatchv1.PlanDayRequest{TechnicianIds: []string{trainee.GetId(), lapsed.GetId()},
		DayStart: timestamppb.New(dayStart), Budget: durationpb.New(100 * time.Millisecond)})
	if err != nil {
		t.Fatalf("PlanDay: %v", err)
	}
	for _, r := range plan.GetPlan().GetRoutes() {
		if len(r.GetVisits()) > 0 {
			t.Fatalf("PlanDay() planned %v for an unqualified technician", r)
		}
	}
	_, err = e.client.CommitPlan(ctx, &dispatchv1.CommitPlanRequest{RequestId: "p1", Visits: []*dispatchv1.CommitVisit{
		{JobId: j.GetId(), TechnicianId: lapsed.GetId(), StartTime: timestamppb.New(now.Add(time.Hour))}}})
	wantReason(t, err, "NOT_QUALIFIED", "CommitPlan(lapsed)")

	// A team: the qualified lead with the trainee.
	resp, err := e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "m5", JobId: j.GetId(), TechnicianId: qualified.GetId(),
		MemberIds: []string{trainee.GetId()}, Reason: "trainee rides along"})
	if err != nil {
		t.Fatalf("AssignJob(team): %v", err)
	}
	if got := resp.GetJob().GetAssignment().GetMemberIds(); len(got) != 1 || got[0] != trainee.GetId() {
		t.Fatalf("AssignJob(team) members = %v, want [%s]", got, trainee.GetId())
	}
	for _, id := range []string{qualified.GetId(), trainee.GetId()} {
		list, err := e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{TechnicianId: id})
		if err != nil || len(list.GetJobs()) != 1 || list.GetJobs()[0].GetId() != j.GetId() {
			t.Fatalf("ListJobs(%s) = %v, %v; want the team's job", id, list.GetJobs(), err)
		}
	}
	tid := qualified.GetId()
	for _, step := range []func() error{
		func() error {
			_, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a1", JobId: j.GetId(), TechnicianId: tid})
			return err
		},
		func() error {
			_, err := e.client.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c1", JobId: j.GetId(), TechnicianId: tid, Point: site})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatalf("visit: %v", err)
		}
	}
	e.clock.Advance(time.Hour)
	done, err := e.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v1", JobId: j.GetId(), TechnicianId: tid,
		Report: &dispatchv1.ServiceReport{Resolved: true, WorkDone: "replaced injector", Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY,
			SignOff: signed(e.clock.Now())}})
	if err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	team := done.GetJob().GetReport().GetTeam()
	if team.GetLeadTechnicianId() != tid || len(team.GetMemberTechnicianIds()) != 1 || team.GetMemberTechnicianIds()[0] != trainee.GetId() {
		t.Fatalf("report team = %v, want lead %s with member %s", team, tid, trainee.GetId())
	}
	e.waitEvents(t, j.GetId(), "created", "assigned", "reassigned", "accepted", "checked_in", "visit_completed")
}

// TestQualificationRecordsBadInput: readable refusals for records that make no sense.
func TestQualificationRecordsBadInput(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	now := e.clock.Now()
	tech := e.createTrainee(t, technician("new", 0.1))
	_, err := e.client.RecordTraining(ctx, &dispatchv1.RecordTrainingRequest{TechnicianId: tech.GetId(), ProductLine: "diesel-engine",
		StartTime: timestamppb.New(now), EndTime: timestamppb.New(now.Add(-time.Hour))})
	wantField(t, err, "end_time")
	_, err = e.client.RecordTraining(ctx, &dispatchv1.RecordTrainingRequest{TechnicianId: tech.GetId(), ProductLine: "boats",
		StartTime: timestamppb.New(now), EndTime: timestamppb.New(now.Add(time.Hour))})
	wantField(t, err, "product_line")
	_, err = e.client.RecordTraining(ctx, &dispatchv1.RecordTrainingRequest{TechnicianId: tech.GetId(), ProductLine: "diesel-engine"})
	wantField(t, err, "start_time")
	_, err = e.assess(tech.GetId(), "diesel-engine", now, true)
	wantReason(t, err, "TRAINING_INCOMPLETE", "RecordAssessment(untrained)")
	_, err = e.client.ListQualifications(ctx, &dispatchv1.ListQualificationsRequest{TechnicianId: "nobody"})
	wantCode(t, err, codes.NotFound, "ListQualifications(nobody)")
}
