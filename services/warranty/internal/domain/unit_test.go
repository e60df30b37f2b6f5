package domain

import (
	"errors"
	"testing"
)

// TestReturnCard: day 20 is on time, day 21 is late, a second card is refused.
func TestReturnCard(t *testing.T) {
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, mustDate("2026-03-02"))
	u.Card = WarrantyCard{}
	tests := []struct {
		day  string
		late bool
	}{{"2026-03-02", false}, {"2026-03-22", false}, {"2026-03-23", true}, {"2027-01-01", true}}
	for _, tc := range tests {
		got, err := ReturnCard(cp, u, mustDate(tc.day))
		if err != nil {
			t.Fatalf("ReturnCard(%s) error = %v", tc.day, err)
		}
		if !got.Card.Returned || got.Card.Late != tc.late {
			t.Errorf("ReturnCard(%s) = %+v, want returned, late=%v", tc.day, got.Card, tc.late)
		}
		if _, err := ReturnCard(cp, got, mustDate(tc.day)); !errors.Is(err, ErrCardAlreadyReturned) {
			t.Errorf("second ReturnCard(%s) error = %v, want ErrCardAlreadyReturned", tc.day, err)
		}
	}
	if _, err := ReturnCard(cp, u, mustDate("2026-03-01")); err == nil {
		t.Error("ReturnCard before the sale succeeded")
	}
}

// TestApplyRepair: part swaps are fitted with their date; an exchange restarts the warranty and
// moves the serial; a refund closes the unit.
func TestApplyRepair(t *testing.T) {
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, mustDate("2026-03-02"))
	r := Repair{ID: "r1", Serial: u.Serial, FaultCode: "F", Date: mustDate("2026-05-15"), Outcome: OutcomeFixed,
		Parts: []PartSwap{{PartID: "P1", Quantity: 1, FaultySerial: "A", ReplacementSerial: "B"}}}
	got, err := ApplyRepair(cp, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if got.RepairCount != 1 || len(got.ReplacedParts) != 1 || got.ReplacedParts[0].Serial != "B" || got.ReplacedParts[0].Date != r.Date {
		t.Errorf("ApplyRepair(fixed) = %+v, want one part B fitted on %s", got, r.Date)
	}
	if len(u.ReplacedParts) != 0 {
		t.Error("ApplyRepair changed its input")
	}
	ex := Repair{ID: "r2", Serial: u.Serial, FaultCode: "F", Date: mustDate("2026-07-01"), Outcome: OutcomeExchanged, NewSerial: "SN-9999"}
	got, err = ApplyRepair(cp, got, ex)
	if err != nil {
		t.Fatal(err)
	}
	if got.RestartDate != ex.Date || got.Serial != "SN-9999" || len(got.PreviousSerials) != 1 || got.PreviousSerials[0] != "SN-0001" {
		t.Errorf("ApplyRepair(exchanged) = %+v, want restart %s, serial SN-9999, previous SN-0001", got, ex.Date)
	}
	// The exchanged unit is under warranty a year from the exchange, past a year from the sale.
	d, err := Evaluate(cp, got, []Repair{r, ex}, nil, Claim{FaultCode: "F", Reported: at(t, "2027-06-01")}, at(t, "2027-06-01"))
	if err != nil || d.Coverage != CoverageFree {
		t.Errorf("Evaluate after exchange = %s, %v; want FREE", d.Coverage, err)
	}
	rf := Repair{ID: "r3", Serial: got.Serial, FaultCode: "F", Date: mustDate("2027-07-01"), Outcome: OutcomeRefunded}
	got, err = ApplyRepair(cp, got, rf)
	if err != nil || got.RefundDate != rf.Date {
		t.Fatalf("ApplyRepair(refunded) = %+v, %v", got, err)
	}
	if _, err := ApplyRepair(cp, got, r); !errors.Is(err, ErrUnitClosed) {
		t.Errorf("ApplyRepair on a refunded unit error = %v, want ErrUnitClosed", err)
	}
	bad := []Repair{
		{Serial: "S", FaultCode: "F", Date: mustDate("2026-01-01"), Outcome: OutcomeFixed},
		{Serial: "S", FaultCode: "", Date: mustDate("2026-05-01"), Outcome: OutcomeFixed},
		{Serial: "S", FaultCode: "F", Date: mustDate("2026-05-01")},
		{Serial: "S", FaultCode: "F", Date: mustDate("2026-05-01"), Outcome: OutcomeFixed, NewSerial: "X"},
		{Serial: "S", FaultCode: "F", Date: mustDate("2026-05-01"), Outcome: OutcomeFixed, Parts: []PartSwap{{PartID: "P"}}},
	}
	for i, b := range bad {
		var ve *ValidationError
		if _, err := ApplyRepair(cp, u, b); !errors.As(err, &ve) {
			t.Errorf("ApplyRepair(bad %d) error = %v, want ValidationError", i, err)
		}
	}
}

// TestValidateUnitAndCampaign: field rules of units and campaigns.
func TestValidateUnitAndCampaign(t *testing.T) {
	u := Unit{Serial: "S", Model: "M", PolicyID: "p", Dates: UnitDates{Sale: mustDate("2026-03-02")}}
	if err := ValidateUnit(u); err != nil {
		t.Errorf("ValidateUnit(good) = %v", err)
	}
	u.Dates.Delivery = mustDate("2026-03-01")
	u.Dates.Sale.Day = 0
	var ve *ValidationError
	if err := ValidateUnit(u); !errors.As(err, &ve) || ve.Violations[0].Field != "dates.sale" {
		t.Errorf("ValidateUnit(bad sale) = %v, want dates.sale", err)
	}
	c := Campaign{Name: "n", Model: "M", Remedy: RemedyRepair, Start: mustDate("2026-01-01"), SerialFrom: "B", SerialTo: "A"}
	if err := ValidateCampaign(c); !errors.As(err, &ve) || ve.Violations[0].Field != "serial_to" {
		t.Errorf("ValidateCampaign(reversed serials) = %v, want serial_to", err)
	}
}
