package domain

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// handling is a repair-history entry of kind k for the tests.
func handling(id string, k VisitKind, fault, date string, outcome RepairOutcome) Repair {
	r := repair(id, fault, date, outcome)
	r.Kind = k
	return r
}

// TestEvaluateEveryHandlingCounts: a failed visit is a handling of the fault (seed 000 "repaired
// twice and still failing", seed 003 "handled twice and not fixed"); maintenance, inspection and
// installation visits are not repairs and never count. The consumer policy allows an exchange
// from the second handling on; project goods a third party from the second handling on.
func TestEvaluateEveryHandlingCounts(t *testing.T) {
	fixed1 := handling("r1", VisitRepair, "F-ENGINE", "2026-05-01", OutcomeFixed)
	failed := handling("r2", VisitRepair, "F-ENGINE", "2026-05-20", OutcomeNotFixed)
	fixed2 := handling("r3", VisitRepair, "F-ENGINE", "2026-06-01", OutcomeFixed)
	maint := handling("m1", VisitMaintenance, "F-ENGINE", "2026-05-15", OutcomeFixed)
	inspect := handling("i1", VisitInspection, "F-ENGINE", "2026-05-16", OutcomeNotFixed)
	install := handling("n1", VisitInstallation, NoFaultCode, "2026-03-03", OutcomeFixed)
	legacy := repair("old", "F-ENGINE", "2026-05-25", OutcomeFixed) // no kind recorded: a repair
	project := func(u *Unit) { u.Dates.Acceptance = day(t, "2026-04-01") }
	thirdParty := []Remedy{RemedyRepair, RemedyThirdPartyRepair}
	runEvalCases(t, []evalCase{
		{name: "one repair: second report is repaired", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1}, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseRepeatFailure}},
		{name: "one failed visit alone is one handling", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{failed}, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseRepeatFailure}},
		{name: "repair then failed visit: second handling allows exchange", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1, failed}, coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseRepeatFailure}},
		{name: "failed visit between two repairs", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1, failed, fixed2}, coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseRepeatFailure}},
		{name: "a repair without a recorded kind is a repair", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1, legacy}, coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseRepeatFailure}},
		{name: "maintenance between repairs does not count", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1, maint}, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseRepeatFailure}},
		{name: "maintenance between two repairs: still two", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1, maint, fixed2}, coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseRepeatFailure}},
		{name: "a paid repair (misuse) is not a warranty repair", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{fixed1, func() Repair { r := fixed2; r.Paid = true; return r }()}, coverage: CoverageFree, remedies: repairOnly,
			notClauses: []string{ClauseRepeatFailure}},
		{name: "inspection and installation are not repairs", sale: "2026-03-02", reported: "2026-07-01",
			history: []Repair{install, fixed1, inspect}, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseRepeatFailure}},
		{name: "project goods: repair and failed visit allow a third party", template: TemplateProject, sale: "2026-03-02", reported: "2026-07-01",
			unit: project, history: []Repair{fixed1, failed}, coverage: CoverageFree, remedies: thirdParty, clauses: []string{ClauseThirdPartyRepair}},
		{name: "project goods: repair and maintenance do not", template: TemplateProject, sale: "2026-03-02", reported: "2026-07-01",
			unit: project, history: []Repair{fixed1, maint}, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseThirdPartyRepair}},
	})
}

