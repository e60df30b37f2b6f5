package inventory_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
)

// TestActorIsTheCaller: with tokens on, who requested and who approved a requisition are the
// authenticated callers, whatever the request's requester_id and approver_id say; only a
// manager approves, and never their own requisition.
func TestActorIsTheCaller(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	fake := clock.NewFake(t0)
	run := svctest.Start(t, inventory.New(inventory.DefaultConfig()), svctest.Options{Name: "inventory", Clock: fake, NATS: ns, Auth: local})
	e := &env{t: t, ctx: context.Background(), run: run, c: inventoryv1.NewInventoryServiceClient(run.Conn), clock: fake}
	a := e.part("A")
	st := e.location("station", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil)
	e.receive(a.GetId(), st.GetId(), 5)

	as := func(subject string, roles ...auth.Role) inventoryv1.InventoryServiceClient {
		return inventoryv1.NewInventoryServiceClient(run.DialAs(t, auth.Person{Subject: subject, Roles: roles}))
	}
	keeperManager := as("keeper-mgr", auth.RoleWarehouse, auth.RoleManager)
	keeper := as("keeper", auth.RoleWarehouse)
	manager := as("mgr-2", auth.RoleManager)

	r, err := keeperManager.CreateRequisition(e.ctx, &inventoryv1.CreateRequisitionRequest{RequestId: "r1", LocationId: st.GetId(),
		Lines: []*inventoryv1.RequisitionLine{{PartId: a.GetId(), Quantity: 2}}, Purpose: "workshop", RequesterId: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.GetRequisition().GetRequesterId(); got != "keeper-mgr" {
		t.Errorf("requester = %q, want the caller keeper-mgr", got)
	}
	if rq := r.GetRequisition(); rq.GetCreatedBy() != "keeper-mgr" || rq.GetUpdatedBy() != "keeper-mgr" {
		t.Errorf("requisition created_by, updated_by = %q, %q; want the caller keeper-mgr", rq.GetCreatedBy(), rq.GetUpdatedBy())
	}
	// Reference data names who made it too, whatever the request said.
	loc, err := keeper.CreateLocation(e.ctx, &inventoryv1.CreateLocationRequest{RequestId: "loc-k", Location: &inventoryv1.Location{
		Name: "keeper's shelf", Kind: inventoryv1.LocationKind_LOCATION_KIND_STATION, CreatedBy: "forged"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.GetLocation().GetCreatedBy(); got != "keeper" {
		t.Errorf("location created_by = %q, want the caller keeper", got)
	}
	approve := func(c inventoryv1.InventoryServiceClient, rid, claimed string) (*inventoryv1.Requisition, error) {
		resp, err := c.ApproveRequisition(e.ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: rid, RequisitionId: r.GetRequisition().GetId(), ApproverId: claimed})
		return resp.GetRequisition(), err
	}
	_, err = approve(keeperManager, "a1", "another-manager")
	wantReason(t, err, codes.PermissionDenied, string(rpc.ReasonSelfApproval)) // the approver is the caller, who requested it
	_, err = approve(keeper, "a2", "mgr-2")
	wantCode(t, err, codes.PermissionDenied) // a warehouse keeper does not approve
	got, err := approve(manager, "a3", "keeper-mgr")
	if err != nil {
		t.Fatalf("ApproveRequisition by another manager: %v", err)
	}
	if got.GetApproverId() != "mgr-2" || got.GetState() != inventoryv1.RequisitionState_REQUISITION_STATE_APPROVED {
		t.Errorf("approved requisition = approver %q, state %v; want mgr-2, APPROVED", got.GetApproverId(), got.GetState())
	}
}
