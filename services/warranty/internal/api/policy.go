package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

func spanIn(s *warrantyv1.Span) domain.Span {
	return domain.Span{Months: int(s.GetMonths()), Days: int(s.GetDays()), Unlimited: s.GetUnlimited()}
}

func spanOut(s domain.Span) *warrantyv1.Span {
	if s.IsZero() {
		return nil
	}
	return &warrantyv1.Span{Months: int32(s.Months), Days: int32(s.Days), Unlimited: s.Unlimited}
}

// amountIn reads a fee amount, checking its currency against the schedule's.
func amountIn(vs *[]domain.Violation, field string, m *typev1.Money, currency string) int64 {
	if m == nil {
		return 0
	}
	if c := m.GetCurrencyCode(); c != "" && c != currency {
		*vs = append(*vs, domain.Violation{Field: field + ".currency_code", Rule: fmt.Sprintf("must be the schedule's currency %s, got %s", currency, c)})
	}
	return m.GetAmountMinor()
}

// policyIn converts an API policy; currency mismatches are violations.
func policyIn(p *warrantyv1.Policy) (domain.Policy, []domain.Violation) {
	var vs []domain.Violation
	cur := p.GetFees().GetCurrencyCode()
	if cur == "" {
		cur = domain.DefaultCurrency
	}
	d := domain.Policy{
		ID: p.GetId(), Version: int(p.GetVersion()), Name: p.GetName(), Description: p.GetDescription(),
		Template: p.GetTemplate(), Models: p.GetModels(),
		Calendar:                     calendarIn(p.GetCalendar()),
		PaidService:                  spanIn(p.GetPaidService()),
		RefundWindowDays:             int(p.GetRefundWindowDays()),
		ExchangeWindowDays:           int(p.GetExchangeWindowDays()),
		ReturnWindowWorkingDays:      int(p.GetReturnWindowWorkingDays()),
		ReturnProcessingWorkingDays:  int(p.GetReturnProcessingWorkingDays()),
		ThirdPartyRepairAfter:        int(p.GetThirdPartyRepairAfter()),
		UnrepairableExchangeOrRefund: p.GetUnrepairableExchangeOrRefund(),
		ExchangeRestartsWarranty:     p.GetExchangeRestartsWarranty(),
		RepeatFailure:                domain.RepeatFailureRule{Repairs: int(p.GetRepeatFailure().GetRepairs())},
		PartWarranty:                 domain.PartWarrantyRule{Length: spanIn(p.GetPartWarranty().GetLength()), AtLeastUnitPeriod: p.GetPartWarranty().GetAtLeastUnitPeriod()},
		Fees: domain.FeeSchedule{
			Currency:                  p.GetFees().GetCurrencyCode(),
			CallOut:                   amountIn(&vs, "fees.call_out", p.GetFees().GetCallOut(), cur),
			TravelPerKm:               amountIn(&vs, "fees.travel_per_km", p.GetFees().GetTravelPerKm(), cur),
			LabourPerHour:             amountIn(&vs, "fees.labour_per_hour", p.GetFees().GetLabourPerHour(), cur),
			ChargeMaterials:           p.GetFees().GetChargeMaterials(),
			MaterialsOnlyInPaidPeriod: p.GetFees().GetMaterialsOnlyInPaidPeriod(),
		},
	}
	for _, o := range p.GetFreeRepair().GetOptions() {
		d.FreeRepair = append(d.FreeRepair, domain.PeriodOption{Start: domain.DateKind(o.GetStart()), Length: spanIn(o.GetLength())})
	}
	for _, r := range p.GetRepeatFailure().GetRemedies() {
		d.RepeatFailure.Remedies = append(d.RepeatFailure.Remedies, domain.Remedy(r))
	}
	if c := p.GetWarrantyCard(); c != nil {
		d.WarrantyCard = domain.CardRule{Required: c.GetRequired(), DeadlineDays: int(c.GetDeadlineDays()),
			LateAction: domain.CardAction(c.GetLateAction()), MissingAction: domain.CardAction(c.GetMissingAction()),
			RestartFrom: domain.DateKind(c.GetRestartFrom())}
	}
	for _, c := range p.GetExclusions().GetExcluded() {
		d.Exclusions.Excluded = append(d.Exclusions.Excluded, domain.Cause(c))
	}
	for _, c := range p.GetExclusions().GetReincluded() {
		d.Exclusions.Reincluded = append(d.Exclusions.Reincluded, domain.Cause(c))
	}
	for _, c := range p.GetCustomConditions() {
		d.CustomConditions = append(d.CustomConditions, domain.CustomCondition{Clause: c.GetClause(), Expression: c.GetExpression(),
			Effect: domain.ConditionEffect(c.GetEffect()), Remedy: domain.Remedy(c.GetRemedy()), Explanation: c.GetExplanation()})
	}
	return d, vs
}

