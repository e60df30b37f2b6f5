package warranty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
)

// publish puts another service's event on its stream, as that service's relay would.
func (e *env) publish(subject, id string, m proto.Message) {
	e.t.Helper()
	body, err := protojson.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	src := "/sanbao/dispatch"
	if subject[len("sanbao."):len("sanbao.inventory")] == "inventory" {
		src = "/sanbao/inventory"
	}
	msg := events.NewMsg(subject, events.Message{ID: id, Source: src, Type: string(proto.MessageName(m)), Resource: "x/" + id,
		Time: e.clock.Now(), Data: body})
	if _, err := e.run.Platform.JS.PublishMsg(context.Background(), msg); err != nil {
		e.t.Fatalf("publish %s: %v", subject, err)
	}
}

// sinceT0 is the date n days from the fake clock's start (negative: before it), so the test
// keeps its distances to the test world's clock whatever day that is.
func sinceT0(n int) *typev1.Date {
	d := t0.AddDate(0, 0, n) // t0 is 01:00 UTC: the same date in Beijing
	return date(int32(d.Year()), int32(d.Month()), int32(d.Day()))
}

func cny(minor int64) *typev1.Money { return &typev1.Money{CurrencyCode: "CNY", AmountMinor: minor} }

func visitJob(id, ticket string, kind dispatchv1.JobKind, fault string) *dispatchv1.Job {
	return &dispatchv1.Job{Id: id, TicketId: ticket, Kind: kind, UnitSerial: "SN1", FaultCode: fault}
}

func report(resolved bool, at time.Time, spent time.Duration, km float64, parts ...*dispatchv1.UsedPart) *dispatchv1.ServiceReport {
	return &dispatchv1.ServiceReport{Resolved: resolved, CompletedTime: timestamppb.New(at), TimeSpent: durationpb.New(spent),
		TravelKm: km, PartsUsed: parts}
}

