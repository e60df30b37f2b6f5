package domain

import (
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// FuzzParseNumber: parsing never panics and round-trips what FormatNumber makes.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"T-2026-000123", "C-2026-1234567", "", "T--", "x-0000-000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, y, n, ok := ParseNumber(s)
		if ok && y < 10000 {
			if _, _, n2, ok2 := ParseNumber(FormatNumber(p, y, n)); !ok2 || n2 != n {
				t.Errorf("round trip of %q failed", s)
			}
		}
	})
}

// FuzzClockStatus: any sequence of clock actions gives a status without error or panic whose
// counted time never exceeds the wall time since the start, on a working-time calendar.
func FuzzClockStatus(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, uint16(90))
	f.Add([]byte{1, 5, 2, 3, 6}, uint16(600))
	cal := calendar.FiveByEight(time.UTC)
	f.Fuzz(func(t *testing.T, ops []byte, step uint16) {
		t0 := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
		for _, basis := range []Basis{BasisElapsed, BasisWorkingTime, BasisWorkingDays} {
			c := Clock{Spec: ClockSpec{Name: "f", Basis: basis, Target: 8 * time.Hour, WorkingDays: 3, WarnFraction: 0.8}}
			at := t0
			for _, op := range ops {
				at = at.Add(time.Duration(step) * time.Minute)
				_ = c.Apply(Action(op%6+1), at, PauseReason(op%3+1))
			}
			now := at.Add(time.Hour)
			st, err := c.Status(now, cal)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if st.State != 0 && st.Elapsed > now.Sub(st.Start) {
				t.Errorf("elapsed %v exceeds wall time %v", st.Elapsed, now.Sub(st.Start))
			}
		}
	})
}

// FuzzProgrammeOccur: any programme and settings give, for every n, either no occurrence or one
// due on a working day on or after its nominal date and after the previous one, made on or
// before its due date; never a panic.
func FuzzProgrammeOccur(f *testing.F) {
	f.Add(1, 2030, 3, 10, 0, false, "engine", 3, 1, 14)
	f.Add(2, 2031, 8, 31, 2, true, "", 5, 7, 0)
	f.Fuzz(func(t *testing.T, kind, year, month, day, wendYears int, key bool, line string, inPerYear, afterPerYear, lead int) {
		if year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 {
			return
		}
		s := ProgrammeSettings{InWarrantyPerYear: abs(inPerYear) % 13, AfterWarrantyPerYear: abs(afterPerYear) % 13,
			InspectionLeadDays: abs(lead) % 181, KeyPerYear: abs(inPerYear+afterPerYear) % 13}
		start := calendar.NewDate(year, time.Month(month), day)
		p := Programme{Kind: ProgrammeKind(abs(kind) % 4), Start: start, Key: key, ProductLine: line}
		if wendYears > 0 {
			p.WarrantyEnd = start.AddYears(wendYears % 20)
		}
		cal := calendar.Weekdays9to17(time.UTC)
		var prev calendar.Date
		for n := 1; n <= 12; n++ {
			o, ok, err := s.Occur(cal, p, n)
			if err != nil || !ok {
				return
			}
			nom, _ := s.Nominal(p, n)
			if !cal.IsWorkingDay(o.Due) || o.Due.Before(nom) || o.Make.After(o.Due) || (n > 1 && !o.Due.After(prev)) {
				t.Fatalf("Occur(%+v, %d) = %+v (nominal %s, previous %s)", p, n, o, nom, prev)
			}
			prev = o.Due
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
