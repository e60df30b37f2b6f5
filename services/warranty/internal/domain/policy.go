package domain

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Policy is one immutable version of a warranty policy: every rule as data. The zero value of a
// window or rule disables it. Field comments name the clause cited in decisions.
type Policy struct {
	ID          string
	Version     int
	Name        string
	Description string
	Template    string
	Models      []string
	Calendar    CalendarSpec

	// FreeRepair ("free_repair_period", "warranty_start"): whichever-first options.
	FreeRepair []PeriodOption
	// PaidService ("paid_service_period"): length after the free period; zero means none.
	PaidService Span
	// RefundWindowDays ("refund_window"): last day is sale + N days; 0 disables.
	RefundWindowDays int
	// ExchangeWindowDays ("exchange_window"): last day is sale + N days; 0 disables.
	ExchangeWindowDays int
	// ReturnWindowWorkingDays ("return_window"): last day is the N-th working day after the sale.
	ReturnWindowWorkingDays int
	// ReturnProcessingWorkingDays ("return_processing"): informational.
	ReturnProcessingWorkingDays int
	// RepeatFailure ("repeat_failure").
	RepeatFailure RepeatFailureRule
	// ThirdPartyRepairAfter ("third_party_repair"): 0 disables.
	ThirdPartyRepairAfter int
	// UnrepairableExchangeOrRefund ("unrepairable").
	UnrepairableExchangeOrRefund bool
	// WarrantyCard ("warranty_card_late", "warranty_card_missing").
	WarrantyCard CardRule
	// Exclusions ("exclusion", "reinclusion").
	Exclusions ExclusionRule
	// PartWarranty ("part_warranty").
	PartWarranty PartWarrantyRule
	// ExchangeRestartsWarranty ("exchange_restart").
	ExchangeRestartsWarranty bool
	// Fees ("fee_schedule").
	Fees FeeSchedule
	// CustomConditions: CEL rules, each its own clause.
	CustomConditions []CustomCondition

	CreateTime time.Time
}

// CalendarSpec is how a policy counts days. Zero values mean Asia/Shanghai with Saturday and
// Sunday off.
type CalendarSpec struct {
	TimeZone    string
	WeekendDays []time.Weekday
	Holidays    []calendar.Date
	WorkingDays []calendar.Date
}

// DefaultTimeZone is the zone used when a policy names none.
const DefaultTimeZone = "Asia/Shanghai"

// Span is a calendar length: months then days, or unlimited.
type Span struct {
	Months    int
	Days      int
	Unlimited bool
}

// IsZero reports whether s is no length at all.
func (s Span) IsZero() bool { return !s.Unlimited && s.Months == 0 && s.Days == 0 }

// End returns the last day of a period of length s that starts on d (Civil Code arts. 201/203:
// d is not counted, so the last day is d + months (clamped) + days).
func (s Span) End(d calendar.Date) calendar.Date {
	return d.AddMonths(s.Months).AddDays(s.Days)
}

