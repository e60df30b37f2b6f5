package inventory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
)

// t0 is the fake clock's start: a Monday 09:00 in Beijing in the test world's future.
var t0 = svctest.Epoch()

// day is the date n days from t0's (negative: before it), so that every date a test uses keeps
// its distance to the test world's clock.
func day(n int) *typev1.Date {
	d := t0.AddDate(0, 0, n) // t0 is 01:00 UTC: the same date in Beijing
	return &typev1.Date{Year: int32(d.Year()), Month: int32(d.Month()), Day: int32(d.Day())}
}

type env struct {
	t     testing.TB
	ctx   context.Context
	svc   daemon.Service
	run   *svctest.Service
	c     inventoryv1.InventoryServiceClient
	clock *clock.Fake
	seq   int
}

func start(t testing.TB) *env {
	t.Helper()
	fake := clock.NewFake(t0)
	// The dispatch stream exists, as in a running system, so the job-cancelled consumer
	// attaches at once.
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	svc := inventory.New(inventory.DefaultConfig())
	run := svctest.Start(t, svc, svctest.Options{Name: "inventory", Clock: fake, NATS: ns})
	return &env{t: t, ctx: context.Background(), svc: svc, run: run, c: inventoryv1.NewInventoryServiceClient(run.Conn), clock: fake}
}

func (e *env) rid() string {
	e.seq++
	return fmt.Sprintf("req-%d", e.seq)
}

func (e *env) part(sku string, mutate ...func(*inventoryv1.Part)) *inventoryv1.Part {
	e.t.Helper()
	p := &inventoryv1.Part{Sku: sku, Name: "part " + sku, Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, SupplierId: "sup-1",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 12000}}
	for _, m := range mutate {
		m(p)
	}
	resp, err := e.c.CreatePart(e.ctx, &inventoryv1.CreatePartRequest{RequestId: e.rid(), Part: p})
	if err != nil {
		e.t.Fatalf("CreatePart(%s): %v", sku, err)
	}
	return resp.GetPart()
}

func (e *env) location(name string, kind inventoryv1.LocationKind, pt *typev1.GeoPoint, mutate ...func(*inventoryv1.Location)) *inventoryv1.Location {
	e.t.Helper()
	l := &inventoryv1.Location{Name: name, Kind: kind, OrganisationId: "org-1", Point: pt}
	if kind == inventoryv1.LocationKind_LOCATION_KIND_VAN {
		l.TechnicianId = "tech-" + name
	}
	for _, m := range mutate {
		m(l)
	}
	resp, err := e.c.CreateLocation(e.ctx, &inventoryv1.CreateLocationRequest{RequestId: e.rid(), Location: l})
	if err != nil {
		e.t.Fatalf("CreateLocation(%s): %v", name, err)
	}
	return resp.GetLocation()
}

func (e *env) receive(partID, locID string, q int64) {
	e.t.Helper()
	if _, err := e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{RequestId: e.rid(), PartId: partID, LocationId: locID, Quantity: q, ReceivingNote: "RN-1"}); err != nil {
		e.t.Fatalf("ReceiveStock(%s, %d): %v", partID, q, err)
	}
}

func (e *env) reserve(jobID, locID string, lines ...*inventoryv1.ReservationLine) *inventoryv1.Reservation {
	e.t.Helper()
	resp, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: jobID, LocationId: locID, Lines: lines})
	if err != nil {
		e.t.Fatalf("ReserveParts(%s): %v", jobID, err)
	}
	return resp.GetReservation()
}

// requisition approves and issues the requisition (领料单) raised for a reservation at a
// central or station store, so that it may be consumed.
func (e *env) requisition(r *inventoryv1.Reservation) *inventoryv1.Requisition {
	e.t.Helper()
	id := r.GetRequisitionId() // raised with the reservation
	if id == "" {
		e.t.Fatalf("reservation %s at a store has no requisition", r.GetId())
	}
	if _, err := e.c.ApproveRequisition(e.ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: e.rid(), RequisitionId: id, ApproverId: "store-mgr"}); err != nil {
		e.t.Fatalf("ApproveRequisition(%s): %v", id, err)
	}
	is, err := e.c.IssueRequisition(e.ctx, &inventoryv1.IssueRequisitionRequest{RequestId: e.rid(), RequisitionId: id})
	if err != nil {
		e.t.Fatalf("IssueRequisition(%s): %v", id, err)
	}
	return is.GetRequisition()
}

func line(partID string, q int64) *inventoryv1.ReservationLine {
	return &inventoryv1.ReservationLine{PartId: partID, Quantity: q}
}

// balance returns on_hand, reserved of a part at a location.
func (e *env) balance(partID, locID string) (int64, int64) {
	e.t.Helper()
	resp, err := e.c.GetStock(e.ctx, &inventoryv1.GetStockRequest{PartId: partID, Limit: 500})
	if err != nil {
		e.t.Fatalf("GetStock(%s): %v", partID, err)
	}
	for _, l := range resp.GetLevels() {
		if l.GetLocation().GetId() == locID {
			if l.GetAvailable() != l.GetOnHand()-l.GetReserved() {
				e.t.Fatalf("level %+v: available != on_hand - reserved", l)
			}
			return l.GetOnHand(), l.GetReserved()
		}
	}
	return 0, 0
}

func (e *env) wantBalance(partID, locID string, onHand, reserved int64) {
	e.t.Helper()
	if gotOn, gotRes := e.balance(partID, locID); gotOn != onHand || gotRes != reserved {
		e.t.Fatalf("balance of %s at %s = %d on hand, %d reserved; want %d, %d", partID, locID, gotOn, gotRes, onHand, reserved)
	}
}

// verify replays the ledger and checks every balance against it.
func (e *env) verify() int {
	e.t.Helper()
	n, err := inventory.VerifyLedger(e.svc)
	if err != nil {
		e.t.Fatalf("ledger check: %v", err)
	}
	return n
}

func (e *env) movementCount() int {
	e.t.Helper()
	n := 0
	token := ""
	for {
		resp, err := e.c.ListMovements(e.ctx, &inventoryv1.ListMovementsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			e.t.Fatalf("ListMovements: %v", err)
		}
		n += len(resp.GetMovements())
		if token = resp.GetNextPageToken(); token == "" {
			return n
		}
	}
}

func wantCode(t testing.TB, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// wantReason checks err's code and its google.rpc.ErrorInfo reason.
func wantReason(t testing.TB, err error, code codes.Code, reason string) {
	t.Helper()
	wantCode(t, err, code)
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == reason {
			return
		}
	}
	t.Fatalf("error = %v (details %v), want ErrorInfo reason %s", err, status.Convert(err).Details(), reason)
}

func tsAt(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// restart stops the service and starts it again on the same data directory, NATS server and
// clock.
func (e *env) restart() {
	e.t.Helper()
	if err := e.run.Stop(); err != nil {
		e.t.Fatalf("stop: %v", err)
	}
	e.svc = inventory.New(inventory.DefaultConfig())
	e.run = svctest.Start(e.t, e.svc, svctest.Options{Name: "inventory", Clock: e.clock, NATS: e.run.NATS, DataDir: e.run.DataDir})
	e.c = inventoryv1.NewInventoryServiceClient(e.run.Conn)
}
