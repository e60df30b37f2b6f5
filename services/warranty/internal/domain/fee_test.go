package domain

import (
	"testing"
	"time"
)

// TestQuoteFee: travel + labour per started quarter hour + materials at cost, by period.
func TestQuoteFee(t *testing.T) {
	in := QuoteInput{TravelKm: 20, Labour: 100 * time.Minute, Materials: []Material{{PartID: "P", Quantity: 2, UnitCost: 15_00}}}
	tests := []struct {
		name     string
		template string
		unit     bool
		day      string
		mutate   func(*Policy)
		coverage Coverage
		total    int64
	}{
		// 50.00 call-out + 20 km × 1.50 = 80.00; 7 quarters × 80.00/4 = 140.00; 2 × 15.00 = 30.00.
		{name: "no unit: full schedule", template: TemplateConsumer, coverage: CoverageNotCovered, total: 250_00},
		{name: "free period: nothing", template: TemplateConsumer, unit: true, day: "2026-06-01", coverage: CoverageFree, total: 0},
		{name: "out of warranty: full", template: TemplateConsumer, unit: true, day: "2027-06-01", coverage: CoverageNotCovered, total: 250_00},
		{name: "instrument lifetime: labour and materials, no travel", template: TemplateInstrument, unit: true, day: "2030-06-01", coverage: CoveragePaid, total: 170_00},
		{name: "paid period materials only", template: TemplateProject, unit: true, day: "2028-06-01", coverage: CoveragePaid, total: 30_00,
			mutate: func(p *Policy) { p.Fees.MaterialsOnlyInPaidPeriod = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := template(t, tc.template)
			if tc.mutate != nil {
				tc.mutate(&p)
			}
			cp := compile(t, p)
			var u *Unit
			var d calendarDate
			if tc.unit {
				uu := unitFor(p, mustDate("2026-03-02"))
				uu.Dates.Installation, uu.Dates.Acceptance = uu.Dates.Sale, uu.Dates.Sale
				u, d = &uu, mustDate(tc.day)
			}
			q, err := QuoteFee(cp, u, d, in)
			if err != nil {
				t.Fatal(err)
			}
			if q.Coverage != tc.coverage || q.Total != tc.total {
				t.Errorf("QuoteFee() = %s %d, want %s %d; items %+v", q.Coverage, q.Total, tc.coverage, tc.total, q.Items)
			}
		})
	}
	if _, err := QuoteFee(compile(t, template(t, TemplateConsumer)), nil, calendarDate{}, QuoteInput{TravelKm: -1}); err == nil {
		t.Error("QuoteFee(negative km) succeeded")
	}
	p := template(t, TemplateConsumer)
	u := unitFor(p, mustDate("2026-03-02"))
	_, err := QuoteFee(compile(t, p), &u, mustDate("2026-03-01"), QuoteInput{TravelKm: 1})
	if ve, ok := err.(*ValidationError); !ok || ve.Violations[0].Field != "service_time" {
		t.Errorf("QuoteFee(before the sale) error = %v, want service_time", err)
	}
}
