package dispatch_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
)

// partsEnv is dispatch wired to a real parts-inventory service on one real JetStream.
type partsEnv struct {
	*env
	inv    inventoryv1.InventoryServiceClient
	invSvc *svctest.Service
	n      int
}

func startWithInventory(t *testing.T) *partsEnv {
	t.Helper()
	ns := natstest.Run(t)
	// The DISPATCH stream exists first, as in a running system, so inventory's consumer of
	// job.cancelled attaches at once.
	ns.Streams(t, "dispatch")
	// Both services read one clock: a hold's expiry computed by inventory is checked against
	// the same "now" that dispatch and the test advance.
	clk := clock.NewFake(start)
	inv := svctest.Start(t, inventory.New(inventory.DefaultConfig()), svctest.Options{Name: "inventory", NATS: ns, Clock: clk})
	return &partsEnv{env: startDispatchClock(t, inv.Addr, ns, clk), inv: inventoryv1.NewInventoryServiceClient(inv.Conn), invSvc: inv}
}

func (p *partsEnv) rid() string {
	p.n++
	return fmt.Sprintf("setup-%d", p.n)
}

func (p *partsEnv) location(t *testing.T, name string, kind inventoryv1.LocationKind, pt *typev1.GeoPoint, techID string) string {
	t.Helper()
	l := &inventoryv1.Location{Name: name, Kind: kind, OrganisationId: "station-jinan", Point: pt, TechnicianId: techID}
	resp, err := p.inv.CreateLocation(context.Background(), &inventoryv1.CreateLocationRequest{RequestId: p.rid(), Location: l})
	if err != nil {
		t.Fatalf("CreateLocation(%s): %v", name, err)
	}
	return resp.GetLocation().GetId()
}

func (p *partsEnv) stock(t *testing.T, partID, locID string) (onHand, reserved int64) {
	t.Helper()
	resp, err := p.inv.GetStock(context.Background(), &inventoryv1.GetStockRequest{PartId: partID, Limit: 500})
	if err != nil {
		t.Fatalf("GetStock: %v", err)
	}
	for _, l := range resp.GetLevels() {
		if l.GetLocation().GetId() == locID {
			return l.GetOnHand(), l.GetReserved()
		}
	}
	return 0, 0
}

func (p *partsEnv) waitStock(t *testing.T, partID, locID string, onHand, reserved int64) {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, func() error {
		if h, r := p.stock(t, partID, locID); h != onHand || r != reserved {
			return fmt.Errorf("stock of %s at %s = %d on hand, %d reserved; want %d, %d", partID, locID, h, r, onHand, reserved)
		}
		return nil
	})
}

func (p *partsEnv) waitReservation(t *testing.T, jobID string, want dispatchv1.PartsReservationState) *dispatchv1.Job {
	t.Helper()
	var j *dispatchv1.Job
	natstest.Eventually(t, 10*time.Second, func() error {
		j = p.job(t, jobID)
		if got := j.GetPartsReservation().GetState(); got != want {
			return fmt.Errorf("job %s parts reservation = %s (%s), want %s", jobID, got, j.GetPartsReservation().GetDetail(), want)
		}
		return nil
	})
	return j
}

