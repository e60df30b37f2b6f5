package warranty_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/warranty"
)

// t0 is the fake clock's start: a Monday 09:00 in Beijing in the test world's future.
var t0 = svctest.Epoch()

type env struct {
	t     testing.TB
	ctx   context.Context
	run   *svctest.Service
	c     warrantyv1.WarrantyServiceClient
	clock *clock.Fake
	seq   int
}

func start(t testing.TB) *env {
	t.Helper()
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch", "inventory")
	fake := clock.NewFake(t0)
	run := svctest.Start(t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: fake, NATS: ns})
	return &env{t: t, ctx: context.Background(), run: run, c: warrantyv1.NewWarrantyServiceClient(run.Conn), clock: fake}
}

func (e *env) rid() string {
	e.seq++
	return fmt.Sprintf("req-%d", e.seq)
}

func date(y, m, d int32) *typev1.Date { return &typev1.Date{Year: y, Month: m, Day: d} }

// day is the date n days from t0's (negative: before it), so that every date a test uses keeps
// its distance to the test world's clock.
func day(n int) *typev1.Date {
	d := t0.AddDate(0, 0, n) // t0 is 01:00 UTC: the same date in Beijing
	return date(int32(d.Year()), int32(d.Month()), int32(d.Day()))
}

// noon returns 12:00 Beijing time of the day n days from t0's.
func noon(n int) *timestamppb.Timestamp {
	return timestamppb.New(t0.AddDate(0, 0, n).Add(3 * time.Hour))
}

func (e *env) policy(template string) *warrantyv1.Policy {
	e.t.Helper()
	resp, err := e.c.CreatePolicy(e.ctx, &warrantyv1.CreatePolicyRequest{RequestId: e.rid(), Template: template,
		Policy: &warrantyv1.Policy{Name: "P " + template, Models: []string{"M1"}}})
	if err != nil {
		e.t.Fatalf("CreatePolicy(%s): %v", template, err)
	}
	return resp.GetPolicy()
}

func (e *env) unit(serial, policyID string, sale *typev1.Date) *warrantyv1.Unit {
	e.t.Helper()
	resp, err := e.c.RegisterUnit(e.ctx, &warrantyv1.RegisterUnitRequest{RequestId: e.rid(), Unit: &warrantyv1.Unit{
		Serial: serial, Model: "M1", Batch: "B1", PolicyId: policyID, DealerId: "dealer-1",
		Customer: &warrantyv1.Customer{CustomerId: "cust-1", Contact: &typev1.Contact{Name: "Zhang San", Phone: "13800000000"}},
		Dates:    &warrantyv1.UnitDates{Sale: sale}}})
	if err != nil {
		e.t.Fatalf("RegisterUnit(%s): %v", serial, err)
	}
	return resp.GetUnit()
}

func wantCode(t testing.TB, err error, code codes.Code) *status.Status {
	t.Helper()
	st, _ := status.FromError(err)
	if st.Code() != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return st
}

