package domain

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestEvaluateLines: coverage per line: a part replaced last month keeps its own warranty on a
// unit out of warranty, while labour and travel are charged.
func TestEvaluateLines(t *testing.T) {
	lines := []Line{
		{Kind: LinePart, PartID: "P-PUMP", PartSerial: "PS-2", Quantity: 1, UnitCost: 120_00},
		{Kind: LinePart, PartID: "P-BELT", Quantity: 2, UnitCost: 15_00},
		{Kind: LineLabour, Labour: 90 * time.Minute},
		{Kind: LineTravel, TravelKm: 20},
		{Kind: LineExpense, Amount: 30_00},
	}
	type lineWant struct {
		cov            Coverage
		charge, cost   int64
		firstClause    string
		hasPartWarrant bool
	}
	tests := []struct {
		name     string
		template string
		reported string
		unit     func(*Unit)
		policy   func(*Policy)
		want     []lineWant
		charge   int64
		cost     Cost
	}{
		{
			name: "part replaced last month on an out-of-warranty unit", reported: "2026-06-10",
			want: []lineWant{
				{CoverageFree, 0, 120_00, ClausePartWarranty, true},
				{CoverageNotCovered, 30_00, 0, ClauseOutOfWarranty, false},
				{CoverageNotCovered, 120_00, 0, ClauseOutOfWarranty, false},
				{CoverageNotCovered, 80_00, 0, ClauseOutOfWarranty, false},
				{CoverageNotCovered, 30_00, 0, ClauseOutOfWarranty, false},
			},
			charge: 260_00, cost: Cost{Parts: 120_00},
		},
		{
			name: "part warranty ended", reported: "2027-05-16",
			want: []lineWant{
				{CoverageNotCovered, 120_00, 0, ClauseOutOfWarranty, true},
				{CoverageNotCovered, 30_00, 0, ClauseOutOfWarranty, false},
				{CoverageNotCovered, 120_00, 0, ClauseOutOfWarranty, false},
				{CoverageNotCovered, 80_00, 0, ClauseOutOfWarranty, false},
				{CoverageNotCovered, 30_00, 0, ClauseOutOfWarranty, false},
			},
			charge: 380_00,
		},
		{
			name: "free unit: the company bears every line", reported: "2026-06-10",
			unit: func(u *Unit) { u.Dates.Sale = mustDate("2026-03-02"); u.Card.Received = u.Dates.Sale },
			want: []lineWant{
				{CoverageFree, 0, 120_00, ClauseFreeRepair, true},
				{CoverageFree, 0, 30_00, ClauseFreeRepair, false},
				{CoverageFree, 0, 120_00, ClauseFreeRepair, false},
				{CoverageFree, 0, 80_00, ClauseFreeRepair, false},
				{CoverageFree, 0, 30_00, ClauseFreeRepair, false},
			},
			cost: Cost{Parts: 150_00, Labour: 120_00, Travel: 80_00, Expenses: 30_00},
		},
		{
			name: "paid period charging materials only", template: TemplateProject, reported: "2027-06-10",
			unit: func(u *Unit) {
				u.Dates.Sale, u.Dates.Acceptance = mustDate("2026-03-02"), mustDate("2026-04-01")
				u.ReplacedParts = nil
			},
			policy: func(p *Policy) { p.Fees.MaterialsOnlyInPaidPeriod = true },
			want: []lineWant{
				{CoveragePaid, 120_00, 0, ClausePaidService, false},
				{CoveragePaid, 30_00, 0, ClausePaidService, false},
				{CoveragePaid, 0, 120_00, ClausePaidService, false},
				{CoveragePaid, 0, 80_00, ClausePaidService, false},
				{CoveragePaid, 0, 30_00, ClausePaidService, false},
			},
			charge: 150_00, cost: Cost{Labour: 120_00, Travel: 80_00, Expenses: 30_00},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := tc.template
			if tmpl == "" {
				tmpl = TemplateConsumer
			}
			p := template(t, tmpl)
			if tc.policy != nil {
				tc.policy(&p)
			}
			cp := compile(t, p)
			u := unitFor(p, day(t, "2024-01-10"))
			u.ReplacedParts = []ReplacedPart{{PartID: "P-PUMP", Serial: "PS-2", ReplacedSerial: "PS-1", Quantity: 1, Date: day(t, "2026-05-15"), RepairID: "r1"}}
			if tc.unit != nil {
				tc.unit(&u)
			}
			d, err := Evaluate(cp, u, nil, nil, Claim{FaultCode: "F", Reported: at(t, tc.reported), Lines: lines}, time.Time{})
			if err != nil {
				t.Fatalf("Evaluate() error = %v", err)
			}
			if len(d.Lines) != len(tc.want) {
				t.Fatalf("Evaluate() has %d lines, want %d", len(d.Lines), len(tc.want))
			}
			for i, w := range tc.want {
				got := d.Lines[i]
				g := lineWant{got.Coverage, got.CustomerCharge, got.CompanyCost, got.Clauses[0].Clause, got.PartWarranty != nil}
				if diff := cmp.Diff(w, g, cmp.AllowUnexported(lineWant{})); diff != "" {
					t.Errorf("line %d (-want +got):\n%s", i, diff)
				}
			}
			if d.CustomerCharge != tc.charge {
				t.Errorf("CustomerCharge = %d, want %d", d.CustomerCharge, tc.charge)
			}
			if d.CompanyCost != tc.cost {
				t.Errorf("CompanyCost = %+v, want %+v", d.CompanyCost, tc.cost)
			}
		})
	}
	t.Run("misuse excludes the part too", func(t *testing.T) {
		p := template(t, TemplateConsumer)
		u := unitFor(p, day(t, "2024-01-10"))
		u.ReplacedParts = []ReplacedPart{{PartID: "P-PUMP", Serial: "PS-2", Quantity: 1, Date: day(t, "2026-05-15")}}
		d, err := Evaluate(compile(t, p), u, nil, nil, Claim{FaultCode: "F", Reported: at(t, "2026-06-10"), Causes: []Cause{CauseMisuse}, Lines: lines[:1]}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Lines[0].Coverage != CoverageNotCovered {
			t.Errorf("part line coverage = %s, want NOT_COVERED", d.Lines[0].Coverage)
		}
	})
}

