package domain

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type evalCase struct {
	name      string
	template  string
	policy    func(*Policy)
	sale      string
	unit      func(*Unit)
	history   []Repair
	campaigns []Campaign
	reported  string
	claim     Claim

	coverage   Coverage
	remedies   []Remedy
	clauses    []string // each must be cited
	notClauses []string // none may be cited
	campaignID string
}

func repair(id, fault, date string, outcome RepairOutcome) Repair {
	d, _ := calendarParse(date)
	return Repair{ID: id, Serial: "SN-0001", FaultCode: fault, Date: d, Outcome: outcome}
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
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
			u := unitFor(p, day(t, tc.sale))
			if tc.unit != nil {
				tc.unit(&u)
			}
			c := tc.claim
			if c.FaultCode == "" {
				c.FaultCode = "F-ENGINE"
			}
			c.Reported = at(t, tc.reported)
			got, err := Evaluate(cp, u, tc.history, tc.campaigns, c, at(t, "2099-01-01"))
			if err != nil {
				t.Fatalf("Evaluate() error = %v", err)
			}
			if got.Coverage != tc.coverage {
				t.Errorf("Evaluate().Coverage = %s, want %s; clauses %v", got.Coverage, tc.coverage, got.Clauses)
			}
			if diff := cmp.Diff(tc.remedies, got.Remedies); diff != "" {
				t.Errorf("Evaluate().Remedies (-want +got):\n%s", diff)
			}
			names := clauseNames(got.Clauses)
			for _, c := range tc.clauses {
				if !slices.Contains(names, c) {
					t.Errorf("Evaluate() clauses %v, want %q cited", names, c)
				}
			}
			for _, c := range tc.notClauses {
				if slices.Contains(names, c) {
					t.Errorf("Evaluate() clauses %v, want no %q", names, c)
				}
			}
			if got.CampaignID != tc.campaignID {
				t.Errorf("Evaluate().CampaignID = %q, want %q", got.CampaignID, tc.campaignID)
			}
			for _, cl := range got.Clauses {
				if cl.Explanation == "" {
					t.Errorf("clause %q has no explanation", cl.Clause)
				}
			}
		})
	}
}

func clauseNames(cs []Clause) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Clause
	}
	return out
}

var (
	refundExchangeRepair = []Remedy{RemedyRefund, RemedyExchange, RemedyRepair}
	exchangeRepair       = []Remedy{RemedyExchange, RemedyRepair}
	repairOnly           = []Remedy{RemedyRepair}
)

// TestEvaluateConsumerWindows covers the consumer 三包 windows: 7 days refund, 15 days exchange,
// 1 year free repair, with the boundaries on either side.
func TestEvaluateConsumerWindows(t *testing.T) {
	runEvalCases(t, []evalCase{
		{name: "sale day", sale: "2026-03-02", reported: "2026-03-02", coverage: CoverageFree, remedies: refundExchangeRepair, clauses: []string{ClauseRefundWindow}},
		{name: "day 7 refund", sale: "2026-03-02", reported: "2026-03-09", coverage: CoverageFree, remedies: refundExchangeRepair, clauses: []string{ClauseRefundWindow}},
		{name: "day 8 exchange", sale: "2026-03-02", reported: "2026-03-10", coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseExchangeWindow}, notClauses: []string{ClauseRefundWindow}},
		{name: "day 15 exchange", sale: "2026-03-02", reported: "2026-03-17", coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseExchangeWindow}},
		{name: "day 16 repair", sale: "2026-03-02", reported: "2026-03-18", coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseFreeRepair}, notClauses: []string{ClauseExchangeWindow}},
		{name: "last free day", sale: "2026-03-02", reported: "2027-03-02", coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseFreeRepair}},
		{name: "first day after free period", sale: "2026-03-02", reported: "2027-03-03", coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseOutOfWarranty}},
		{name: "month end Jan 31 + 1 month last day", sale: "2026-01-31", reported: "2026-02-28",
			policy: func(p *Policy) {
				p.FreeRepair = []PeriodOption{{Start: DateSale, Length: Span{Months: 1}}}
				p.RefundWindowDays, p.ExchangeWindowDays = 0, 0
			},
			coverage: CoverageFree, remedies: repairOnly},
		{name: "month end Jan 31 + 1 month next day", sale: "2026-01-31", reported: "2026-03-01",
			policy: func(p *Policy) {
				p.FreeRepair = []PeriodOption{{Start: DateSale, Length: Span{Months: 1}}}
				p.RefundWindowDays, p.ExchangeWindowDays = 0, 0
			},
			coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "leap year Jan 31 + 1 month is Feb 29", sale: "2028-01-31", reported: "2028-02-29",
			policy: func(p *Policy) {
				p.FreeRepair = []PeriodOption{{Start: DateSale, Length: Span{Months: 1}}}
				p.RefundWindowDays, p.ExchangeWindowDays = 0, 0
			},
			coverage: CoverageFree, remedies: repairOnly},
		{name: "leap day sale + 12 months ends Feb 28", sale: "2028-02-29", reported: "2029-02-28", coverage: CoverageFree, remedies: repairOnly},
		{name: "leap day sale + 12 months next day", sale: "2028-02-29", reported: "2029-03-01", coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "365 days across a leap day last day", sale: "2027-06-01", reported: "2028-05-31",
			policy:   func(p *Policy) { p.FreeRepair = []PeriodOption{{Start: DateSale, Length: Span{Days: 365}}} },
			coverage: CoverageFree, remedies: repairOnly},
		{name: "365 days across a leap day next day", sale: "2027-06-01", reported: "2028-06-01",
			policy:   func(p *Policy) { p.FreeRepair = []PeriodOption{{Start: DateSale, Length: Span{Days: 365}}} },
			coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "12 months across a leap day covers the anniversary", sale: "2027-06-01", reported: "2028-06-01", coverage: CoverageFree, remedies: repairOnly},
	})
}

