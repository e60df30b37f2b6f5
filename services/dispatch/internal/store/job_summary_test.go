package store

import (
	"fmt"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/svctest"
)

// TestOpenJobSummaries: a summary holds exactly the fields planning reads, and of the
// assignment its assigned and planned arrival times; not the ranking, history or the rest.
func TestOpenJobSummaries(t *testing.T) {
	db := bolttest.Open(t, Schema())
	now := svctest.Now()
	ts := func(h int) *timestamppb.Timestamp { return timestamppb.New(now.Add(time.Duration(h) * time.Hour)) }
	site := &typev1.Address{Line: "1 Jingshi Road", City: "Jinan", Point: &typev1.GeoPoint{Latitude: 36.6, Longitude: 117}}
	appt := &dispatchv1.Appointment{Window: &dispatchv1.TimeWindow{StartTime: ts(3), EndTime: ts(5)}, AgreedTime: ts(1)}
	jobs := []*dispatchv1.Job{
		{Id: jid(0), TicketId: "T-1", State: dispatchv1.JobState_JOB_STATE_ACCEPTED, Site: site, Appointment: appt,
			ProductLine: "washer", RequiredSkills: []string{"a", "b"}, Kind: dispatchv1.JobKind_JOB_KIND_REPAIR,
			Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE, Priority: dispatchv1.Priority_PRIORITY_NORMAL,
			ArriveBy: ts(6), CustomerWindow: &dispatchv1.TimeWindow{StartTime: ts(2), EndTime: ts(8)},
			LikelyParts: []*dispatchv1.PartNeed{{PartId: "P-1", Quantity: 1}}, UnitSerial: "SN-1", FaultCode: "F-1",
			FixBy: ts(20), CreatedBy: "desk",
			Assignment: &dispatchv1.Assignment{TechnicianId: "t1", AssignedTime: ts(0), PlannedArrivalTime: ts(2), Reason: "best",
				Ranking: &dispatchv1.Ranking{Candidates: []*dispatchv1.Candidate{{TechnicianId: "t1"}, {TechnicianId: "t2"}}}},
			PreviousAssignments: []*dispatchv1.Assignment{{TechnicianId: "t9", AssignedTime: ts(-5)}}},
		{Id: jid(1), TicketId: "T-2", State: dispatchv1.JobState_JOB_STATE_ASSIGNED,
			Assignment: &dispatchv1.Assignment{TechnicianId: "t1", AcceptBy: ts(1)}},
	}
	want := []*dispatchv1.Job{
		{Id: jid(0), State: dispatchv1.JobState_JOB_STATE_ACCEPTED, Site: site, Appointment: appt,
			ProductLine: "washer", RequiredSkills: []string{"a", "b"}, Kind: dispatchv1.JobKind_JOB_KIND_REPAIR,
			Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE, Priority: dispatchv1.Priority_PRIORITY_NORMAL,
			ArriveBy: ts(6), CustomerWindow: &dispatchv1.TimeWindow{StartTime: ts(2), EndTime: ts(8)},
			LikelyParts: []*dispatchv1.PartNeed{{PartId: "P-1", Quantity: 1}},
			Assignment:  &dispatchv1.Assignment{AssignedTime: ts(0), PlannedArrivalTime: ts(2)}},
		{Id: jid(1), State: dispatchv1.JobState_JOB_STATE_ASSIGNED, Assignment: &dispatchv1.Assignment{}},
	}
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		for _, j := range jobs {
			if err := PutJob(tx, nil, j); err != nil {
				return err
			}
		}
		i := 0
		err := OpenJobSummariesOf(tx, "t1", func(s *dispatchv1.Job) error {
			if i >= len(want) {
				t.Fatalf("more summaries than jobs: %v", s)
			}
			if d := cmp.Diff(want[i], s, protocmp.Transform()); d != "" {
				t.Errorf("summary %d (-want +got):\n%s", i, d)
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

// BenchmarkOpenJobsOf reads a technician's 20 open jobs, each with a ranking of ten candidates
// and a previous assignment: whole ("full") or as summaries ("summary"), as a planned day does.
func BenchmarkOpenJobsOf(b *testing.B) {
	db := bolttest.Open(b, Schema())
	now := svctest.Now()
	var cands []*dispatchv1.Candidate
	for i := range 10 {
		cands = append(cands, &dispatchv1.Candidate{TechnicianId: fmt.Sprintf("t%d", i), OrganisationId: "station",
			Score: 0.5, DistanceKm: 12, ArrivalTime: timestamppb.New(now), Reasons: []string{"closest with the skills", "lightest load"}})
	}
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		for i := range 20 {
			j := &dispatchv1.Job{Id: jid(i), TicketId: "T-1", State: dispatchv1.JobState_JOB_STATE_ACCEPTED, ProductLine: "line-1",
				Site:                &typev1.Address{Line: "1 Jingshi Road", City: "Jinan", Point: &typev1.GeoPoint{Latitude: 36.6, Longitude: 117}},
				Assignment:          &dispatchv1.Assignment{TechnicianId: "t1", AssignedTime: timestamppb.New(now), Ranking: &dispatchv1.Ranking{Candidates: cands}},
				PreviousAssignments: []*dispatchv1.Assignment{{TechnicianId: "t9", Ranking: &dispatchv1.Ranking{Candidates: cands}}}}
			if err := PutJob(tx, nil, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		_ = db.View(func(tx *bbolt.Tx) error {
			for range b.N {
				if err := OpenJobsOf(tx, "t1", func(*dispatchv1.Job) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			return nil
		})
	})
	b.Run("summary", func(b *testing.B) {
		b.ReportAllocs()
		_ = db.View(func(tx *bbolt.Tx) error {
			for range b.N {
				if err := OpenJobSummariesOf(tx, "t1", func(*dispatchv1.Job) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			return nil
		})
	})
}
