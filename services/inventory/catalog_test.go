package inventory_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
)

func TestCatalog(t *testing.T) {
	e := start(t)
	req := &inventoryv1.CreatePartRequest{RequestId: "create-flt", Part: &inventoryv1.Part{Sku: "FLT", Name: "filter", Kind: inventoryv1.PartKind_PART_KIND_WEAR}}
	first, err := e.c.CreatePart(e.ctx, req)
	if err != nil {
		t.Fatalf("CreatePart: %v", err)
	}
	again, err := e.c.CreatePart(e.ctx, req)
	if err != nil || again.GetPart().GetId() != first.GetPart().GetId() {
		t.Fatalf("CreatePart retry = %v, %v; want the first part", again, err)
	}
	if got := first.GetPart().GetUnitOfMeasure(); got != "piece" {
		t.Fatalf("unit of measure = %q, want the default piece", got)
	}
	for i := 0; i < 4; i++ {
		e.part(fmt.Sprintf("W%d", i))
	}
	got, err := e.c.GetPart(e.ctx, &inventoryv1.GetPartRequest{PartId: first.GetPart().GetId()})
	if err != nil || got.GetPart().GetSku() != "FLT" {
		t.Fatalf("GetPart = %v, %v", got, err)
	}
	_, err = e.c.GetPart(e.ctx, &inventoryv1.GetPartRequest{PartId: "nope"})
	wantCode(t, err, codes.NotFound)

	var skus []string
	token := ""
	for {
		resp, err := e.c.ListParts(e.ctx, &inventoryv1.ListPartsRequest{PageSize: 2, PageToken: token, Kind: inventoryv1.PartKind_PART_KIND_WARRANTY})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		for _, p := range resp.GetParts() {
			skus = append(skus, p.GetSku())
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if fmt.Sprint(skus) != "[W0 W1 W2 W3]" {
		t.Fatalf("ListParts(WARRANTY) = %v, want W0..W3 in creation order", skus)
	}

	van := e.location("v1", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.location("st", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil, func(l *inventoryv1.Location) { l.OrganisationId = "org-2" })
	vans, err := e.c.ListLocations(e.ctx, &inventoryv1.ListLocationsRequest{TechnicianId: "tech-v1"})
	if err != nil || len(vans.GetLocations()) != 1 || vans.GetLocations()[0].GetId() != van.GetId() {
		t.Fatalf("ListLocations(technician) = %v, %v", vans, err)
	}
	org, err := e.c.ListLocations(e.ctx, &inventoryv1.ListLocationsRequest{OrganisationId: "org-2"})
	if err != nil || len(org.GetLocations()) != 1 || org.GetLocations()[0].GetName() != "st" {
		t.Fatalf("ListLocations(organisation) = %v, %v", org, err)
	}
	gl, err := e.c.GetLocation(e.ctx, &inventoryv1.GetLocationRequest{LocationId: van.GetId()})
	if err != nil || gl.GetLocation().GetTechnicianId() != "tech-v1" {
		t.Fatalf("GetLocation = %v, %v", gl, err)
	}
}
