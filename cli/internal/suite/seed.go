package suite

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/rpc"
)

// The local technician's records, made at the all-in-one's first start so that the phone app
// shows its day once a job is assigned to it.
const (
	// LocalOrganisation is the service station of the local technician.
	LocalOrganisation = "station-local"
	// LocalProductLine is the line the local technician is skilled and qualified for (the
	// demo's).
	LocalProductLine = "tractor"
	// LocalVanCode is the code of the local technician's van.
	LocalVanCode = "VAN-TECH-1"
	// LocalPartSKU is the part stocked in the van.
	LocalPartSKU = "LOCAL-FILTER-1"
	// localVanStock is how many of it the van holds at first.
	localVanStock = 3
)

// localTechnician is the technician id of auth.LocalPeople's technician (tech-1).
func localTechnician() string {
	for _, p := range auth.LocalPeople {
		if p.TechnicianID != "" {
			return p.TechnicianID
		}
	}
	return ""
}

// seedLocal makes, once, the records the local technician's token names: a van location
// holding a few of a part, and a dispatch technician with the token's id, skilled and
// qualified for LocalProductLine, whose van it is. Each record is looked for first, so a
// second start (or one after a partial first) adds only what is missing.
func seedLocal(ctx context.Context, dispatchAddr, inventoryAddr string, opts rpc.ClientOptions) error {
	techID := localTechnician()
	if techID == "" {
		return nil
	}
	dconn, err := rpc.Dial(dispatchAddr, opts)
	if err != nil {
		return err
	}
	defer dconn.Close()
	iconn, err := rpc.Dial(inventoryAddr, opts)
	if err != nil {
		return err
	}
	defer iconn.Close()
	d, inv := dispatchv1.NewDispatchServiceClient(dconn), inventoryv1.NewInventoryServiceClient(iconn)
	home := &typev1.GeoPoint{Latitude: 36.45, Longitude: 117.60} // east of Jinan

	van, err := seedVan(ctx, inv, techID, home)
	if err != nil {
		return err
	}
	if _, err := d.GetTechnician(ctx, &dispatchv1.GetTechnicianRequest{TechnicianId: techID}); err == nil {
		return nil
	} else if status.Code(err) != codes.NotFound {
		return fmt.Errorf("get technician %s: %w", techID, err)
	}
	cal := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for wd := int32(1); wd <= 7; wd++ {
		cal.Hours = append(cal.Hours, &dispatchv1.WorkingHours{Weekday: wd, StartMinute: 0, EndMinute: 24 * 60})
	}
	created, err := d.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{RequestId: "local-seed-" + techID, TechnicianId: techID,
		Technician: &dispatchv1.Technician{DisplayName: "本地技师 (" + techID + ")", OrganisationId: LocalOrganisation,
			OrganisationKind: dispatchv1.OrganisationKind_ORGANISATION_KIND_SERVICE_STATION, Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_EXPERT,
			Skills:   []*dispatchv1.ProductSkills{{ProductLine: LocalProductLine, Skills: []string{"hydraulics"}}},
			HomeBase: home, ServiceRadiusKm: 100, CapacityPerDay: 6, Active: true, Calendar: cal, VanLocationId: van}})
	if status.Code(err) == codes.AlreadyExists {
		return nil // made meanwhile
	}
	if err != nil {
		return fmt.Errorf("create technician %s: %w", techID, err)
	}
	// Qualified (seed 002): a training that ended a month before, an assessment passed the day
	// before it was created.
	at := created.GetTechnician().GetCreateTime().AsTime()
	if _, err := d.RecordTraining(ctx, &dispatchv1.RecordTrainingRequest{RequestId: "local-seed-train-" + techID, TechnicianId: techID,
		ProductLine: LocalProductLine, StartTime: timestamppb.New(at.AddDate(0, -3, 0)), EndTime: timestamppb.New(at.AddDate(0, -1, 0))}); err != nil {
		return fmt.Errorf("record training: %w", err)
	}
	if _, err := d.RecordAssessment(ctx, &dispatchv1.RecordAssessmentRequest{RequestId: "local-seed-assess-" + techID, TechnicianId: techID,
		ProductLine: LocalProductLine, AssessedTime: timestamppb.New(at.AddDate(0, 0, -1)), Passed: true}); err != nil {
		return fmt.Errorf("record assessment: %w", err)
	}
	return nil
}

// seedVan returns the local technician's van location, made with a little stock when there
// is none.
func seedVan(ctx context.Context, inv inventoryv1.InventoryServiceClient, techID string, at *typev1.GeoPoint) (string, error) {
	if r, err := inv.ListLocationStock(ctx, &inventoryv1.ListLocationStockRequest{TechnicianId: techID, PageSize: 1}); err == nil {
		return r.GetLocation().GetId(), nil
	} else if status.Code(err) != codes.NotFound {
		return "", fmt.Errorf("find the van of %s: %w", techID, err)
	}
	partID, err := seedPart(ctx, inv)
	if err != nil {
		return "", err
	}
	loc, err := inv.CreateLocation(ctx, &inventoryv1.CreateLocationRequest{RequestId: "local-seed-van-" + techID, Location: &inventoryv1.Location{
		Name: "技师 " + techID + " 的车", Kind: inventoryv1.LocationKind_LOCATION_KIND_VAN, TechnicianId: techID,
		OrganisationId: LocalOrganisation, Point: at, Code: LocalVanCode}})
	if err != nil {
		return "", fmt.Errorf("create the van of %s: %w", techID, err)
	}
	vanID := loc.GetLocation().GetId()
	if _, err := inv.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: "local-seed-stock-" + vanID, PartId: partID, LocationId: vanID,
		Quantity: localVanStock, ReceivingNote: "local-seed"}); err != nil {
		return "", fmt.Errorf("stock the van of %s: %w", techID, err)
	}
	return vanID, nil
}

// seedPart returns the id of the part LocalPartSKU, made when there is none.
func seedPart(ctx context.Context, inv inventoryv1.InventoryServiceClient) (string, error) {
	r, err := inv.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: "local-seed-part", Part: &inventoryv1.Part{
		Sku: LocalPartSKU, Name: "液压滤芯", Kind: inventoryv1.PartKind_PART_KIND_WEAR, UnitOfMeasure: "pcs",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 3500}, Price: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 6000}}})
	if err == nil {
		return r.GetPart().GetId(), nil
	}
	if status.Code(err) != codes.AlreadyExists {
		return "", fmt.Errorf("create part %s: %w", LocalPartSKU, err)
	}
	token := ""
	for range 100 { // a laptop's catalogue; the part was made at an earlier start
		page, err := inv.ListParts(ctx, &inventoryv1.ListPartsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			return "", fmt.Errorf("find part %s: %w", LocalPartSKU, err)
		}
		for _, p := range page.GetParts() {
			if p.GetSku() == LocalPartSKU {
				return p.GetId(), nil
			}
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	return "", errors.New("part " + LocalPartSKU + " exists but was not found")
}
