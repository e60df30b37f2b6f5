package inventory_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
)

// TestDealerScope: with tokens on, dealer A sees and acts on only its own locations, stock,
// ledger and old-part returns; dealer B's are NOT_FOUND or PERMISSION_DENIED through every
// method and filter, and nothing of B's changes.
func TestDealerScope(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	fake := clock.NewFake(t0)
	run := svctest.Start(t, inventory.New(inventory.DefaultConfig()), svctest.Options{Name: "inventory", Clock: fake, NATS: ns, Auth: local})
	e := &env{t: t, ctx: context.Background(), run: run, c: inventoryv1.NewInventoryServiceClient(run.Conn), clock: fake}
	pump := e.part("PUMP-1")
	returnsOf := map[string][]*inventoryv1.OldPartReturn{}
	locs := map[string]*inventoryv1.Location{}
	for _, org := range []string{"dealer-a", "dealer-b"} {
		loc := e.location(org, inventoryv1.LocationKind_LOCATION_KIND_DEALER, nil, func(l *inventoryv1.Location) { l.OrganisationId = org })
		locs[org] = loc
		e.receive(pump.GetId(), loc.GetId(), 2)
		r := e.reserve("job-"+org, loc.GetId(), line(pump.GetId(), 1))
		cons, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId(),
			Lines: []*inventoryv1.ConsumedLine{{PartId: pump.GetId(), Quantity: 1, UnderWarranty: true}}})
		if err != nil || len(cons.GetMustReturn()) != 1 {
			t.Fatalf("ConsumeReservation = %v, %v", cons, err)
		}
		returnsOf[org] = cons.GetMustReturn()
	}
	fake.Advance(31 * 24 * time.Hour) // the returns are overdue: outstanding
	dealerA := inventoryv1.NewInventoryServiceClient(run.DialAs(t, auth.Person{Subject: "dealer-a-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-a"}))
	keeper := inventoryv1.NewInventoryServiceClient(run.DialAs(t, auth.Person{Subject: "keeper", Roles: []auth.Role{auth.RoleWarehouse, auth.RoleTechnical}}))
	ctx := context.Background()

	list, err := dealerA.ListOutstandingReturns(ctx, &inventoryv1.ListOutstandingReturnsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetReturns()) != 1 || list.GetReturns()[0].GetOrganisationId() != "dealer-a" {
		t.Errorf("dealer A's ListOutstandingReturns = %v, want its one return", list.GetReturns())
	}
	if _, err := dealerA.ListOutstandingReturns(ctx, &inventoryv1.ListOutstandingReturnsRequest{OrganisationId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's ListOutstandingReturns(dealer-b) = %v, want PERMISSION_DENIED", err)
	}
	if resp, err := dealerA.ListOutstandingReturns(ctx, &inventoryv1.ListOutstandingReturnsRequest{JobId: "job-dealer-b"}); err == nil && len(resp.GetReturns()) > 0 {
		t.Errorf("dealer A's ListOutstandingReturns(job of dealer B) = %v, want none", resp.GetReturns())
	}
	if _, err := dealerA.GetReturn(ctx, &inventoryv1.GetReturnRequest{ReturnId: returnsOf["dealer-b"][0].GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("dealer A's GetReturn of B's return = %v, want NOT_FOUND", err)
	}
	if _, err := dealerA.GetReturn(ctx, &inventoryv1.GetReturnRequest{ReturnId: returnsOf["dealer-a"][0].GetId()}); err != nil {
		t.Errorf("dealer A's GetReturn of its own return = %v", err)
	}
	// Old parts: a dealer returns its own; another's return is NOT_FOUND, by id or by job, and
	// stays as it was.
	for name, req := range map[string]*inventoryv1.ReturnOldPartRequest{
		"by id":  {RequestId: "r1", ReturnId: returnsOf["dealer-b"][0].GetId(), JobId: "job-dealer-b", PartId: pump.GetId(), Reason: "x"},
		"by job": {RequestId: "r2", JobId: "job-dealer-b", PartId: pump.GetId(), Reason: "x"},
	} {
		if _, err := dealerA.ReturnOldPart(ctx, req); status.Code(err) != codes.NotFound {
			t.Errorf("dealer A's ReturnOldPart of B's return %s = %v, want NOT_FOUND", name, err)
		}
	}
	if _, err := dealerA.ReturnOldPart(ctx, &inventoryv1.ReturnOldPartRequest{RequestId: "r3", JobId: "job-dealer-b", PartId: pump.GetId(),
		Reason: "x", OrganisationId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's ReturnOldPart naming dealer-b = %v, want PERMISSION_DENIED", err)
	}
	if b, err := keeper.GetReturn(ctx, &inventoryv1.GetReturnRequest{ReturnId: returnsOf["dealer-b"][0].GetId()}); err != nil ||
		b.GetOldPartReturn().GetState() != returnsOf["dealer-b"][0].GetState() {
		t.Errorf("B's return after dealer A's tries = %v, %v; want it unchanged", b.GetOldPartReturn().GetState(), err)
	}
	own, err := dealerA.ReturnOldPart(ctx, &inventoryv1.ReturnOldPartRequest{RequestId: "r4", JobId: "job-dealer-a", PartId: pump.GetId(), Reason: "worn seal"})
	if err != nil || own.GetOldPartReturn().GetOrganisationId() != "dealer-a" ||
		own.GetOldPartReturn().GetState() != inventoryv1.ReturnState_RETURN_STATE_PENDING_APPRAISAL {
		t.Errorf("dealer A's ReturnOldPart of its own = %v, %v; want it pending appraisal", own.GetOldPartReturn(), err)
	}
	locList, err := dealerA.ListLocations(ctx, &inventoryv1.ListLocationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locList.GetLocations() {
		if l.GetOrganisationId() != "dealer-a" {
			t.Errorf("dealer A's ListLocations returned %s of %q", l.GetName(), l.GetOrganisationId())
		}
	}
	if _, err := dealerA.GetLocation(ctx, &inventoryv1.GetLocationRequest{LocationId: locs["dealer-b"].GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("dealer A's GetLocation of B's = %v, want NOT_FOUND", err)
	}
	// Stock: a dealer sees its own locations' levels and totals only.
	st, err := dealerA.GetStock(ctx, &inventoryv1.GetStockRequest{PartId: pump.GetId()})
	if err != nil {
		t.Fatalf("dealer A's GetStock: %v", err)
	}
	if len(st.GetLevels()) != 1 || st.GetLevels()[0].GetLocation().GetOrganisationId() != "dealer-a" || st.GetTotalOnHand() != 1 {
		t.Errorf("dealer A's GetStock = %v levels, total on hand %d; want its one location and 1", st.GetLevels(), st.GetTotalOnHand())
	}
	if all, err := keeper.GetStock(ctx, &inventoryv1.GetStockRequest{PartId: pump.GetId()}); err != nil || all.GetTotalOnHand() != 2 {
		t.Errorf("the warehouse's GetStock = total %d, %v; want both dealers' 2", all.GetTotalOnHand(), err)
	}
	if _, err := dealerA.GetStock(ctx, &inventoryv1.GetStockRequest{PartId: pump.GetId(), OrganisationId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's GetStock(dealer-b) = %v, want PERMISSION_DENIED", err)
	}
	// The ledger: its own locations' movements; another's location is NOT_FOUND.
	mv, err := dealerA.ListMovements(ctx, &inventoryv1.ListMovementsRequest{LocationId: locs["dealer-a"].GetId()})
	if err != nil || len(mv.GetMovements()) == 0 {
		t.Errorf("dealer A's ListMovements(own location) = %v, %v; want its movements", mv.GetMovements(), err)
	}
	for _, m := range mv.GetMovements() {
		if m.GetLocationId() != locs["dealer-a"].GetId() {
			t.Errorf("dealer A's ListMovements returned a movement at %s", m.GetLocationId())
		}
	}
	if _, err := dealerA.ListMovements(ctx, &inventoryv1.ListMovementsRequest{LocationId: locs["dealer-b"].GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("dealer A's ListMovements(B's location) = %v, want NOT_FOUND", err)
	}
	if _, err := dealerA.ListMovements(ctx, &inventoryv1.ListMovementsRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("dealer A's ListMovements(every location) = %v, want INVALID_ARGUMENT (name its location)", err)
	}
	if _, err := dealerA.ListMovements(ctx, &inventoryv1.ListMovementsRequest{LocationId: locs["dealer-a"].GetId(), OrganisationId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's ListMovements(dealer-b) = %v, want PERMISSION_DENIED", err)
	}
}
