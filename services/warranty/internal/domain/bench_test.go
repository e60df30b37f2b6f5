package domain

import (
	"testing"
	"time"
)

// BenchmarkEvaluate measures in-process claim decisions per second with history, a campaign,
// a custom condition and four lines.
func BenchmarkEvaluate(b *testing.B) {
	p := template(b, TemplateConsumer)
	p.CustomConditions = []CustomCondition{{Clause: "hours", Expression: "running_hours > 2000.0", Effect: EffectExclude, Explanation: "x"}}
	cp := compile(b, p)
	u := unitFor(p, mustDate("2026-03-02"))
	u.ReplacedParts = []ReplacedPart{{PartID: "P", Serial: "PS", Date: mustDate("2026-05-01")}}
	h := []Repair{repair("r1", "F", "2026-04-01", OutcomeFixed), repair("r2", "F", "2026-05-01", OutcomeFixed)}
	camps := []Campaign{{ID: "c", Model: "OTHER", Remedy: RemedyRepair, Start: mustDate("2026-01-01")}}
	c := Claim{FaultCode: "F", Reported: at(b, "2026-07-01"), RunningHours: 100, Lines: []Line{
		{Kind: LinePart, PartID: "P", PartSerial: "PS", UnitCost: 100_00}, {Kind: LineLabour, Labour: time.Hour},
		{Kind: LineTravel, TravelKm: 12}, {Kind: LineExpense, Amount: 10_00}}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Evaluate(cp, u, h, camps, c, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}

// BenchmarkSumVisits measures the cost report's arithmetic: 10 000 visits of 2 000 units
// (5 each, a failed one among them), with the per-batch breakdown.
func BenchmarkSumVisits(b *testing.B) {
	vs := make([]Visit, 0, 10_000)
	for u := range 2_000 {
		for k := range 5 {
			o := OutcomeFixed
			if k == 1 {
				o = OutcomeNotFixed
			}
			vs = append(vs, Visit{UnitID: "u" + string(rune('a'+u%26)) + string(rune('a'+u/26%26)) + string(rune('a'+u/676)),
				Model: "M1", Batch: "B" + string(rune('0'+u%10)), JobID: "j", TicketID: "t" + string(rune('0'+k/2)), FaultCode: "F",
				Kind: VisitRepair, Outcome: o, Date: mustDate("2026-05-01").AddDays(k), Cost: Cost{Parts: 100_00, Labour: 80_00, Travel: 68_00},
				InRange: true})
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f := SumVisits(vs)
		if f.Visits != 10_000 {
			b.Fatalf("SumVisits counted %d visits", f.Visits)
		}
		_ = SumVisitsBy(vs, func(v Visit) string { return v.Batch })
	}
	b.ReportMetric(float64(b.N*len(vs))/b.Elapsed().Seconds(), "visits/s")
}
