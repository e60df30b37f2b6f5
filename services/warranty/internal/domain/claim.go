package domain

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Claim is a claim on a unit.
type Claim struct {
	FaultCode       string
	Reported        time.Time
	Causes          []Cause
	RequestedRemedy Remedy
	Lines           []Line
	Unrepairable    bool
	ProofOfPurchase bool
	PackagingIntact bool
	RunningHours    float64
	Attributes      map[string]string
	// PartID and PartSerial name the faulty part when the claim knows it: a part replaced
	// earlier that is still inside its own warranty makes the whole claim free.
	PartID     string
	PartSerial string
	// NoWarrantySlip: the customer could not show the warranty slip (保修单) at the visit; the
	// policy's missing-card action decides (by default the warranty counts from completion).
	NoWarrantySlip bool
	// Finding is what the technician found on site; nil before a visit. When set, its causes
	// replace the reported ones.
	Finding *Finding
}

// Finding is the technician's finding on site (seed 002 "看"): is the fault in 三包 scope, was the
// faulty part opened, what caused it. It re-decides coverage on the signed report.
type Finding struct {
	// OutOfScope: the fault is outside the warranty's scope (damage not caused by design,
	// manufacturing or quality).
	OutOfScope bool
	// PartOpened: the faulty part had been opened (unauthorised disassembly).
	PartOpened bool
	// Causes found, e.g. misuse; none means a quality fault.
	Causes []Cause
	// JobID is the visit whose report recorded the finding.
	JobID string
}

// causes returns the causes the finding establishes, in a stable order without repeats.
func (f Finding) causes() []Cause {
	var out []Cause
	add := func(c Cause) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	for _, c := range f.Causes {
		add(c)
	}
	if f.PartOpened {
		add(CauseUnauthorisedDisassembly)
	}
	if f.OutOfScope {
		add(CauseNonQuality)
	}
	if len(out) == 0 {
		add(CauseQuality)
	}
	return out
}

// Line is one cost item of a claim. Amounts are minor units of the policy's currency.
type Line struct {
	Kind        LineKind
	PartID      string
	PartSerial  string
	Quantity    int64
	UnitCost    int64
	Labour      time.Duration
	TravelKm    float64
	Amount      int64
	Description string
}

// Clause is a policy clause that decided (part of) a decision, with a sentence for the customer.
type Clause struct {
	Clause      string
	Explanation string
}

// Period is a warranty period as computed for a unit; End is the last day covered.
type Period struct {
	Kind       PeriodKind
	Start      calendar.Date
	End        calendar.Date
	Unlimited  bool
	Active     bool
	PartID     string
	PartSerial string
	Clause     string
}

// contains reports whether day falls in p.
func (p Period) contains(day calendar.Date) bool {
	return !day.Before(p.Start) && (p.Unlimited || !day.After(p.End))
}

// LineDecision is the decision on one claim line.
type LineDecision struct {
	Index          int
	Coverage       Coverage
	CustomerCharge int64
	CompanyCost    int64
	Clauses        []Clause
	PartWarranty   *Period
}

// Cost is what a decision costs the company, by kind, in minor units.
type Cost struct {
	Parts    int64
	Labour   int64
	Travel   int64
	Expenses int64
}

// Total is the sum of the kinds.
func (c Cost) Total() int64 { return c.Parts + c.Labour + c.Travel + c.Expenses }

// Decision is the coverage decision on a claim.
type Decision struct {
	Coverage               Coverage
	Remedies               []Remedy
	PolicyID               string
	PolicyVersion          int
	Clauses                []Clause
	Periods                []Period
	Lines                  []LineDecision
	CampaignID             string
	ClaimDate              calendar.Date
	RequestedRemedyAllowed bool
	CustomerCharge         int64
	CompanyCost            Cost
	Currency               string
}

// Bounds of claim numbers.
const (
	maxQuantity = 10_000
	maxLabour   = 100 * 24 * time.Hour
	maxKm       = 100_000
	maxLines    = 200
)

