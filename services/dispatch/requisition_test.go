package dispatch_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// TestDepotPartWaitsForApproval: a job's part held only at a station store is reserved there
// with a requisition (领料单) raised in the technician's name and linked to the job and the
// ticket; it is issued only after the store's manager approved it (issue before approval is
// FAILED_PRECONDITION, the requester approving is PERMISSION_DENIED), the approval wait is
// recorded, and only an issued requisition lets the visit consume the reservation.
func TestDepotPartWaitsForApproval(t *testing.T) {
	p := startWithInventory(t)
	ctx := context.Background()
	part, err := p.inv.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: p.rid(), Part: &inventoryv1.Part{
		Sku: "PUMP-02", Name: "pump", Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, SupplierId: "sup-1",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 50000}}})
	if err != nil {
		t.Fatalf("CreatePart: %v", err)
	}
	partID := part.GetPart().GetId()
	store := p.location(t, "station-store", inventoryv1.LocationKind_LOCATION_KIND_STATION,
		&typev1.GeoPoint{Latitude: site.Latitude + 0.05, Longitude: site.Longitude}, "")
	if _, err := p.inv.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: p.rid(), PartId: partID, LocationId: store, Quantity: 3, ReceivingNote: "RN-9"}); err != nil {
		t.Fatalf("ReceiveStock: %v", err)
	}
	tech := p.createTech(t, technician("no-van", 0.1))
	in := jobInput("T-REQ")
	in.LikelyParts = []*dispatchv1.PartNeed{{PartId: partID, Quantity: 1}}
	j := p.createJob(t, in)
	j = p.waitReservation(t, j.GetId(), dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED)
	reqID := j.GetPartsReservation().GetRequisitionId()
	if reqID == "" || j.GetPartsReservation().GetLocationId() != store {
		t.Fatalf("parts reservation = %v, want one at the station store with a requisition", j.GetPartsReservation())
	}
	get := func() *inventoryv1.Requisition {
		r, err := p.inv.GetRequisition(ctx, &inventoryv1.GetRequisitionRequest{RequisitionId: reqID})
		if err != nil {
			t.Fatalf("GetRequisition: %v", err)
		}
		return r.GetRequisition()
	}
	r := get()
	if r.GetState() != inventoryv1.RequisitionState_REQUISITION_STATE_PENDING || r.GetJobId() != j.GetId() || r.GetTicketId() != "T-REQ" ||
		r.GetRequesterId() != tech.GetId() || r.GetReservationId() != j.GetPartsReservation().GetReservationId() {
		t.Fatalf("requisition = %v, want PENDING for job %s, ticket T-REQ, requested by %s", r, j.GetId(), tech.GetId())
	}

	_, err = p.inv.IssueRequisition(ctx, &inventoryv1.IssueRequisitionRequest{RequestId: "i0", RequisitionId: reqID})
	wantCode(t, err, codes.FailedPrecondition, "IssueRequisition before approval")
	_, err = p.inv.ApproveRequisition(ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: "a0", RequisitionId: reqID, ApproverId: tech.GetId()})
	wantCode(t, err, codes.PermissionDenied, "ApproveRequisition by its requester")

	// The visit cannot book the reservation out before the requisition is issued.
	_, err = p.inv.ConsumeReservation(ctx, &inventoryv1.ConsumeReservationRequest{RequestId: "c0", ReservationId: r.GetReservationId(),
		Lines: []*inventoryv1.ConsumedLine{{PartId: partID, Quantity: 1}}})
	wantCode(t, err, codes.FailedPrecondition, "ConsumeReservation before the requisition is issued")

	p.clock.Advance(90 * time.Minute)
	ap, err := p.inv.ApproveRequisition(ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: "a1", RequisitionId: reqID, ApproverId: "store-manager"})
	if err != nil {
		t.Fatalf("ApproveRequisition: %v", err)
	}
	if got := ap.GetRequisition().GetApprovalWait().AsDuration(); got != 90*time.Minute {
		t.Fatalf("approval_wait = %s, want 1h30m", got)
	}
	if _, err := p.inv.IssueRequisition(ctx, &inventoryv1.IssueRequisitionRequest{RequestId: "i1", RequisitionId: reqID}); err != nil {
		t.Fatalf("IssueRequisition: %v", err)
	}
	if got := get().GetState(); got != inventoryv1.RequisitionState_REQUISITION_STATE_ISSUED {
		t.Fatalf("requisition state = %s, want ISSUED", got)
	}
	p.waitStock(t, partID, store, 3, 1) // handed over, booked out by the visit's consumption

	// The visit: the reservation is consumed with what was used.
	tid := tech.GetId()
	if _, err := p.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "acc", JobId: j.GetId(), TechnicianId: tid}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	if _, err := p.client.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "in", JobId: j.GetId(), TechnicianId: tid, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	p.clock.Advance(time.Hour)
	if _, err := p.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "done", JobId: j.GetId(), TechnicianId: tid,
		Report: &dispatchv1.ServiceReport{Resolved: true, WorkDone: "replaced pump", Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY,
			PartsUsed: []*dispatchv1.UsedPart{{PartId: partID, Quantity: 1, Reason: "seized"}}, SignOff: signed(p.clock.Now())}}); err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	p.waitReservation(t, j.GetId(), dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_CONSUMED)
	p.waitStock(t, partID, store, 2, 0)
}