// TestVisitLoop: a failed visit (job.failed) is a handling in the unit's history with the parts
// fitted on it; a maintenance visit is kept as maintenance; the repeat-failure rule counts the
// repair and the failed visit; the cost report prices the visits from the signed reports (parts
// at parts-inventory's cost, labour and travel at the fee schedule), subtracts the swap of the
// failed visit charged back after a misuse appraisal and the supplier recovery, blocks the visit whose old part is overdue, and gives the
// repeat-repair and first-time-fix rates per model and batch.
func TestVisitLoop(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), sinceT0(-175))
	if _, err := e.c.ReturnWarrantyCard(e.ctx, &warrantyv1.ReturnWarrantyCardRequest{RequestId: e.rid(), Serial: "SN1", ReceivedDate: sinceT0(-166)}); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	e.publish("sanbao.inventory.v1.part.created", "p1", &inventoryv1.PartCreated{Part: &inventoryv1.Part{Id: "PUMP", UnitCost: cny(120_00)}})
	e.publish("sanbao.inventory.v1.part.created", "p2", &inventoryv1.PartCreated{Part: &inventoryv1.Part{Id: "SEAL", UnitCost: cny(15_00)}})
	natstest.Eventually(t, 10*time.Second, func() error { return consumed(e, "INVENTORY", "warranty-inventory") })

	e.publish("sanbao.dispatch.v1.job.visit_completed", "v1", &dispatchv1.VisitCompleted{
		Job: visitJob("job-1", "t-1", dispatchv1.JobKind_JOB_KIND_REPAIR, "F1"),
		Report: report(true, t0, 90*time.Minute, 20,
			&dispatchv1.UsedPart{PartId: "PUMP", Quantity: 1, FaultySerial: "P-1", ReplacementSerial: "P-2", UnderWarranty: true})})
	e.publish("sanbao.dispatch.v1.job.failed", "v2", &dispatchv1.JobFailed{
		Job: visitJob("job-2", "t-2", dispatchv1.JobKind_JOB_KIND_REPAIR, "F1"),
		Report: report(false, t0.Add(day), time.Hour, 20,
			&dispatchv1.UsedPart{PartId: "SEAL", Quantity: 2, UnderWarranty: true})})
	e.publish("sanbao.dispatch.v1.job.visit_completed", "v3", &dispatchv1.VisitCompleted{
		Job: visitJob("job-3", "t-3", dispatchv1.JobKind_JOB_KIND_MAINTENANCE, ""), Report: report(true, t0.Add(2*day), 30*time.Minute, 0)})
	var repairs []*warrantyv1.Repair
	natstest.Eventually(t, 10*time.Second, func() error {
		r, err := e.c.ListRepairs(e.ctx, &warrantyv1.ListRepairsRequest{Serial: "SN1"})
		if err != nil {
			return err
		}
		if repairs = r.GetRepairs(); len(repairs) != 3 {
			return fmt.Errorf("%d repairs, want 3", len(repairs))
		}
		return nil
	})
	byJob := map[string]*warrantyv1.Repair{}
	for _, r := range repairs {
		byJob[r.GetJobId()] = r
	}
	if r := byJob["job-2"]; r.GetOutcome() != warrantyv1.RepairOutcome_REPAIR_OUTCOME_NOT_FIXED || r.GetKind() != warrantyv1.VisitKind_VISIT_KIND_REPAIR ||
		len(r.GetParts()) != 1 || r.GetCost().GetTotal().GetAmountMinor() != 190_00 {
		t.Errorf("failed visit = %v, want a NOT_FIXED repair with SEAL fitted, costing 190.00", r)
	}
	if r := byJob["job-3"]; r.GetKind() != warrantyv1.VisitKind_VISIT_KIND_MAINTENANCE || r.GetFaultCode() != "UNSPECIFIED" {
		t.Errorf("maintenance visit = %v, want kind MAINTENANCE, fault UNSPECIFIED", r)
	}
	u, err := e.c.GetUnit(e.ctx, &warrantyv1.GetUnitRequest{Serial: "SN1"})
	if err != nil || u.GetUnit().GetRepairCount() != 2 || len(u.GetUnit().GetReplacedParts()) != 2 {
		t.Errorf("unit = %v, %v; want 2 repairs (maintenance is not one) and PUMP and SEAL fitted", u.GetUnit(), err)
	}
	e.clock.Advance(3 * day)
	d, err := e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: timestamppb.New(e.clock.Now()), QuoteOnly: true})
	if err != nil || !contains(remedies(d.GetDecision()), "REMEDY_EXCHANGE") {
		t.Errorf("EvaluateClaim(third report of F1) = %v, %v; want an exchange allowed", d.GetDecision().GetAllowedRemedies(), err)
	}

	// The old parts: the SEALs fitted on the failed visit came back and were appraised as misuse
	// (charged back: parts fitted on a failed visit are warranty swaps like any other); the
	// PUMP's old part is overdue; the supplier paid 10.00 back on job-2.
	pump := &inventoryv1.OldPartReturn{Id: "ret-1", JobId: "job-1", PartId: "PUMP", FaultySerial: "P-1",
		State: inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN, DueTime: timestamppb.New(t0.Add(2 * day))}
	seal := &inventoryv1.OldPartReturn{Id: "ret-2", JobId: "job-2", PartId: "SEAL",
		State: inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN, DueTime: timestamppb.New(t0.Add(10 * day))}
	e.publish("sanbao.inventory.v1.reservation.consumed", "c1", &inventoryv1.ReservationConsumed{MustReturn: []*inventoryv1.OldPartReturn{pump, seal}})
	appraised := proto.Clone(seal).(*inventoryv1.OldPartReturn)
	appraised.State, appraised.Verdict = inventoryv1.ReturnState_RETURN_STATE_APPRAISED, inventoryv1.Verdict_VERDICT_MISUSE
	e.publish("sanbao.inventory.v1.return.appraised", "a1", &inventoryv1.ReturnAppraised{JobId: "job-2", PartId: "SEAL",
		Verdict: inventoryv1.Verdict_VERDICT_MISUSE, OldPartReturn: appraised})
	e.publish("sanbao.inventory.v1.supplier_claim.resolved", "s1", &inventoryv1.SupplierClaimResolved{Claim: &inventoryv1.SupplierClaim{
		Id: "sc-1", JobId: "job-2", PartId: "SEAL", RecoveredAmount: cny(10_00), State: inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_RECOVERED}})

	// job-1 320.00 (PUMP 120.00, 1.5 h 120.00, travel 50.00 + 20 km 30.00), job-2 190.00
	// (2 SEAL 30.00, 1 h 80.00, travel 80.00), job-3 40.00 (0.5 h).
	want := &warrantyv1.WarrantyCost{Model: "M1", Visits: 3, Repairs: 2,
		VisitParts: cny(150_00), VisitLabour: cny(240_00), VisitTravel: cny(160_00), VisitTotal: cny(550_00),
		ChargedBack: cny(30_00), SupplierRecovered: cny(10_00), Net: cny(510_00),
		BlockedVisits: 1, Blocked: cny(320_00), BlockedJobIds: []string{"job-1"}, WrittenOff: cny(190_00),
		RepeatRepairRate: 0.5, FirstTimeFixRate: 0.5}
	natstest.Eventually(t, 10*time.Second, func() error {
		resp, err := e.c.GetWarrantyCost(e.ctx, &warrantyv1.GetWarrantyCostRequest{Model: "M1"})
		if err != nil {
			return err
		}
		got := visitFigures(resp.GetCost())
		if !proto.Equal(got, want) {
			return fmt.Errorf("GetWarrantyCost(M1) = %v\nwant %v", got, want)
		}
		if len(resp.GetCost().GetByBatch()) != 1 || resp.GetCost().GetByBatch()[0].GetBatch() != "B1" ||
			resp.GetCost().GetByBatch()[0].GetFirstTimeFixRate() != 0.5 {
			return fmt.Errorf("by batch = %v, want B1 with a first-time-fix rate of 0.5", resp.GetCost().GetByBatch())
		}
		return nil
	})
}