func fieldViolations(st *status.Status) []string {
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestCreatePolicyVersionsAndTemplates(t *testing.T) {
	e := start(t)
	tpls, err := e.c.ListPolicyTemplates(e.ctx, &warrantyv1.ListPolicyTemplatesRequest{})
	if err != nil || len(tpls.GetTemplates()) != 4 {
		t.Fatalf("ListPolicyTemplates() = %d templates, %v; want 4", len(tpls.GetTemplates()), err)
	}
	p1 := e.policy("consumer-sanbao")
	if p1.GetVersion() != 1 || p1.GetRefundWindowDays() != 7 || p1.GetTemplate() != "consumer-sanbao" {
		t.Fatalf("CreatePolicy(template) = v%d refund %d, want v1 with 7 days", p1.GetVersion(), p1.GetRefundWindowDays())
	}
	// A new version from the template body with a change.
	body := tpls.GetTemplates()[0].GetPolicy()
	body.Id, body.Name, body.RefundWindowDays = p1.GetId(), "Consumer v2", 10
	resp, err := e.c.CreatePolicy(e.ctx, &warrantyv1.CreatePolicyRequest{RequestId: e.rid(), Policy: body})
	if err != nil {
		t.Fatalf("CreatePolicy(v2): %v", err)
	}
	if resp.GetPolicy().GetVersion() != 2 || resp.GetPolicy().GetId() != p1.GetId() {
		t.Fatalf("CreatePolicy(v2) = %s v%d, want %s v2", resp.GetPolicy().GetId(), resp.GetPolicy().GetVersion(), p1.GetId())
	}
	got, err := e.c.GetPolicy(e.ctx, &warrantyv1.GetPolicyRequest{Id: p1.GetId(), Version: 1})
	if err != nil || got.GetPolicy().GetRefundWindowDays() != 7 {
		t.Fatalf("GetPolicy(v1) refund = %d, %v; want 7 (versions are immutable)", got.GetPolicy().GetRefundWindowDays(), err)
	}
	latest, _ := e.c.GetPolicy(e.ctx, &warrantyv1.GetPolicyRequest{Id: p1.GetId()})
	if latest.GetPolicy().GetVersion() != 2 {
		t.Fatalf("GetPolicy(latest) = v%d, want v2", latest.GetPolicy().GetVersion())
	}
	list, err := e.c.ListPolicies(e.ctx, &warrantyv1.ListPoliciesRequest{})
	if err != nil || len(list.GetPolicies()) != 1 {
		t.Fatalf("ListPolicies() = %d, %v; want 1 (latest only)", len(list.GetPolicies()), err)
	}
	all, _ := e.c.ListPolicies(e.ctx, &warrantyv1.ListPoliciesRequest{AllVersions: true})
	if len(all.GetPolicies()) != 2 {
		t.Fatalf("ListPolicies(all) = %d, want 2", len(all.GetPolicies()))
	}
	_, err = e.c.CreatePolicy(e.ctx, &warrantyv1.CreatePolicyRequest{RequestId: e.rid(), Policy: &warrantyv1.Policy{Id: "nope", Name: "x"}, Template: "instrument"})
	wantCode(t, err, codes.NotFound)
	_, err = e.c.GetPolicy(e.ctx, &warrantyv1.GetPolicyRequest{Id: "nope"})
	wantCode(t, err, codes.NotFound)
}

func TestBadPoliciesAreInvalidArgument(t *testing.T) {
	e := start(t)
	tpls, _ := e.c.ListPolicyTemplates(e.ctx, &warrantyv1.ListPolicyTemplatesRequest{})
	base := tpls.GetTemplates()[0].GetPolicy()
	tests := []struct {
		name   string
		req    *warrantyv1.CreatePolicyRequest
		field  string
		inText string
	}{
		{"unknown template", &warrantyv1.CreatePolicyRequest{Template: "nope", Policy: &warrantyv1.Policy{Name: "x"}}, "template", ""},
		{"no name (protovalidate)", &warrantyv1.CreatePolicyRequest{Template: "instrument", Policy: &warrantyv1.Policy{}}, "policy.name", ""},
		{"no free period", &warrantyv1.CreatePolicyRequest{Policy: &warrantyv1.Policy{Name: "x"}}, "policy.free_repair.options", ""},
		{"bad CEL names the clause", &warrantyv1.CreatePolicyRequest{Policy: func() *warrantyv1.Policy {
			p := cloneP(base)
			p.CustomConditions = []*warrantyv1.CustomCondition{{Clause: "hours_limit", Expression: "running_hours >", Effect: warrantyv1.ConditionEffect_CONDITION_EFFECT_EXCLUDE, Explanation: "x"}}
			return p
		}()}, "policy.custom_conditions[0].expression", "hours_limit"},
		{"CEL type error", &warrantyv1.CreatePolicyRequest{Policy: func() *warrantyv1.Policy {
			p := cloneP(base)
			p.CustomConditions = []*warrantyv1.CustomCondition{{Clause: "typed", Expression: `fault_code > 3`, Effect: warrantyv1.ConditionEffect_CONDITION_EFFECT_EXCLUDE, Explanation: "x"}}
			return p
		}()}, "policy.custom_conditions[0].expression", "typed"},
		{"excluding quality", &warrantyv1.CreatePolicyRequest{Policy: func() *warrantyv1.Policy {
			p := cloneP(base)
			p.Exclusions.Excluded = []warrantyv1.Cause{warrantyv1.Cause_CAUSE_QUALITY}
			return p
		}()}, "policy.exclusions.excluded[0]", ""},
		{"wrong currency", &warrantyv1.CreatePolicyRequest{Policy: func() *warrantyv1.Policy {
			p := cloneP(base)
			p.Fees.LabourPerHour = &typev1.Money{CurrencyCode: "USD", AmountMinor: 1}
			return p
		}()}, "policy.fees.labour_per_hour.currency_code", ""},
		{"bad request id", &warrantyv1.CreatePolicyRequest{RequestId: "has space", Template: "instrument", Policy: &warrantyv1.Policy{Name: "x"}}, "request_id", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.c.CreatePolicy(e.ctx, tc.req)
			st := wantCode(t, err, codes.InvalidArgument)
			if fs := fieldViolations(st); !contains(fs, tc.field) {
				t.Errorf("violations %v, want %s", fs, tc.field)
			}
			if !strings.Contains(st.Message(), tc.inText) {
				t.Errorf("message %q, want it to mention %q", st.Message(), tc.inText)
			}
		})
	}
}

