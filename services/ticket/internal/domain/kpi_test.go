package domain

import (
	"testing"
	"time"
)

func TestKPIs(t *testing.T) {
	targets := DefaultPolicy().KPI
	tests := []struct {
		name  string
		facts []Facts
		want  map[string]struct {
			count, sample int64
			flagged       bool
		}
	}{
		{
			name:  "timeliness 9 of 10 meets 90 %",
			facts: []Facts{{Kind: KindRepair, CustomerClocksMet: 9, CustomerClocksMissed: 1}},
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPITimeliness: {9, 10, false}},
		},
		{
			name:  "timeliness 8 of 9 misses 90 %",
			facts: []Facts{{Kind: KindRepair, CustomerClocksMet: 8, CustomerClocksMissed: 1}},
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPITimeliness: {8, 9, true}},
		},
		{
			name: "satisfaction 17 of 20 meets 85 %, 16 of 20 does not",
			facts: append(repeat(Facts{Kind: KindRepair, Surveyed: true, Satisfied: true}, 16),
				repeat(Facts{Kind: KindRepair, Surveyed: true}, 4)...),
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPISatisfaction: {16, 20, true}},
		},
		{
			name:  "complaint rate 3 of 100 is flagged (< 3 % required), 2 of 100 is not",
			facts: append(repeat(Facts{Kind: KindComplaint, ComplaintSubstantiated: true}, 3), repeat(Facts{Kind: KindRepair}, 97)...),
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPIComplaintRate: {3, 100, true}},
		},
		{
			name: "complaint rate 2 of 100",
			facts: append(append(repeat(Facts{Kind: KindComplaint, ComplaintSubstantiated: true}, 2), Facts{Kind: KindComplaint}),
				repeat(Facts{Kind: KindRepair}, 97)...),
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPIComplaintRate: {2, 100, false}},
		},
		{
			name: "first-visit fix and repeat failure",
			facts: []Facts{
				{Kind: KindRepair, Resolved: true, OnSite: true, FirstVisitFix: true},
				{Kind: KindRepair, Resolved: true, OnSite: true, RepeatFailure: true},
				{Kind: KindRepair, Resolved: true},
				{Kind: KindRepair, OnSite: true, FirstVisitFix: true}, // not resolved: not counted
			},
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPIFirstVisitFix: {1, 2, false}, KPIRepeatFailure: {1, 3, false}},
		},
		{
			name: "empty sample is never flagged",
			want: map[string]struct {
				count, sample int64
				flagged       bool
			}{KPITimeliness: {0, 0, false}, KPISatisfaction: {0, 0, false}, KPIComplaintRate: {0, 0, false}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Aggregate
			for _, f := range tc.facts {
				a.Add(f, 1)
			}
			got := map[string]KPI{}
			for _, k := range a.KPIs(targets) {
				got[k.Name] = k
			}
			for n, w := range tc.want {
				k := got[n]
				if k.Count != w.count || k.Sample != w.sample || k.Flagged != w.flagged {
					t.Errorf("%s = %d/%d flagged %v, want %d/%d flagged %v", n, k.Count, k.Sample, k.Flagged, w.count, w.sample, w.flagged)
				}
			}
		})
	}
}

func TestAggregateAddSubtractAndMeans(t *testing.T) {
	f1 := Facts{Kind: KindRepair, Responded: true, ResponseTime: time.Hour, Resolved: true, ResolveTime: 10 * time.Hour,
		Paused: map[PauseReason]time.Duration{PauseWaitingForParts: 2 * time.Hour}}
	f2 := Facts{Kind: KindRepair, Responded: true, ResponseTime: 3 * time.Hour, Resolved: true, ResolveTime: 20 * time.Hour,
		Paused: map[PauseReason]time.Duration{PauseWaitingForCustomer: time.Hour}}
	var a Aggregate
	a.Add(f1, 1)
	a.Add(f2, 1)
	if a.MeanTimeToRespond() != 2*time.Hour || a.MeanTimeToResolve() != 15*time.Hour {
		t.Errorf("means = %v, %v; want 2h, 15h", a.MeanTimeToRespond(), a.MeanTimeToResolve())
	}
	if a.PausedParts != 2*time.Hour || a.PausedCustomer != time.Hour {
		t.Errorf("pause by reason = %v, %v", a.PausedParts, a.PausedCustomer)
	}
	a.Add(f2, -1)
	var b Aggregate
	b.Add(f1, 1)
	if a != b {
		t.Errorf("Add then subtract = %+v, want %+v", a, b)
	}
	var m Aggregate
	m.Merge(b)
	m.Merge(b)
	if m.Tickets != 2 || m.ResolveTotal != 20*time.Hour {
		t.Errorf("Merge = %+v", m)
	}
	if (Aggregate{}).MeanTimeToRespond() != 0 || (Aggregate{}).MeanTimeToResolve() != 0 {
		t.Error("means of nothing must be 0")
	}
}

func TestSatisfied(t *testing.T) {
	tests := []struct {
		scores []int
		mean   float64
		ok     bool
	}{
		{[]int{4, 4, 4}, 4, true},
		{[]int{5, 3}, 4, true},
		{[]int{4, 3}, 3.5, false},
		{nil, 0, false},
	}
	for _, tc := range tests {
		if m, ok := Satisfied(tc.scores, 4); m != tc.mean || ok != tc.ok {
			t.Errorf("Satisfied(%v, 4) = %v, %v; want %v, %v", tc.scores, m, ok, tc.mean, tc.ok)
		}
	}
}

func TestNumbers(t *testing.T) {
	if got := FormatNumber(TicketPrefix, 2026, 123); got != "T-2026-000123" {
		t.Errorf("FormatNumber = %q", got)
	}
	if got := FormatNumber(ComplaintPrefix, 2026, 1234567); got != "C-2026-1234567" {
		t.Errorf("FormatNumber = %q", got)
	}
	p, y, n, ok := ParseNumber("T-2026-000123")
	if !ok || p != "T" || y != 2026 || n != 123 {
		t.Errorf("ParseNumber = %q %d %d %v", p, y, n, ok)
	}
	for _, bad := range []string{"", "T-26-000001", "T-2026-12", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "T-2026-00001x", "-2026-000001"} {
		if _, _, _, ok := ParseNumber(bad); ok {
			t.Errorf("ParseNumber(%q) ok, want not", bad)
		}
	}
}

func repeat(f Facts, n int) []Facts {
	out := make([]Facts, n)
	for i := range out {
		out[i] = f
	}
	return out
}
