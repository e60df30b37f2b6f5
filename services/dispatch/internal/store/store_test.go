package store

import (
	"fmt"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// jid is the i-th job id: valid ULIDs in order.
func jid(i int) string { return fmt.Sprintf("01J%023d", i) }

// jobIDs names jobs j0, j1, ... by their jid.
func jobIDs(jobs []*dispatchv1.Job) []string {
	var out []string
	for _, j := range jobs {
		for i := 0; i < 10; i++ {
			if jid(i) == j.GetId() {
				out = append(out, fmt.Sprintf("j%d", i))
			}
		}
	}
	return out
}

func TestJobIndexesFollowChanges(t *testing.T) {
	db := bolttest.Open(t, Schema())
	assigned := dispatchv1.JobState_JOB_STATE_ASSIGNED
	mk := func(id, ticket, tech string, st dispatchv1.JobState) *dispatchv1.Job {
		j := &dispatchv1.Job{Id: id, TicketId: ticket, State: st}
		if tech != "" {
			j.Assignment = &dispatchv1.Assignment{TechnicianId: tech}
		}
		return j
	}
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		for i, tech := range []string{"t1", "t1", "t2", ""} {
			st := assigned
			if tech == "" {
				st = dispatchv1.JobState_JOB_STATE_UNASSIGNED
			}
			if err := PutJob(tx, nil, mk(jid(i), "T-1", tech, st)); err != nil {
				return err
			}
		}
		// j0 moves from t1 to t2 and is accepted.
		old, _, err := Job(tx, jid(0))
		if err != nil {
			return err
		}
		nu := proto.Clone(old).(*dispatchv1.Job)
		nu.State, nu.Assignment = dispatchv1.JobState_JOB_STATE_ACCEPTED, &dispatchv1.Assignment{TechnicianId: "t2"}
		return PutJob(tx, old, nu)
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    JobFilter
		want string
	}{
		{"all", JobFilter{}, "[j0 j1 j2 j3]"},
		{"ticket", JobFilter{TicketID: "T-1"}, "[j0 j1 j2 j3]"},
		{"other ticket", JobFilter{TicketID: "T-2"}, "[]"},
		{"technician t1", JobFilter{TechnicianID: "t1"}, "[j1]"},
		{"technician t2", JobFilter{TechnicianID: "t2"}, "[j0 j2]"},
		{"assigned", JobFilter{State: assigned}, "[j1 j2]"},
		{"accepted", JobFilter{State: dispatchv1.JobState_JOB_STATE_ACCEPTED}, "[j0]"},
		{"t2 and assigned", JobFilter{TechnicianID: "t2", State: assigned}, "[j2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = db.View(func(tx *bbolt.Tx) error {
				got, next, err := ListJobs(tx, tt.f, "", 50)
				if err != nil || next != "" || fmt.Sprint(jobIDs(got)) != tt.want {
					t.Fatalf("ListJobs(%+v) = %v, %q, %v; want %s", tt.f, jobIDs(got), next, err, tt.want)
				}
				return nil
			})
		})
	}
	// Pages of two.
	_ = db.View(func(tx *bbolt.Tx) error {
		p1, tok, err := ListJobs(tx, JobFilter{}, "", 2)
		if err != nil || tok == "" || fmt.Sprint(jobIDs(p1)) != "[j0 j1]" {
			t.Fatalf("page 1 = %v, %q, %v", jobIDs(p1), tok, err)
		}
		p2, tok2, err := ListJobs(tx, JobFilter{}, tok, 2)
		if err != nil || tok2 != "" || fmt.Sprint(jobIDs(p2)) != "[j2 j3]" {
			t.Fatalf("page 2 = %v, %q, %v", jobIDs(p2), tok2, err)
		}
		if _, _, err := ListJobs(tx, JobFilter{TicketID: "T-1"}, tok, 2); err == nil {
			t.Fatalf("ListJobs with a token of another list: no error")
		}
		if _, _, err := ListJobs(tx, JobFilter{}, "bm90LWFuLWlk", 2); err == nil {
			t.Fatalf("ListJobs with a token that names no job: no error")
		}
		return nil
	})
}