func cloneP(p *warrantyv1.Policy) *warrantyv1.Policy {
	b, _ := protojson.Marshal(p)
	out := &warrantyv1.Policy{}
	_ = protojson.Unmarshal(b, out)
	out.Name = "custom"
	return out
}

func TestRegisterUnitIdempotentAndErrors(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	req := &warrantyv1.RegisterUnitRequest{RequestId: "unit-SN1", Unit: &warrantyv1.Unit{Serial: "SN1", Model: "M1", PolicyId: p.GetId(),
		Dates: &warrantyv1.UnitDates{Sale: day(-22)}}}
	first, err := e.c.RegisterUnit(e.ctx, req)
	if err != nil {
		t.Fatalf("RegisterUnit: %v", err)
	}
	again, err := e.c.RegisterUnit(e.ctx, req)
	if err != nil || again.GetUnit().GetId() != first.GetUnit().GetId() {
		t.Fatalf("retried RegisterUnit = %s, %v; want the same unit %s", again.GetUnit().GetId(), err, first.GetUnit().GetId())
	}
	list, _ := e.c.ListUnits(e.ctx, &warrantyv1.ListUnitsRequest{Model: "M1"})
	if len(list.GetUnits()) != 1 {
		t.Fatalf("ListUnits(M1) = %d units, want 1", len(list.GetUnits()))
	}
	other := &warrantyv1.RegisterUnitRequest{RequestId: "unit-SN1", Unit: &warrantyv1.Unit{Serial: "SN2", Model: "M1", PolicyId: p.GetId(),
		Dates: &warrantyv1.UnitDates{Sale: day(-22)}}}
	st := wantCode(t, func() error { _, err := e.c.RegisterUnit(e.ctx, other); return err }(), codes.InvalidArgument)
	if !contains(fieldViolations(st), "request_id") {
		t.Errorf("reused request_id violations %v, want request_id", fieldViolations(st))
	}
	dup := &warrantyv1.RegisterUnitRequest{RequestId: e.rid(), Unit: req.GetUnit()}
	wantCode(t, func() error { _, err := e.c.RegisterUnit(e.ctx, dup); return err }(), codes.AlreadyExists)
	unknown := &warrantyv1.RegisterUnitRequest{RequestId: e.rid(), Unit: &warrantyv1.Unit{Serial: "SN3", Model: "M1", PolicyId: "nope",
		Dates: &warrantyv1.UnitDates{Sale: day(-22)}}}
	wantCode(t, func() error { _, err := e.c.RegisterUnit(e.ctx, unknown); return err }(), codes.FailedPrecondition)
	bad := &warrantyv1.RegisterUnitRequest{RequestId: e.rid(), Unit: &warrantyv1.Unit{Serial: "SN4", Model: "M1", PolicyId: p.GetId(),
		Dates: &warrantyv1.UnitDates{Sale: date(2026, 2, 30)}}}
	st = wantCode(t, func() error { _, err := e.c.RegisterUnit(e.ctx, bad); return err }(), codes.InvalidArgument)
	if !contains(fieldViolations(st), "unit.dates.sale") {
		t.Errorf("bad sale date violations %v, want unit.dates.sale", fieldViolations(st))
	}
	_, err = e.c.GetUnit(e.ctx, &warrantyv1.GetUnitRequest{Serial: "missing"})
	wantCode(t, err, codes.NotFound)
}

