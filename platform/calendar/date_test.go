package calendar

import (
	"testing"
	"time"
)

func d(y int, m time.Month, day int) Date { return Date{Year: y, Month: m, Day: day} }

func TestDateAddMonths(t *testing.T) {
	tests := []struct {
		name string
		in   Date
		n    int
		want Date
	}{
		{"same day next month", d(2026, 3, 15), 1, d(2026, 4, 15)},
		{"jan 31 to feb 28 common year", d(2025, 1, 31), 1, d(2025, 2, 28)},
		{"jan 31 to feb 29 leap year", d(2024, 1, 31), 1, d(2024, 2, 29)},
		{"mar 31 to apr 30", d(2026, 3, 31), 1, d(2026, 4, 30)},
		{"over year end", d(2026, 11, 30), 3, d(2027, 2, 28)},
		{"leap day plus one year", d(2024, 2, 29), 12, d(2025, 2, 28)},
		{"leap day plus four years", d(2024, 2, 29), 48, d(2028, 2, 29)},
		{"18 months after delivery", d(2025, 8, 31), 18, d(2027, 2, 28)},
		{"backwards over year start", d(2026, 1, 31), -2, d(2025, 11, 30)},
		{"backwards to leap feb", d(2024, 3, 31), -1, d(2024, 2, 29)},
		{"zero", d(2026, 5, 31), 0, d(2026, 5, 31)},
		{"minus twelve from leap day", d(2024, 2, 29), -12, d(2023, 2, 28)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.AddMonths(tt.n); got != tt.want {
				t.Errorf("%v.AddMonths(%d) = %v, want %v", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestDateAddYears(t *testing.T) {
	tests := []struct {
		name string
		in   Date
		n    int
		want Date
	}{
		{"one year", d(2026, 6, 1), 1, d(2027, 6, 1)},
		{"leap day to common year", d(2024, 2, 29), 1, d(2025, 2, 28)},
		{"three years paid warranty", d(2025, 2, 28), 3, d(2028, 2, 28)},
		{"leap day back", d(2028, 2, 29), -1, d(2027, 2, 28)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.AddYears(tt.n); got != tt.want {
				t.Errorf("%v.AddYears(%d) = %v, want %v", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestDateAddDays(t *testing.T) {
	tests := []struct {
		name string
		in   Date
		n    int
		want Date
	}{
		{"next day", d(2026, 11, 23), 1, d(2026, 11, 24)},
		{"into leap day", d(2024, 2, 28), 1, d(2024, 2, 29)},
		{"over leap day", d(2024, 2, 28), 2, d(2024, 3, 1)},
		{"common year feb", d(2025, 2, 28), 1, d(2025, 3, 1)},
		{"warranty card 20 days", d(2026, 12, 20), 20, d(2027, 1, 9)},
		{"backwards over year", d(2026, 1, 1), -1, d(2025, 12, 31)},
		{"whole leap year", d(2024, 1, 1), 366, d(2025, 1, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.AddDays(tt.n); got != tt.want {
				t.Errorf("%v.AddDays(%d) = %v, want %v", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestDaysBetween(t *testing.T) {
	tests := []struct {
		name     string
		from, to Date
		want     int
	}{
		{"same day", d(2026, 1, 1), d(2026, 1, 1), 0},
		{"consecutive", d(2026, 1, 1), d(2026, 1, 2), 1},
		{"backwards", d(2026, 1, 2), d(2026, 1, 1), -1},
		{"leap year", d(2024, 1, 1), d(2025, 1, 1), 366},
		{"common year", d(2025, 1, 1), d(2026, 1, 1), 365},
		{"before epoch", d(1969, 12, 31), d(1970, 1, 1), 1},
		{"across centuries", d(1900, 3, 1), d(2100, 3, 1), 73049},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DaysBetween(tt.from, tt.to); got != tt.want {
				t.Errorf("DaysBetween(%v, %v) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestDateValid(t *testing.T) {
	tests := []struct {
		name string
		in   Date
		want bool
	}{
		{"ordinary", d(2026, 11, 23), true},
		{"leap day in leap year", d(2024, 2, 29), true},
		{"leap day in common year", d(2025, 2, 29), false},
		{"century not leap", d(1900, 2, 29), false},
		{"400 years leap", d(2000, 2, 29), true},
		{"zero", Date{}, false},
		{"month 13", d(2026, 13, 1), false},
		{"day 0", d(2026, 1, 0), false},
		{"april 31", d(2026, 4, 31), false},
		{"year 10000", d(10000, 1, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.Valid(); got != tt.want {
				t.Errorf("%v.Valid() = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewDateNormalises(t *testing.T) {
	if got, want := NewDate(2025, 2, 30), d(2025, 3, 2); got != want {
		t.Errorf("NewDate(2025, 2, 30) = %v, want %v", got, want)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"2026-02-28", d(2026, 2, 28), false},
		{"2024-02-29", d(2024, 2, 29), false},
		{"2025-02-29", Date{}, true},
		{"2026-2-28", Date{}, true},
		{"", Date{}, true},
		{"2026-11-23T00:00:00Z", Date{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v, want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDateCompare(t *testing.T) {
	a, b := d(2026, 1, 31), d(2026, 2, 1)
	if !a.Before(b) || a.After(b) || a.Equal(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("comparisons of %v and %v are inconsistent", a, b)
	}
	if !d(2025, 12, 31).Before(d(2026, 1, 1)) || !d(2026, 3, 1).After(d(2026, 2, 28)) {
		t.Error("year and month comparisons are wrong")
	}
	if got := d(2026, 3, 5).String(); got != "2026-03-05" {
		t.Errorf("String() = %q, want %q", got, "2026-03-05")
	}
	if got := d(2026, 11, 23).Weekday(); got != time.Monday {
		t.Errorf("2026-11-23.Weekday() = %v, want Monday", got)
	}
}

func TestDateOfAndTime(t *testing.T) {
	shanghai := mustLoad(t, "Asia/Shanghai")
	newYork := mustLoad(t, "America/New_York")
	instant := time.Date(2026, 11, 23, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		want Date
	}{
		{"shanghai is next day", shanghai, d(2026, 11, 24)},
		{"new york same day", newYork, d(2026, 11, 23)},
		{"nil keeps utc", nil, d(2026, 11, 23)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DateOf(instant, tt.loc); got != tt.want {
				t.Errorf("DateOf(%v, %v) = %v, want %v", instant, tt.loc, got, tt.want)
			}
		})
	}
	if got, want := d(2026, 11, 24).Time(shanghai), time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Time(Shanghai) = %v, want %v", got, want)
	}
	if got, want := d(2026, 11, 24).Time(nil), time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Time(nil) = %v, want %v", got, want)
	}
}
