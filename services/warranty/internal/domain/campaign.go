package domain

import (
	"slices"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Campaign is a service campaign (recall): units of a model in a serial and/or date range get a
// remedy for free, regardless of age, from Start to End (zero End: open-ended).
type Campaign struct {
	ID         string
	Name       string
	Model      string
	SerialFrom string
	SerialTo   string
	DateKind   DateKind
	DateFrom   calendar.Date
	DateTo     calendar.Date
	FaultCodes []string
	// Batches are the affected production batches; empty: any.
	Batches     []string
	Remedy      Remedy
	Start       calendar.Date
	End         calendar.Date
	Explanation string
}

// ValidateCampaign checks a campaign: paths are those of the API's Campaign message.
func ValidateCampaign(c Campaign) error {
	var vs violations
	if c.Name == "" {
		vs.add("name", "must not be empty")
	}
	if c.Model == "" {
		vs.add("model", "must not be empty")
	}
	if c.SerialFrom != "" && c.SerialTo != "" && c.SerialTo < c.SerialFrom {
		vs.add("serial_to", "must not sort before serial_from %q, got %q", c.SerialFrom, c.SerialTo)
	}
	if c.DateKind != DateUnspecified && !c.DateKind.Valid() {
		vs.add("date_kind", "must be a date kind, got %d", int(c.DateKind))
	}
	checkOptDate(&vs, "date_from", c.DateFrom)
	checkOptDate(&vs, "date_to", c.DateTo)
	if c.DateFrom.Valid() && c.DateTo.Valid() && c.DateTo.Before(c.DateFrom) {
		vs.add("date_to", "must not be before date_from %s, got %s", c.DateFrom, c.DateTo)
	}
	if !c.Remedy.Valid() {
		vs.add("remedy", "must be REFUND, EXCHANGE, REPAIR or THIRD_PARTY_REPAIR")
	}
	if !c.Start.Valid() {
		vs.add("start_date", "must be a real date, got %s", c.Start)
	}
	checkOptDate(&vs, "end_date", c.End)
	if c.Start.Valid() && c.End.Valid() && c.End.Before(c.Start) {
		vs.add("end_date", "must not be before start_date %s, got %s", c.Start, c.End)
	}
	for i, f := range c.FaultCodes {
		if f == "" {
			vs.add("fault_codes", "item %d must not be empty", i)
		}
	}
	for i, b := range c.Batches {
		if b == "" {
			vs.add("batches", "item %d must not be empty", i)
		}
	}
	return vs.err()
}

func checkOptDate(vs *violations, field string, d calendar.Date) {
	if isSet(d) && !d.Valid() {
		vs.add(field, "must be a real date, got %s", d)
	}
}

// Campaign units: how many units one campaign may affect, and how many one event announces.
const (
	// MaxCampaignUnits bounds a campaign's affected units (split a bigger recall).
	MaxCampaignUnits = 10000
	// CampaignUnitsPage is how many units one campaign.units_affected event carries.
	CampaignUnitsPage = 50
)

// Matches reports whether unit u is one the campaign is about, whatever the day or fault:
// the model, a serial (current or previous) in the range, the batch, and the date of the
// campaign's date kind (manufacture by default, falling back to sale) in the date range.
func (c Campaign) Matches(u Unit) bool {
	if c.Model != u.Model {
		return false
	}
	serials := append([]string{u.Serial}, u.PreviousSerials...)
	if !slices.ContainsFunc(serials, c.serialInRange) {
		return false
	}
	if len(c.Batches) > 0 && !slices.Contains(c.Batches, u.Batch) {
		return false
	}
	if isSet(c.DateFrom) || isSet(c.DateTo) {
		kind := c.DateKind
		if kind == DateUnspecified {
			kind = DateManufacture
		}
		d := u.Dates.Of(kind)
		if !isSet(d) && kind == DateManufacture {
			d = u.Dates.Sale
		}
		if !isSet(d) || (isSet(c.DateFrom) && d.Before(c.DateFrom)) || (isSet(c.DateTo) && d.After(c.DateTo)) {
			return false
		}
	}
	return true
}

// Affects reports whether the campaign covers a claim with fault code on unit u on day.
func (c Campaign) Affects(u Unit, faultCode string, day calendar.Date) bool {
	if day.Before(c.Start) || (isSet(c.End) && day.After(c.End)) {
		return false
	}
	if !c.Matches(u) {
		return false
	}
	return len(c.FaultCodes) == 0 || slices.Contains(c.FaultCodes, faultCode)
}

func (c Campaign) serialInRange(s string) bool {
	return (c.SerialFrom == "" || s >= c.SerialFrom) && (c.SerialTo == "" || s <= c.SerialTo)
}
