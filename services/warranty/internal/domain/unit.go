package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Unit is what the rules need of a registered unit. A zero calendar.Date means "unknown".
type Unit struct {
	ID            string
	Serial        string
	Model         string
	Batch         string
	PolicyID      string
	PolicyVersion int
	Dates         UnitDates
	Card          WarrantyCard
	// RestartDate is the day the warranty restarted after an exchange; zero when it did not.
	RestartDate calendar.Date
	// ReplacedParts are parts fitted as replacements, oldest first.
	ReplacedParts   []ReplacedPart
	RepairCount     int
	PreviousSerials []string
	// RefundDate is the day the unit was refunded; zero when it was not.
	RefundDate calendar.Date
}

// UnitDates are the days that can start a warranty.
type UnitDates struct {
	Manufacture   calendar.Date
	Sale          calendar.Date
	Delivery      calendar.Date
	Installation  calendar.Date
	Acceptance    calendar.Date
	Commissioning calendar.Date
	SeaTrial      calendar.Date
}

// Of returns the date of kind k, zero when unknown.
func (d UnitDates) Of(k DateKind) calendar.Date {
	switch k {
	case DateSale:
		return d.Sale
	case DateDelivery:
		return d.Delivery
	case DateInstallation:
		return d.Installation
	case DateAcceptance:
		return d.Acceptance
	case DateCommissioning:
		return d.Commissioning
	case DateSeaTrial:
		return d.SeaTrial
	case DateManufacture:
		return d.Manufacture
	default:
		return calendar.Date{}
	}
}

// WarrantyCard is the state of a unit's warranty card.
type WarrantyCard struct {
	Returned bool
	Received calendar.Date
	Late     bool
}

// ReplacedPart is a part fitted as a replacement on Date.
type ReplacedPart struct {
	PartID         string
	Serial         string
	ReplacedSerial string
	Quantity       int64
	Date           calendar.Date
	RepairID       string
}

// Repair is one handling of a unit: a repair of a fault (a failed visit included: outcome
// NOT_FIXED), or a maintenance, inspection or installation visit (Kind says which).
type Repair struct {
	ID        string
	Kind      VisitKind
	Serial    string
	FaultCode string
	Date      calendar.Date
	Outcome   RepairOutcome
	Parts     []PartSwap
	NewSerial string
	JobID     string
	TicketID  string
	// Paid: paid service (an excluded cause, out of warranty): not a 三包 repair, so it does
	// not count toward the repeat-failure and third-party rules.
	Paid bool
	// Recorded is when the handling was recorded; zero when unknown. A handling on the claim's
	// own day counts when it was recorded before the claim was reported.
	Recorded time.Time
}

// PartSwap is a part taken out and the one fitted instead.
type PartSwap struct {
	PartID            string
	Quantity          int64
	FaultySerial      string
	ReplacementSerial string
	Reason            string
	UnderWarranty     bool
}

func isSet(d calendar.Date) bool { return d != (calendar.Date{}) }

// ValidateUnit checks a unit to register: field paths are those of the API's Unit message.
func ValidateUnit(u Unit) error {
	var vs violations
	if u.Serial == "" {
		vs.add("serial", "must not be empty")
	}
	if u.Model == "" {
		vs.add("model", "must not be empty")
	}
	if u.PolicyID == "" {
		vs.add("policy_id", "must not be empty")
	}
	if !u.Dates.Sale.Valid() {
		vs.add("dates.sale", "must be a real date, got %s", u.Dates.Sale)
	}
	for _, f := range []struct {
		name string
		d    calendar.Date
	}{{"manufacture", u.Dates.Manufacture}, {"delivery", u.Dates.Delivery}, {"installation", u.Dates.Installation},
		{"acceptance", u.Dates.Acceptance}, {"commissioning", u.Dates.Commissioning}, {"sea_trial", u.Dates.SeaTrial}} {
		if isSet(f.d) && !f.d.Valid() {
			vs.add("dates."+f.name, "must be a real date, got %s", f.d)
		}
	}
	if u.Dates.Sale.Valid() {
		for _, f := range []struct {
			name string
			d    calendar.Date
		}{{"delivery", u.Dates.Delivery}, {"installation", u.Dates.Installation}, {"acceptance", u.Dates.Acceptance},
			{"commissioning", u.Dates.Commissioning}, {"sea_trial", u.Dates.SeaTrial}} {
			if f.d.Valid() && f.d.Before(u.Dates.Sale) && f.name != "sea_trial" && f.name != "commissioning" {
				vs.add("dates."+f.name, "must not be before the sale date %s, got %s", u.Dates.Sale, f.d)
			}
		}
		if u.Dates.Manufacture.Valid() && u.Dates.Manufacture.After(u.Dates.Sale) {
			vs.add("dates.manufacture", "must not be after the sale date %s, got %s", u.Dates.Sale, u.Dates.Manufacture)
		}
	}
	return vs.err()
}