// TestEvaluateRepeatFailure: two repairs of the same fault, the third failure may be exchanged.
func TestEvaluateRepeatFailure(t *testing.T) {
	one := []Repair{repair("r1", "F-ENGINE", "2026-05-01", OutcomeFixed)}
	two := append(slices.Clone(one), repair("r2", "F-ENGINE", "2026-06-01", OutcomeFixed))
	otherFault := append(slices.Clone(one), repair("r2", "F-PUMP", "2026-06-01", OutcomeFixed))
	runEvalCases(t, []evalCase{
		{name: "second failure after one repair", sale: "2026-03-02", reported: "2026-07-01", history: one, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseRepeatFailure}},
		{name: "third failure after two repairs", sale: "2026-03-02", reported: "2026-07-01", history: two, coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseRepeatFailure}},
		{name: "two repairs of different faults", sale: "2026-03-02", reported: "2026-07-01", history: otherFault, coverage: CoverageFree, remedies: repairOnly},
		{name: "repair on the claim day does not count", sale: "2026-03-02", reported: "2026-06-01", history: two, coverage: CoverageFree, remedies: repairOnly},
		{name: "repair earlier on the claim day counts", sale: "2026-03-02", reported: "2026-06-01",
			history:  []Repair{two[0], func() Repair { r := two[1]; r.Recorded = at(t, "2026-06-01").Add(-time.Hour); return r }()},
			coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseRepeatFailure}},
		{name: "repair later on the claim day does not count", sale: "2026-03-02", reported: "2026-06-01",
			history:  []Repair{two[0], func() Repair { r := two[1]; r.Recorded = at(t, "2026-06-01").Add(time.Hour); return r }()},
			coverage: CoverageFree, remedies: repairOnly},
		{name: "two repairs but out of warranty", sale: "2026-03-02", reported: "2027-03-03", history: two, coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "policy asks three repairs", sale: "2026-03-02", reported: "2026-07-01", history: two,
			policy: func(p *Policy) { p.RepeatFailure.Repairs = 3 }, coverage: CoverageFree, remedies: repairOnly},
		{name: "repeat rule disabled", sale: "2026-03-02", reported: "2026-07-01", history: two,
			policy: func(p *Policy) { p.RepeatFailure.Repairs = 0 }, coverage: CoverageFree, remedies: repairOnly},
		{name: "repairs before an exchange do not count", sale: "2026-03-02", reported: "2026-09-01", history: two,
			unit: func(u *Unit) { u.RestartDate = day(t, "2026-06-15") }, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseExchangeRestart}},
		{name: "unrepairable unit", sale: "2026-03-02", reported: "2026-07-01", claim: Claim{Unrepairable: true},
			coverage: CoverageFree, remedies: []Remedy{RemedyRefund, RemedyExchange, RemedyRepair}, clauses: []string{ClauseUnrepairable}},
		{name: "last repair found it unrepairable", sale: "2026-03-02", reported: "2026-07-01",
			history:  []Repair{repair("r1", "F-ENGINE", "2026-06-01", OutcomeUnrepairable)},
			coverage: CoverageFree, remedies: []Remedy{RemedyRefund, RemedyExchange, RemedyRepair}, clauses: []string{ClauseUnrepairable}},
		{name: "third party after two handlings (project goods)", template: TemplateProject, sale: "2026-03-02", reported: "2026-07-01", history: two,
			unit:     func(u *Unit) { u.Dates.Acceptance = day(t, "2026-04-01") },
			coverage: CoverageFree, remedies: []Remedy{RemedyRepair, RemedyThirdPartyRepair}, clauses: []string{ClauseThirdPartyRepair}},
		{name: "one handling is not enough for third party", template: TemplateProject, sale: "2026-03-02", reported: "2026-07-01", history: one,
			unit:     func(u *Unit) { u.Dates.Acceptance = day(t, "2026-04-01") },
			coverage: CoverageFree, remedies: repairOnly},
	})
}

