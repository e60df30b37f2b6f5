package domain

import (
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	return loc
}

// step is one clock action in a test history.
type step struct {
	a      Action
	at     string
	reason PauseReason
}

// TestClockStatus checks SLA arithmetic on calendars: overnight, weekends, holidays,
// pause/resume, time zones, working days, breach boundaries. 2026-11-23 is a Monday.
func TestClockStatus(t *testing.T) {
	sh := shanghai(t)
	desk := calendar.Weekdays9to17(sh)
	spec, err := calendar.New(func() calendar.Spec {
		s := desk.Spec()
		s.Holidays = []calendar.Date{calendar.NewDate(2026, 11, 24), calendar.NewDate(2026, 11, 25)} // Tue, Wed
		return s
	}())
	if err != nil {
		t.Fatalf("calendar.New: %v", err)
	}
	holidays := spec
	const f = "2006-01-02 15:04"
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation(f, s, sh)
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		return tm
	}
	h := time.Hour
	tests := []struct {
		name         string
		spec         ClockSpec
		cal          *calendar.Calendar
		steps        []step
		now          string
		wantState    ClockState
		wantElapsed  time.Duration
		wantDeadline string
		wantWarn     string // empty: not checked
		wantBreached bool
		wantPaused   map[PauseReason]time.Duration
	}{
		{
			name: "elapsed 24h on site, running", spec: ClockSpec{Basis: BasisElapsed, Target: 24 * h, WarnFraction: 0.8},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}}, now: "2026-11-23 20:00",
			wantState: ClockRunning, wantElapsed: 10 * h, wantDeadline: "2026-11-24 10:00", wantWarn: "2026-11-24 05:12",
		},
		{
			name: "elapsed 24h: breached at the deadline", spec: ClockSpec{Basis: BasisElapsed, Target: 24 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}}, now: "2026-11-24 10:00",
			wantState: ClockRunning, wantElapsed: 24 * h, wantDeadline: "2026-11-24 10:00", wantBreached: true,
		},
		{
			name: "elapsed 24h: one minute before the deadline", spec: ClockSpec{Basis: BasisElapsed, Target: 24 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}}, now: "2026-11-24 09:59",
			wantState: ClockRunning, wantElapsed: 23*h + 59*time.Minute, wantDeadline: "2026-11-24 10:00",
		},
		{
			name: "elapsed: stopped exactly at the deadline is met", spec: ClockSpec{Basis: BasisElapsed, Target: 12 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}, {ActionStop, "2026-11-23 22:00", 0}}, now: "2026-11-30 00:00",
			wantState: ClockStopped, wantElapsed: 12 * h, wantDeadline: "2026-11-23 22:00",
		},
		{
			name: "elapsed: stopped a minute late is breached", spec: ClockSpec{Basis: BasisElapsed, Target: 12 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}, {ActionStop, "2026-11-23 22:01", 0}}, now: "2026-11-30 00:00",
			wantState: ClockStopped, wantElapsed: 12*h + time.Minute, wantDeadline: "2026-11-23 22:00", wantBreached: true,
		},
		{
			name: "working 2h arrange overnight", spec: ClockSpec{Basis: BasisWorkingTime, Target: 2 * h}, cal: desk,
			steps: []step{{ActionStart, "2026-11-23 16:30", 0}}, now: "2026-11-23 23:00",
			wantState: ClockRunning, wantElapsed: 30 * time.Minute, wantDeadline: "2026-11-24 10:30",
		},
		{
			name: "working 2h over the weekend", spec: ClockSpec{Basis: BasisWorkingTime, Target: 2 * h}, cal: desk,
			steps: []step{{ActionStart, "2026-11-27 16:00", 0}}, now: "2026-11-29 12:00",
			wantState: ClockRunning, wantElapsed: h, wantDeadline: "2026-11-30 10:00",
		},
		{
			name: "working 2h started on Saturday counts from Monday", spec: ClockSpec{Basis: BasisWorkingTime, Target: 2 * h}, cal: desk,
			steps: []step{{ActionStart, "2026-11-28 11:00", 0}}, now: "2026-11-28 12:00",
			wantState: ClockRunning, wantElapsed: 0, wantDeadline: "2026-11-30 11:00",
		},
		{
			name: "working 2h over two holidays", spec: ClockSpec{Basis: BasisWorkingTime, Target: 2 * h}, cal: holidays,
			steps: []step{{ActionStart, "2026-11-23 16:00", 0}}, now: "2026-11-24 12:00",
			wantState: ClockRunning, wantElapsed: h, wantDeadline: "2026-11-26 10:00",
		},
		{
			name: "working 2h paused for the customer and resumed", spec: ClockSpec{Basis: BasisWorkingTime, Target: 2 * h}, cal: desk,
			steps: []step{{ActionStart, "2026-11-23 09:00", 0}, {ActionPause, "2026-11-23 10:00", PauseWaitingForCustomer},
				{ActionResume, "2026-11-23 15:00", 0}},
			now: "2026-11-23 15:30", wantState: ClockRunning, wantElapsed: 90 * time.Minute, wantDeadline: "2026-11-23 16:00",
			wantPaused: map[PauseReason]time.Duration{PauseWaitingForCustomer: 5 * h},
		},
		{
			name: "paused clock: deadline if resumed now, pause time by reason", spec: ClockSpec{Basis: BasisElapsed, Target: 24 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}, {ActionPause, "2026-11-23 12:00", PauseWaitingForParts}},
			now:   "2026-11-24 12:00", wantState: ClockPaused, wantElapsed: 2 * h, wantDeadline: "2026-11-25 10:00",
			wantPaused: map[PauseReason]time.Duration{PauseWaitingForParts: 24 * h},
		},
		{
			name: "two pauses with different reasons", spec: ClockSpec{Basis: BasisElapsed, Target: 24 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}, {ActionPause, "2026-11-23 11:00", PauseWaitingForParts},
				{ActionResume, "2026-11-23 13:00", 0}, {ActionPause, "2026-11-23 14:00", PauseWaitingForSupplier},
				{ActionResume, "2026-11-23 17:00", 0}, {ActionStop, "2026-11-23 18:00", 0}},
			now: "2026-11-30 00:00", wantState: ClockStopped, wantElapsed: 3 * h, wantDeadline: "2026-11-24 15:00",
			wantPaused: map[PauseReason]time.Duration{PauseWaitingForParts: 2 * h, PauseWaitingForSupplier: 3 * h},
		},
		{
			name: "time zone: the calendar's wall clock, not the caller's", spec: ClockSpec{Basis: BasisWorkingTime, Target: 2 * h}, cal: desk,
			// 01:00 UTC is 09:00 in Shanghai.
			steps: []step{{ActionStart, "2026-11-23 09:00", 0}}, now: "2026-11-23 09:00",
			wantState: ClockRunning, wantDeadline: "2026-11-23 11:00",
		},
		{
			name: "3 working days from Monday end with Thursday", spec: ClockSpec{Basis: BasisWorkingDays, WorkingDays: 3, WarnFraction: 0.8}, cal: desk,
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}}, now: "2026-11-23 10:00",
			wantState: ClockRunning, wantDeadline: "2026-11-27 00:00",
		},
		{
			name: "3 working days over two holidays end with Monday", spec: ClockSpec{Basis: BasisWorkingDays, WorkingDays: 3}, cal: holidays,
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}}, now: "2026-11-26 10:00",
			wantState: ClockRunning, wantElapsed: 8 * h, wantDeadline: "2026-12-01 00:00",
		},
		{
			name: "10 working days from Friday", spec: ClockSpec{Basis: BasisWorkingDays, WorkingDays: 10}, cal: desk,
			steps: []step{{ActionStart, "2026-11-27 15:00", 0}}, now: "2026-11-27 15:00",
			wantState: ClockRunning, wantDeadline: "2026-12-12 00:00",
		},
		{
			name: "3 working days paused one working day end a day later", spec: ClockSpec{Basis: BasisWorkingDays, WorkingDays: 3}, cal: desk,
			steps: []step{{ActionStart, "2026-11-23 09:00", 0}, {ActionPause, "2026-11-23 09:00", PauseWaitingForCustomer},
				{ActionResume, "2026-11-24 09:00", 0}},
			now: "2026-11-24 09:00", wantState: ClockRunning, wantDeadline: "2026-11-28 00:00",
			wantPaused: map[PauseReason]time.Duration{PauseWaitingForCustomer: 24 * h},
		},
		{
			name: "reset counts from the reset", spec: ClockSpec{Basis: BasisElapsed, Target: 24 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}, {ActionStop, "2026-11-23 12:00", 0}, {ActionReset, "2026-11-25 10:00", 0}},
			now:   "2026-11-25 11:00", wantState: ClockRunning, wantElapsed: h, wantDeadline: "2026-11-26 10:00",
		},
		{
			name: "cancelled never breaches", spec: ClockSpec{Basis: BasisElapsed, Target: 2 * h},
			steps: []step{{ActionStart, "2026-11-23 10:00", 0}, {ActionCancel, "2026-11-23 11:00", 0}},
			now:   "2026-11-30 00:00", wantState: ClockCancelled, wantElapsed: h, wantDeadline: "2026-11-23 12:00",
		},
		{
			name: "not started", spec: ClockSpec{Basis: BasisElapsed, Target: 2 * h}, now: "2026-11-23 10:00",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Clock{Spec: tc.spec}
			c.Spec.Name = "c"
			for _, s := range tc.steps {
				if err := c.Apply(s.a, at(s.at), s.reason); err != nil {
					t.Fatalf("Apply(%d, %s): %v", s.a, s.at, err)
				}
			}
			st, err := c.Status(at(tc.now), tc.cal)
			if err != nil {
				t.Fatalf("Status: %v", err)
			}
			if st.State != tc.wantState {
				t.Errorf("State = %d, want %d", st.State, tc.wantState)
			}
			if st.Elapsed != tc.wantElapsed {
				t.Errorf("Elapsed = %v, want %v", st.Elapsed, tc.wantElapsed)
			}
			if tc.wantDeadline != "" && !st.Deadline.Equal(at(tc.wantDeadline)) {
				t.Errorf("Deadline = %v, want %s", st.Deadline.In(sh).Format(f), tc.wantDeadline)
			}
			if tc.wantWarn != "" && !st.WarnAt.Equal(at(tc.wantWarn)) {
				t.Errorf("WarnAt = %v, want %s", st.WarnAt.In(sh).Format(f), tc.wantWarn)
			}
			if st.Breached != tc.wantBreached {
				t.Errorf("Breached = %v, want %v", st.Breached, tc.wantBreached)
			}
			for r, d := range tc.wantPaused {
				if st.Paused[r] != d {
					t.Errorf("Paused[%d] = %v, want %v", r, st.Paused[r], d)
				}
			}
		})
	}
}