func TestEvaluateClaimOverGRPC(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-7))
	// Day 7 after the sale: refund, exchange or repair.
	resp, err := e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{RequestId: "claim-1", Serial: "SN1", FaultCode: "F1",
		ReportedTime: noon(0), RequestedRemedy: warrantyv1.Remedy_REMEDY_REFUND,
		Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR, Labour: durationpb.New(time.Hour)}}})
	if err != nil {
		t.Fatalf("EvaluateClaim: %v", err)
	}
	d := resp.GetDecision()
	if d.GetCoverage() != warrantyv1.Coverage_COVERAGE_FREE || len(d.GetAllowedRemedies()) != 3 || !d.GetRequestedRemedyAllowed() {
		t.Fatalf("decision = %s %v, want FREE with refund, exchange, repair", d.GetCoverage(), d.GetAllowedRemedies())
	}
	if d.GetPolicyId() != p.GetId() || d.GetPolicyVersion() != 1 || len(d.GetClauses()) == 0 || d.GetClauses()[0].GetExplanation() == "" ||
		d.GetClauses()[0].GetPolicyId() != p.GetId() {
		t.Fatalf("decision clauses %v, want explained clauses of %s v1", d.GetClauses(), p.GetId())
	}
	if d.GetCompanyCost().GetAmountMinor() != 80_00 || len(d.GetLines()) != 1 {
		t.Fatalf("decision cost %v lines %d, want 80.00 CNY of labour", d.GetCompanyCost(), len(d.GetLines()))
	}
	// Same inputs, same decision (and the retry is not recorded twice).
	again, err := e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{RequestId: "claim-1", Serial: "SN1", FaultCode: "F1",
		ReportedTime: noon(0), RequestedRemedy: warrantyv1.Remedy_REMEDY_REFUND,
		Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR, Labour: durationpb.New(time.Hour)}}})
	if err != nil || again.GetDecision().GetId() != d.GetId() {
		t.Fatalf("retried EvaluateClaim = %v, %v", again.GetDecision().GetId(), err)
	}
	cost, err := e.c.GetWarrantyCost(e.ctx, &warrantyv1.GetWarrantyCostRequest{Model: "M1"})
	if err != nil || cost.GetCost().GetDecisions() != 1 || cost.GetCost().GetLabour().GetAmountMinor() != 80_00 || cost.GetCost().GetUnitsSold() != 1 ||
		cost.GetCost().GetPerUnitSold().GetAmountMinor() != 80_00 {
		t.Fatalf("GetWarrantyCost(M1) = %v, %v; want 1 decision, 80.00 labour, 1 unit", cost.GetCost(), err)
	}

	_, err = e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{Serial: "UNKNOWN", FaultCode: "F1", ReportedTime: noon(0)})
	wantCode(t, err, codes.NotFound)
	bad := []struct {
		req   *warrantyv1.EvaluateClaimRequest
		field string
	}{
		{&warrantyv1.EvaluateClaimRequest{Serial: "SN1", ReportedTime: noon(0)}, "fault_code"},
		{&warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1"}, "reported_time"},
		{&warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(-22)}, "reported_time"},
		{&warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(0),
			Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_PART, PartId: "P", Quantity: -2}}}, "lines[0].quantity"},
		{&warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(0),
			Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_PART, PartId: "P", UnitCost: &typev1.Money{CurrencyCode: "USD", AmountMinor: 5}}}}, "lines[0].unit_cost.currency_code"},
		{&warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(0),
			Lines: []*warrantyv1.ClaimLine{{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR}}}, "lines[0].labour"},
	}
	for _, b := range bad {
		_, err := e.c.EvaluateClaim(e.ctx, b.req)
		st := wantCode(t, err, codes.InvalidArgument)
		if fs := fieldViolations(st); !contains(fs, b.field) {
			t.Errorf("EvaluateClaim(%v) violations %v, want %s", b.req, fs, b.field)
		}
	}
}

