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
