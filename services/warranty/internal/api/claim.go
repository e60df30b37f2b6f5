package api

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// lineAmount reads a claim line's money, checking the currency.
func lineAmount(vs *[]domain.Violation, field string, m *typev1.Money, currency string) int64 {
	return amountIn(vs, field, m, currency)
}

// claimIn converts a claim; money in another currency than the policy's is a violation.
func claimIn(req *warrantyv1.EvaluateClaimRequest, currency string) (domain.Claim, []domain.Violation) {
	var vs []domain.Violation
	c := domain.Claim{FaultCode: req.GetFaultCode(), RequestedRemedy: domain.Remedy(req.GetRequestedRemedy()),
		Unrepairable: req.GetUnrepairable(), ProofOfPurchase: req.GetProofOfPurchase(), PackagingIntact: req.GetPackagingIntact(),
		RunningHours: req.GetRunningHours(), Attributes: req.GetAttributes(),
		PartID: req.GetPartId(), PartSerial: req.GetPartSerial(), NoWarrantySlip: req.GetNoWarrantySlip()}
	if f := req.GetFinding(); f != nil {
		c.Finding = &domain.Finding{OutOfScope: f.GetOutOfScope(), PartOpened: f.GetPartOpened(), JobID: f.GetJobId()}
		for _, cause := range f.GetCauses() {
			c.Finding.Causes = append(c.Finding.Causes, domain.Cause(cause))
		}
	}
	if req.GetReportedTime() != nil {
		c.Reported = req.GetReportedTime().AsTime()
	}
	for _, cause := range req.GetCauses() {
		c.Causes = append(c.Causes, domain.Cause(cause))
	}
	for i, l := range req.GetLines() {
		f := fmt.Sprintf("lines[%d]", i)
		c.Lines = append(c.Lines, domain.Line{Kind: domain.LineKind(l.GetKind()), PartID: l.GetPartId(), PartSerial: l.GetPartSerial(),
			Quantity: l.GetQuantity(), UnitCost: lineAmount(&vs, f+".unit_cost", l.GetUnitCost(), currency),
			Labour: l.GetLabour().AsDuration(), TravelKm: l.GetTravelKm(), Amount: lineAmount(&vs, f+".amount", l.GetAmount(), currency),
			Description: l.GetDescription()})
	}
	return c, vs
}

func clausesOut(cs []domain.Clause, pol domain.Policy) []*warrantyv1.Clause {
	out := make([]*warrantyv1.Clause, len(cs))
	for i, c := range cs {
		out[i] = &warrantyv1.Clause{PolicyId: pol.ID, PolicyVersion: int32(pol.Version), Clause: c.Clause, Explanation: c.Explanation}
	}
	return out
}

func periodOut(p domain.Period) *warrantyv1.WarrantyPeriod {
	return &warrantyv1.WarrantyPeriod{Kind: warrantyv1.PeriodKind(p.Kind), StartDate: dateOut(p.Start), EndDate: dateOut(p.End),
		Unlimited: p.Unlimited, Active: p.Active, PartId: p.PartID, PartSerial: p.PartSerial, Clause: p.Clause}
}

// decisionOut converts a decision for the API.
func decisionOut(d domain.Decision, pol domain.Policy, req *warrantyv1.EvaluateClaimRequest, u *warrantyv1.Unit) *warrantyv1.Decision {
	cur := d.Currency
	out := &warrantyv1.Decision{
		Coverage: warrantyv1.Coverage(d.Coverage), PolicyId: d.PolicyID, PolicyVersion: int32(d.PolicyVersion),
		Clauses: clausesOut(d.Clauses, pol), CampaignId: d.CampaignID, Serial: u.GetSerial(), Model: u.GetModel(), Batch: u.GetBatch(),
		ClaimDate: dateOut(d.ClaimDate), RequestedRemedyAllowed: d.RequestedRemedyAllowed,
		CustomerCharge: money(d.CustomerCharge, cur), CompanyCost: money(d.CompanyCost.Total(), cur),
		PartsCost: money(d.CompanyCost.Parts, cur), LabourCost: money(d.CompanyCost.Labour, cur),
		TravelCost: money(d.CompanyCost.Travel, cur), ExpensesCost: money(d.CompanyCost.Expenses, cur),
		TicketId: req.GetTicketId(), FaultCode: req.GetFaultCode(),
	}
	for _, r := range d.Remedies {
		out.AllowedRemedies = append(out.AllowedRemedies, warrantyv1.Remedy(r))
	}
	for _, p := range d.Periods {
		out.Periods = append(out.Periods, periodOut(p))
	}
	for _, l := range d.Lines {
		ld := &warrantyv1.LineDecision{Index: int32(l.Index), Line: req.GetLines()[l.Index], Coverage: warrantyv1.Coverage(l.Coverage),
			CustomerCharge: money(l.CustomerCharge, cur), CompanyCost: money(l.CompanyCost, cur), Clauses: clausesOut(l.Clauses, pol)}
		if l.PartWarranty != nil {
			ld.PartWarranty = periodOut(*l.PartWarranty)
		}
		out.Lines = append(out.Lines, ld)
	}
	return out
}

