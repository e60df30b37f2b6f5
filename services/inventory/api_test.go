package inventory_test

import (
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

func TestErrors(t *testing.T) {
	e := start(t)
	a := e.part("A")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	scrap := e.location("scrap", inventoryv1.LocationKind_LOCATION_KIND_SCRAP, nil)
	e.receive(a.GetId(), van.GetId(), 2)
	e.receive(a.GetId(), scrap.GetId(), 2)

	tests := []struct {
		name  string
		call  func() error
		code  codes.Code
		field string // the field a BadRequest violation or the message must name
	}{
		{"unknown part", func() error {
			_, err := e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{PartId: "nope", LocationId: van.GetId(), Quantity: 1, ReceivingNote: "RN"})
			return err
		}, codes.NotFound, "part nope"},
		{"unknown location", func() error {
			_, err := e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{PartId: a.GetId(), LocationId: "nope", Quantity: 1, ReceivingNote: "RN"})
			return err
		}, codes.NotFound, "location nope"},
		{"unknown reservation", func() error {
			_, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{ReservationId: "nope"})
			return err
		}, codes.NotFound, "reservation nope"},
		{"zero quantity", func() error {
			_, err := e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{PartId: a.GetId(), LocationId: van.GetId(), Quantity: 0, ReceivingNote: "RN"})
			return err
		}, codes.InvalidArgument, "quantity"},
		{"negative reservation quantity", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{JobId: "j", LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), -2)}})
			return err
		}, codes.InvalidArgument, "lines[0].quantity"},
		{"no lines", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{JobId: "j", LocationId: van.GetId()})
			return err
		}, codes.InvalidArgument, "lines"},
		{"duplicate lines", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{JobId: "j", LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1), line(a.GetId(), 1)}})
			return err
		}, codes.InvalidArgument, "lines[1].part_id"},
		{"missing job", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}})
			return err
		}, codes.InvalidArgument, "job_id"},
		{"bad request id", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: "has space", JobId: "j", LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}})
			return err
		}, codes.InvalidArgument, "request_id"},
		{"insufficient stock", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{JobId: "j", LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 3)}})
			return err
		}, codes.FailedPrecondition, "available 2"},
		{"reserve from scrap", func() error {
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{JobId: "j", LocationId: scrap.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}})
			return err
		}, codes.FailedPrecondition, "location_id"},
		{"transfer more than available", func() error {
			_, err := e.c.TransferStock(e.ctx, &inventoryv1.TransferStockRequest{PartId: a.GetId(), FromLocationId: van.GetId(), ToLocationId: scrap.GetId(), Quantity: 3})
			return err
		}, codes.FailedPrecondition, "insufficient stock"},
		{"transfer to itself", func() error {
			_, err := e.c.TransferStock(e.ctx, &inventoryv1.TransferStockRequest{PartId: a.GetId(), FromLocationId: van.GetId(), ToLocationId: van.GetId(), Quantity: 1})
			return err
		}, codes.InvalidArgument, "to_location_id"},
		{"adjust below zero", func() error {
			_, err := e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{PartId: a.GetId(), LocationId: van.GetId(), Delta: -3, Reason: inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_LOST})
			return err
		}, codes.FailedPrecondition, "insufficient stock"},
		{"adjust without reason", func() error {
			_, err := e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{PartId: a.GetId(), LocationId: van.GetId(), Delta: 1})
			return err
		}, codes.InvalidArgument, "reason"},
		{"adjust by zero", func() error {
			_, err := e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{PartId: a.GetId(), LocationId: van.GetId(), Delta: 0, Reason: inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_FOUND})
			return err
		}, codes.InvalidArgument, "delta"},
		{"duplicate sku", func() error {
			_, err := e.c.CreatePart(e.ctx, &inventoryv1.CreatePartRequest{Part: &inventoryv1.Part{Sku: "A", Name: "again", Kind: inventoryv1.PartKind_PART_KIND_WEAR}})
			return err
		}, codes.AlreadyExists, "sku A"},
		{"part without kind", func() error {
			_, err := e.c.CreatePart(e.ctx, &inventoryv1.CreatePartRequest{Part: &inventoryv1.Part{Sku: "B", Name: "b"}})
			return err
		}, codes.InvalidArgument, "part.kind"},
		{"van without technician", func() error {
			_, err := e.c.CreateLocation(e.ctx, &inventoryv1.CreateLocationRequest{Location: &inventoryv1.Location{Name: "v", Kind: inventoryv1.LocationKind_LOCATION_KIND_VAN}})
			return err
		}, codes.InvalidArgument, "location.technician_id"},
		{"serials do not match quantity", func() error {
			_, err := e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{PartId: a.GetId(), LocationId: van.GetId(), Quantity: 2, ReceivingNote: "RN", Serials: []string{"x"}})
			return err
		}, codes.InvalidArgument, "serials"},
		{"release without ids", func() error {
			_, err := e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{})
			return err
		}, codes.InvalidArgument, ""},
		{"bad page token", func() error {
			_, err := e.c.ListParts(e.ctx, &inventoryv1.ListPartsRequest{PageToken: "garbage!"})
			return err
		}, codes.InvalidArgument, "page_token"},
		{"max distance without near", func() error {
			_, err := e.c.GetStock(e.ctx, &inventoryv1.GetStockRequest{PartId: a.GetId(), MaxDistanceKm: 10})
			return err
		}, codes.InvalidArgument, "max_distance_km"},
	}
	before := e.movementCount()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, tt.code)
			st := status.Convert(err)
			if tt.code == codes.InvalidArgument && tt.field != "" {
				named := strings.Contains(st.Message(), tt.field)
				for _, d := range st.Details() {
					if br, ok := d.(*errdetails.BadRequest); ok {
						for _, v := range br.GetFieldViolations() {
							named = named || strings.Contains(v.GetField(), tt.field)
						}
					}
				}
				if !named {
					t.Fatalf("error %v does not name %q", err, tt.field)
				}
			} else if !strings.Contains(st.Message(), tt.field) {
				t.Fatalf("message %q does not mention %q", st.Message(), tt.field)
			}
		})
	}
	if after := e.movementCount(); after != before {
		t.Fatalf("refused calls booked %d movements", after-before)
	}
	e.wantBalance(a.GetId(), van.GetId(), 2, 0)
	e.verify()
}