func TestTechnicianOrganisationIndex(t *testing.T) {
	db := bolttest.Open(t, Schema())
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		a := &dispatchv1.Technician{Id: "a", OrganisationId: "o1", Active: true,
			Skills: []*dispatchv1.ProductSkills{{ProductLine: "diesel"}}}
		if err := PutTechnician(tx, nil, a); err != nil {
			return err
		}
		if err := PutTechnician(tx, nil, &dispatchv1.Technician{Id: "b", OrganisationId: "o1"}); err != nil {
			return err
		}
		moved := proto.Clone(a).(*dispatchv1.Technician)
		moved.OrganisationId = "o2"
		return PutTechnician(tx, a, moved)
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    TechnicianFilter
		want string
	}{
		{TechnicianFilter{OrganisationID: "o1"}, "[b]"},
		{TechnicianFilter{OrganisationID: "o2"}, "[a]"},
		{TechnicianFilter{ActiveOnly: true}, "[a]"},
		{TechnicianFilter{ProductLine: "diesel"}, "[a]"},
		{TechnicianFilter{ProductLine: "led"}, "[]"},
		{TechnicianFilter{}, "[a b]"},
	}
	for _, tt := range tests {
		_ = db.View(func(tx *bbolt.Tx) error {
			got, _, err := ListTechnicians(tx, tt.f, "", 50)
			var names []string
			for _, x := range got {
				names = append(names, x.GetId())
			}
			if err != nil || fmt.Sprint(names) != tt.want {
				t.Errorf("ListTechnicians(%+v) = %v, %v; want %s", tt.f, names, err, tt.want)
			}
			return nil
		})
	}
}

// TestOpenJobsOfATechnician: the open-jobs index holds a technician's open jobs only, follows
// reassignment and completion, and is rebuilt from the state index; RecentJobsOf walks a
// technician's jobs newest first.
func TestOpenJobsOfATechnician(t *testing.T) {
	db := bolttest.Open(t, Schema())
	open := func(tx *bbolt.Tx, tech string) []string {
		var ids []*dispatchv1.Job
		if err := OpenJobsOf(tx, tech, func(j *dispatchv1.Job) error { ids = append(ids, j); return nil }); err != nil {
			t.Fatal(err)
		}
		return jobIDs(ids)
	}
	put := func(tx *bbolt.Tx, i int, tech string, st dispatchv1.JobState) {
		old, _, err := Job(tx, jid(i))
		if err != nil {
			t.Fatal(err)
		}
		j := &dispatchv1.Job{Id: jid(i), TicketId: "T-1", State: st, Assignment: &dispatchv1.Assignment{TechnicianId: tech}}
		if !found(old) {
			old = nil
		}
		if err := PutJob(tx, old, j); err != nil {
			t.Fatal(err)
		}
	}
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		put(tx, 0, "t1", dispatchv1.JobState_JOB_STATE_ASSIGNED)
		put(tx, 1, "t1", dispatchv1.JobState_JOB_STATE_ON_SITE)
		put(tx, 2, "t1", dispatchv1.JobState_JOB_STATE_COMPLETED)
		put(tx, 3, "t2", dispatchv1.JobState_JOB_STATE_ACCEPTED)
		if got := fmt.Sprint(open(tx, "t1")); got != "[j0 j1]" {
			t.Fatalf("t1 open jobs = %s, want [j0 j1]", got)
		}
		put(tx, 0, "t2", dispatchv1.JobState_JOB_STATE_ASSIGNED) // reassigned
		put(tx, 1, "t1", dispatchv1.JobState_JOB_STATE_COMPLETED)
		if got := fmt.Sprint(open(tx, "t1"), open(tx, "t2")); got != "[] [j0 j3]" {
			t.Fatalf("open jobs of t1, t2 = %s, want [] [j0 j3]", got)
		}
		// A file whose index went stale (written by a binary that did not keep it).
		if err := tx.DeleteBucket(bucketOpenJobsByTech); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketOpenJobsByTech); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOpenJobsByTech).Put(pstore.Key("t1", jid(2)), nil); err != nil {
			return err
		}
		if err := RebuildOpenJobs(tx); err != nil {
			return err
		}
		if got := fmt.Sprint(open(tx, "t1"), open(tx, "t2")); got != "[] [j0 j3]" {
			t.Fatalf("rebuilt open jobs of t1, t2 = %s, want [] [j0 j3]", got)
		}
		var recent []*dispatchv1.Job
		if err := RecentJobsOf(tx, "t1", 10, func(j *dispatchv1.Job) bool { recent = append(recent, j); return true }); err != nil {
			return err
		}
		if got := fmt.Sprint(jobIDs(recent)); got != "[j2 j1]" {
			t.Fatalf("t1's recent jobs = %s, want newest first [j2 j1]", got)
		}
		recent = nil
		if err := RecentJobsOf(tx, "t2", 1, func(j *dispatchv1.Job) bool { recent = append(recent, j); return true }); err != nil {
			return err
		}
		if got := fmt.Sprint(jobIDs(recent)); got != "[j3]" {
			t.Fatalf("t2's newest job = %s, want [j3]", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func found(j *dispatchv1.Job) bool { return j != nil && j.GetId() != "" }