func TestPartsReservedReleasedConsumed(t *testing.T) {
	p := startWithInventory(t)
	ctx := context.Background()

	// A part, a van holding two of it 0.3° north of the site, a central store far away.
	part, err := p.inv.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: p.rid(), Part: &inventoryv1.Part{
		Sku: "INJ-01", Name: "injector", Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, SupplierId: "sup-1",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 12000}}})
	if err != nil {
		t.Fatalf("CreatePart: %v", err)
	}
	partID := part.GetPart().GetId()
	// The technician with the van is farther than one without: parts-aware ranking picks the
	// van. The van is linked to the technician in parts-inventory (Location.technician_id),
	// not on the dispatch technician.
	a := p.createTech(t, technician("with-van", 0.3))
	p.createTech(t, technician("nearer-no-parts", 0.05))
	vanPoint := &typev1.GeoPoint{Latitude: site.Latitude + 0.3, Longitude: site.Longitude}
	van := p.location(t, "van-a", inventoryv1.LocationKind_LOCATION_KIND_VAN, vanPoint, a.GetId())
	if _, err := p.inv.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: p.rid(), PartId: partID, LocationId: van, Quantity: 2, ReceivingNote: "RN-1"}); err != nil {
		t.Fatalf("ReceiveStock: %v", err)
	}

	in := jobInput("T-P1")
	in.LikelyParts = []*dispatchv1.PartNeed{{PartId: partID, Quantity: 1}}
	j := p.createJob(t, in)
	if j.GetAssignment().GetTechnicianId() != a.GetId() {
		t.Fatalf("CreateJob() assigned %s, want the technician whose van holds the part (%s); ranking %v",
			j.GetAssignment().GetTechnicianId(), a.GetId(), j.GetAssignment().GetRanking())
	}
	if c := j.GetAssignment().GetRanking().GetCandidates()[0]; c.GetParts() != dispatchv1.PartsReadiness_PARTS_READINESS_ON_VAN {
		t.Fatalf("best candidate parts = %s, want ON_VAN", c.GetParts())
	}

	// Assign → reserved at the van.
	j = p.waitReservation(t, j.GetId(), dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED)
	if j.GetPartsReservation().GetLocationId() != van || j.GetPartsReservation().GetReservationId() == "" {
		t.Fatalf("parts reservation = %v, want reserved at the van", j.GetPartsReservation())
	}
	p.waitStock(t, partID, van, 2, 1)

	// Cancel → released.
	if _, err := p.client.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "cancel-1", JobId: j.GetId(), Reason: "customer withdrew"}); err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	p.waitStock(t, partID, van, 2, 0)

	// A second job: reserved, then the visit uses the part → consumed.
	in = jobInput("T-P2")
	in.LikelyParts = []*dispatchv1.PartNeed{{PartId: partID, Quantity: 1}}
	j = p.createJob(t, in)
	id, tid := j.GetId(), j.GetAssignment().GetTechnicianId()
	p.waitReservation(t, id, dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED)
	p.waitStock(t, partID, van, 2, 1)
	if _, err := p.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: id, TechnicianId: tid}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	p.clock.Advance(time.Hour)
	if _, err := p.client.CheckIn(ctx, &dispatchv1.CheckInRequest{JobId: id, TechnicianId: tid, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	p.clock.Advance(time.Hour)
	_, err = p.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v", JobId: id, TechnicianId: tid, Report: &dispatchv1.ServiceReport{
		WorkDone: "replaced injector", Resolved: true,
		PartsUsed: []*dispatchv1.UsedPart{{PartId: partID, Quantity: 1, FaultySerial: "OLD-1", ReplacementSerial: "NEW-1",
			Reason: "clogged", UnderWarranty: true, OldPartTakenBack: true}},
		SignOff: &dispatchv1.SignOff{SignerName: "Li Na", SignedTime: timestamppb.New(p.clock.Now()), SignatureRef: "sig/2.png"},
	}})
	if err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	p.waitReservation(t, id, dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_CONSUMED)
	p.waitStock(t, partID, van, 1, 0)
}

// TestUnforeseenPartsAreBooked: a visit that fits a part nobody reserved still books it, from
// the technician's van, so the ledger follows what was fitted.
func TestUnforeseenPartsAreBooked(t *testing.T) {
	p := startWithInventory(t)
	ctx := context.Background()
	tech := p.createTech(t, technician("with-van", 0.1))
	partID, van := p.setupVanPart(t, 3, tech.GetId())
	j := p.createJob(t, jobInput("T-U1")) // no likely parts: nothing reserved
	id, tid := j.GetId(), j.GetAssignment().GetTechnicianId()
	if _, err := p.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{JobId: id, TechnicianId: tid}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	if _, err := p.client.CheckIn(ctx, &dispatchv1.CheckInRequest{JobId: id, TechnicianId: tid, Point: site}); err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	p.clock.Advance(time.Hour)
	if _, err := p.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v", JobId: id, TechnicianId: tid, Report: &dispatchv1.ServiceReport{
		WorkDone: "replaced two injectors", Resolved: true,
		PartsUsed: []*dispatchv1.UsedPart{{PartId: partID, Quantity: 2, UnderWarranty: true, OldPartTakenBack: true}},
		SignOff:   &dispatchv1.SignOff{SignerName: "Li Na", SignedTime: timestamppb.New(p.clock.Now()), SignatureRef: "sig/u.png"},
	}}); err != nil {
		t.Fatalf("CompleteVisit: %v", err)
	}
	p.waitStock(t, partID, van, 1, 0)
	rs, err := p.inv.ListReservations(ctx, &inventoryv1.ListReservationsRequest{JobId: id})
	if err != nil || len(rs.GetReservations()) != 1 || rs.GetReservations()[0].GetState() != inventoryv1.ReservationState_RESERVATION_STATE_CONSUMED {
		t.Fatalf("job's reservations = %v, %v; want one consumed", rs, err)
	}
}

