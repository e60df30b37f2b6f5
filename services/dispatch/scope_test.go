package dispatch_test

import (
	"context"
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

// TestTechnicianScope: with tokens on, a technician reads and acts on only the jobs assigned
// to them; another technician's job is NOT_FOUND, and acting as another technician is
// PERMISSION_DENIED; an integrator sees no customer contact or address.
func TestTechnicianScope(t *testing.T) {
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
	e := &env{svc: run, client: dispatchv1.NewDispatchServiceClient(run.Conn), clock: clk}
	near := e.createTech(t, technician("near", 0.1))
	far := e.createTech(t, technician("far", 0.5))
	j := e.createJob(t, jobInput("T-SCOPE"))
	if j.GetAssignment().GetTechnicianId() != near.GetId() {
		t.Fatalf("job assigned to %s, want the near technician", j.GetAssignment().GetTechnicianId())
	}
	ctx := context.Background()
	as := func(id string) dispatchv1.DispatchServiceClient {
		return dispatchv1.NewDispatchServiceClient(run.DialAs(t, auth.Person{Subject: "user-" + id, Roles: []auth.Role{auth.RoleTechnician}, TechnicianID: id}))
	}
	mine, other := as(near.GetId()), as(far.GetId())

	if _, err := other.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("another technician's GetJob = %v, want NOT_FOUND", err)
	}
	if resp, err := other.ListJobs(ctx, &dispatchv1.ListJobsRequest{}); err != nil || len(resp.GetJobs()) != 0 {
		t.Errorf("another technician's ListJobs = %v, %v; want none", resp.GetJobs(), err)
	}
	if _, err := other.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "x", JobId: j.GetId(), TechnicianId: near.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("AcceptJob as another technician = %v, want PERMISSION_DENIED", err)
	}
	if _, err := other.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "y", JobId: j.GetId()}); status.Code(err) == codes.OK {
		t.Error("a technician accepted a job assigned to someone else")
	}
	if _, err := other.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "z", JobId: j.GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a technician's CancelJob = %v, want PERMISSION_DENIED", err)
	}

	got, err := mine.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()})
	if err != nil {
		t.Fatalf("the assigned technician's GetJob: %v", err)
	}
	if got.GetJob().GetSite().GetLine() == "" {
		t.Error("the assigned technician does not see the site address")
	}
	if resp, err := mine.ListJobs(ctx, &dispatchv1.ListJobsRequest{}); err != nil || len(resp.GetJobs()) != 1 {
		t.Errorf("the assigned technician's ListJobs = %v, %v; want its one job", resp.GetJobs(), err)
	}
	if _, err := mine.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a", JobId: j.GetId()}); err != nil {
		t.Errorf("the assigned technician's AcceptJob (technician_id from the token) = %v", err)
	}

	integrator := dispatchv1.NewDispatchServiceClient(run.DialAs(t, auth.Person{Subject: "crm", Roles: []auth.Role{auth.RoleIntegrator}}))
	seen, err := integrator.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if s := seen.GetJob().GetSite(); s.GetLine() != "" || s.GetCity() != "" {
		t.Errorf("the integrator's job site = %v, want it blank", s)
	}

	// A member of the job's team reads it and finds it in their list, as the lead does.
	if _, err := e.client.AssignJob(ctx, &dispatchv1.AssignJobRequest{RequestId: "team", JobId: j.GetId(), TechnicianId: near.GetId(),
		MemberIds: []string{far.GetId()}}); err != nil {
		t.Fatalf("AssignJob(team): %v", err)
	}
	if _, err := other.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: j.GetId()}); err != nil {
		t.Errorf("a team member's GetJob = %v, want the job", err)
	}
	if resp, err := other.ListJobs(ctx, &dispatchv1.ListJobsRequest{}); err != nil || len(resp.GetJobs()) != 1 {
		t.Errorf("a team member's ListJobs = %v, %v; want the team's job", resp.GetJobs(), err)
	}
}
