package domain

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestVisitCostOf: parts at cost, labour per started quarter hour, travel = call-out + km.
func TestVisitCostOf(t *testing.T) {
	cp := compile(t, template(t, TemplateConsumer))
	// Consumer template: labour 80.00/h, travel 1.50/km + 50.00 call-out.
	got := VisitCostOf(cp, 100*time.Minute, 30, 120_00)
	want := Cost{Parts: 120_00, Labour: 140_00, Travel: 95_00}
	if got != want {
		t.Errorf("VisitCostOf(1h40, 30 km, 120.00) = %+v, want %+v", got, want)
	}
	if got := VisitCostOf(cp, 0, 0, 0); got != (Cost{}) {
		t.Errorf("VisitCostOf(nothing) = %+v, want zero (no call-out without travel)", got)
	}
}

// TestSumVisits: the real cost of visits, less charge-backs and supplier recoveries, blocked by
// overdue old parts; a failed visit is a repair that is not a first-time fix; maintenance is
// not a repair; paid visits are the customer's.
func TestSumVisits(t *testing.T) {
	c := func(p, l, tr int64) Cost { return Cost{Parts: p, Labour: l, Travel: tr} }
	v := func(unit, ticket, job, fault string, k VisitKind, o RepairOutcome, date string, cost Cost) Visit {
		return Visit{UnitID: unit, Model: "M1", Batch: "B1", TicketID: ticket, JobID: job, FaultCode: fault, Kind: k, Outcome: o,
			Date: mustDate(date), Cost: cost, InRange: true}
	}
	// Unit 1: repaired (T1), failed visit then second repair (T2), maintenance.
	r1 := v("u1", "T1", "J1", "F", VisitRepair, OutcomeFixed, "2026-05-01", c(100_00, 80_00, 80_00))
	f2 := v("u1", "T2", "J2", "F", VisitRepair, OutcomeNotFixed, "2026-06-01", c(50_00, 40_00, 80_00))
	r3 := v("u1", "T2", "J3", "F", VisitRepair, OutcomeFixed, "2026-06-03", c(0, 80_00, 80_00))
	m4 := v("u1", "T3", "J4", NoFaultCode, VisitMaintenance, OutcomeFixed, "2026-06-10", c(10_00, 20_00, 0))
	// Unit 2: one repair, its old part overdue; one paid repair of another fault.
	r5 := v("u2", "T4", "J5", "F", VisitRepair, OutcomeFixed, "2026-05-05", c(200_00, 40_00, 60_00))
	r5.Overdue = true
	p6 := v("u2", "T5", "J6", "G", VisitRepair, OutcomeFixed, "2026-05-06", c(30_00, 40_00, 60_00))
	p6.Paid = true
	charged := f2
	charged.ChargedBack = 50_00
	recovered := r1
	recovered.SupplierRecovered = 60_00
	old := r1
	old.InRange = false

	tests := []struct {
		name   string
		visits []Visit
		want   CostFigures
		net    int64
		wo     int64
	}{
		{name: "none", want: CostFigures{}},
		{name: "one repair", visits: []Visit{r1},
			want: CostFigures{Visits: 1, Repairs: 1, Cost: c(100_00, 80_00, 80_00), FirstTimeFixRate: 1}, net: 260_00, wo: 260_00},
		{name: "repair, failed visit, second repair, maintenance", visits: []Visit{m4, r3, f2, r1},
			want: CostFigures{Visits: 4, Repairs: 3, Cost: c(160_00, 220_00, 240_00), RepeatRepairRate: 2.0 / 3, FirstTimeFixRate: 0.5},
			net:  620_00, wo: 620_00},
		{name: "charge-back and supplier recovery", visits: []Visit{recovered, charged, r3},
			want: CostFigures{Visits: 3, Repairs: 3, Cost: c(150_00, 200_00, 240_00), ChargedBack: 50_00, SupplierRecovered: 60_00,
				RepeatRepairRate: 2.0 / 3, FirstTimeFixRate: 0.5},
			net: 480_00, wo: 480_00},
		{name: "overdue old part blocks the write-off; paid visit is the customer's", visits: []Visit{r5, p6},
			want: CostFigures{Visits: 2, Repairs: 2, Cost: c(200_00, 40_00, 60_00), BlockedVisits: 1, Blocked: 300_00, BlockedJobs: []string{"J5"},
				FirstTimeFixRate: 1},
			net: 300_00, wo: 0},
		{name: "an earlier repair outside the range makes a repeat", visits: []Visit{old, f2},
			want: CostFigures{Visits: 1, Repairs: 1, Cost: c(50_00, 40_00, 80_00), RepeatRepairRate: 1, FirstTimeFixRate: 0},
			net:  170_00, wo: 170_00},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SumVisits(tc.visits)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SumVisits() (-want +got):\n%s", diff)
			}
			if got.Net() != tc.net || got.WrittenOff() != tc.wo {
				t.Errorf("SumVisits() net %d written off %d, want %d and %d", got.Net(), got.WrittenOff(), tc.net, tc.wo)
			}
		})
	}

	by := SumVisitsBy([]Visit{r1, r5, {UnitID: "u3", Batch: "B2", Kind: VisitRepair, Outcome: OutcomeNotFixed, FaultCode: "F", JobID: "J9", Date: mustDate("2026-05-01"), InRange: true}},
		func(v Visit) string { return v.Batch })
	if len(by) != 2 || by[0].Key != "B1" || by[0].Visits != 2 || by[1].Key != "B2" || by[1].FirstTimeFixRate != 0 {
		t.Errorf("SumVisitsBy(batch) = %+v, want B1 with 2 visits and B2 with a first-time-fix rate of 0", by)
	}
}