func calendarIn(c *warrantyv1.WorkingCalendar) domain.CalendarSpec {
	out := domain.CalendarSpec{TimeZone: c.GetTimeZone(), Holidays: datesIn(c.GetHolidays()), WorkingDays: datesIn(c.GetWorkingDays())}
	for _, w := range c.GetWeekendDays() {
		out.WeekendDays = append(out.WeekendDays, time.Weekday(w))
	}
	return out
}

func calendarOut(c domain.CalendarSpec) *warrantyv1.WorkingCalendar {
	out := &warrantyv1.WorkingCalendar{TimeZone: c.TimeZone, Holidays: datesOut(c.Holidays), WorkingDays: datesOut(c.WorkingDays)}
	for _, w := range c.WeekendDays {
		out.WeekendDays = append(out.WeekendDays, int32(w))
	}
	return out
}

// policyOut converts a domain policy to the API message.
func policyOut(d domain.Policy) *warrantyv1.Policy {
	cur := d.Fees.Currency
	if cur == "" {
		cur = domain.DefaultCurrency
	}
	p := &warrantyv1.Policy{
		Id: d.ID, Version: int32(d.Version), Name: d.Name, Description: d.Description, Template: d.Template,
		Models: d.Models, Calendar: calendarOut(d.Calendar), PaidService: spanOut(d.PaidService),
		RefundWindowDays: int32(d.RefundWindowDays), ExchangeWindowDays: int32(d.ExchangeWindowDays),
		ReturnWindowWorkingDays: int32(d.ReturnWindowWorkingDays), ReturnProcessingWorkingDays: int32(d.ReturnProcessingWorkingDays),
		RepeatFailure:                &warrantyv1.RepeatFailureRule{Repairs: int32(d.RepeatFailure.Repairs)},
		ThirdPartyRepairAfter:        int32(d.ThirdPartyRepairAfter),
		UnrepairableExchangeOrRefund: d.UnrepairableExchangeOrRefund,
		WarrantyCard: &warrantyv1.WarrantyCardRule{Required: d.WarrantyCard.Required, DeadlineDays: int32(d.WarrantyCard.DeadlineDays),
			LateAction: warrantyv1.CardAction(d.WarrantyCard.LateAction), MissingAction: warrantyv1.CardAction(d.WarrantyCard.MissingAction),
			RestartFrom: warrantyv1.DateKind(d.WarrantyCard.RestartFrom)},
		Exclusions:               &warrantyv1.ExclusionRule{},
		PartWarranty:             &warrantyv1.PartWarrantyRule{Length: spanOut(d.PartWarranty.Length), AtLeastUnitPeriod: d.PartWarranty.AtLeastUnitPeriod},
		ExchangeRestartsWarranty: d.ExchangeRestartsWarranty,
		Fees: &warrantyv1.FeeSchedule{CurrencyCode: cur, CallOut: money(d.Fees.CallOut, cur), TravelPerKm: money(d.Fees.TravelPerKm, cur),
			LabourPerHour: money(d.Fees.LabourPerHour, cur), ChargeMaterials: d.Fees.ChargeMaterials, MaterialsOnlyInPaidPeriod: d.Fees.MaterialsOnlyInPaidPeriod},
		FreeRepair: &warrantyv1.PeriodRule{},
	}
	if !d.CreateTime.IsZero() {
		p.CreateTime = timestamppb.New(d.CreateTime)
	}
	for _, o := range d.FreeRepair {
		p.FreeRepair.Options = append(p.FreeRepair.Options, &warrantyv1.PeriodOption{Start: warrantyv1.DateKind(o.Start), Length: spanOut(o.Length)})
	}
	for _, r := range d.RepeatFailure.Remedies {
		p.RepeatFailure.Remedies = append(p.RepeatFailure.Remedies, warrantyv1.Remedy(r))
	}
	for _, c := range d.Exclusions.Excluded {
		p.Exclusions.Excluded = append(p.Exclusions.Excluded, warrantyv1.Cause(c))
	}
	for _, c := range d.Exclusions.Reincluded {
		p.Exclusions.Reincluded = append(p.Exclusions.Reincluded, warrantyv1.Cause(c))
	}
	for _, c := range d.CustomConditions {
		p.CustomConditions = append(p.CustomConditions, &warrantyv1.CustomCondition{Clause: c.Clause, Expression: c.Expression,
			Effect: warrantyv1.ConditionEffect(c.Effect), Remedy: warrantyv1.Remedy(c.Remedy), Explanation: c.Explanation})
	}
	return p
}

