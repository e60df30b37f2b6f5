package domain

import (
	"fmt"
	"math"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// QuoteInput is what a paid-service quote prices.
type QuoteInput struct {
	TravelKm  float64
	Labour    time.Duration
	Materials []Material
}

// Material is a part on a quote, at cost.
type Material struct {
	PartID   string
	Quantity int64
	UnitCost int64
}

// QuoteItem is one priced line.
type QuoteItem struct {
	Kind        LineKind
	Description string
	Quantity    float64
	UnitPrice   int64
	Amount      int64
	Clause      string
}

// Quote is an itemised paid-service fee.
type Quote struct {
	PolicyID      string
	PolicyVersion int
	Coverage      Coverage
	Items         []QuoteItem
	Total         int64
	Currency      string
	Clauses       []Clause
}

// ValidateQuoteInput checks a quote's inputs: paths are those of QuoteServiceFeeRequest.
func ValidateQuoteInput(in QuoteInput) error {
	var vs violations
	if math.IsNaN(in.TravelKm) || in.TravelKm < 0 || in.TravelKm > maxKm {
		vs.add("travel_km", "must be between 0 and %d, got %v", maxKm, in.TravelKm)
	}
	if in.Labour < 0 || in.Labour > maxLabour {
		vs.add("labour", "must be between 0 and 2400h, got %s", in.Labour)
	}
	if len(in.Materials) > maxLines {
		vs.add("materials", "must have at most %d items, got %d", maxLines, len(in.Materials))
	}
	for i, m := range in.Materials {
		if m.PartID == "" {
			vs.add(fmt.Sprintf("materials[%d].part_id", i), "must not be empty")
		}
		if m.Quantity < 1 || m.Quantity > maxQuantity {
			vs.add(fmt.Sprintf("materials[%d].quantity", i), "must be between 1 and %d, got %d", maxQuantity, m.Quantity)
		}
		if m.UnitCost < 0 || m.UnitCost > maxAmountMinor {
			vs.add(fmt.Sprintf("materials[%d].unit_cost.amount_minor", i), "must be between 0 and %d, got %d", int64(maxAmountMinor), m.UnitCost)
		}
	}
	return vs.err()
}

// QuoteFee prices paid service under policy p. With a unit (u non-nil) the period that day
// falls in decides what is charged: nothing in the free period, the policy's paid-period
// charges in the paid period, the full fee schedule after; without a unit the full schedule
// applies. Travel = call-out + km × rate, labour per started quarter hour, materials at cost.
func QuoteFee(p *Compiled, u *Unit, day calendar.Date, in QuoteInput) (Quote, error) {
	if err := ValidateQuoteInput(in); err != nil {
		return Quote{}, err
	}
	pol := p.policy
	q := Quote{PolicyID: pol.ID, PolicyVersion: pol.Version, Coverage: CoverageNotCovered, Currency: p.Currency()}
	if u != nil {
		if !day.Valid() || day.Before(u.Dates.Sale) {
			return Quote{}, &ValidationError{Violations: []Violation{{Field: "service_time", Rule: fmt.Sprintf("must not be before the unit's sale date %s, got %s", u.Dates.Sale, day)}}}
		}
		c := Claim{FaultCode: "quote", Reported: day.Time(p.Location()).Add(12 * time.Hour)}
		d, err := Evaluate(p, *u, nil, nil, c, time.Time{})
		if err != nil {
			return Quote{}, err
		}
		q.Coverage = d.Coverage
		q.Clauses = d.Clauses
	}
	f := pol.Fees
	cur := q.Currency
	if in.TravelKm > 0 {
		price := f.travel(in.TravelKm)
		q.Items = append(q.Items, QuoteItem{Kind: LineTravel, Quantity: in.TravelKm, UnitPrice: f.TravelPerKm,
			Amount:      f.chargeable(LineTravel, q.Coverage, price),
			Description: fmt.Sprintf("Travel %.1f km at %s/km + %s call-out", in.TravelKm, FormatMinor(f.TravelPerKm, cur), FormatMinor(f.CallOut, cur)),
			Clause:      ClauseFeeSchedule})
	}
	if in.Labour > 0 {
		quarters := (in.Labour + 15*time.Minute - 1) / (15 * time.Minute)
		hours := float64(quarters) / 4
		q.Items = append(q.Items, QuoteItem{Kind: LineLabour, Quantity: hours, UnitPrice: f.LabourPerHour,
			Amount:      f.chargeable(LineLabour, q.Coverage, f.labour(in.Labour)),
			Description: fmt.Sprintf("Labour %.2f h at %s/h", hours, FormatMinor(f.LabourPerHour, cur)),
			Clause:      ClauseFeeSchedule})
	}
	for _, m := range in.Materials {
		q.Items = append(q.Items, QuoteItem{Kind: LinePart, Quantity: float64(m.Quantity), UnitPrice: m.UnitCost,
			Amount:      f.chargeable(LinePart, q.Coverage, m.Quantity*m.UnitCost),
			Description: fmt.Sprintf("Part %s × %d at cost %s", m.PartID, m.Quantity, FormatMinor(m.UnitCost, cur)),
			Clause:      ClauseFeeSchedule})
	}
	for _, it := range q.Items {
		q.Total += it.Amount
	}
	return q, nil
}