// TestQuoteUsesKnownPartCost: a quote's material without a cost is priced at parts-inventory's
// cost of the part (no arbitrary pricing); a part of unknown cost is FAILED_PRECONDITION.
func TestQuoteUsesKnownPartCost(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.publish("sanbao.inventory.v1.part.created", "p1", &inventoryv1.PartCreated{Part: &inventoryv1.Part{Id: "PUMP", UnitCost: cny(120_00)}})
	natstest.Eventually(t, 10*time.Second, func() error { return consumed(e, "INVENTORY", "warranty-inventory") })
	q, err := e.c.QuoteServiceFee(e.ctx, &warrantyv1.QuoteServiceFeeRequest{PolicyId: p.GetId(), TravelKm: 20, Labour: durationpb.New(time.Hour),
		Materials: []*warrantyv1.MaterialLine{{PartId: "PUMP", Quantity: 2}}})
	// Travel 50.00 + 20 × 1.50, labour 80.00, 2 × 120.00 at cost.
	if err != nil || q.GetQuote().GetTotal().GetAmountMinor() != 80_00+80_00+240_00 {
		t.Fatalf("QuoteServiceFee(PUMP without cost) = %v, %v; want 400.00", q.GetQuote().GetTotal(), err)
	}
	_, err = e.c.QuoteServiceFee(e.ctx, &warrantyv1.QuoteServiceFeeRequest{PolicyId: p.GetId(), Materials: []*warrantyv1.MaterialLine{{PartId: "NOPE", Quantity: 1}}})
	wantCode(t, err, codes.FailedPrecondition)
}

// visitFigures keeps the visit figures of a cost report.
func visitFigures(c *warrantyv1.WarrantyCost) *warrantyv1.WarrantyCost {
	return &warrantyv1.WarrantyCost{Model: c.GetModel(), Visits: c.GetVisits(), Repairs: c.GetRepairs(),
		VisitParts: c.GetVisitParts(), VisitLabour: c.GetVisitLabour(), VisitTravel: c.GetVisitTravel(), VisitTotal: c.GetVisitTotal(),
		ChargedBack: c.GetChargedBack(), SupplierRecovered: c.GetSupplierRecovered(), Net: c.GetNet(),
		BlockedVisits: c.GetBlockedVisits(), Blocked: c.GetBlocked(), BlockedJobIds: c.GetBlockedJobIds(), WrittenOff: c.GetWrittenOff(),
		RepeatRepairRate: c.GetRepeatRepairRate(), FirstTimeFixRate: c.GetFirstTimeFixRate()}
}

func remedies(d *warrantyv1.Decision) []string {
	var out []string
	for _, r := range d.GetAllowedRemedies() {
		out = append(out, r.String())
	}
	return out
}

// consumed reports nil once a durable consumer has applied everything on its stream.
func consumed(e *env, stream, durable string) error {
	c, err := e.run.Platform.JS.Consumer(context.Background(), stream, durable)
	if err != nil {
		return err
	}
	ci, err := c.Info(context.Background())
	if err != nil {
		return err
	}
	if n := ci.NumPending + uint64(ci.NumAckPending); n != 0 {
		return fmt.Errorf("%s: %d events not applied yet", durable, n)
	}
	return nil
}

// TestAppraisalBeforeVisit: an appraisal that reaches warranty before the visit it is about
// (they come on different streams) is kept and charged back when the visit is recorded.
func TestAppraisalBeforeVisit(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), sinceT0(-175))
	e.publish("sanbao.inventory.v1.return.appraised", "a1", &inventoryv1.ReturnAppraised{JobId: "job-1", PartId: "PUMP", FaultySerial: "P-1",
		Verdict: inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND, OldPartReturn: &inventoryv1.OldPartReturn{Id: "ret-1", JobId: "job-1"}})
	natstest.Eventually(t, 10*time.Second, func() error { return consumed(e, "INVENTORY", "warranty-appraisals") })
	e.publish("sanbao.dispatch.v1.job.visit_completed", "v1", &dispatchv1.VisitCompleted{
		Job: visitJob("job-1", "t-1", dispatchv1.JobKind_JOB_KIND_REPAIR, "F1"),
		Report: report(true, t0, time.Hour, 10,
			&dispatchv1.UsedPart{PartId: "PUMP", Quantity: 1, FaultySerial: "P-1", ReplacementSerial: "P-2", UnderWarranty: true})})
	natstest.Eventually(t, 10*time.Second, func() error {
		r, err := e.c.ListRepairs(e.ctx, &warrantyv1.ListRepairsRequest{Serial: "SN1"})
		if err != nil {
			return err
		}
		if len(r.GetRepairs()) != 1 || r.GetRepairs()[0].GetParts()[0].GetChargeBack().GetVerdict() != "VERDICT_NO_FAULT_FOUND" {
			return fmt.Errorf("repairs = %v, want the PUMP swap charged back for no fault found", r.GetRepairs())
		}
		return nil
	})
}