func TestTransferAndAdjust(t *testing.T) {
	e := start(t)
	a := e.part("A")
	central := e.location("central", inventoryv1.LocationKind_LOCATION_KIND_CENTRAL, nil)
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), central.GetId(), 10)
	e.reserve("j", central.GetId(), line(a.GetId(), 4))
	_, err := e.c.TransferStock(e.ctx, &inventoryv1.TransferStockRequest{RequestId: e.rid(), PartId: a.GetId(), FromLocationId: central.GetId(), ToLocationId: van.GetId(), Quantity: 7})
	wantCode(t, err, codes.FailedPrecondition) // only 6 available: reserved stock stays
	tr, err := e.c.TransferStock(e.ctx, &inventoryv1.TransferStockRequest{RequestId: e.rid(), PartId: a.GetId(), FromLocationId: central.GetId(), ToLocationId: van.GetId(), Quantity: 6,
		JobId: "job-ship", Postage: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 1800}})
	if err != nil {
		t.Fatalf("TransferStock: %v", err)
	}
	if tr.GetOut().GetPostage().GetAmountMinor() != 1800 || tr.GetOut().GetJobId() != "job-ship" || tr.GetIn().GetPostage() != nil {
		t.Fatalf("postage booked as out=%v in=%v, want 1800 on the TRANSFER_OUT against job-ship", tr.GetOut(), tr.GetIn())
	}
	if tr.GetFromBalance().GetOnHand() != 4 || tr.GetToBalance().GetOnHand() != 6 || tr.GetOut().GetReference() != tr.GetIn().GetReference() {
		t.Fatalf("TransferStock = %v", tr)
	}
	adj, err := e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{RequestId: e.rid(), PartId: a.GetId(), LocationId: van.GetId(), Delta: -1,
		Reason: inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_COUNT_CORRECTION, Note: "count sheet 12"})
	if err != nil || adj.GetBalance().GetOnHand() != 5 || adj.GetMovement().GetAdjustmentReason() != inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_COUNT_CORRECTION {
		t.Fatalf("AdjustStock = %v, %v", adj, err)
	}
	_, err = e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{RequestId: e.rid(), PartId: a.GetId(), LocationId: central.GetId(), Delta: -1,
		Reason: inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_LOST})
	wantCode(t, err, codes.FailedPrecondition) // 4 on hand, 4 reserved
	mv, err := e.c.ListMovements(e.ctx, &inventoryv1.ListMovementsRequest{LocationId: van.GetId()})
	if err != nil || len(mv.GetMovements()) != 2 || mv.GetMovements()[0].GetKind() != inventoryv1.MovementKind_MOVEMENT_KIND_TRANSFER_IN {
		t.Fatalf("ListMovements(van) = %v, %v", mv, err)
	}
	mv, err = e.c.ListMovements(e.ctx, &inventoryv1.ListMovementsRequest{PartId: a.GetId(), PageSize: 2})
	if err != nil || len(mv.GetMovements()) != 2 || mv.GetNextPageToken() == "" {
		t.Fatalf("ListMovements(part, 2) = %v, %v", mv, err)
	}
	mv2, err := e.c.ListMovements(e.ctx, &inventoryv1.ListMovementsRequest{PartId: a.GetId(), PageSize: 2, PageToken: mv.GetNextPageToken()})
	if err != nil || len(mv2.GetMovements()) != 2 || mv2.GetMovements()[0].GetSequence() <= mv.GetMovements()[1].GetSequence() {
		t.Fatalf("ListMovements page 2 = %v, %v", mv2, err)
	}
	e.verify()
}