func TestPartsShortIsRecorded(t *testing.T) {
	p := startWithInventory(t)
	ctx := context.Background()
	part, err := p.inv.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: p.rid(), Part: &inventoryv1.Part{
		Sku: "PUMP-01", Name: "pump", Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, SupplierId: "sup-1",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 50000}}})
	if err != nil {
		t.Fatalf("CreatePart: %v", err)
	}
	p.createTech(t, technician("a", 0.1))
	in := jobInput("T-P3")
	in.LikelyParts = []*dispatchv1.PartNeed{{PartId: part.GetPart().GetId(), Quantity: 1}}
	j := p.createJob(t, in)
	// Nobody holds the part: the job is still assigned (parts never block a visit), and the
	// reservation is recorded as short.
	if j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("CreateJob() state = %s, want ASSIGNED", j.GetState())
	}
	p.waitReservation(t, j.GetId(), dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_SHORT)
	if c := j.GetAssignment().GetRanking().GetCandidates()[0]; c.GetParts() != dispatchv1.PartsReadiness_PARTS_READINESS_WITHOUT_PARTS {
		t.Fatalf("candidate parts = %s, want WITHOUT_PARTS", c.GetParts())
	}
}

// setupVanPart creates a part and a van holding n of it for technician techID; it returns the
// part id and the van's location id.
func (p *partsEnv) setupVanPart(t *testing.T, n int64, techID string) (string, string) {
	t.Helper()
	ctx := context.Background()
	part, err := p.inv.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: p.rid(), Part: &inventoryv1.Part{
		Sku: "INJ-02", Name: "injector", Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, SupplierId: "sup-1",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 12000}}})
	if err != nil {
		t.Fatalf("CreatePart: %v", err)
	}
	van := p.location(t, "van-a", inventoryv1.LocationKind_LOCATION_KIND_VAN, &typev1.GeoPoint{Latitude: site.Latitude + 0.3, Longitude: site.Longitude}, techID)
	if _, err := p.inv.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: p.rid(), PartId: part.GetPart().GetId(), LocationId: van, Quantity: n, ReceivingNote: "RN-1"}); err != nil {
		t.Fatalf("ReceiveStock: %v", err)
	}
	return part.GetPart().GetId(), van
}

// TestInventoryDownDelaysReservation: with parts-inventory down, the job is still created and
// assigned; the reservation waits (retried with backoff) and is made once inventory is back.
func TestInventoryDownDelaysReservation(t *testing.T) {
	p := startWithInventory(t)
	tech := p.createTech(t, technician("with-van", 0.3))
	partID, van := p.setupVanPart(t, 2, tech.GetId())

	addr, dataDir := p.invSvc.Addr, p.invSvc.DataDir
	if err := p.invSvc.Stop(); err != nil {
		t.Fatalf("stop inventory: %v", err)
	}
	in := jobInput("T-DOWN")
	in.LikelyParts = []*dispatchv1.PartNeed{{PartId: partID, Quantity: 1}}
	j := p.createJob(t, in)
	if j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED || j.GetPartsReservation().GetState() != dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING {
		t.Fatalf("CreateJob() with inventory down = %s, reservation %v; want ASSIGNED, PENDING", j.GetState(), j.GetPartsReservation())
	}
	// The reservation task fails and is retried later: still pending.
	p.fire(t, time.Second)
	if got := p.job(t, j.GetId()).GetPartsReservation().GetState(); got != dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING {
		t.Fatalf("reservation with inventory down = %s, want PENDING", got)
	}

	// Inventory comes back on the same address and data.
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	cfg := daemon.Defaults("inventory", 0, 0)
	cfg.Listen, cfg.MetricsListen, cfg.DataDir, cfg.NATSURL = addr, "", dataDir, p.svc.NATS.URL()
	cfg.Security.Insecure = true // as svctest runs it
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), inventory.New(inventory.DefaultConfig()),
			daemon.Options{Listener: lis, Clock: p.clock, OnReady: func(*daemon.Platform) { close(ready) }, Retry: 100 * time.Millisecond})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("inventory stopped: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("inventory not ready")
	}
	natstest.Eventually(t, 30*time.Second, func() error {
		p.fire(t, 10*time.Second) // past the retry backoff
		if got := p.job(t, j.GetId()).GetPartsReservation(); got.GetState() != dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED {
			return fmt.Errorf("reservation = %s (%s), want RESERVED", got.GetState(), got.GetDetail())
		}
		return nil
	})
	conn, err := rpc.Dial(addr, rpc.ClientOptions{})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	p.inv = inventoryv1.NewInventoryServiceClient(conn)
	p.waitStock(t, partID, van, 2, 1)
}