// ReturnCard records the warranty card received on day; it is late when the policy asks for a
// card and day is after the sale date + the deadline.
func ReturnCard(p *Compiled, u Unit, day calendar.Date) (Unit, error) {
	if u.Card.Returned {
		return u, ErrCardAlreadyReturned
	}
	if !day.Valid() {
		return u, &ValidationError{Violations: []Violation{{Field: "received_date", Rule: "must be a real date, got " + day.String()}}}
	}
	if day.Before(u.Dates.Sale) {
		return u, &ValidationError{Violations: []Violation{{Field: "received_date", Rule: fmt.Sprintf("must not be before the sale date %s, got %s", u.Dates.Sale, day)}}}
	}
	u.Card = WarrantyCard{Returned: true, Received: day}
	if rule := p.policy.WarrantyCard; rule.Required {
		u.Card.Late = day.After(u.Dates.Sale.AddDays(rule.DeadlineDays))
	}
	return u, nil
}

// ValidateRepair checks a repair's own fields: paths are those of the API's Repair message.
func ValidateRepair(r Repair) error {
	var vs violations
	if r.Serial == "" {
		vs.add("serial", "must not be empty")
	}
	if r.FaultCode == "" {
		vs.add("fault_code", "must not be empty")
	}
	if !r.Date.Valid() {
		vs.add("repair_date", "must be a real date, got %s", r.Date)
	}
	if !r.Kind.Valid() {
		vs.add("kind", "must be REPAIR, MAINTENANCE, INSPECTION or INSTALLATION, got %d", int(r.Kind))
	}
	if !r.Outcome.Valid() {
		vs.add("outcome", "must be FIXED, NOT_FIXED, UNREPAIRABLE, EXCHANGED or REFUNDED")
	}
	for i, p := range r.Parts {
		if p.PartID == "" {
			vs.add(fmt.Sprintf("parts[%d].part_id", i), "must not be empty")
		}
		if p.Quantity < 1 {
			vs.add(fmt.Sprintf("parts[%d].quantity", i), "must be positive, got %d", p.Quantity)
		}
	}
	if r.NewSerial != "" && r.Outcome != OutcomeExchanged {
		vs.add("new_serial", "must be empty unless the outcome is EXCHANGED")
	}
	return vs.err()
}

// ApplyRepair returns the unit after handling r: its swapped parts are fitted with r's date (their
// own warranty starts then, whatever the outcome: parts fitted on a failed visit are fitted), only
// repairs add to the repair count, an exchange restarts the warranty when the policy says so and moves
// the unit to the new serial, a refund closes the unit.
func ApplyRepair(p *Compiled, u Unit, r Repair) (Unit, error) {
	if err := ValidateRepair(r); err != nil {
		return u, err
	}
	if isSet(u.RefundDate) {
		return u, ErrUnitClosed
	}
	if r.Date.Before(u.Dates.Sale) {
		return u, &ValidationError{Violations: []Violation{{Field: "repair_date", Rule: fmt.Sprintf("must not be before the unit's sale date %s, got %s", u.Dates.Sale, r.Date)}}}
	}
	u.ReplacedParts = slices.Clone(u.ReplacedParts)
	u.PreviousSerials = slices.Clone(u.PreviousSerials)
	if r.Kind.IsRepair() {
		u.RepairCount++
	}
	for _, sw := range r.Parts {
		u.ReplacedParts = append(u.ReplacedParts, ReplacedPart{
			PartID: sw.PartID, Serial: sw.ReplacementSerial, ReplacedSerial: sw.FaultySerial,
			Quantity: sw.Quantity, Date: r.Date, RepairID: r.ID,
		})
	}
	switch r.Outcome {
	case OutcomeExchanged:
		if p.policy.ExchangeRestartsWarranty {
			u.RestartDate = r.Date
			u.Card = WarrantyCard{Returned: true, Received: r.Date}
			u.ReplacedParts = nil
		}
		if r.NewSerial != "" && r.NewSerial != u.Serial {
			u.PreviousSerials = append(u.PreviousSerials, u.Serial)
			u.Serial = r.NewSerial
		}
	case OutcomeRefunded:
		u.RefundDate = r.Date
	}
	return u, nil
}