func TestClockActionsByState(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	all := []Action{ActionStart, ActionPause, ActionResume, ActionStop, ActionReset, ActionCancel}
	setups := map[ClockState][]Action{
		0:              nil,
		ClockRunning:   {ActionStart},
		ClockPaused:    {ActionStart, ActionPause},
		ClockStopped:   {ActionStart, ActionStop},
		ClockCancelled: {ActionStart, ActionCancel},
	}
	allowed := map[ClockState][]Action{
		0:              {ActionStart, ActionCancel},
		ClockRunning:   {ActionPause, ActionStop, ActionReset, ActionCancel},
		ClockPaused:    {ActionResume, ActionStop, ActionReset, ActionCancel},
		ClockStopped:   {ActionReset},
		ClockCancelled: nil,
	}
	for st, setup := range setups {
		for _, a := range all {
			c := Clock{Spec: ClockSpec{Name: "c", Basis: BasisElapsed, Target: time.Hour}}
			for _, s := range setup {
				if err := c.Apply(s, t0, PauseWaitingForCustomer); err != nil {
					t.Fatalf("setup %d: %v", st, err)
				}
			}
			err := c.Apply(a, t0.Add(time.Minute), PauseWaitingForCustomer)
			want := false
			for _, x := range allowed[st] {
				want = want || x == a
			}
			if (err == nil) != want {
				t.Errorf("state %d: Apply(%d) = %v, want allowed=%v", st, a, err, want)
			}
		}
	}
}

func TestClockHistoryNeverRunsBackwards(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	c := Clock{Spec: ClockSpec{Name: "c", Basis: BasisElapsed, Target: time.Hour}}
	_ = c.Apply(ActionStart, t0, 0)
	_ = c.Apply(ActionStop, t0.Add(-time.Hour), 0)
	st, err := c.Status(t0.Add(time.Hour), nil)
	if err != nil || st.Elapsed != 0 {
		t.Errorf("Status = %v, %v; want elapsed 0", st.Elapsed, err)
	}
}