// evaluate decides a claim in tx.
func (s *Server) evaluate(tx *bbolt.Tx, req *warrantyv1.EvaluateClaimRequest) (*warrantyv1.Decision, *warrantyv1.Unit, error) {
	u, err := store.GetUnitBySerial(tx, req.GetSerial())
	if err != nil {
		return nil, nil, err
	}
	pol, err := s.compiled(tx, u.GetPolicyId(), u.GetPolicyVersion())
	if err != nil {
		return nil, nil, err
	}
	claim, vs := claimIn(req, pol.Currency())
	if len(vs) > 0 {
		return nil, nil, &domain.ValidationError{Violations: vs}
	}
	repairs, err := store.Repairs(tx, u.GetId())
	if err != nil {
		return nil, nil, err
	}
	history := make([]domain.Repair, len(repairs))
	for i, r := range repairs {
		history[i] = repairIn(r)
	}
	camps, err := store.CampaignsByModel(tx, u.GetModel())
	if err != nil {
		return nil, nil, err
	}
	campaigns := make([]domain.Campaign, len(camps))
	for i, c := range camps {
		campaigns[i] = campaignIn(c)
	}
	d, err := domain.Evaluate(pol, unitIn(u), history, campaigns, claim, s.p.Clock.Now())
	if err != nil {
		return nil, nil, err
	}
	return decisionOut(d, pol.Policy(), req, u), u, nil
}

// EvaluateClaim decides a claim and, unless quote_only, records it with its cost.
func (s *Server) EvaluateClaim(ctx context.Context, req *warrantyv1.EvaluateClaimRequest) (*warrantyv1.EvaluateClaimResponse, error) {
	resp := &warrantyv1.EvaluateClaimResponse{}
	if req.GetQuoteOnly() {
		err := s.p.DB.View(func(tx *bbolt.Tx) error {
			d, _, err := s.evaluate(tx, req)
			resp.Decision = d
			return err
		})
		if err != nil {
			return nil, toStatus(err)
		}
		return resp, nil
	}
	err := s.p.Update(ctx, "EvaluateClaim", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		d, u, err := s.evaluate(tx, req)
		if err != nil {
			return err
		}
		d.Id, d.EvaluateTime = ids.New(), timestamppb.New(now)
		if err := store.PutDecision(tx, d); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectClaimEvaluated, Resource: "units/" + u.GetId(),
			Data: &warrantyv1.ClaimEvaluated{Decision: d, UnitId: u.GetId(), TicketId: req.GetTicketId(), FaultCode: req.GetFaultCode()}, Time: now}); err != nil {
			return err
		}
		resp.Decision = d
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// QuoteServiceFee prices paid service.
func (s *Server) QuoteServiceFee(_ context.Context, req *warrantyv1.QuoteServiceFeeRequest) (*warrantyv1.QuoteServiceFeeResponse, error) {
	if req.GetSerial() == "" && req.GetPolicyId() == "" {
		return nil, toStatus(&domain.ValidationError{Violations: []domain.Violation{{Field: "policy_id", Rule: "must be set when serial is empty"}}})
	}
	resp := &warrantyv1.QuoteServiceFeeResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var unit *domain.Unit
		id, version := req.GetPolicyId(), req.GetPolicyVersion()
		if req.GetSerial() != "" {
			u, err := store.GetUnitBySerial(tx, req.GetSerial())
			if err != nil {
				return err
			}
			du := unitIn(u)
			unit, id, version = &du, u.GetPolicyId(), u.GetPolicyVersion()
		} else if version == 0 {
			p, err := store.GetPolicy(tx, id, 0)
			if err != nil {
				return err
			}
			version = p.GetVersion()
		}
		pol, err := s.compiled(tx, id, version)
		if err != nil {
			return err
		}
		at := s.p.Clock.Now()
		if req.GetServiceTime() != nil {
			at = req.GetServiceTime().AsTime()
		}
		var vs []domain.Violation
		in := domain.QuoteInput{TravelKm: req.GetTravelKm(), Labour: req.GetLabour().AsDuration()}
		for i, m := range req.GetMaterials() {
			uc := m.GetUnitCost()
			if uc == nil {
				known, err := store.PartCost(tx, m.GetPartId())
				if err != nil {
					return err
				}
				if known == nil {
					return fmt.Errorf("materials[%d].unit_cost: part %q has no known cost; give its cost: %w", i, m.GetPartId(), errPartCostUnknown)
				}
				uc = known
			}
			in.Materials = append(in.Materials, domain.Material{PartID: m.GetPartId(), Quantity: m.GetQuantity(),
				UnitCost: amountIn(&vs, fmt.Sprintf("materials[%d].unit_cost", i), uc, pol.Currency())})
		}
		if len(vs) > 0 {
			return &domain.ValidationError{Violations: vs}
		}
		q, err := domain.QuoteFee(pol, unit, calendar.DateOf(at, pol.Location()), in)
		if err != nil {
			return err
		}
		cur := q.Currency
		out := &warrantyv1.Quote{PolicyId: q.PolicyID, PolicyVersion: int32(q.PolicyVersion), Total: money(q.Total, cur),
			Clauses: clausesOut(q.Clauses, pol.Policy())}
		if unit != nil {
			out.Coverage = warrantyv1.Coverage(q.Coverage)
		}
		for _, it := range q.Items {
			out.Items = append(out.Items, &warrantyv1.QuoteItem{Kind: warrantyv1.LineKind(it.Kind), Description: it.Description,
				Quantity: it.Quantity, UnitPrice: money(it.UnitPrice, cur), Amount: money(it.Amount, cur), Clause: it.Clause})
		}
		resp.Quote = out
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}