// TestEvaluateHandlingCountsInConditions: custom conditions see repairs only.
func TestEvaluateHandlingCountsInConditions(t *testing.T) {
	p := template(t, TemplateConsumer)
	p.CustomConditions = []CustomCondition{{Clause: "many_repairs", Expression: "repairs_total >= 2", Effect: EffectAllowRemedy, Remedy: RemedyRefund, Explanation: "Repaired twice: a refund is possible."}}
	cp := compile(t, p)
	u := unitFor(p, day(t, "2026-03-02"))
	for _, tc := range []struct {
		name    string
		history []Repair
		want    bool
	}{
		{"one repair and one maintenance", []Repair{handling("r1", VisitRepair, "F-X", "2026-05-01", OutcomeFixed), handling("m1", VisitMaintenance, NoFaultCode, "2026-05-02", OutcomeFixed)}, false},
		{"a repair and a failed visit", []Repair{handling("r1", VisitRepair, "F-X", "2026-05-01", OutcomeFixed), handling("r2", VisitRepair, "F-Y", "2026-05-02", OutcomeNotFixed)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Evaluate(cp, u, tc.history, nil, Claim{FaultCode: "F-Z", Reported: at(t, "2026-07-01")}, at(t, "2026-07-01"))
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(d.Remedies, RemedyRefund); got != tc.want {
				t.Errorf("Evaluate() remedies %v: refund allowed = %v, want %v", d.Remedies, got, tc.want)
			}
		})
	}
}

// TestApplyHandling: parts fitted on a failed visit are fitted (their own warranty starts that
// day); only repairs add to the repair count.
func TestApplyHandling(t *testing.T) {
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, mustDate("2025-03-02"))
	failed := Repair{ID: "r1", Kind: VisitRepair, Serial: u.Serial, FaultCode: "F", Date: mustDate("2026-05-01"), Outcome: OutcomeNotFixed,
		Parts: []PartSwap{{PartID: "P-PUMP", Quantity: 1, FaultySerial: "A", ReplacementSerial: "B", UnderWarranty: true}}}
	got, err := ApplyRepair(cp, u, failed)
	if err != nil {
		t.Fatal(err)
	}
	if got.RepairCount != 1 || len(got.ReplacedParts) != 1 || got.ReplacedParts[0].Date != failed.Date {
		t.Errorf("ApplyRepair(failed visit) = count %d parts %+v, want 1 and P-PUMP fitted on %s", got.RepairCount, got.ReplacedParts, failed.Date)
	}
	maint := Repair{ID: "m1", Kind: VisitMaintenance, Serial: u.Serial, FaultCode: NoFaultCode, Date: mustDate("2026-06-01"), Outcome: OutcomeFixed,
		Parts: []PartSwap{{PartID: "P-FILTER", Quantity: 1}}}
	got, err = ApplyRepair(cp, got, maint)
	if err != nil {
		t.Fatal(err)
	}
	if got.RepairCount != 1 || len(got.ReplacedParts) != 2 {
		t.Errorf("ApplyRepair(maintenance) = count %d, %d parts; want count 1, 2 parts", got.RepairCount, len(got.ReplacedParts))
	}
	// The pump fitted on the failed visit fails again after the unit's warranty ended.
	d, err := Evaluate(cp, got, []Repair{failed, maint}, nil, Claim{FaultCode: "F", PartID: "P-PUMP", PartSerial: "B", Reported: at(t, "2026-09-01")}, at(t, "2026-09-01"))
	if err != nil || d.Coverage != CoverageFree || !slices.Contains(clauseNames(d.Clauses), ClausePartWarranty) {
		t.Errorf("Evaluate(pump from the failed visit) = %s %v, %v; want FREE by part_warranty", d.Coverage, clauseNames(d.Clauses), err)
	}
	if _, err := ApplyRepair(cp, u, Repair{Kind: VisitKind(9), Serial: "S", FaultCode: "F", Date: mustDate("2026-05-01"), Outcome: OutcomeFixed}); err == nil {
		t.Error("ApplyRepair(kind 9) error = nil, want a ValidationError")
	}
}

