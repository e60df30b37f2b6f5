package inventory_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
)

// TestVanStock: a technician reads their own van's stock, part by part with what is reserved,
// by technician or by the van's id; another technician's van and a station are NOT_FOUND to
// them, whatever they ask for; staff read any location; pages follow the part order.
func TestVanStock(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	run := svctest.Start(t, inventory.New(inventory.DefaultConfig()), svctest.Options{Name: "inventory", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
	e := &env{t: t, ctx: context.Background(), run: run, c: inventoryv1.NewInventoryServiceClient(run.Conn)}
	pump, filter, belt := e.part("PUMP-V"), e.part("FLT-V"), e.part("BELT-V")
	mine := e.location("a", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)   // tech-a
	theirs := e.location("b", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil) // tech-b
	station := e.location("st", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil)
	e.receive(pump.GetId(), mine.GetId(), 2)
	e.receive(filter.GetId(), mine.GetId(), 5)
	e.receive(belt.GetId(), theirs.GetId(), 1)
	e.receive(belt.GetId(), station.GetId(), 9)
	e.reserve("job-1", mine.GetId(), line(pump.GetId(), 1))

	techA := inventoryv1.NewInventoryServiceClient(run.DialAs(t, auth.Person{Subject: "tech-a-user", Roles: []auth.Role{auth.RoleTechnician}, TechnicianID: "tech-a"}))
	ctx := context.Background()
	for name, req := range map[string]*inventoryv1.ListLocationStockRequest{
		"by technician": {},
		"by van id":     {LocationId: mine.GetId()},
	} {
		resp, err := techA.ListLocationStock(ctx, req)
		if err != nil {
			t.Fatalf("%s: ListLocationStock = %v", name, err)
		}
		if resp.GetLocation().GetId() != mine.GetId() || len(resp.GetLines()) != 2 {
			t.Fatalf("%s: ListLocationStock = %v, want the two parts of van a", name, resp)
		}
		for _, l := range resp.GetLines() {
			want := map[string][3]int64{pump.GetId(): {2, 1, 1}, filter.GetId(): {5, 0, 5}}[l.GetPartId()]
			if got := [3]int64{l.GetOnHand(), l.GetReserved(), l.GetAvailable()}; got != want || l.GetSku() == "" || l.GetName() == "" {
				t.Errorf("%s: line %v = %v, want on hand/reserved/available %v with sku and name", name, l.GetPartId(), got, want)
			}
		}
	}
	for name, req := range map[string]*inventoryv1.ListLocationStockRequest{
		"another van":                   {LocationId: theirs.GetId()},
		"a station":                     {LocationId: station.GetId()},
		"unknown":                       {LocationId: "nope"},
		"another van, naming its owner": {LocationId: theirs.GetId(), TechnicianId: "tech-b"},
	} {
		_, err := techA.ListLocationStock(ctx, req)
		want := codes.NotFound
		if req.GetTechnicianId() != "" {
			want = codes.PermissionDenied // the guard: a technician acts as themselves only
		}
		if status.Code(err) != want {
			t.Errorf("technician a's ListLocationStock(%s) = %v, want %v", name, err, want)
		}
	}
	if _, err := e.c.ListLocationStock(ctx, &inventoryv1.ListLocationStockRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("ListLocationStock() = %v, want INVALID_ARGUMENT naming location_id", err)
	}
	// Staff: any location, a page at a time.
	var parts []string
	req := &inventoryv1.ListLocationStockRequest{LocationId: mine.GetId(), PageSize: 1}
	for range 5 {
		resp, err := e.c.ListLocationStock(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range resp.GetLines() {
			parts = append(parts, l.GetPartId())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(parts) != 2 || parts[0] > parts[1] {
		t.Errorf("pages of van a = %v, want its two parts in part id order", parts)
	}
	if resp, err := e.c.ListLocationStock(ctx, &inventoryv1.ListLocationStockRequest{TechnicianId: "tech-b"}); err != nil || len(resp.GetLines()) != 1 || resp.GetLines()[0].GetPartId() != belt.GetId() {
		t.Errorf("ListLocationStock(technician b) = %v, %v; want the belt", resp, err)
	}
}