func TestRepairsCardsCampaignsAndQuotes(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-682))
	card, err := e.c.ReturnWarrantyCard(e.ctx, &warrantyv1.ReturnWarrantyCardRequest{RequestId: e.rid(), Serial: "SN1", ReceivedDate: day(-662)})
	if err != nil || !card.GetUnit().GetWarrantyCard().GetReturned() || card.GetUnit().GetWarrantyCard().GetLate() {
		t.Fatalf("ReturnWarrantyCard(day 20) = %v, %v; want returned on time", card.GetUnit().GetWarrantyCard(), err)
	}
	_, err = e.c.ReturnWarrantyCard(e.ctx, &warrantyv1.ReturnWarrantyCardRequest{RequestId: e.rid(), Serial: "SN1", ReceivedDate: day(-660)})
	wantCode(t, err, codes.FailedPrecondition)
	rep, err := e.c.RecordRepair(e.ctx, &warrantyv1.RecordRepairRequest{RequestId: e.rid(), Repair: &warrantyv1.Repair{Serial: "SN1", FaultCode: "F1",
		RepairDate: day(-34), Outcome: warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED,
		Parts: []*warrantyv1.PartSwap{{PartId: "PUMP", Quantity: 1, FaultySerial: "PS-1", ReplacementSerial: "PS-2"}}}})
	if err != nil || len(rep.GetUnit().GetReplacedParts()) != 1 {
		t.Fatalf("RecordRepair = %v, %v; want one replaced part", rep.GetUnit().GetReplacedParts(), err)
	}
	// Out of warranty, but the pump replaced last month has its own warranty.
	resp, err := e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(-3), QuoteOnly: true,
		Lines: []*warrantyv1.ClaimLine{
			{Kind: warrantyv1.LineKind_LINE_KIND_PART, PartId: "PUMP", PartSerial: "PS-2", Quantity: 1, UnitCost: &typev1.Money{AmountMinor: 120_00}},
			{Kind: warrantyv1.LineKind_LINE_KIND_LABOUR, Labour: durationpb.New(time.Hour)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	lines := resp.GetDecision().GetLines()
	if resp.GetDecision().GetCoverage() != warrantyv1.Coverage_COVERAGE_NOT_COVERED || lines[0].GetCoverage() != warrantyv1.Coverage_COVERAGE_FREE ||
		lines[1].GetCustomerCharge().GetAmountMinor() != 80_00 || lines[0].GetPartWarranty() == nil {
		t.Fatalf("decision %s lines %v, want NOT_COVERED with a free part and charged labour", resp.GetDecision().GetCoverage(), lines)
	}
	if _, err := e.c.CreateCampaign(e.ctx, &warrantyv1.CreateCampaignRequest{RequestId: e.rid(), Campaign: &warrantyv1.Campaign{
		Name: "Pump recall", Model: "M1", SerialFrom: "SN0", SerialTo: "SN9", Remedy: warrantyv1.Remedy_REMEDY_EXCHANGE,
		StartDate: day(-326)}}); err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	_, err = e.c.CreateCampaign(e.ctx, &warrantyv1.CreateCampaignRequest{RequestId: e.rid(), Campaign: &warrantyv1.Campaign{
		Name: "bad", Model: "M1", Remedy: warrantyv1.Remedy_REMEDY_EXCHANGE, StartDate: day(-326), EndDate: day(-691)}})
	wantCode(t, err, codes.InvalidArgument)
	resp, err = e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{Serial: "SN1", FaultCode: "F1", ReportedTime: noon(-3), QuoteOnly: true})
	if err != nil || resp.GetDecision().GetCampaignId() == "" || resp.GetDecision().GetCoverage() != warrantyv1.Coverage_COVERAGE_FREE {
		t.Fatalf("EvaluateClaim under a campaign = %v, %v; want FREE with the campaign", resp.GetDecision(), err)
	}
	q, err := e.c.QuoteServiceFee(e.ctx, &warrantyv1.QuoteServiceFeeRequest{PolicyId: p.GetId(), TravelKm: 20, Labour: durationpb.New(90 * time.Minute),
		Materials: []*warrantyv1.MaterialLine{{PartId: "PUMP", Quantity: 1, UnitCost: &typev1.Money{AmountMinor: 120_00}}}})
	if err != nil || q.GetQuote().GetTotal().GetAmountMinor() != 80_00+120_00+120_00 {
		t.Fatalf("QuoteServiceFee = %v, %v; want 320.00", q.GetQuote(), err)
	}
	_, err = e.c.QuoteServiceFee(e.ctx, &warrantyv1.QuoteServiceFeeRequest{TravelKm: 1})
	wantCode(t, err, codes.InvalidArgument)
	// An exchange moves the unit to the new serial and restarts its warranty.
	ex, err := e.c.RecordRepair(e.ctx, &warrantyv1.RecordRepairRequest{RequestId: e.rid(), Repair: &warrantyv1.Repair{Serial: "SN1", FaultCode: "F1",
		RepairDate: day(-2), Outcome: warrantyv1.RepairOutcome_REPAIR_OUTCOME_EXCHANGED, NewSerial: "SNX"}})
	if err != nil || ex.GetUnit().GetSerial() != "SNX" || ex.GetUnit().GetWarrantyRestartDate() == nil {
		t.Fatalf("RecordRepair(exchanged) = %v, %v", ex.GetUnit(), err)
	}
	for _, s := range []string{"SN1", "SNX"} {
		if _, err := e.c.GetUnit(e.ctx, &warrantyv1.GetUnitRequest{Serial: s}); err != nil {
			t.Errorf("GetUnit(%s) after exchange: %v", s, err)
		}
	}
}