// TestEvaluatePartWarrantyAtClaim: a fault in a part replaced earlier is covered by that part's
// own 12-month warranty from its replacement date (seed 000 §6): the whole claim is free
// (travel, labour and the part), with the clause that says why.
func TestEvaluatePartWarrantyAtClaim(t *testing.T) {
	fitted := func(u *Unit) {
		u.ReplacedParts = []ReplacedPart{{PartID: "P-PUMP", Serial: "PS-2", ReplacedSerial: "PS-1", Quantity: 1, Date: day(t, "2026-05-01"), RepairID: "r1"}}
	}
	// Sold 2025-03-02: the unit's free year ended on 2026-03-02.
	runEvalCases(t, []evalCase{
		{name: "fault in the replaced part, inside its warranty", sale: "2025-03-02", reported: "2026-09-01", unit: fitted,
			claim: Claim{PartID: "P-PUMP"}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClausePartWarranty}, notClauses: []string{ClauseOutOfWarranty}},
		{name: "named by serial", sale: "2025-03-02", reported: "2026-09-01", unit: fitted,
			claim: Claim{PartSerial: "PS-2"}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClausePartWarranty}},
		{name: "last day of the part's warranty", sale: "2025-03-02", reported: "2027-05-01", unit: fitted,
			claim: Claim{PartID: "P-PUMP"}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClausePartWarranty}},
		{name: "day after the part's warranty", sale: "2025-03-02", reported: "2027-05-02", unit: fitted,
			claim: Claim{PartID: "P-PUMP"}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseOutOfWarranty}},
		{name: "another part", sale: "2025-03-02", reported: "2026-09-01", unit: fitted,
			claim: Claim{PartID: "P-BELT"}, coverage: CoverageNotCovered, remedies: repairOnly, notClauses: []string{ClausePartWarranty}},
		{name: "the old serial is not the fitted part", sale: "2025-03-02", reported: "2026-09-01", unit: fitted,
			claim: Claim{PartSerial: "PS-1"}, coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "misuse of the replaced part is excluded", sale: "2025-03-02", reported: "2026-09-01", unit: fitted,
			claim: Claim{PartID: "P-PUMP", Causes: []Cause{CauseMisuse}}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "a void card does not void the part we fitted", sale: "2025-03-02", reported: "2026-09-01",
			unit:  func(u *Unit) { fitted(u); u.Card = WarrantyCard{} },
			claim: Claim{PartID: "P-PUMP"}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClausePartWarranty}},
		{name: "inside the unit's own warranty the unit's period decides", sale: "2026-03-02", reported: "2026-09-01", unit: fitted,
			claim: Claim{PartID: "P-PUMP"}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseFreeRepair}},
	})

	// Every line of the claim is free: travel, labour and the part.
	p := template(t, TemplateConsumer)
	cp := compile(t, p)
	u := unitFor(p, day(t, "2025-03-02"))
	fitted(&u)
	c := Claim{FaultCode: "F-PUMP", PartID: "P-PUMP", Reported: at(t, "2026-09-01"), Lines: []Line{
		{Kind: LinePart, PartID: "P-PUMP", Quantity: 1, UnitCost: 120_00},
		{Kind: LineLabour, Labour: 90 * time.Minute},
		{Kind: LineTravel, TravelKm: 20},
	}}
	d, err := Evaluate(cp, u, nil, nil, c, at(t, "2026-09-01"))
	if err != nil {
		t.Fatal(err)
	}
	// Labour 1.5 h × 80.00, travel 50.00 call-out + 20 km × 1.50.
	want := Cost{Parts: 120_00, Labour: 120_00, Travel: 80_00}
	if d.CustomerCharge != 0 || d.CompanyCost != want {
		t.Errorf("Evaluate() charge %d cost %+v, want 0 and %+v", d.CustomerCharge, d.CompanyCost, want)
	}
}

