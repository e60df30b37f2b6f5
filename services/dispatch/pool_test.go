package dispatch_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/dispatch/internal/api"
)

// poolWorld runs dispatch with tokens on and four technicians: two qualified colleagues of
// station-jinan, one without the skills and one of another organisation.
type poolWorld struct {
	*env
	run                        *svctest.Service
	a, b, unskilled, elsewhere *dispatchv1.Technician
}

func startPool(t *testing.T) *poolWorld {
	t.Helper()
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := dispatch.DefaultConfig()
	cfg.InventoryAddr = ""
	svc, err := dispatch.New(cfg, &api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	clk := clock.NewFake(start)
	run := svctest.Start(t, svc, svctest.Options{Name: "dispatch", Clock: clk, Auth: local})
	e := &env{svc: run, client: dispatchv1.NewDispatchServiceClient(run.Conn), clock: clk, events: watch(t, run.NATS.URL())}
	w := &poolWorld{env: e, run: run}
	w.a = e.createTech(t, technician("a", 0.1))
	w.b = e.createTech(t, technician("b", 0.2))
	us := technician("unskilled", 0.05)
	us.Skills = []*dispatchv1.ProductSkills{{ProductLine: "hydraulics", Skills: []string{"pumps"}}}
	w.unskilled = e.createTech(t, us)
	el := technician("elsewhere", 0.05)
	el.OrganisationId = "station-qingdao"
	w.elsewhere = e.createTech(t, el)
	return w
}

// as is the technician's own phone: a token naming them.
func (w *poolWorld) as(t *testing.T, tech *dispatchv1.Technician) dispatchv1.DispatchServiceClient {
	return dispatchv1.NewDispatchServiceClient(w.run.DialAs(t, auth.Person{Subject: "user-" + tech.GetId(),
		Roles: []auth.Role{auth.RoleTechnician}, TechnicianID: tech.GetId()}))
}

// pooled creates a job and releases it to station-jinan's pool.
func (w *poolWorld) pooled(t *testing.T, ticket string) *dispatchv1.Job {
	t.Helper()
	j := w.createJob(t, jobInput(ticket))
	resp, err := w.client.ReleaseToPool(context.Background(), &dispatchv1.ReleaseToPoolRequest{RequestId: "rel-" + ticket, JobId: j.GetId(),
		PoolOrganisationId: "station-jinan", Reason: "let the station's technicians choose"})
	if err != nil {
		t.Fatalf("ReleaseToPool = %v", err)
	}
	got := resp.GetJob()
	if got.GetState() != dispatchv1.JobState_JOB_STATE_UNASSIGNED || got.GetPool().GetReleasedBy() != svctest.Operator.Subject {
		t.Fatalf("ReleaseToPool = %s, pool %v; want UNASSIGNED, released by the caller", got.GetState(), got.GetPool())
	}
	return got
}

// TestJobPoolFirstPickWins: two qualified technicians pick at once and exactly one gets the
// job, accepted; the unqualified and the other station's cannot pick; a replayed pick lands
// once.
func TestJobPoolFirstPickWins(t *testing.T) {
	w := startPool(t)
	ctx := context.Background()
	j := w.pooled(t, "T-POOL-1")

	for _, tc := range []*dispatchv1.Technician{w.unskilled, w.elsewhere} {
		if resp, err := w.as(t, tc).ListPoolJobs(ctx, &dispatchv1.ListPoolJobsRequest{}); err != nil || len(resp.GetJobs()) != 0 {
			t.Errorf("ListPoolJobs as %s = %v, %v; want none", tc.GetDisplayName(), resp.GetJobs(), err)
		}
		_, err := w.as(t, tc).PickJob(ctx, &dispatchv1.PickJobRequest{RequestId: "pick-" + tc.GetId(), JobId: j.GetId()})
		wantRefused(t, err, "technician_id")
	}
	if resp, err := w.as(t, w.a).ListPoolJobs(ctx, &dispatchv1.ListPoolJobsRequest{}); err != nil || len(resp.GetJobs()) != 1 {
		t.Fatalf("ListPoolJobs as a qualified technician = %v, %v; want the job", resp.GetJobs(), err)
	}
	if _, err := w.as(t, w.a).PickJob(ctx, &dispatchv1.PickJobRequest{RequestId: "x", JobId: j.GetId(), TechnicianId: w.b.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("PickJob for a colleague = %v, want PERMISSION_DENIED", err)
	}

	var wg sync.WaitGroup
	results := map[string]error{}
	var mu sync.Mutex
	for _, tc := range []*dispatchv1.Technician{w.a, w.b} {
		c := w.as(t, tc)
		wg.Go(func() {
			_, err := c.PickJob(ctx, &dispatchv1.PickJobRequest{RequestId: "pick-" + tc.GetId(), JobId: j.GetId()})
			mu.Lock()
			results[tc.GetId()] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	var winner, loser *dispatchv1.Technician
	for _, tc := range []*dispatchv1.Technician{w.a, w.b} {
		switch err := results[tc.GetId()]; status.Code(err) {
		case codes.OK:
			if winner != nil {
				t.Fatalf("both technicians picked the job")
			}
			winner = tc
		case codes.FailedPrecondition:
			loser = tc
		default:
			t.Fatalf("PickJob as %s = %v, want OK or FAILED_PRECONDITION", tc.GetDisplayName(), err)
		}
	}
	if winner == nil || loser == nil {
		t.Fatalf("picks = %v; want one winner and one refused", results)
	}
	got := w.job(t, j.GetId())
	if got.GetState() != dispatchv1.JobState_JOB_STATE_ACCEPTED || got.GetAssignment().GetTechnicianId() != winner.GetId() ||
		got.GetAssignment().GetSource() != dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_POOL || got.GetPool().GetPickedBy() != winner.GetId() {
		t.Fatalf("job after the picks = %s, assignment %v, pool %v; want ACCEPTED by %s from the pool", got.GetState(), got.GetAssignment(), got.GetPool(), winner.GetId())
	}
	// The winner's phone replays its pick (offline queue): the same answer, nothing new.
	again, err := w.as(t, winner).PickJob(ctx, &dispatchv1.PickJobRequest{RequestId: "pick-" + winner.GetId(), JobId: j.GetId()})
	if err != nil || again.GetJob().GetEtag() != got.GetEtag() {
		t.Errorf("replayed PickJob = %v, %v; want the first answer", again.GetJob().GetEtag(), err)
	}
	w.waitEvents(t, j.GetId(), "released_to_pool", "assigned", "accepted", "picked")
	n := 0
	for _, ev := range w.events.forJob(j.GetId()) {
		if ev == "picked" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("job.picked published %d times, want once", n)
	}
}

// TestTransferJob: the technician who accepted a job hands it to a qualified colleague with the
// reason; an unqualified colleague, a missing reason or someone else's job are refused.
func TestTransferJob(t *testing.T) {
	w := startPool(t)
	ctx := context.Background()
	j := w.pooled(t, "T-POOL-2")
	a := w.as(t, w.a)
	if _, err := a.PickJob(ctx, &dispatchv1.PickJobRequest{RequestId: "p", JobId: j.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err := a.TransferJob(ctx, &dispatchv1.TransferJobRequest{RequestId: "t0", JobId: j.GetId(), ToTechnicianId: w.unskilled.GetId(), Reason: "van broke down"})
	wantRefused(t, err, "to_technician_id")
	_, err = a.TransferJob(ctx, &dispatchv1.TransferJobRequest{RequestId: "t1", JobId: j.GetId(), ToTechnicianId: w.b.GetId()})
	wantField(t, err, "reason")
	if _, err := w.as(t, w.b).TransferJob(ctx, &dispatchv1.TransferJobRequest{RequestId: "t2", JobId: j.GetId(), ToTechnicianId: w.unskilled.GetId(), Reason: "x"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("TransferJob of someone else's job = %v, want FAILED_PRECONDITION", err)
	}
	for range 2 { // replayed from the offline queue
		resp, err := a.TransferJob(ctx, &dispatchv1.TransferJobRequest{RequestId: "t3", JobId: j.GetId(), ToTechnicianId: w.b.GetId(), Reason: "van broke down"})
		if err != nil || resp.GetToTechnicianId() != w.b.GetId() || resp.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED {
			t.Fatalf("TransferJob = %v, %v; want ASSIGNED to b", resp, err)
		}
		// The answer carries the job as handed over, though the caller's scope no longer reaches it.
		if j := resp.GetJob(); j.GetId() != resp.GetJobId() || j.GetAssignment().GetTechnicianId() != w.b.GetId() || j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED ||
			len(j.GetPreviousAssignments()) == 0 || j.GetPreviousAssignments()[len(j.GetPreviousAssignments())-1].GetOutcome() != dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_TRANSFERRED {
			t.Fatalf("TransferJob's job = %v, want it ASSIGNED to b with the transferred assignment last", j)
		}
	}
	got := w.job(t, j.GetId())
	prev := got.GetPreviousAssignments()
	if len(prev) == 0 {
		t.Fatal("no previous assignment after transfer")
	}
	last := prev[len(prev)-1]
	if got.GetAssignment().GetSource() != dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_TRANSFER || last.GetTechnicianId() != w.a.GetId() ||
		last.GetOutcome() != dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_TRANSFERRED || last.GetReason() != "van broke down" {
		t.Fatalf("job after transfer: assignment %v, previous %v", got.GetAssignment(), prev)
	}
	if _, err := a.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the former technician's GetJob = %v, want NOT_FOUND", err)
	}
	if _, err := w.as(t, w.b).AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "acc", JobId: j.GetId()}); err != nil {
		t.Errorf("the colleague's AcceptJob = %v", err)
	}
	w.waitEvents(t, j.GetId(), "picked", "assigned", "reassigned", "transferred", "accepted")
}

// wantRefused checks a FAILED_PRECONDITION whose message names field first.
func wantRefused(t *testing.T, err error, field string) {
	t.Helper()
	if status.Code(err) != codes.FailedPrecondition || !strings.HasPrefix(status.Convert(err).Message(), field+": ") {
		t.Errorf("error = %v, want FAILED_PRECONDITION naming %s", err, field)
	}
}