// ValidateClaim checks a claim's own fields: paths are those of the API's EvaluateClaimRequest.
func ValidateClaim(c Claim) error {
	var vs violations
	if c.FaultCode == "" {
		vs.add("fault_code", "must not be empty")
	}
	if c.Reported.IsZero() {
		vs.add("reported_time", "must be set")
	}
	for i, cause := range c.Causes {
		if !cause.Valid() {
			vs.add(fmt.Sprintf("causes[%d]", i), "must be a cause, got %d", int(cause))
		}
	}
	if c.RequestedRemedy != RemedyUnspecified && !c.RequestedRemedy.Valid() {
		vs.add("requested_remedy", "must be a remedy, got %d", int(c.RequestedRemedy))
	}
	if c.Finding != nil {
		for i, cause := range c.Finding.Causes {
			if !cause.Valid() {
				vs.add(fmt.Sprintf("finding.causes[%d]", i), "must be a cause, got %d", int(cause))
			}
		}
	}
	if math.IsNaN(c.RunningHours) || c.RunningHours < 0 || c.RunningHours > 1e7 {
		vs.add("running_hours", "must be between 0 and 10000000, got %v", c.RunningHours)
	}
	if len(c.Lines) > maxLines {
		vs.add("lines", "must have at most %d lines, got %d", maxLines, len(c.Lines))
		return vs.err()
	}
	for i, l := range c.Lines {
		validateLine(&vs, fmt.Sprintf("lines[%d]", i), l)
	}
	return vs.err()
}

func validateLine(vs *violations, f string, l Line) {
	if !l.Kind.Valid() {
		vs.add(f+".kind", "must be PART, LABOUR, TRAVEL or EXPENSE")
	}
	if l.Quantity < 0 || l.Quantity > maxQuantity {
		vs.add(f+".quantity", "must be between 0 and %d, got %d", maxQuantity, l.Quantity)
	}
	if l.UnitCost < 0 || l.UnitCost > maxAmountMinor {
		vs.add(f+".unit_cost.amount_minor", "must be between 0 and %d, got %d", int64(maxAmountMinor), l.UnitCost)
	}
	if l.Amount < 0 || l.Amount > maxAmountMinor {
		vs.add(f+".amount.amount_minor", "must be between 0 and %d, got %d", int64(maxAmountMinor), l.Amount)
	}
	if l.Labour < 0 || l.Labour > maxLabour {
		vs.add(f+".labour", "must be between 0 and 2400h, got %s", l.Labour)
	}
	if math.IsNaN(l.TravelKm) || l.TravelKm < 0 || l.TravelKm > maxKm {
		vs.add(f+".travel_km", "must be between 0 and %d, got %v", maxKm, l.TravelKm)
	}
	switch l.Kind {
	case LinePart:
		if l.PartID == "" && l.PartSerial == "" {
			vs.add(f+".part_id", "must name the part of a PART line")
		}
	case LineLabour:
		if l.Labour <= 0 {
			vs.add(f+".labour", "must be positive on a LABOUR line, got %s", l.Labour)
		}
	}
}

// price returns what line l costs at cost and at the fee schedule's rates.
func (f FeeSchedule) price(l Line) int64 {
	switch l.Kind {
	case LinePart:
		q := l.Quantity
		if q == 0 {
			q = 1
		}
		return q * l.UnitCost
	case LineLabour:
		return f.labour(l.Labour)
	case LineTravel:
		return f.travel(l.TravelKm)
	case LineExpense:
		return l.Amount
	default:
		return 0
	}
}

// labour prices time worked per started quarter hour, rounded half up to the minor unit.
func (f FeeSchedule) labour(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	quarters := int64((d + 15*time.Minute - 1) / (15 * time.Minute))
	return (quarters*f.LabourPerHour + 2) / 4
}

// travel prices a trip: the call-out charge plus the distance, rounded to the minor unit.
func (f FeeSchedule) travel(km float64) int64 {
	return f.CallOut + int64(math.Round(km*float64(f.TravelPerKm)))
}

// chargeable returns what the customer pays of price for a line of kind k under coverage c.
func (f FeeSchedule) chargeable(k LineKind, c Coverage, price int64) int64 {
	switch {
	case c == CoverageFree:
		return 0
	case k == LinePart:
		if f.ChargeMaterials {
			return price
		}
		return 0
	case c == CoveragePaid && f.MaterialsOnlyInPaidPeriod:
		return 0
	default:
		return price
	}
}