// TestEvaluateSiteFinding: the technician's finding on site (in scope? part opened? cause)
// re-decides coverage: a free repair found to be misuse becomes paid service at the policy's fee
// schedule (materials at cost only where the policy charges them); a finding of a quality fault
// overrides a cause the desk recorded.
func TestEvaluateSiteFinding(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "no finding: free", sale: "2026-03-02", reported: "2026-07-01", coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseSiteFinding}},
		{name: "misuse found on site", sale: "2026-03-02", reported: "2026-07-01", claim: Claim{Finding: &Finding{Causes: []Cause{CauseMisuse}, JobID: "J1"}},
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseSiteFinding, ClauseExclusion}},
		{name: "part opened", sale: "2026-03-02", reported: "2026-07-01", claim: Claim{Finding: &Finding{PartOpened: true}},
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseSiteFinding, ClauseExclusion}},
		{name: "outside the warranty's scope", sale: "2026-03-02", reported: "2026-07-01", claim: Claim{Finding: &Finding{OutOfScope: true}},
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "quality fault found overrides the desk's misuse", sale: "2026-03-02", reported: "2026-07-01",
			claim:    Claim{Causes: []Cause{CauseMisuse}, Finding: &Finding{}},
			coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseSiteFinding, ClauseFreeRepair}, notClauses: []string{ClauseExclusion}},
		{name: "desk's misuse without a finding", sale: "2026-03-02", reported: "2026-07-01", claim: Claim{Causes: []Cause{CauseMisuse}},
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "lightning re-included by project goods", template: TemplateProject, sale: "2026-03-02", reported: "2026-07-01",
			unit:     func(u *Unit) { u.Dates.Acceptance = day(t, "2026-04-01") },
			claim:    Claim{Finding: &Finding{Causes: []Cause{CauseLightning}}},
			coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseSiteFinding, ClauseReinclusion}},
	})

	lines := []Line{
		{Kind: LinePart, PartID: "P-PUMP", Quantity: 2, UnitCost: 35_00},
		{Kind: LineLabour, Labour: 90 * time.Minute},
		{Kind: LineTravel, TravelKm: 20},
	}
	for _, tc := range []struct {
		name            string
		chargeMaterials bool
		want            int64
	}{
		// travel 50.00 + 20 × 1.50 = 80.00; labour 1.5 h × 80.00 = 120.00; parts 2 × 35.00 at cost.
		{"materials at cost", true, 80_00 + 120_00 + 70_00},
		{"policy does not charge materials", false, 80_00 + 120_00},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := template(t, TemplateConsumer)
			p.Fees.ChargeMaterials = tc.chargeMaterials
			cp := compile(t, p)
			u := unitFor(p, day(t, "2026-03-02"))
			c := Claim{FaultCode: "F-PUMP", Reported: at(t, "2026-07-01"), Lines: lines, Finding: &Finding{Causes: []Cause{CauseMisuse}}}
			d, err := Evaluate(cp, u, nil, nil, c, at(t, "2026-07-01"))
			if err != nil {
				t.Fatal(err)
			}
			if d.CustomerCharge != tc.want || d.CompanyCost.Total() != 0 {
				t.Errorf("Evaluate(misuse found) charge %d, company cost %d; want %d and 0", d.CustomerCharge, d.CompanyCost.Total(), tc.want)
			}
			q, err := QuoteFee(cp, nil, calendarDate{}, QuoteInput{TravelKm: 20, Labour: 90 * time.Minute, Materials: []Material{{PartID: "P-PUMP", Quantity: 2, UnitCost: 35_00}}})
			if err != nil || q.Total != tc.want {
				t.Errorf("QuoteFee() total %d, %v; want %d, the same as the decision's charge", q.Total, err, tc.want)
			}
		})
	}
	var ve *ValidationError
	p := template(t, TemplateConsumer)
	_, err := Evaluate(compile(t, p), unitFor(p, day(t, "2026-03-02")), nil, nil,
		Claim{FaultCode: "F", Reported: at(t, "2026-07-01"), Finding: &Finding{Causes: []Cause{Cause(99)}}}, at(t, "2026-07-01"))
	if !errors.As(err, &ve) || ve.Violations[0].Field != "finding.causes[0]" {
		t.Errorf("Evaluate(finding cause 99) error = %v, want a violation of finding.causes[0]", err)
	}
}