// TestEvaluateWarrantyCard: the dealer's card is due 20 days after the sale (seed 000); a late
// card and a card never sent are the same (no warranty recognition); the customer's own slip
// not found at the visit is a different rule (the warranty counts from completion).
func TestEvaluateWarrantyCard(t *testing.T) {
	card := func(s string) func(*Unit) {
		return func(u *Unit) {
			u.Card = WarrantyCard{Returned: true, Received: day(t, s), Late: day(t, s).After(day(t, "2026-03-22"))}
		}
	}
	never := func(install string) func(*Unit) {
		return func(u *Unit) {
			u.Card = WarrantyCard{}
			if install != "" {
				u.Dates.Installation = day(t, install)
			}
		}
	}
	noSlip := Claim{NoWarrantySlip: true}
	ignoreLate := func(p *Policy) { p.WarrantyCard.LateAction = CardIgnore }
	runEvalCases(t, []evalCase{
		{name: "card on day 20", sale: "2026-03-02", reported: "2026-06-01", unit: card("2026-03-22"), coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseCardLate}},
		{name: "card on day 21", sale: "2026-03-02", reported: "2026-06-01", unit: card("2026-03-23"), coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseCardLate}},
		{name: "late card ignored by policy", sale: "2026-03-02", reported: "2026-06-01", unit: card("2026-03-23"),
			policy: ignoreLate, coverage: CoverageFree, remedies: repairOnly},
		{name: "no card yet, claim before the deadline", sale: "2026-03-02", reported: "2026-03-12", unit: never(""), coverage: CoverageFree, remedies: exchangeRepair, notClauses: []string{ClauseCardMissing}},
		{name: "no card yet, claim on day 20", sale: "2026-03-02", reported: "2026-03-22", unit: never(""), coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseCardMissing}},
		{name: "card never sent, claim on day 21", sale: "2026-03-02", reported: "2026-03-23", unit: never("2026-03-05"), coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseCardMissing}, notClauses: []string{ClauseSlipMissing}},
		{name: "card never sent, claim months later", sale: "2026-03-02", reported: "2026-09-01", unit: never("2026-03-05"), coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseCardMissing}},
		{name: "card never sent is as late: ignored when late is", sale: "2026-03-02", reported: "2026-09-01", unit: never(""), policy: ignoreLate, coverage: CoverageFree, remedies: repairOnly},
		{name: "card never sent voids even without the customer's slip", sale: "2026-03-02", reported: "2026-09-01", unit: never("2026-04-01"), claim: noSlip,
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseCardMissing}, notClauses: []string{ClauseSlipMissing}},
		{name: "slip lost but the card is on record", sale: "2026-03-02", reported: "2027-03-01", unit: card("2026-03-10"), claim: noSlip,
			coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseSlipMissing}},
		{name: "slip lost before the card deadline counts from completion", sale: "2026-03-02", reported: "2026-03-12", unit: never("2026-03-05"), claim: noSlip,
			coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{ClauseSlipMissing}},
		{name: "slip lost: completion + 1 year last day", sale: "2026-03-02", reported: "2027-04-01", unit: never("2026-04-01"), claim: noSlip, policy: ignoreLate,
			coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseSlipMissing}},
		{name: "slip lost: completion + 1 year next day", sale: "2026-03-02", reported: "2027-04-02", unit: never("2026-04-01"), claim: noSlip, policy: ignoreLate,
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseSlipMissing}},
		{name: "slip lost without a completion date counts from the sale", sale: "2026-03-02", reported: "2027-03-20", unit: never(""), claim: noSlip, policy: ignoreLate,
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseSlipMissing}},
		{name: "slip lost voids when the policy says so", sale: "2026-03-02", reported: "2026-03-12", unit: never("2026-03-05"), claim: noSlip,
			policy: func(p *Policy) { p.WarrantyCard.MissingAction = CardVoid }, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseSlipMissing}},
		{name: "card not required", sale: "2026-03-02", reported: "2026-06-01", unit: never(""), claim: noSlip,
			policy: func(p *Policy) { p.WarrantyCard = CardRule{} }, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseCardMissing, ClauseSlipMissing}},
	})
}

