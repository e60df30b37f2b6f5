package domain

import (
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/svctest"
)

// likeYear2025 is the first year from the test world's present that has the weekdays of 2025
// followed by a year with those of 2026 (1 January a Wednesday, neither year a leap year), so
// that the tables below name real weekdays in any world.
func likeYear2025(t *testing.T) int {
	t.Helper()
	leap := func(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
	for y := svctest.Epoch().Year(); y < svctest.Epoch().Year()+200; y++ {
		if calendar.NewDate(y, 1, 1).Weekday() == time.Wednesday && !leap(y) && !leap(y+1) {
			return y
		}
	}
	t.Fatal("no year like 2025 within 200 years")
	return 0
}

// deskCalendars returns the desk's Mon–Fri 09:00–17:00 calendar in Beijing plain and with the
// 国庆 holidays (1–7 October, Wednesday to Tuesday) and their make-up working days (Sunday 28
// September, Saturday 11 October), and New Year's Day of the next year.
func deskCalendars(t *testing.T, y int) (plain, holidays *calendar.Calendar) {
	t.Helper()
	plain = calendar.Weekdays9to17(shanghai(t))
	s := plain.Spec()
	for d := 1; d <= 7; d++ {
		s.Holidays = append(s.Holidays, calendar.NewDate(y, 10, d))
	}
	s.Holidays = append(s.Holidays, calendar.NewDate(y+1, 1, 1))
	s.ExtraWorkdays = []calendar.Date{calendar.NewDate(y, 9, 28), calendar.NewDate(y, 10, 11)}
	holidays, err := calendar.New(s)
	if err != nil {
		t.Fatalf("calendar.New: %v", err)
	}
	return plain, holidays
}

// TestFollowUpDueDate: a follow-up is due the 15th working day after the delivery or closure.
func TestFollowUpDueDate(t *testing.T) {
	y := likeYear2025(t)
	plain, hol := deskCalendars(t, y)
	d := func(m time.Month, day int) calendar.Date { return calendar.NewDate(y, m, day) }
	next := func(m time.Month, day int) calendar.Date { return calendar.NewDate(y+1, m, day) }
	tests := []struct {
		name string
		cal  *calendar.Calendar
		from calendar.Date
		days int
		want calendar.Date
	}{
		{"three plain weeks from a Monday", plain, d(3, 3), 15, d(3, 24)},
		{"Friday before 国庆 without holidays", plain, d(9, 26), 15, d(10, 17)},
		{"Friday before 国庆: make-up Sunday counts, 1–7 Oct do not, make-up Saturday counts", hol, d(9, 26), 15, d(10, 22)},
		{"delivered on a holiday", hol, d(10, 3), 15, d(10, 27)},
		{"closed at the year end, New Year's Day off", hol, d(12, 24), 15, next(1, 15)},
		{"zero days is the day itself", hol, d(9, 26), 0, d(9, 26)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FollowUpDueDate(tc.cal, tc.from, tc.days)
			if err != nil {
				t.Fatalf("FollowUpDueDate: %v", err)
			}
			if got != tc.want {
				t.Errorf("FollowUpDueDate(%s, %d) = %s, want %s", tc.from, tc.days, got, tc.want)
			}
		})
	}
}

