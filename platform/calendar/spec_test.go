package calendar

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zone database
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q) = %v", name, err)
	}
	return loc
}

func TestSpecValidate(t *testing.T) {
	nine := []Span{Hours(9, 0, 17, 0)}
	base := func() Spec {
		s := Spec{Location: time.UTC}
		s.Week[time.Monday] = nine
		return s
	}
	tests := []struct {
		name      string
		edit      func(s *Spec)
		wantField string
		wantRule  string
	}{
		{"valid", func(*Spec) {}, "", ""},
		{"no location", func(s *Spec) { s.Location = nil }, "location", "required"},
		{"end before start", func(s *Spec) { s.Week[time.Monday] = []Span{Hours(17, 0, 9, 0)} }, "week[monday][0]", "must be after start"},
		{"empty span", func(s *Spec) { s.Week[time.Monday] = []Span{Hours(9, 0, 9, 0)} }, "week[monday][0]", "must be after start"},
		{"negative start", func(s *Spec) { s.Week[time.Sunday] = []Span{{-time.Hour, time.Hour}} }, "week[sunday][0]", "before 00:00"},
		{"past midnight", func(s *Spec) {
			s.Week[time.Tuesday] = []Span{Hours(8, 0, 12, 0), Hours(22, 0, 26, 0)}
		}, "week[tuesday][1]", "after 24:00"},
		{"overlap", func(s *Spec) {
			s.Week[time.Friday] = []Span{Hours(13, 0, 17, 0), Hours(8, 0, 13, 30)}
		}, "week[friday]", "08:00-13:30 and 13:00-17:00 overlap"},
		{"no hours at all", func(s *Spec) { s.Week = [7][]Span{} }, "week", "at least one weekday"},
		{"invalid holiday", func(s *Spec) { s.Holidays = []Date{d(2026, 1, 1), d(2025, 2, 29)} }, "holidays[1]", "2025-02-29 is not a valid date"},
		{"invalid extra workday", func(s *Spec) { s.ExtraWorkdays = []Date{{}} }, "extra_workdays[0]", "not a valid date"},
		{"extra workday is holiday", func(s *Spec) {
			s.Holidays = []Date{d(2026, 10, 1)}
			s.ExtraWorkdays = []Date{d(2026, 10, 1)}
		}, "extra_workdays[0]", "also a holiday"},
		{"extra workday without hours", func(s *Spec) {
			s.Week[time.Monday] = nil
			s.Week[time.Tuesday] = nine
			s.ExtraWorkdays = []Date{d(2026, 10, 10)}
		}, "extra_workdays[0]", "has no hours"},
		{"extra hours broken", func(s *Spec) { s.ExtraHours = []Span{Hours(10, 0, 9, 0)} }, "extra_hours[0]", "must be after start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.edit(&s)
			err := s.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a *FieldError", err)
			}
			if fe.Field != tt.wantField || !strings.Contains(fe.Rule, tt.wantRule) {
				t.Errorf("Validate() = %q, want field %q with rule containing %q", err, tt.wantField, tt.wantRule)
			}
			if _, err := New(s); !errors.As(err, &fe) {
				t.Errorf("New() = %v, want a *FieldError", err)
			}
		})
	}
}

func TestNewJoinsAndCopies(t *testing.T) {
	spans := []Span{Hours(12, 0, 17, 0), Hours(8, 0, 12, 0)}
	s := Spec{Location: time.UTC}
	s.Week[time.Monday] = spans
	c, err := New(s)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	spans[0] = Hours(1, 0, 2, 0) // the caller's slice must not leak into the calendar
	monday := d(2026, 11, 23)
	if got, want := c.Hours(monday), []Span{Hours(8, 0, 17, 0)}; !slices.Equal(got, want) {
		t.Errorf("Hours(%v) = %v, want %v", monday, got, want)
	}
	if got := c.Spec().Week[time.Monday]; !slices.Equal(got, []Span{Hours(12, 0, 17, 0), Hours(8, 0, 12, 0)}) {
		t.Errorf("Spec().Week[Monday] = %v, want the spans as given", got)
	}
}

func TestPresets(t *testing.T) {
	shanghai := mustLoad(t, "Asia/Shanghai")
	monday, saturday := d(2026, 11, 23), d(2026, 11, 28)
	tests := []struct {
		name        string
		cal         *Calendar
		day         Date
		want        []Span
		wantWorking bool
	}{
		{"always monday", Always(shanghai), monday, []Span{{0, Day}}, true},
		{"always saturday", Always(shanghai), saturday, []Span{{0, Day}}, true},
		{"9 to 17 monday", Weekdays9to17(shanghai), monday, []Span{Hours(9, 0, 17, 0)}, true},
		{"9 to 17 saturday", Weekdays9to17(shanghai), saturday, nil, false},
		{"5x8 monday", FiveByEight(shanghai), monday, []Span{Hours(8, 30, 12, 0), Hours(13, 0, 17, 30)}, true},
		{"7x8 saturday", SevenByEight(shanghai), saturday, []Span{Hours(9, 0, 17, 0)}, true},
		{"nil location is utc", Weekdays9to17(nil), monday, []Span{Hours(9, 0, 17, 0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cal.Hours(tt.day); !slices.Equal(got, tt.want) {
				t.Errorf("Hours(%v) = %v, want %v", tt.day, got, tt.want)
			}
			if got := tt.cal.IsWorkingDay(tt.day); got != tt.wantWorking {
				t.Errorf("IsWorkingDay(%v) = %v, want %v", tt.day, got, tt.wantWorking)
			}
			if err := tt.cal.Spec().Validate(); err != nil {
				t.Errorf("Spec().Validate() = %v, want nil", err)
			}
		})
	}
	if got := Always(nil).Location(); got != time.UTC {
		t.Errorf("Always(nil).Location() = %v, want UTC", got)
	}
}
