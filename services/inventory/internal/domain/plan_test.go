package domain

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestPlanLate(t *testing.T) {
	p := DefaultPolicy() // 30 days, UTC+8
	season := Date{2027, time.March, 1}
	if got := PlanDue(season, p); got != (Date{2027, time.January, 30}) {
		t.Fatalf("PlanDue(%v) = %v, want 2027-01-30", season, got)
	}
	tests := []struct {
		name      string
		submitted time.Time
		want      bool
	}{
		{"well ahead", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), false},
		{"last minute of the due day (local)", time.Date(2027, 1, 30, 15, 59, 0, 0, time.UTC), false},
		{"first minute after the due day (local)", time.Date(2027, 1, 30, 16, 0, 0, 0, time.UTC), true},
		{"29 days before", time.Date(2027, 1, 31, 4, 0, 0, 0, time.UTC), true},
		{"after the season started", time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		if got := PlanLate(tt.submitted, season, p); got != tt.want {
			t.Errorf("%s: PlanLate(%v) = %v, want %v", tt.name, tt.submitted, got, tt.want)
		}
	}
	p.PlanLeadDays = 0
	if PlanLate(time.Date(2027, 2, 28, 15, 0, 0, 0, time.UTC), season, p) {
		t.Error("PlanLate with 0 lead days the day before the season = true")
	}
}

func TestDateCheck(t *testing.T) {
	if err := (Date{2027, time.April, 31}).Check("season_start"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Check(2027-04-31) = %v, want ErrInvalid", err)
	}
	if err := (Date{2028, time.February, 29}).Check("season_start"); err != nil {
		t.Errorf("Check(2028-02-29) = %v", err)
	}
	if err := (Date{2027, time.February, 29}).Check("season_start"); err == nil {
		t.Error("Check(2027-02-29) = nil")
	}
}

func TestShortfall(t *testing.T) {
	for _, tt := range []struct{ planned, onHand, want int64 }{{10, 0, 10}, {10, 4, 6}, {10, 10, 0}, {10, 12, 0}} {
		if got := Shortfall(tt.planned, tt.onHand); got != tt.want {
			t.Errorf("Shortfall(%d, %d) = %d, want %d", tt.planned, tt.onHand, got, tt.want)
		}
	}
}

func TestDistanceKM(t *testing.T) {
	jinan := Point{36.6512, 117.1201}
	tests := []struct {
		name string
		a, b Point
		want float64
		tol  float64
	}{
		{"same point", jinan, jinan, 0, 1e-9},
		{"Beijing to Shanghai", Point{39.9042, 116.4074}, Point{31.2304, 121.4737}, 1067, 5},
		{"one degree of latitude", Point{0, 0}, Point{1, 0}, 111.195, 0.01},
		{"antipodes", Point{0, 0}, Point{0, 180}, math.Pi * EarthRadiusKM, 1e-6},
		{"across the date line", Point{0, 179.5}, Point{0, -179.5}, 111.195, 0.01},
	}
	for _, tt := range tests {
		if got := DistanceKM(tt.a, tt.b); math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s: DistanceKM = %.3f, want %.3f±%g", tt.name, got, tt.want, tt.tol)
		}
	}
}