// TestEvaluateWhicheverFirst: marine engines, 18 months after delivery or 12 after sea trial.
func TestEvaluateWhicheverFirst(t *testing.T) {
	dates := func(delivery, trial string) func(*Unit) {
		return func(u *Unit) {
			u.Dates.Delivery = day(t, delivery)
			if trial != "" {
				u.Dates.SeaTrial = day(t, trial)
			}
		}
	}
	runEvalCases(t, []evalCase{
		{name: "sea trial first last day", template: TemplateMarine, sale: "2026-01-05", unit: dates("2026-01-10", "2026-05-01"), reported: "2027-05-01", coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseWarrantyStart}},
		{name: "sea trial first next day", template: TemplateMarine, sale: "2026-01-05", unit: dates("2026-01-10", "2026-05-01"), reported: "2027-05-02", coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "delivery first last day", template: TemplateMarine, sale: "2026-01-05", unit: dates("2026-01-10", "2026-09-01"), reported: "2027-07-10", coverage: CoverageFree, remedies: repairOnly},
		{name: "delivery first next day", template: TemplateMarine, sale: "2026-01-05", unit: dates("2026-01-10", "2026-09-01"), reported: "2027-07-11", coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "no sea trial yet", template: TemplateMarine, sale: "2026-01-05", unit: dates("2026-01-10", ""), reported: "2027-07-10", coverage: CoverageFree, remedies: repairOnly},
		{name: "no dates at all falls back to sale", template: TemplateMarine, sale: "2026-01-05", reported: "2027-07-05", coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseWarrantyStart}},
	})
}

// TestEvaluateProjectAndInstrument: free then paid periods.
func TestEvaluateProjectAndInstrument(t *testing.T) {
	accepted := func(u *Unit) { u.Dates.Acceptance = day(t, "2026-05-10") }
	installed := func(u *Unit) { u.Dates.Installation = day(t, "2026-01-15") }
	runEvalCases(t, []evalCase{
		{name: "project before acceptance", template: TemplateProject, sale: "2026-03-02", unit: accepted, reported: "2026-05-09", coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseWarrantyStart}},
		{name: "project last free day", template: TemplateProject, sale: "2026-03-02", unit: accepted, reported: "2027-05-10", coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseFreeRepair}},
		{name: "project first paid day", template: TemplateProject, sale: "2026-03-02", unit: accepted, reported: "2027-05-11", coverage: CoveragePaid, remedies: repairOnly, clauses: []string{ClausePaidService}},
		{name: "project last paid day", template: TemplateProject, sale: "2026-03-02", unit: accepted, reported: "2030-05-10", coverage: CoveragePaid, remedies: repairOnly},
		{name: "project after paid period", template: TemplateProject, sale: "2026-03-02", unit: accepted, reported: "2030-05-11", coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseOutOfWarranty}},
		{name: "project not accepted yet counts from sale", template: TemplateProject, sale: "2026-03-02", reported: "2026-06-01", coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseWarrantyStart}},
		{name: "instrument free", template: TemplateInstrument, sale: "2026-01-02", unit: installed, reported: "2027-01-15", coverage: CoverageFree, remedies: repairOnly},
		{name: "instrument lifetime paid", template: TemplateInstrument, sale: "2026-01-02", unit: installed, reported: "2027-01-16", coverage: CoveragePaid, remedies: repairOnly},
		{name: "instrument lifetime paid decades later", template: TemplateInstrument, sale: "2026-01-02", unit: installed, reported: "2066-01-16", coverage: CoveragePaid, remedies: repairOnly},
	})
}