// TestEvaluateDeterministic: the same inputs (in any order) give the same decision.
func TestEvaluateDeterministic(t *testing.T) {
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, day(t, "2026-03-02"))
	h := []Repair{repair("r2", "F", "2026-06-01", OutcomeFixed), repair("r1", "F", "2026-05-01", OutcomeFixed)}
	camps := []Campaign{
		{ID: "c2", Name: "b", Model: "M1", Remedy: RemedyRepair, Start: mustDate("2026-01-01")},
		{ID: "c1", Name: "a", Model: "M1", Remedy: RemedyExchange, Start: mustDate("2026-01-01")},
	}
	c := Claim{FaultCode: "F", Reported: at(t, "2026-07-01"), Lines: []Line{{Kind: LineLabour, Labour: time.Hour}}}
	first, err := Evaluate(cp, u, h, camps, c, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if first.CampaignID != "c1" {
		t.Errorf("CampaignID = %q, want c1 (lowest id)", first.CampaignID)
	}
	h[0], h[1] = h[1], h[0]
	camps[0], camps[1] = camps[1], camps[0]
	for range 3 {
		again, err := Evaluate(cp, u, h, camps, c, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("second Evaluate differs (-first +again):\n%s", diff)
		}
	}
}

// TestEvaluateTimeZone: the claim day is the day in the policy's zone.
func TestEvaluateTimeZone(t *testing.T) {
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, day(t, "2026-03-02"))
	// 2026-03-09 17:00 UTC is 2026-03-10 01:00 in Shanghai: day 8, not day 7.
	d, err := Evaluate(cp, u, nil, nil, Claim{FaultCode: "F", Reported: time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC)}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if d.ClaimDate != mustDate("2026-03-10") || slicesContains(d.Remedies, RemedyRefund) {
		t.Errorf("Evaluate() day %s remedies %v, want 2026-03-10 without REFUND", d.ClaimDate, d.Remedies)
	}
}

func slicesContains(rs []Remedy, r Remedy) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// TestEvaluateErrors: bad claims and mismatched inputs.
func TestEvaluateErrors(t *testing.T) {
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, day(t, "2026-03-02"))
	tests := []struct {
		name  string
		claim Claim
		unit  func(*Unit)
		asOf  time.Time
		field string
	}{
		{name: "no fault code", claim: Claim{Reported: at(t, "2026-04-01")}, field: "fault_code"},
		{name: "no reported time", claim: Claim{FaultCode: "F"}, field: "reported_time"},
		{name: "before the sale", claim: Claim{FaultCode: "F", Reported: at(t, "2026-03-01")}, field: "reported_time"},
		{name: "in the future", claim: Claim{FaultCode: "F", Reported: at(t, "2026-05-01")}, asOf: at(t, "2026-04-01"), field: "reported_time"},
		{name: "bad cause", claim: Claim{FaultCode: "F", Reported: at(t, "2026-04-01"), Causes: []Cause{99}}, field: "causes[0]"},
		{name: "negative quantity", claim: Claim{FaultCode: "F", Reported: at(t, "2026-04-01"), Lines: []Line{{Kind: LinePart, PartID: "P", Quantity: -2}}}, field: "lines[0].quantity"},
		{name: "labour line without time", claim: Claim{FaultCode: "F", Reported: at(t, "2026-04-01"), Lines: []Line{{Kind: LineLabour}}}, field: "lines[0].labour"},
		{name: "line without kind", claim: Claim{FaultCode: "F", Reported: at(t, "2026-04-01"), Lines: []Line{{}}}, field: "lines[0].kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Evaluate(cp, u, nil, nil, tc.claim, tc.asOf)
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Evaluate() error = %v, want a ValidationError", err)
			}
			if ve.Violations[0].Field != tc.field {
				t.Errorf("Evaluate() violation %v, want field %q", ve.Violations, tc.field)
			}
		})
	}
	other := u
	other.PolicyVersion = 2
	if _, err := Evaluate(cp, other, nil, nil, Claim{FaultCode: "F", Reported: at(t, "2026-04-01")}, time.Time{}); err == nil {
		t.Error("Evaluate() with another policy version succeeded, want ErrPolicyMismatch")
	}
}
