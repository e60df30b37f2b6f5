package api

import (
	"errors"
	"fmt"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/reflect/protoreflect"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
)

// TestSnapshotStaysWithinEventBounds grows a job's histories past what an event may carry and
// checks that every job event built from it passes the event's own rules (the consumers' check).
func TestSnapshotStaysWithinEventBounds(t *testing.T) {
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	ranking := &dispatchv1.Ranking{}
	for i := range 10 {
		ranking.Candidates = append(ranking.Candidates, &dispatchv1.Candidate{TechnicianId: fmt.Sprintf("T%d", i)})
	}
	j := &dispatchv1.Job{Id: "J1", LastRanking: ranking, Assignment: &dispatchv1.Assignment{TechnicianId: "T0", Ranking: ranking},
		Appointment: &dispatchv1.Appointment{}}
	for i := range 60 {
		j.PreviousAssignments = append(j.PreviousAssignments, &dispatchv1.Assignment{TechnicianId: fmt.Sprintf("T%d", i), Ranking: ranking})
		j.Escalations = append(j.Escalations, &dispatchv1.Escalation{Detail: fmt.Sprintf("e%d", i)})
		j.Amendments = append(j.Amendments, &dispatchv1.ReportAmendment{Diagnosis: fmt.Sprintf("a%d", i)})
		j.Appointment.Reschedules = append(j.Appointment.Reschedules, &dispatchv1.Reschedule{Reason: fmt.Sprintf("r%d", i)})
	}
	s := snapshot(j)
	for _, ev := range []interface{ ProtoReflect() protoreflect.Message }{&dispatchv1.JobAssigned{Job: s}, &dispatchv1.JobReassigned{Job: s}, &dispatchv1.ReportAmended{Job: s}} {
		var verr *protovalidate.ValidationError
		if err := v.Validate(ev); errors.As(err, &verr) {
			for _, vi := range verr.Violations {
				// The bare job misses required fields; only the rules on its size matter here.
				if id := vi.Proto.GetRuleId(); id == "sanbao.snapshot" || id == "repeated.max_items" {
					t.Errorf("Validate(%T of a job with long histories): %s: %s", ev, protovalidate.FieldPathString(vi.Proto.GetField()), vi.Proto.GetMessage())
				}
			}
		}
	}
	if got := s.GetPreviousAssignments()[len(s.GetPreviousAssignments())-1].GetTechnicianId(); got != "T59" {
		t.Errorf("snapshot's last previous assignment = %s, want the latest (T59)", got)
	}
	if len(j.GetPreviousAssignments()) != 60 || j.GetLastRanking() == nil {
		t.Errorf("snapshot changed the job itself")
	}
}
