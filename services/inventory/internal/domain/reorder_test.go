package domain

import (
	"math"
	"testing"
	"time"
)

func TestSuggestReorder(t *testing.T) {
	p := DefaultPolicy() // window 90 days, safety 7 days, cover 30 days, lead 7 days
	tests := []struct {
		name string
		in   ReorderInput
		want Reorder
	}{
		{
			name: "no demand never reorders",
			in:   ReorderInput{OnHand: 0},
			want: Reorder{WindowDays: 90, LeadTimeDays: 7},
		},
		{
			name: "one a day, stock above reorder point",
			in:   ReorderInput{OnHand: 15, WindowDemand: 90},
			want: Reorder{Available: 15, WindowDemand: 90, WindowDays: 90, DailyDemand: 1, LeadTimeDays: 7, SafetyStock: 7, ReorderPoint: 14},
		},
		{
			name: "one a day, at the reorder point",
			in:   ReorderInput{OnHand: 14, WindowDemand: 90},
			want: Reorder{Available: 14, WindowDemand: 90, WindowDays: 90, DailyDemand: 1, LeadTimeDays: 7, SafetyStock: 7, ReorderPoint: 14, OrderQuantity: 30, Below: true},
		},
		{
			name: "reserved stock counts as gone",
			in:   ReorderInput{OnHand: 20, Reserved: 10, WindowDemand: 90},
			want: Reorder{Available: 10, WindowDemand: 90, WindowDays: 90, DailyDemand: 1, LeadTimeDays: 7, SafetyStock: 7, ReorderPoint: 14, OrderQuantity: 34, Below: true},
		},
		{
			name: "part lead time and order multiple",
			in:   ReorderInput{OnHand: 0, WindowDemand: 180, LeadTimeDays: 14, MinOrderQuantity: 25},
			// d=2, SS=14, ROP=28+14=42, Q=42+60-0=102 -> 125
			want: Reorder{WindowDemand: 180, WindowDays: 90, DailyDemand: 2, LeadTimeDays: 14, SafetyStock: 14, ReorderPoint: 42, OrderQuantity: 125, Below: true},
		},
		{
			name: "slow mover rounds up",
			in:   ReorderInput{OnHand: 2, WindowDemand: 3},
			// d=1/30, SS=ceil(7/30)=1, ROP=ceil(7/30)+1=2, Q=2+1-2=1
			want: Reorder{Available: 2, WindowDemand: 3, WindowDays: 90, DailyDemand: 3.0 / 90, LeadTimeDays: 7, SafetyStock: 1, ReorderPoint: 2, OrderQuantity: 1, Below: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SuggestReorder(tt.in, p)
			if math.Abs(got.DailyDemand-tt.want.DailyDemand) < 1e-12 {
				got.DailyDemand = tt.want.DailyDemand
			}
			if got != tt.want {
				t.Fatalf("SuggestReorder(%+v) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSuggestReorderSettings(t *testing.T) {
	p := DefaultPolicy()
	p.ReorderWindowDays = 30
	p.SafetyDays = 0
	p.CoverDays = 10
	p.DefaultLeadTimeDays = 3
	got := SuggestReorder(ReorderInput{OnHand: 1, WindowDemand: 60}, p) // d=2, ROP=6, Q=6+20-1=25
	if got.ReorderPoint != 6 || got.OrderQuantity != 25 || !got.Below {
		t.Fatalf("SuggestReorder with custom policy = %+v", got)
	}
}

func TestCrossedReorderPoint(t *testing.T) {
	above, below := Reorder{Below: false}, Reorder{Below: true}
	if !CrossedReorderPoint(above, below) || CrossedReorderPoint(below, below) || CrossedReorderPoint(below, above) || CrossedReorderPoint(above, above) {
		t.Fatal("CrossedReorderPoint table is wrong")
	}
}

func TestDemandWindow(t *testing.T) {
	asOf := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	start, end := DemandWindow(asOf, DefaultPolicy())
	if !end.Equal(asOf) || !start.Equal(asOf.AddDate(0, 0, -90)) {
		t.Fatalf("DemandWindow = %v, %v", start, end)
	}
}