// TestEvaluateExclusions: excluded causes, categories and re-inclusions.
func TestEvaluateExclusions(t *testing.T) {
	accepted := func(u *Unit) { u.Dates.Acceptance = day(t, "2026-03-10") }
	runEvalCases(t, []evalCase{
		{name: "quality fault covered", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseQuality}}, coverage: CoverageFree, remedies: repairOnly},
		{name: "misuse excluded", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseMisuse}}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "misuse excluded inside refund window", sale: "2026-03-02", reported: "2026-03-03", claim: Claim{Causes: []Cause{CauseMisuse}}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "unauthorised disassembly excluded", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseQuality, CauseUnauthorisedDisassembly}}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "lightning is force majeure for consumers", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseLightning}}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "lightning re-included for project goods", template: TemplateProject, unit: accepted, sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseLightning}}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseReinclusion}},
		{name: "flood still excluded for project goods", template: TemplateProject, unit: accepted, sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseFlood}}, coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{ClauseExclusion}},
		{name: "cause the policy does not exclude", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{Causes: []Cause{CauseMisuse}},
			policy: func(p *Policy) { p.Exclusions.Excluded = []Cause{CauseForceMajeure} }, coverage: CoverageFree, remedies: repairOnly},
	})
}

// TestEvaluateReturnWindow: 3 working days with proof of purchase and intact packaging.
func TestEvaluateReturnWindow(t *testing.T) {
	onlyReturn := func(p *Policy) { p.RefundWindowDays, p.ExchangeWindowDays = 0, 0 }
	withHoliday := func(p *Policy) {
		onlyReturn(p)
		p.Calendar.Holidays = []calendarDate{mustDate("2026-03-09")}
	}
	proof := Claim{ProofOfPurchase: true, PackagingIntact: true}
	runEvalCases(t, []evalCase{
		// Sold Friday 2026-03-06: Mon 9, Tue 10, Wed 11 are the 3 working days.
		{name: "third working day", policy: onlyReturn, sale: "2026-03-06", reported: "2026-03-11", claim: proof, coverage: CoverageFree, remedies: refundExchangeRepair, clauses: []string{ClauseReturnWindow}},
		{name: "fourth working day", policy: onlyReturn, sale: "2026-03-06", reported: "2026-03-12", claim: proof, coverage: CoverageFree, remedies: repairOnly, notClauses: []string{ClauseReturnWindow}},
		{name: "holiday moves the end", policy: withHoliday, sale: "2026-03-06", reported: "2026-03-12", claim: proof, coverage: CoverageFree, remedies: refundExchangeRepair, clauses: []string{ClauseReturnWindow}},
		{name: "packaging not intact", policy: onlyReturn, sale: "2026-03-06", reported: "2026-03-11", claim: Claim{ProofOfPurchase: true}, coverage: CoverageFree, remedies: repairOnly, clauses: []string{ClauseReturnWindow}},
		{name: "not as described within the window", policy: onlyReturn, sale: "2026-03-06", reported: "2026-03-10", claim: Claim{ProofOfPurchase: true, PackagingIntact: true, Causes: []Cause{CauseNotAsDescribed}}, coverage: CoverageFree, remedies: refundExchangeRepair},
	})
}

