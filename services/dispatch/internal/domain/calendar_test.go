package domain

import (
	"errors"
	"testing"
	"time"
)

// weekdays8to17 is Mon–Fri 08:30–17:30 in Asia/Shanghai (a seed's service hours).
func weekdays830to1730(t *testing.T, daysOff ...Day) Calendar {
	t.Helper()
	var hs []WeeklyHours
	for d := 1; d <= 5; d++ {
		hs = append(hs, WeeklyHours{Weekday: d, StartMin: 510, EndMin: 1050})
	}
	c, err := NewCalendar("Asia/Shanghai", hs, daysOff)
	if err != nil {
		t.Fatalf("NewCalendar: %v", err)
	}
	return c
}

func TestCalendarNextWorking(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, sh) } // 2026-11-23 is a Monday
	cal := weekdays830to1730(t, Day{Year: 2026, Month: time.November, Day: 25})
	tests := []struct {
		name    string
		from    time.Time
		horizon time.Duration
		want    time.Time
		ok      bool
	}{
		{"inside hours", at(23, 10, 0), 24 * time.Hour, at(23, 10, 0), true},
		{"at opening", at(23, 8, 30), 24 * time.Hour, at(23, 8, 30), true},
		{"one minute before opening", at(23, 8, 29), 24 * time.Hour, at(23, 8, 30), true},
		{"at closing (end exclusive)", at(23, 17, 30), 24 * time.Hour, at(24, 8, 30), true},
		{"one minute before closing", at(23, 17, 29), 24 * time.Hour, at(23, 17, 29), true},
		{"evening before day off skips it", at(24, 18, 0), 72 * time.Hour, at(26, 8, 30), true},
		{"friday evening to monday", at(27, 18, 0), 72 * time.Hour, at(30, 8, 30), true},
		{"horizon too short", at(27, 18, 0), 24 * time.Hour, time.Time{}, false},
		{"horizon exactly to opening", at(27, 17, 30), 63 * time.Hour, at(30, 8, 30), true},
		{"horizon one minute short", at(27, 17, 30), 63*time.Hour - time.Minute, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cal.NextWorking(tt.from, tt.horizon)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Fatalf("NextWorking(%s, %s) = %s, %v; want %s, %v", tt.from, tt.horizon, got, ok, tt.want, tt.ok)
			}
			if ok && !cal.IsWorking(got) {
				t.Fatalf("IsWorking(%s) = false for a NextWorking result", got)
			}
		})
	}
}

func TestNewCalendarRejects(t *testing.T) {
	tests := []struct {
		name  string
		zone  string
		hours []WeeklyHours
	}{
		{"unknown zone", "Mars/Olympus", []WeeklyHours{{1, 0, 60}}},
		{"weekday 0", "", []WeeklyHours{{0, 0, 60}}},
		{"weekday 8", "", []WeeklyHours{{8, 0, 60}}},
		{"end before start", "", []WeeklyHours{{1, 600, 500}}},
		{"end equals start", "", []WeeklyHours{{1, 600, 600}}},
		{"end past midnight", "", []WeeklyHours{{1, 600, 1441}}},
		{"weekday twice", "", []WeeklyHours{{1, 0, 60}, {1, 120, 180}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCalendar(tt.zone, tt.hours, nil); !errors.Is(err, ErrInvalid) {
				t.Fatalf("NewCalendar(%q, %v) error = %v, want ErrInvalid", tt.zone, tt.hours, err)
			}
		})
	}
}