func TestVisitCompletedRecordsRepair(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-175))
	body, err := protojson.Marshal(&dispatchv1.VisitCompleted{
		Job: &dispatchv1.Job{Id: "job-1", TicketId: "t-1", UnitSerial: "SN1", FaultCode: "F9"},
		Report: &dispatchv1.ServiceReport{Resolved: true, CompletedTime: timestamppb.New(t0),
			PartsUsed: []*dispatchv1.UsedPart{{PartId: "BELT", Quantity: 1, FaultySerial: "B-1", ReplacementSerial: "B-2", UnderWarranty: true}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg := events.NewMsg("sanbao.dispatch.v1.job.visit_completed", events.Message{ID: "ev-visit-1", Source: "/sanbao/dispatch",
		Type: "sanbao.dispatch.v1.VisitCompleted", Resource: "jobs/job-1", Time: t0, Data: body})
	for range 2 { // a duplicate delivery records one repair
		if _, err := e.run.Platform.JS.PublishMsg(context.Background(), msg); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		r, err := e.c.ListRepairs(e.ctx, &warrantyv1.ListRepairsRequest{Serial: "SN1"})
		if err != nil {
			return err
		}
		if len(r.GetRepairs()) != 1 {
			return fmt.Errorf("%d repairs, want 1", len(r.GetRepairs()))
		}
		return nil
	})
	r, _ := e.c.ListRepairs(e.ctx, &warrantyv1.ListRepairsRequest{Serial: "SN1"})
	got := r.GetRepairs()[0]
	if got.GetJobId() != "job-1" || got.GetFaultCode() != "F9" || got.GetSource() != warrantyv1.RepairSource_REPAIR_SOURCE_DISPATCH ||
		got.GetRepairDate().GetDay() != day(0).GetDay() || len(got.GetParts()) != 1 {
		t.Fatalf("repair from visit = %v", got)
	}
	u, _ := e.c.GetUnit(e.ctx, &warrantyv1.GetUnitRequest{Serial: "SN1"})
	if len(u.GetUnit().GetReplacedParts()) != 1 || u.GetUnit().GetReplacedParts()[0].GetSerial() != "B-2" {
		t.Fatalf("unit replaced parts = %v, want B-2", u.GetUnit().GetReplacedParts())
	}
}

// TestAppraisalChargesBackTheSwap closes the old-part loop: parts-inventory's appraisal of a
// part replaced under warranty marks the swap charged back for misuse and no-fault-found
// verdicts only, once, and publishes repair.charged_back.
func TestAppraisalChargesBackTheSwap(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-175))
	if _, err := e.c.RecordRepair(e.ctx, &warrantyv1.RecordRepairRequest{RequestId: e.rid(), Repair: &warrantyv1.Repair{
		Serial: "SN1", FaultCode: "F9", RepairDate: day(-3), Outcome: warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED, JobId: "job-7",
		Parts: []*warrantyv1.PartSwap{
			{PartId: "PUMP", Quantity: 1, FaultySerial: "P-1", ReplacementSerial: "P-2", UnderWarranty: true},
			{PartId: "SEAL", Quantity: 1, FaultySerial: "S-1", ReplacementSerial: "S-2", UnderWarranty: true},
		}}}); err != nil {
		t.Fatal(err)
	}
	appraise := func(id, part, serial string, verdict inventoryv1.Verdict) {
		t.Helper()
		body, err := protojson.Marshal(&inventoryv1.ReturnAppraised{JobId: "job-7", PartId: part, FaultySerial: serial, Verdict: verdict,
			OldPartReturn: &inventoryv1.OldPartReturn{Id: "ret-" + id}})
		if err != nil {
			t.Fatal(err)
		}
		msg := events.NewMsg("sanbao.inventory.v1.return.appraised", events.Message{ID: id, Source: "/sanbao/inventory",
			Type: "sanbao.inventory.v1.ReturnAppraised", Resource: "returns/ret-" + id, Time: t0, Data: body})
		if _, err := e.run.Platform.JS.PublishMsg(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	appraise("a1", "SEAL", "S-1", inventoryv1.Verdict_VERDICT_CONFIRMED_FAULT) // a real fault: nothing to charge
	appraise("a2", "PUMP", "P-1", inventoryv1.Verdict_VERDICT_MISUSE)
	appraise("a3", "PUMP", "P-1", inventoryv1.Verdict_VERDICT_MISUSE) // the same part again: already charged
	natstest.Eventually(t, 10*time.Second, func() error {
		st, err := e.run.Platform.JS.Stream(context.Background(), "WARRANTY")
		if err != nil {
			return err
		}
		_, err = st.GetLastMsgForSubject(context.Background(), "sanbao.warranty.v1.repair.charged_back")
		return err
	})
	// Let the later appraisal be applied too before looking: the consumer's ack pending drops to 0.
	natstest.Eventually(t, 10*time.Second, func() error {
		info, err := e.run.Platform.JS.Consumer(context.Background(), "INVENTORY", "warranty-appraisals")
		if err != nil {
			return err
		}
		ci, err := info.Info(context.Background())
		if err != nil {
			return err
		}
		if ci.NumPending+uint64(ci.NumAckPending) != 0 {
			return fmt.Errorf("%d appraisals not applied yet", ci.NumPending+uint64(ci.NumAckPending))
		}
		return nil
	})
	r, err := e.c.ListRepairs(e.ctx, &warrantyv1.ListRepairsRequest{Serial: "SN1"})
	if err != nil || len(r.GetRepairs()) != 1 {
		t.Fatalf("ListRepairs = %v, %v", r, err)
	}
	for _, sw := range r.GetRepairs()[0].GetParts() {
		charged := sw.GetChargeBack() != nil
		if want := sw.GetPartId() == "PUMP"; charged != want {
			t.Errorf("%s charged back = %v, want %v", sw.GetPartId(), charged, want)
		}
		if sw.GetPartId() == "PUMP" && (sw.GetChargeBack().GetVerdict() != "VERDICT_MISUSE" || sw.GetChargeBack().GetReturnId() != "ret-a2") {
			t.Errorf("PUMP charge back = %v, want the first misuse appraisal", sw.GetChargeBack())
		}
	}
	st, _ := e.run.Platform.JS.Stream(context.Background(), "WARRANTY")
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("sanbao.warranty.v1.repair.charged_back"))
	if err != nil {
		t.Fatal(err)
	}
	if n := info.State.Subjects["sanbao.warranty.v1.repair.charged_back"]; n != 1 {
		t.Errorf("%d repair.charged_back events, want 1", n)
	}
}

func TestEventsReachJetStream(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	e.unit("SN1", p.GetId(), day(-7))
	if _, err := e.c.EvaluateClaim(e.ctx, &warrantyv1.EvaluateClaimRequest{RequestId: e.rid(), Serial: "SN1", FaultCode: "F1", ReportedTime: noon(0)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"sanbao.warranty.v1.policy.created": false, "sanbao.warranty.v1.unit.registered": false, "sanbao.warranty.v1.claim.evaluated": false}
	natstest.Eventually(t, 10*time.Second, func() error {
		st, err := e.run.Platform.JS.Stream(context.Background(), "WARRANTY")
		if err != nil {
			return err
		}
		for subj := range want {
			if _, err := st.GetLastMsgForSubject(context.Background(), subj); err != nil {
				return fmt.Errorf("%s: %w", subj, err)
			}
		}
		return nil
	})
	st, _ := e.run.Platform.JS.Stream(context.Background(), "WARRANTY")
	m, err := st.GetLastMsgForSubject(context.Background(), "sanbao.warranty.v1.unit.registered")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(m.Data), "Zhang") || strings.Contains(string(m.Data), "13800000000") {
		t.Fatalf("unit.registered carries personal data: %s", m.Data)
	}
	if m.Header.Get("ce-type") != "sanbao.warranty.v1.UnitRegistered" {
		t.Fatalf("ce-type = %q", m.Header.Get("ce-type"))
	}
}

// TestRestartKeepsEverything: after a restart on the same data directory the policy is compiled
// from the store and the same claim gets the same decision.
func TestRestartKeepsEverything(t *testing.T) {
	e := start(t)
	p := e.policy("marine-engine")
	if _, err := e.c.RegisterUnit(e.ctx, &warrantyv1.RegisterUnitRequest{RequestId: e.rid(), Unit: &warrantyv1.Unit{
		Serial: "ENG-1", Model: "M1", PolicyId: p.GetId(),
		Dates: &warrantyv1.UnitDates{Sale: day(-322), Delivery: day(-317), SeaTrial: day(-206)}}}); err != nil {
		t.Fatal(err)
	}
	req := &warrantyv1.EvaluateClaimRequest{Serial: "ENG-1", FaultCode: "F1", ReportedTime: noon(-3), QuoteOnly: true}
	before, err := e.c.EvaluateClaim(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.run.Stop(); err != nil {
		t.Fatal(err)
	}
	run := svctest.Start(t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: e.clock, NATS: e.run.NATS, DataDir: e.run.DataDir})
	after, err := warrantyv1.NewWarrantyServiceClient(run.Conn).EvaluateClaim(e.ctx, req)
	if err != nil {
		t.Fatalf("EvaluateClaim after restart: %v", err)
	}
	if !proto.Equal(before.GetDecision(), after.GetDecision()) {
		t.Fatalf("decision after restart differs:\n%v\n%v", before.GetDecision(), after.GetDecision())
	}
}
