package inventory_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

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

func TestUpdates(t *testing.T) {
	e := start(t)
	p := e.part("A")
	p.LeadTimeDays = 21
	p.Name = "renamed"
	up, err := e.c.UpdatePart(e.ctx, &inventoryv1.UpdatePartRequest{RequestId: e.rid(), Part: p, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"lead_time_days"}}})
	if err != nil {
		t.Fatalf("UpdatePart: %v", err)
	}
	if got := up.GetPart(); got.GetLeadTimeDays() != 21 || got.GetName() != "part A" || got.GetEtag() != "2" || got.GetSku() != "A" {
		t.Fatalf("UpdatePart(lead_time_days) = %v; want only the lead time changed and etag 2", got)
	}
	tests := []struct {
		name string
		req  *inventoryv1.UpdatePartRequest
		code codes.Code
	}{
		{"stale etag", &inventoryv1.UpdatePartRequest{Part: p}, codes.Aborted},
		{"no etag", &inventoryv1.UpdatePartRequest{Part: withEtag(p, "")}, codes.InvalidArgument},
		{"unknown path", &inventoryv1.UpdatePartRequest{Part: withEtag(p, "2"), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"sku"}}}, codes.InvalidArgument},
		{"unknown part", &inventoryv1.UpdatePartRequest{Part: withID(withEtag(p, "2"), "nope")}, codes.NotFound},
		{"no id", &inventoryv1.UpdatePartRequest{Part: withID(withEtag(p, "2"), "")}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.UpdatePart(e.ctx, tt.req)
			wantCode(t, err, tt.code)
		})
	}

	van := e.location("v", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	van.TechnicianId = "tech-new"
	ul, err := e.c.UpdateLocation(e.ctx, &inventoryv1.UpdateLocationRequest{RequestId: e.rid(), Location: van})
	if err != nil || ul.GetLocation().GetTechnicianId() != "tech-new" || ul.GetLocation().GetEtag() != "2" {
		t.Fatalf("UpdateLocation = %v, %v", ul, err)
	}
	van.Etag = "2"
	van.TechnicianId = ""
	_, err = e.c.UpdateLocation(e.ctx, &inventoryv1.UpdateLocationRequest{Location: van})
	wantCode(t, err, codes.InvalidArgument) // a van needs its technician
	van.TechnicianId = "tech-new"
	van.Kind = inventoryv1.LocationKind_LOCATION_KIND_STATION
	_, err = e.c.UpdateLocation(e.ctx, &inventoryv1.UpdateLocationRequest{Location: van})
	wantCode(t, err, codes.InvalidArgument) // kind is fixed
}

func withEtag(p *inventoryv1.Part, etag string) *inventoryv1.Part {
	c := proto.Clone(p).(*inventoryv1.Part)
	c.Etag = etag
	return c
}

func withID(p *inventoryv1.Part, id string) *inventoryv1.Part {
	c := proto.Clone(p).(*inventoryv1.Part)
	c.Id = id
	return c
}
