package dispatch_test

import (
	"context"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/dispatch/internal/api"
)

// TestPaidApprovalIsAnotherManagers: with tokens on, a paid job's requester is the person who
// created it, whatever requested_by said; that person may not approve it even holding the
// manager role (PERMISSION_DENIED, ErrorInfo SELF_APPROVAL); a dispatcher may not approve at
// all; another manager does, and the approval names them, whatever approver_id said.
func TestPaidApprovalIsAnotherManagers(t *testing.T) {
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
	e.createTech(t, technician("near", 0.1))
	ctx := context.Background()
	as := func(subject string, roles ...auth.Role) dispatchv1.DispatchServiceClient {
		return dispatchv1.NewDispatchServiceClient(run.DialAs(t, auth.Person{Subject: subject, Roles: roles}))
	}
	both := as("disp-mgr", auth.RoleDispatcher, auth.RoleManager)
	dispatcher := as("disp-2", auth.RoleDispatcher)
	manager := as("mgr-2", auth.RoleManager)

	in := jobInput("T-PAID-AUTH")
	in.Paid, in.RequestedBy, in.Fee = true, "someone-else", &typev1.Money{CurrencyCode: "CNY", AmountMinor: 120_00}
	created, err := both.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: "c1", Job: in})
	if err != nil {
		t.Fatal(err)
	}
	j := created.GetJob()
	if got := j.GetRequestedBy(); got != "disp-mgr" {
		t.Errorf("requested_by = %q, want the caller disp-mgr", got)
	}
	if j.GetCreatedBy() != "disp-mgr" || j.GetUpdatedBy() != "disp-mgr" {
		t.Errorf("created_by, updated_by = %q, %q; want the caller disp-mgr", j.GetCreatedBy(), j.GetUpdatedBy())
	}
	approve := func(c dispatchv1.DispatchServiceClient, rid, claimed string) (*dispatchv1.Job, error) {
		resp, err := c.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: rid, JobId: j.GetId(), ApproverId: claimed})
		return resp.GetJob(), err
	}
	_, err = approve(both, "a1", "mgr-9")
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || reason(st) != string(rpc.ReasonSelfApproval) {
		t.Errorf("ApproveJob by its requester = %v (reason %q), want PERMISSION_DENIED %s", err, reason(st), rpc.ReasonSelfApproval)
	}
	if _, err := approve(dispatcher, "a2", "mgr-2"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("ApproveJob by a dispatcher = %v, want PERMISSION_DENIED", err)
	}
	got, err := approve(manager, "a3", "disp-mgr")
	if err != nil {
		t.Fatalf("ApproveJob by another manager: %v", err)
	}
	if a := got.GetApproval().GetApproverId(); a != "mgr-2" {
		t.Errorf("approver = %q, want the caller mgr-2", a)
	}
	if got.GetCreatedBy() != "disp-mgr" || got.GetUpdatedBy() != "mgr-2" {
		t.Errorf("created_by, updated_by = %q, %q; want disp-mgr, mgr-2", got.GetCreatedBy(), got.GetUpdatedBy())
	}
}

// reason is the ErrorInfo reason of st, or "".
func reason(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