// TestEvaluateCampaignsAndConditions: recalls and CEL custom conditions.
func TestEvaluateCampaignsAndConditions(t *testing.T) {
	recall := Campaign{ID: "c1", Name: "Pump recall", Model: "M1", SerialFrom: "SN-0000", SerialTo: "SN-0500",
		Remedy: RemedyExchange, Start: mustDate("2026-01-01")}
	outOfRange := recall
	outOfRange.SerialFrom, outOfRange.SerialTo = "SN-1000", "SN-2000"
	otherFault := recall
	otherFault.FaultCodes = []string{"F-PUMP"}
	ended := recall
	ended.End = mustDate("2026-05-31")
	byDate := recall
	byDate.SerialFrom, byDate.SerialTo = "", ""
	byDate.DateFrom, byDate.DateTo = mustDate("2019-01-01"), mustDate("2019-12-31")
	cond := func(c CustomCondition) func(*Policy) {
		return func(p *Policy) { p.CustomConditions = []CustomCondition{c} }
	}
	runEvalCases(t, []evalCase{
		{name: "recall covers an old unit", sale: "2020-01-01", reported: "2026-06-01", campaigns: []Campaign{recall}, coverage: CoverageFree, remedies: []Remedy{RemedyExchange}, clauses: []string{ClauseCampaign}, campaignID: "c1"},
		{name: "serial outside the recall", sale: "2020-01-01", reported: "2026-06-01", campaigns: []Campaign{outOfRange}, coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "recall for another fault", sale: "2020-01-01", reported: "2026-06-01", campaigns: []Campaign{otherFault}, coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "recall ended", sale: "2020-01-01", reported: "2026-06-01", campaigns: []Campaign{ended}, coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "recall by sale date (no manufacture date)", sale: "2019-06-01", reported: "2026-06-01", campaigns: []Campaign{byDate}, coverage: CoverageFree, remedies: []Remedy{RemedyExchange}, campaignID: "c1"},
		{name: "recall does not cover misuse", sale: "2020-01-01", reported: "2026-06-01", campaigns: []Campaign{recall}, claim: Claim{Causes: []Cause{CauseMisuse}}, coverage: CoverageNotCovered, remedies: repairOnly},
		{name: "condition excludes high hours", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{RunningHours: 2500},
			policy:   cond(CustomCondition{Clause: "hours_limit", Expression: "running_hours > 2000.0", Effect: EffectExclude, Explanation: "Over 2000 running hours."}),
			coverage: CoverageNotCovered, remedies: repairOnly, clauses: []string{"hours_limit"}},
		{name: "condition below the limit", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{RunningHours: 1500},
			policy:   cond(CustomCondition{Clause: "hours_limit", Expression: "running_hours > 2000.0", Effect: EffectExclude, Explanation: "Over 2000 running hours."}),
			coverage: CoverageFree, remedies: repairOnly, notClauses: []string{"hours_limit"}},
		{name: "goodwill condition covers", sale: "2020-03-02", reported: "2026-06-01", claim: Claim{Attributes: map[string]string{"vip": "yes"}},
			policy:   cond(CustomCondition{Clause: "goodwill", Expression: `"vip" in attributes && attributes["vip"] == "yes"`, Effect: EffectCover, Explanation: "Goodwill for key customers."}),
			coverage: CoverageFree, remedies: repairOnly, clauses: []string{"goodwill"}},
		{name: "charge condition", sale: "2026-03-02", reported: "2026-06-01", claim: Claim{FaultCode: "WEAR"},
			policy:   cond(CustomCondition{Clause: "wear_parts", Expression: `fault_code == "WEAR"`, Effect: EffectCharge, Explanation: "Wear parts are charged."}),
			coverage: CoveragePaid, remedies: repairOnly, clauses: []string{"wear_parts"}},
		{name: "allow remedy condition", sale: "2026-03-02", reported: "2026-06-01",
			policy:   cond(CustomCondition{Clause: "loan_exchange", Expression: `days_since_sale < 100 && in_free_period`, Effect: EffectAllowRemedy, Remedy: RemedyExchange, Explanation: "Exchange in the first 100 days."}),
			coverage: CoverageFree, remedies: exchangeRepair, clauses: []string{"loan_exchange"}},
		{name: "condition error is ignored and cited", sale: "2026-03-02", reported: "2026-06-01",
			policy:   cond(CustomCondition{Clause: "needs_attr", Expression: `attributes["missing"] == "x"`, Effect: EffectExclude, Explanation: "x"}),
			coverage: CoverageFree, remedies: repairOnly, clauses: []string{"needs_attr"}},
		{name: "refunded unit", sale: "2026-03-02", reported: "2026-06-01", unit: func(u *Unit) { u.RefundDate = mustDate("2026-03-05") },
			coverage: CoverageNotCovered, clauses: []string{ClauseUnitRefunded}},
	})
}