// TestProgrammeOccurrences: revisits (key customers quarterly; others three times a year inside
// the warranty and once a year after it, lifelong for engines) and twice-yearly inspections,
// moved on to working days, inspections made 14 days ahead.
func TestProgrammeOccurrences(t *testing.T) {
	y := likeYear2025(t)
	_, hol := deskCalendars(t, y)
	d := func(yy int, m time.Month, day int) calendar.Date { return calendar.NewDate(y+yy, m, day) }
	s := DefaultProgrammes()
	key := Programme{Kind: ProgrammeRevisit, Start: d(0, 1, 15), Key: true}
	regular := Programme{Kind: ProgrammeRevisit, Start: d(0, 3, 10), WarrantyEnd: d(1, 3, 10)}
	engine := regular
	engine.ProductLine = "engine"
	until := regular
	until.End = d(1, 12, 31)
	insp := func(start calendar.Date) Programme { return Programme{Kind: ProgrammeInspection, Start: start} }
	tests := []struct {
		name     string
		p        Programme
		n        int
		wantOK   bool
		wantDue  calendar.Date
		wantMake calendar.Date
	}{
		{"key customer, 1st quarter", key, 1, true, d(0, 4, 15), d(0, 4, 15)},
		{"key customer, 3rd quarter in 国庆 month", key, 3, true, d(0, 10, 15), d(0, 10, 15)},
		{"key customer, a year on", key, 4, true, d(1, 1, 15), d(1, 1, 15)},
		{"in warranty, 1st of 3", regular, 1, true, d(0, 7, 10), d(0, 7, 10)},
		{"in warranty, 2nd of 3", regular, 2, true, d(0, 11, 10), d(0, 11, 10)},
		{"in warranty, 3rd on the warranty's last day", regular, 3, true, d(1, 3, 10), d(1, 3, 10)},
		{"the first yearly revisit after warranty", regular, 4, true, d(2, 3, 10), d(2, 3, 10)},
		{"past the three years after warranty", regular, 7, false, calendar.Date{}, calendar.Date{}},
		{"an explicit end stops revisits", until, 4, false, calendar.Date{}, calendar.Date{}},
		{"inspection half a year on, made 14 days ahead", insp(d(0, 6, 30)), 1, true, d(0, 12, 30), d(0, 12, 16)},
		{"inspection a year on", insp(d(0, 6, 30)), 2, true, d(1, 6, 30), d(1, 6, 16)},
		{"inspection due on 国庆 moves to 8 October", insp(d(0, 4, 1)), 1, true, d(0, 10, 8), d(0, 9, 24)},
		{"inspection due on New Year's Day moves to 2 January", insp(d(0, 7, 1)), 1, true, d(1, 1, 2), d(0, 12, 19)},
		{"inspection from 31 August: 28 February is a Saturday", insp(d(0, 8, 31)), 1, true, d(1, 3, 2), d(1, 2, 16)},
		{"inspection from 31 August, a year on", insp(d(0, 8, 31)), 2, true, d(1, 8, 31), d(1, 8, 17)},
		{"occurrence 0 does not exist", insp(d(0, 6, 30)), 0, false, calendar.Date{}, calendar.Date{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, ok, err := s.Occur(hol, tc.p, tc.n)
			if err != nil {
				t.Fatalf("Occur: %v", err)
			}
			if ok != tc.wantOK {
				t.Fatalf("Occur(%d) ok = %v, want %v (%+v)", tc.n, ok, tc.wantOK, o)
			}
			if !ok {
				return
			}
			if o.Due != tc.wantDue || o.Make != tc.wantMake || o.Sequence != tc.n {
				t.Errorf("Occur(%d) = due %s make %s #%d, want due %s make %s", tc.n, o.Due, o.Make, o.Sequence, tc.wantDue, tc.wantMake)
			}
		})
	}
}

// TestLifelong: an engine's revisits never end; another line's end three years after warranty.
func TestLifelong(t *testing.T) {
	s := DefaultProgrammes()
	y := likeYear2025(t)
	start, wend := calendar.NewDate(y, 3, 10), calendar.NewDate(y+1, 3, 10)
	engine := Programme{Kind: ProgrammeRevisit, Start: start, WarrantyEnd: wend, ProductLine: "engine"}
	if got, ok := s.Nominal(engine, 40); !ok || got != calendar.NewDate(y+38, 3, 10) {
		t.Errorf("engine Nominal(40) = %s, %v; want %d-03-10", got, ok, y+38)
	}
	other := engine
	other.ProductLine = "instrument"
	if got, ok := s.Nominal(other, 6); !ok || got != calendar.NewDate(y+4, 3, 10) {
		t.Errorf("instrument Nominal(6) = %s, %v; want %d-03-10", got, ok, y+4)
	}
	if got, ok := s.Nominal(other, 7); ok {
		t.Errorf("instrument Nominal(7) = %s, want none", got)
	}
}