// CreatePolicy creates a policy or its next version.
func (s *Server) CreatePolicy(ctx context.Context, req *warrantyv1.CreatePolicyRequest) (*warrantyv1.CreatePolicyResponse, error) {
	in := req.GetPolicy()
	pol, err := s.policyFrom(in, req.GetTemplate())
	if err != nil {
		return nil, err
	}
	resp := &warrantyv1.CreatePolicyResponse{}
	err = s.p.Update(ctx, "CreatePolicy", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		p := pol
		p.CreateTime = now.UTC()
		if in.GetId() == "" {
			p.ID, p.Version = ids.New(), 1
		} else {
			latest, err := store.LatestPolicyVersion(tx, in.GetId())
			if err != nil {
				return err
			}
			if latest == 0 {
				return fmt.Errorf("policy %s: %w", in.GetId(), store.ErrNotFound)
			}
			p.ID, p.Version = in.GetId(), int(latest)+1
		}
		out := policyOut(p)
		if err := store.PutPolicy(tx, out); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectPolicyCreated, Resource: "policies/" + p.ID,
			Data: &warrantyv1.PolicyCreated{Policy: out}, Time: now}); err != nil {
			return err
		}
		resp.Policy = out
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// policyFrom builds the policy a CreatePolicy request describes and checks it with the
// domain's rules, its custom conditions compiled: with a template, the template's policy with
// in's name and, when set, its description, models and calendar; without, in itself. The
// error is a status naming the request's fields ("policy.…", "template"). CreatePolicy and
// ImportPolicies both build their policies here.
func (s *Server) policyFrom(in *warrantyv1.Policy, template string) (domain.Policy, error) {
	var pol domain.Policy
	if template != "" {
		tp, ok := domain.TemplateByName(template)
		if !ok {
			return domain.Policy{}, toStatus(&domain.ValidationError{Violations: []domain.Violation{{Field: "template", Rule: fmt.Sprintf("must be one of %s; got %q", strings.Join(templateNames(), ", "), template)}}})
		}
		pol = tp.Policy
		pol.Template = tp.Name
		pol.Name = in.GetName()
		if in.GetDescription() != "" {
			pol.Description = in.GetDescription()
		}
		if len(in.GetModels()) > 0 {
			pol.Models = in.GetModels()
		}
		if in.GetCalendar() != nil {
			pol.Calendar = calendarIn(in.GetCalendar())
		}
	} else {
		var vs []domain.Violation
		pol, vs = policyIn(in)
		if len(vs) > 0 {
			return domain.Policy{}, toStatus((&domain.ValidationError{Violations: vs}).Prefix("policy"))
		}
	}
	if _, err := s.engine.Compile(pol); err != nil {
		if ve, ok := err.(*domain.ValidationError); ok {
			return domain.Policy{}, toStatus(ve.Prefix("policy"))
		}
		return domain.Policy{}, toStatus(err)
	}
	return pol, nil
}

// templateNames are the shipped templates' names.
func templateNames() []string {
	var out []string
	for _, t := range domain.Templates() {
		out = append(out, t.Name)
	}
	return out
}

// GetPolicy returns a policy version.
func (s *Server) GetPolicy(_ context.Context, req *warrantyv1.GetPolicyRequest) (*warrantyv1.GetPolicyResponse, error) {
	resp := &warrantyv1.GetPolicyResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		p, err := store.GetPolicy(tx, req.GetId(), req.GetVersion())
		resp.Policy = p
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListPolicies lists policies.
func (s *Server) ListPolicies(_ context.Context, req *warrantyv1.ListPoliciesRequest) (*warrantyv1.ListPoliciesResponse, error) {
	resp := &warrantyv1.ListPoliciesResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var err error
		resp.Policies, resp.NextPageToken, err = store.ListPolicies(tx, req.GetModel(), req.GetAllVersions(), req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListPolicyTemplates lists the shipped templates.
func (s *Server) ListPolicyTemplates(context.Context, *warrantyv1.ListPolicyTemplatesRequest) (*warrantyv1.ListPolicyTemplatesResponse, error) {
	resp := &warrantyv1.ListPolicyTemplatesResponse{}
	for _, t := range domain.Templates() {
		p := t.Policy
		p.Template = t.Name
		resp.Templates = append(resp.Templates, &warrantyv1.PolicyTemplate{Name: t.Name, Description: t.Description, Policy: policyOut(p)})
	}
	return resp, nil
}

// compiled returns the compiled policy version, from the cache or the store.
func (s *Server) compiled(tx *bbolt.Tx, id string, version int32) (*domain.Compiled, error) {
	key := policyKey{id, version}
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return c, nil
	}
	p, err := store.GetPolicy(tx, id, version)
	if err != nil {
		return nil, err
	}
	d, vs := policyIn(p)
	if len(vs) > 0 {
		return nil, fmt.Errorf("stored policy %s v%d: %v", id, version, vs)
	}
	c, err = s.engine.Compile(d)
	if err != nil {
		return nil, fmt.Errorf("compile stored policy %s v%d: %w", id, version, err)
	}
	s.mu.Lock()
	s.cache[key] = c
	s.mu.Unlock()
	return c, nil
}

type policyKey struct {
	id      string
	version int32
}
