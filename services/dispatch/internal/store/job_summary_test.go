package store

import (
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/svctest"
)

// TestOpenJobSummaries: a summary holds exactly the job's id, state, site, appointment and
// its assignment's assigned and planned arrival times, and full gives the whole stored job.
func TestOpenJobSummaries(t *testing.T) {
	db := bolttest.Open(t, Schema())
	now := svctest.Now()
	ts := func(h int) *timestamppb.Timestamp { return timestamppb.New(now.Add(time.Duration(h) * time.Hour)) }
	site := &typev1.Address{Line: "1 Jingshi Road", City: "Jinan", Point: &typev1.GeoPoint{Latitude: 36.6, Longitude: 117}}
	appt := &dispatchv1.Appointment{Window: &dispatchv1.TimeWindow{StartTime: ts(3), EndTime: ts(5)}, AgreedTime: ts(1)}
	jobs := []*dispatchv1.Job{
		{Id: jid(0), TicketId: "T-1", State: dispatchv1.JobState_JOB_STATE_ACCEPTED, Site: site, Appointment: appt,
			ProductLine: "washer", RequiredSkills: []string{"a", "b"},
			Assignment: &dispatchv1.Assignment{TechnicianId: "t1", AssignedTime: ts(0), PlannedArrivalTime: ts(2), Reason: "best",
				Ranking: &dispatchv1.Ranking{Candidates: []*dispatchv1.Candidate{{TechnicianId: "t1"}, {TechnicianId: "t2"}}}},
			PreviousAssignments: []*dispatchv1.Assignment{{TechnicianId: "t9", AssignedTime: ts(-5)}}},
		{Id: jid(1), TicketId: "T-2", State: dispatchv1.JobState_JOB_STATE_ASSIGNED,
			Assignment: &dispatchv1.Assignment{TechnicianId: "t1", AcceptBy: ts(1)}},
	}
	want := []*dispatchv1.Job{
		{Id: jid(0), State: dispatchv1.JobState_JOB_STATE_ACCEPTED, Site: site, Appointment: appt,
			Assignment: &dispatchv1.Assignment{AssignedTime: ts(0), PlannedArrivalTime: ts(2)}},
		{Id: jid(1), State: dispatchv1.JobState_JOB_STATE_ASSIGNED, Assignment: &dispatchv1.Assignment{}},
	}
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		for _, j := range jobs {
			if err := PutJob(tx, nil, j); err != nil {
				return err
			}
		}
		i := 0
		err := OpenJobSummariesOf(tx, "t1", func(s *dispatchv1.Job, full func() (*dispatchv1.Job, error)) error {
			if i >= len(want) {
				t.Fatalf("more summaries than jobs: %v", s)
			}
			if d := cmp.Diff(want[i], s, protocmp.Transform()); d != "" {
				t.Errorf("summary %d (-want +got):\n%s", i, d)
			}
			j, err := full()
			if err != nil {
				return err
			}
			if !proto.Equal(j, jobs[i]) {
				t.Errorf("full job %d = %v, want %v", i, j, jobs[i])
			}
			i++
			return nil
		})
		if i != len(want) {
			t.Errorf("%d summaries, want %d", i, len(want))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