// TestProgrammeSettingsPolicy: the frequencies are settings; the seeds' numbers are defaults.
func TestProgrammeSettingsPolicy(t *testing.T) {
	y := likeYear2025(t)
	_, hol := deskCalendars(t, y)
	s := ProgrammeSettings{InWarrantyPerYear: 2, KeyPerYear: 6}.WithDefaults()
	if s.AfterWarrantyPerYear != 1 || s.DeliveryDays != 15 || !s.Lifelong("engine") || s.Lifelong("instrument") {
		t.Fatalf("WithDefaults = %+v", s)
	}
	p := Programme{Kind: ProgrammeRevisit, Start: calendar.NewDate(y, 3, 10), WarrantyEnd: calendar.NewDate(y+1, 3, 10)}
	o, ok, err := s.Occur(hol, p, 1)
	if err != nil || !ok || o.Due != calendar.NewDate(y, 9, 10) {
		t.Errorf("twice a year: Occur(1) = %+v, %v, %v; want %d-09-10", o, ok, err, y)
	}
	p.Key = true
	o, _, _ = s.Occur(hol, p, 1)
	if o.Due != calendar.NewDate(y, 5, 12) { // 10 May is a Saturday
		t.Errorf("key six a year: Occur(1) = %s, want %d-05-12", o.Due, y)
	}
}

// TestAfterCall: the follow-up's states on each call.
func TestAfterCall(t *testing.T) {
	tests := []struct {
		name            string
		st              FollowUpState
		reached, giveUp bool
		attempts, max   int
		want            FollowUpState
		wantErr         bool
	}{
		{"reached first time", FollowUpDue, true, false, 1, 3, FollowUpDone, false},
		{"not reached, attempts left", FollowUpDue, false, false, 1, 3, FollowUpDue, false},
		{"not reached, last attempt", FollowUpDue, false, false, 3, 3, FollowUpGivenUp, false},
		{"not reached, given up early", FollowUpDue, false, true, 1, 3, FollowUpGivenUp, false},
		{"reached on the last attempt", FollowUpDue, true, false, 3, 3, FollowUpDone, false},
		{"already done", FollowUpDone, true, false, 2, 3, FollowUpDone, true},
		{"already given up", FollowUpGivenUp, true, false, 4, 3, FollowUpGivenUp, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AfterCall(tc.st, tc.reached, tc.giveUp, tc.attempts, tc.max)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("AfterCall = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestSurveyReminder: reminders every 3 working days across 国庆.
func TestSurveyReminder(t *testing.T) {
	y := likeYear2025(t)
	_, hol := deskCalendars(t, y)
	sh := shanghai(t)
	req := time.Date(y, 9, 26, 10, 0, 0, 0, sh) // a Friday
	for n, want := range map[int]time.Time{
		1: time.Date(y, 9, 30, 10, 0, 0, 0, sh),  // Sun 28 (make-up), Mon 29, Tue 30
		2: time.Date(y, 10, 10, 10, 0, 0, 0, sh), // 8, 9, 10 October
		3: time.Date(y, 10, 14, 10, 0, 0, 0, sh), // Sat 11 (make-up), 13, 14
	} {
		got, err := SurveyReminder(hol, req, 3, n)
		if err != nil || !got.Equal(want) {
			t.Errorf("SurveyReminder(%d) = %v, %v; want %v", n, got, err, want)
		}
	}
}

// BenchmarkOccur measures dating one occurrence of a revisit programme (in and after warranty)
// on a calendar with holidays and make-up days.
func BenchmarkOccur(b *testing.B) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	s := calendar.Weekdays9to17(loc).Spec()
	y := svctest.Epoch().Year()
	for d := 1; d <= 7; d++ {
		s.Holidays = append(s.Holidays, calendar.NewDate(y, 10, d))
	}
	cal, err := calendar.New(s)
	if err != nil {
		b.Fatal(err)
	}
	set := DefaultProgrammes()
	p := Programme{Kind: ProgrammeRevisit, Start: calendar.NewDate(y, 3, 10), ProductLine: "engine"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := set.Occur(cal, p, 1+i%40); err != nil {
			b.Fatal(err)
		}
	}
}
