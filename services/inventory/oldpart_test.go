package inventory_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc/codes"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
)

// collector gathers the inventory's published events by subject.
type collector struct {
	sub *nats.Subscription
	got map[string][]events.Message
}

func (e *env) collect() *collector {
	e.t.Helper()
	sub, err := e.run.Platform.NC.SubscribeSync("sanbao.inventory.v1.>")
	if err != nil {
		e.t.Fatalf("subscribe: %v", err)
	}
	e.t.Cleanup(func() { _ = sub.Unsubscribe() })
	return &collector{sub: sub, got: map[string][]events.Message{}}
}

// wait polls until at least n events arrived on subject and returns them.
func (c *collector) wait(t testing.TB, subject string, n int) []events.Message {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, func() error {
		for {
			m, err := c.sub.NextMsg(time.Millisecond)
			if err != nil {
				break
			}
			ev, err := events.Parse(m.Subject, m.Header, m.Data)
			if err != nil {
				return err
			}
			c.got[m.Subject] = append(c.got[m.Subject], ev)
		}
		if len(c.got[subject]) < n {
			return fmt.Errorf("%d events on %s, want %d", len(c.got[subject]), subject, n)
		}
		return nil
	})
	return c.got[subject]
}

func TestOldPartLoop(t *testing.T) {
	e := start(t)
	evs := e.collect()
	pump := e.part("PUMP-1", func(p *inventoryv1.Part) {
		p.SupplierId = "sup-9"
		p.UnitCost = &typev1.Money{CurrencyCode: "CNY", AmountMinor: 50000}
	})
	dealer := e.location("dealer", inventoryv1.LocationKind_LOCATION_KIND_DEALER, nil, func(l *inventoryv1.Location) { l.OrganisationId = "dealer-7" })
	reusable := e.location("reusable", inventoryv1.LocationKind_LOCATION_KIND_REUSABLE, nil)
	scrap := e.location("scrap", inventoryv1.LocationKind_LOCATION_KIND_SCRAP, nil)
	e.receive(pump.GetId(), dealer.GetId(), 5)
	r := e.reserve("job-9", dealer.GetId(), line(pump.GetId(), 3))
	cons, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId(),
		Lines: []*inventoryv1.ConsumedLine{{PartId: pump.GetId(), Quantity: 3, UnderWarranty: true}}})
	if err != nil || len(cons.GetMustReturn()) != 3 {
		t.Fatalf("ConsumeReservation = %v, %v; want 3 must-return", cons, err)
	}
	due := cons.GetMustReturn()[0].GetDueTime().AsTime()
	if !due.Equal(t0.Add(30 * 24 * time.Hour)) {
		t.Fatalf("due = %v, want 30 days after consumption", due)
	}

	outstanding := func(req *inventoryv1.ListOutstandingReturnsRequest) int {
		t.Helper()
		resp, err := e.c.ListOutstandingReturns(e.ctx, req)
		if err != nil {
			t.Fatalf("ListOutstandingReturns(%v): %v", req, err)
		}
		return len(resp.GetReturns())
	}
	// Return one in time.
	ret, err := e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), JobId: "job-9", PartId: pump.GetId(),
		FaultySerial: "OLD-1", ReplacementSerial: "NEW-1", Reason: "seal leaking"})
	if err != nil || ret.GetOldPartReturn().GetState() != inventoryv1.ReturnState_RETURN_STATE_PENDING_APPRAISAL || ret.GetOldPartReturn().GetId() != cons.GetMustReturn()[0].GetId() {
		t.Fatalf("ReturnOldPart = %v, %v; want the first obligation PENDING_APPRAISAL", ret, err)
	}
	e.clock.Set(due) // at the due time nothing is outstanding yet
	if n := outstanding(&inventoryv1.ListOutstandingReturnsRequest{}); n != 0 {
		t.Fatalf("outstanding at due time = %d, want 0", n)
	}
	e.clock.Set(due.Add(time.Second))
	for _, req := range []*inventoryv1.ListOutstandingReturnsRequest{{}, {JobId: "job-9"}, {OrganisationId: "dealer-7"}} {
		if n := outstanding(req); n != 2 {
			t.Fatalf("outstanding(%v) = %d, want 2", req, n)
		}
	}
	if n := outstanding(&inventoryv1.ListOutstandingReturnsRequest{OrganisationId: "dealer-other"}); n != 0 {
		t.Fatalf("outstanding of another dealer = %d, want 0", n)
	}
	// A late return by its id.
	late, err := e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), ReturnId: cons.GetMustReturn()[2].GetId(),
		JobId: "job-9", PartId: pump.GetId(), FaultySerial: "OLD-3", Reason: "noise"})
	if err != nil {
		t.Fatalf("ReturnOldPart(late): %v", err)
	}
	if n := outstanding(&inventoryv1.ListOutstandingReturnsRequest{OrganisationId: "dealer-7"}); n != 1 {
		t.Fatalf("outstanding after late return = %d, want 1", n)
	}

	// Appraisal: misuse → scrap, published for the charge-back.
	ap, err := e.c.AppraiseReturn(e.ctx, &inventoryv1.AppraiseReturnRequest{RequestId: e.rid(), ReturnId: ret.GetOldPartReturn().GetId(),
		Verdict: inventoryv1.Verdict_VERDICT_MISUSE, Destination: inventoryv1.Destination_DESTINATION_SCRAP, DestinationLocationId: scrap.GetId(), AppraiserId: "eng-1"})
	if err != nil || ap.GetMovement().GetKind() != inventoryv1.MovementKind_MOVEMENT_KIND_OLD_PART_IN {
		t.Fatalf("AppraiseReturn(misuse) = %v, %v", ap, err)
	}
	e.wantBalance(pump.GetId(), scrap.GetId(), 1, 0)
	_, err = e.c.AppraiseReturn(e.ctx, &inventoryv1.AppraiseReturnRequest{RequestId: e.rid(), ReturnId: ret.GetOldPartReturn().GetId(),
		Verdict: inventoryv1.Verdict_VERDICT_MISUSE, Destination: inventoryv1.Destination_DESTINATION_SCRAP, DestinationLocationId: scrap.GetId(), AppraiserId: "eng-1"})
	wantCode(t, err, codes.FailedPrecondition) // already appraised

	// Wrong destination store, supplier claim without a confirmed fault.
	_, err = e.c.AppraiseReturn(e.ctx, &inventoryv1.AppraiseReturnRequest{RequestId: e.rid(), ReturnId: late.GetOldPartReturn().GetId(),
		Verdict: inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND, Destination: inventoryv1.Destination_DESTINATION_REUSABLE, DestinationLocationId: scrap.GetId(), AppraiserId: "eng-1"})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.AppraiseReturn(e.ctx, &inventoryv1.AppraiseReturnRequest{RequestId: e.rid(), ReturnId: late.GetOldPartReturn().GetId(),
		Verdict: inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND, Destination: inventoryv1.Destination_DESTINATION_SUPPLIER_CLAIM, AppraiserId: "eng-1"})
	wantCode(t, err, codes.InvalidArgument)
	// No fault found → reusable store.
	if _, err := e.c.AppraiseReturn(e.ctx, &inventoryv1.AppraiseReturnRequest{RequestId: e.rid(), ReturnId: late.GetOldPartReturn().GetId(),
		Verdict: inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND, Destination: inventoryv1.Destination_DESTINATION_REUSABLE, DestinationLocationId: reusable.GetId(), AppraiserId: "eng-1"}); err != nil {
		t.Fatalf("AppraiseReturn(no fault): %v", err)
	}
	e.wantBalance(pump.GetId(), reusable.GetId(), 1, 0)

	// The third: returned, confirmed fault → supplier claim, tracked to recovered.
	third, err := e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), JobId: "job-9", PartId: pump.GetId(), FaultySerial: "OLD-2", Reason: "cracked housing"})
	if err != nil {
		t.Fatalf("ReturnOldPart(third): %v", err)
	}
	if n := outstanding(&inventoryv1.ListOutstandingReturnsRequest{}); n != 0 {
		t.Fatalf("outstanding after all returned = %d, want 0", n)
	}
	ap, err = e.c.AppraiseReturn(e.ctx, &inventoryv1.AppraiseReturnRequest{RequestId: e.rid(), ReturnId: third.GetOldPartReturn().GetId(),
		Verdict: inventoryv1.Verdict_VERDICT_CONFIRMED_FAULT, Destination: inventoryv1.Destination_DESTINATION_SUPPLIER_CLAIM, AppraiserId: "eng-2"})
	if err != nil {
		t.Fatalf("AppraiseReturn(supplier claim): %v", err)
	}
	claim := ap.GetClaim()
	if claim.GetSupplierId() != "sup-9" || claim.GetClaimedAmount().GetAmountMinor() != 50000 || claim.GetState() != inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_OPEN {
		t.Fatalf("claim = %v", claim)
	}
	list, err := e.c.ListSupplierClaims(e.ctx, &inventoryv1.ListSupplierClaimsRequest{SupplierId: "sup-9", State: inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_OPEN})
	if err != nil || len(list.GetClaims()) != 1 {
		t.Fatalf("ListSupplierClaims = %v, %v", list, err)
	}
	_, err = e.c.ResolveSupplierClaim(e.ctx, &inventoryv1.ResolveSupplierClaimRequest{RequestId: e.rid(), ClaimId: claim.GetId(), Outcome: inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_OPEN})
	wantCode(t, err, codes.InvalidArgument)
	res, err := e.c.ResolveSupplierClaim(e.ctx, &inventoryv1.ResolveSupplierClaimRequest{RequestId: e.rid(), ClaimId: claim.GetId(),
		Outcome: inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_RECOVERED, RecoveredAmount: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 45000}})
	if err != nil || res.GetClaim().GetState() != inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_RECOVERED {
		t.Fatalf("ResolveSupplierClaim = %v, %v", res, err)
	}
	_, err = e.c.ResolveSupplierClaim(e.ctx, &inventoryv1.ResolveSupplierClaimRequest{RequestId: e.rid(), ClaimId: claim.GetId(), Outcome: inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_REJECTED})
	wantCode(t, err, codes.FailedPrecondition)

	// Every appraisal is published; MISUSE and NO_FAULT_FOUND carry what the charge-back needs.
	appraised := evs.wait(t, "sanbao.inventory.v1.return.appraised", 3)
	verdicts := map[inventoryv1.Verdict]*inventoryv1.ReturnAppraised{}
	for _, m := range appraised {
		ra := &inventoryv1.ReturnAppraised{}
		if err := m.Decode(ra); err != nil {
			t.Fatalf("decode ReturnAppraised: %v", err)
		}
		if m.Type != "sanbao.inventory.v1.ReturnAppraised" {
			t.Fatalf("ce-type = %q", m.Type)
		}
		verdicts[ra.GetVerdict()] = ra
	}
	if m := verdicts[inventoryv1.Verdict_VERDICT_MISUSE]; m.GetJobId() != "job-9" || m.GetPartId() != pump.GetId() || m.GetFaultySerial() != "OLD-1" {
		t.Fatalf("MISUSE event = %v", m)
	}
	if m := verdicts[inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND]; m.GetFaultySerial() != "OLD-3" {
		t.Fatalf("NO_FAULT_FOUND event = %v", m)
	}
	evs.wait(t, "sanbao.inventory.v1.supplier_claim.resolved", 1)
	evs.wait(t, "sanbao.inventory.v1.return.received", 3)
	e.verify()
}

func TestReturnWithoutObligation(t *testing.T) {
	e := start(t)
	a := e.part("A")
	r, err := e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), JobId: "job-x", PartId: a.GetId(), FaultySerial: "F", Reason: "worn"})
	if err != nil || r.GetOldPartReturn().GetState() != inventoryv1.ReturnState_RETURN_STATE_PENDING_APPRAISAL {
		t.Fatalf("ReturnOldPart = %v, %v", r, err)
	}
	_, err = e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), ReturnId: r.GetOldPartReturn().GetId(), JobId: "job-x", PartId: a.GetId(), Reason: "again"})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), ReturnId: r.GetOldPartReturn().GetId(), JobId: "job-other", PartId: a.GetId(), Reason: "x"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.c.ReturnOldPart(e.ctx, &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), JobId: "job-x", PartId: "nope", Reason: "x"})
	wantCode(t, err, codes.NotFound)
}