// String describes s in words ("18 months", "1 month and 10 days", "lifetime").
func (s Span) String() string {
	switch {
	case s.Unlimited:
		return "lifetime"
	case s.Months == 0 && s.Days == 0:
		return "no time"
	case s.Days == 0:
		return plural(s.Months, "month")
	case s.Months == 0:
		return plural(s.Days, "day")
	default:
		return plural(s.Months, "month") + " and " + plural(s.Days, "day")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// PeriodOption is one start date and a length.
type PeriodOption struct {
	Start  DateKind
	Length Span
}

// RepeatFailureRule: Repairs earlier repairs of the same fault within the free period let the
// customer choose Remedies (exchange or repair when empty). Repairs 0 disables it.
type RepeatFailureRule struct {
	Repairs  int
	Remedies []Remedy
}

// CardRule is the warranty-card (三包回执卡) rule.
type CardRule struct {
	Required      bool
	DeadlineDays  int
	LateAction    CardAction
	MissingAction CardAction
	RestartFrom   DateKind
}

// ExclusionRule lists excluded and re-included causes.
type ExclusionRule struct {
	Excluded   []Cause
	Reincluded []Cause
}

// PartWarrantyRule is the warranty of replaced parts from their replacement date.
type PartWarrantyRule struct {
	Length            Span
	AtLeastUnitPeriod bool
}

// FeeSchedule prices paid service. Amounts are minor units of Currency.
type FeeSchedule struct {
	Currency                  string
	CallOut                   int64
	TravelPerKm               int64
	LabourPerHour             int64
	ChargeMaterials           bool
	MaterialsOnlyInPaidPeriod bool
}

// DefaultCurrency is the currency of a fee schedule that names none.
const DefaultCurrency = "CNY"

// CustomCondition is a CEL rule.
type CustomCondition struct {
	Clause      string
	Expression  string
	Effect      ConditionEffect
	Remedy      Remedy
	Explanation string
}

// Compiled is a validated policy, ready to evaluate claims: its calendar is built and its custom
// conditions compiled. It is immutable and safe for concurrent use.
type Compiled struct {
	policy Policy
	cal    *calendar.Calendar
	conds  []compiledCondition
}

// Policy returns a copy of the policy's data.
func (c *Compiled) Policy() Policy { return c.policy }

// Calendar returns the policy's working calendar.
func (c *Compiled) Calendar() *calendar.Calendar { return c.cal }

// Location returns the policy's time zone.
func (c *Compiled) Location() *time.Location { return c.cal.Location() }

// Currency returns the fee schedule's currency.
func (c *Compiled) Currency() string {
	if c.policy.Fees.Currency == "" {
		return DefaultCurrency
	}
	return c.policy.Fees.Currency
}

var (
	clauseRE   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	currencyRE = regexp.MustCompile(`^([A-Z]{3})?$`)
)

// Bounds of policy numbers, wide enough for any real policy and small enough that date
// arithmetic stays inside years 1 to 9999.
const (
	maxMonths      = 1200
	maxDays        = 36500
	maxWindowDays  = 3650
	maxWorkingDays = 365
	maxRepairs     = 100
	maxAmountMinor = 1_000_000_000_00
)

// Compile validates p and compiles its calendar and custom conditions. Every broken rule is
// reported as a field violation with the field's path in the API's Policy message; a custom
// condition that does not compile names its clause.
func (e *Engine) Compile(p Policy) (*Compiled, error) {
	var vs violations
	if p.Name == "" {
		vs.add("name", "must not be empty")
	}
	cal := buildCalendar(&vs, p.Calendar)
	if len(p.FreeRepair) == 0 {
		vs.add("free_repair.options", "must have at least one option")
	}
	if len(p.FreeRepair) > 8 {
		vs.add("free_repair.options", "must have at most 8 options, got %d", len(p.FreeRepair))
	}
	for i, o := range p.FreeRepair {
		f := fmt.Sprintf("free_repair.options[%d]", i)
		if !o.Start.Valid() || o.Start == DateManufacture {
			vs.add(f+".start", "must be sale, delivery, installation, acceptance, commissioning or sea trial")
		}
		checkSpan(&vs, f+".length", o.Length)
		if o.Length.IsZero() {
			vs.add(f+".length", "must not be zero")
		}
	}
	checkSpan(&vs, "paid_service", p.PaidService)
	checkRange(&vs, "refund_window_days", p.RefundWindowDays, 0, maxWindowDays)
	checkRange(&vs, "exchange_window_days", p.ExchangeWindowDays, 0, maxWindowDays)
	if p.RefundWindowDays > 0 && p.ExchangeWindowDays > 0 && p.ExchangeWindowDays < p.RefundWindowDays {
		vs.add("exchange_window_days", "must not be shorter than refund_window_days (%d), got %d", p.RefundWindowDays, p.ExchangeWindowDays)
	}
	checkRange(&vs, "return_window_working_days", p.ReturnWindowWorkingDays, 0, maxWorkingDays)
	checkRange(&vs, "return_processing_working_days", p.ReturnProcessingWorkingDays, 0, maxWorkingDays)
	checkRange(&vs, "repeat_failure.repairs", p.RepeatFailure.Repairs, 0, maxRepairs)
	for i, r := range p.RepeatFailure.Remedies {
		if !r.Valid() {
			vs.add(fmt.Sprintf("repeat_failure.remedies[%d]", i), "must be a remedy, got %d", int(r))
		}
	}
	checkRange(&vs, "third_party_repair_after", p.ThirdPartyRepairAfter, 0, maxRepairs)
	checkCard(&vs, p.WarrantyCard)
	checkExclusions(&vs, p.Exclusions)
	checkSpan(&vs, "part_warranty.length", p.PartWarranty.Length)
	checkFees(&vs, p.Fees)
	conds := e.compileConditions(&vs, p.CustomConditions)
	if err := vs.err(); err != nil {
		return nil, err
	}
	p = clonePolicy(p)
	return &Compiled{policy: p, cal: cal, conds: conds}, nil
}

func checkRange(vs *violations, field string, v, lo, hi int) {
	if v < lo || v > hi {
		vs.add(field, "must be between %d and %d, got %d", lo, hi, v)
	}
}

func checkSpan(vs *violations, field string, s Span) {
	if s.Unlimited {
		return
	}
	checkRange(vs, field+".months", s.Months, 0, maxMonths)
	checkRange(vs, field+".days", s.Days, 0, maxDays)
}

func checkCard(vs *violations, c CardRule) {
	if !c.Required {
		return
	}
	checkRange(vs, "warranty_card.deadline_days", c.DeadlineDays, 1, maxWindowDays)
	if !c.LateAction.Valid() {
		vs.add("warranty_card.late_action", "must be a card action, got %d", int(c.LateAction))
	}
	if !c.MissingAction.Valid() {
		vs.add("warranty_card.missing_action", "must be a card action, got %d", int(c.MissingAction))
	}
	if c.LateAction == CardRestart || c.MissingAction == CardRestart {
		if !c.RestartFrom.Valid() || c.RestartFrom == DateManufacture {
			vs.add("warranty_card.restart_from", "must name the date the warranty restarts from when an action is RESTART")
		}
	}
}

func checkExclusions(vs *violations, x ExclusionRule) {
	for i, c := range x.Excluded {
		f := fmt.Sprintf("exclusions.excluded[%d]", i)
		switch {
		case !c.Valid():
			vs.add(f, "must be a cause, got %d", int(c))
		case c == CauseQuality:
			vs.add(f, "must not exclude QUALITY: quality faults are what the warranty covers")
		case slices.Index(x.Excluded, c) < i:
			vs.add(f, "must not repeat %s", c)
		}
	}
	for i, c := range x.Reincluded {
		f := fmt.Sprintf("exclusions.reincluded[%d]", i)
		switch {
		case !c.Valid():
			vs.add(f, "must be a cause, got %d", int(c))
		case !slices.Contains(x.Excluded, c) && !slices.Contains(x.Excluded, c.Category()):
			vs.add(f, "must re-include a cause that is excluded (itself or its category), got %s", c)
		}
	}
}

func checkFees(vs *violations, f FeeSchedule) {
	if !currencyRE.MatchString(f.Currency) {
		vs.add("fees.currency_code", "must be an ISO 4217 code like CNY, got %q", f.Currency)
	}
	for _, a := range []struct {
		field string
		v     int64
	}{{"fees.call_out.amount_minor", f.CallOut}, {"fees.travel_per_km.amount_minor", f.TravelPerKm}, {"fees.labour_per_hour.amount_minor", f.LabourPerHour}} {
		if a.v < 0 || a.v > maxAmountMinor {
			vs.add(a.field, "must be between 0 and %d, got %d", int64(maxAmountMinor), a.v)
		}
	}
}

func buildCalendar(vs *violations, c CalendarSpec) *calendar.Calendar {
	tz := c.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		vs.add("calendar.time_zone", "must be an IANA time zone, got %q", c.TimeZone)
		return nil
	}
	weekend := c.WeekendDays
	if len(weekend) == 0 {
		weekend = []time.Weekday{time.Saturday, time.Sunday}
	}
	var spec calendar.Spec
	spec.Location = loc
	day := []calendar.Span{{Start: 0, End: 24 * time.Hour}}
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if !slices.Contains(weekend, wd) {
			spec.Week[wd] = day
		}
	}
	for i, w := range weekend {
		if w < time.Sunday || w > time.Saturday {
			vs.add(fmt.Sprintf("calendar.weekend_days[%d]", i), "must be 0 (Sunday) to 6 (Saturday), got %d", int(w))
		}
	}
	if len(weekend) >= 7 && len(c.WorkingDays) == 0 {
		vs.add("calendar.weekend_days", "must leave at least one working weekday")
		return nil
	}
	for i, d := range c.Holidays {
		if !d.Valid() {
			vs.add(fmt.Sprintf("calendar.holidays[%d]", i), "must be a real date, got %s", d)
		}
	}
	for i, d := range c.WorkingDays {
		if !d.Valid() {
			vs.add(fmt.Sprintf("calendar.working_days[%d]", i), "must be a real date, got %s", d)
		}
	}
	spec.Holidays = c.Holidays
	spec.ExtraWorkdays = c.WorkingDays
	spec.ExtraHours = day
	cal, err := calendar.New(spec)
	if err != nil {
		vs.add("calendar", "must be a valid calendar: %v", err)
		return nil
	}
	return cal
}

func clonePolicy(p Policy) Policy {
	p.Models = slices.Clone(p.Models)
	p.Calendar.WeekendDays = slices.Clone(p.Calendar.WeekendDays)
	p.Calendar.Holidays = slices.Clone(p.Calendar.Holidays)
	p.Calendar.WorkingDays = slices.Clone(p.Calendar.WorkingDays)
	p.FreeRepair = slices.Clone(p.FreeRepair)
	p.RepeatFailure.Remedies = slices.Clone(p.RepeatFailure.Remedies)
	p.Exclusions.Excluded = slices.Clone(p.Exclusions.Excluded)
	p.Exclusions.Reincluded = slices.Clone(p.Exclusions.Reincluded)
	p.CustomConditions = slices.Clone(p.CustomConditions)
	return p
}
