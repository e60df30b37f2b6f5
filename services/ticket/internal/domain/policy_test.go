package domain

import (
	"slices"
	"testing"
	"time"
)

func clockNames(cs []Clock) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Spec.Name)
	}
	return out
}

// TestDefaultPolicyClocks checks which clocks the DOMAIN.md defaults put on tickets, with the
// 100 km radius boundary and the supplier rule.
func TestDefaultPolicyClocks(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name string
		s    Subject
		want []string
	}{
		{"repair inside radius", Subject{Kind: KindRepair, Priority: PriorityNormal, DistanceKM: 50, DistanceKnown: true},
			[]string{"customer.callback", "internal.arrange", "customer.inform", "customer.on_site", "internal.first_response", "internal.fix"}},
		{"repair at exactly 100 km is inside", Subject{Kind: KindRepair, Priority: PriorityNormal, DistanceKM: 100, DistanceKnown: true},
			[]string{"customer.callback", "internal.arrange", "customer.inform", "customer.on_site", "internal.first_response", "internal.fix"}},
		{"repair at 100.1 km gets the 12 h reply", Subject{Kind: KindRepair, Priority: PriorityNormal, DistanceKM: 100.1, DistanceKnown: true},
			[]string{"customer.callback", "internal.arrange", "customer.inform", "customer.reply", "internal.first_response", "internal.fix"}},
		{"repair with a supplier gets the reply", Subject{Kind: KindRepair, Priority: PriorityNormal, DistanceKM: 5, DistanceKnown: true, Supplier: true},
			[]string{"customer.callback", "internal.arrange", "customer.inform", "customer.reply", "internal.first_response", "internal.fix"}},
		{"repair, unknown distance counts as inside", Subject{Kind: KindRepair, Priority: PriorityNormal},
			[]string{"customer.callback", "internal.arrange", "customer.inform", "customer.on_site", "internal.first_response", "internal.fix"}},
		{"urgent repair gets a loan unit target", Subject{Kind: KindRepair, Priority: PriorityUrgent},
			[]string{"customer.callback", "internal.arrange", "customer.inform", "customer.on_site", "internal.first_response", "internal.fix", "internal.loan_unit"}},
		{"complaint", Subject{Kind: KindComplaint, Priority: PriorityNormal},
			[]string{"complaint.acknowledge", "complaint.verify", "complaint.answer", "complaint.quality_answer"}},
		{"consultation", Subject{Kind: KindConsultation, Priority: PriorityNormal},
			[]string{"customer.callback", "internal.first_response"}},
		{"installation", Subject{Kind: KindInstallation, Priority: PriorityNormal},
			[]string{"internal.arrange", "customer.inform", "internal.first_response"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := p.Clocks(tc.s)
			if !slices.Equal(clockNames(got), tc.want) {
				t.Errorf("Clocks(%+v) = %v, want %v", tc.s, clockNames(got), tc.want)
			}
			for _, c := range got {
				if c.Spec.CalendarID != DefaultCalendarID || c.Spec.WarnFraction != 0.8 {
					t.Errorf("clock %s: calendar %q warn %v, want default and 0.8", c.Spec.Name, c.Spec.CalendarID, c.Spec.WarnFraction)
				}
			}
		})
	}
}

func TestDefaultPolicyNumbers(t *testing.T) {
	p := DefaultPolicy()
	want := map[string]struct {
		basis  Basis
		target time.Duration
		days   int
	}{
		"customer.callback":        {BasisElapsed, 2 * time.Hour, 0},
		"internal.arrange":         {BasisWorkingTime, 2 * time.Hour, 0},
		"customer.inform":          {BasisElapsed, 2 * time.Hour, 0},
		"customer.on_site":         {BasisElapsed, 24 * time.Hour, 0},
		"customer.reply":           {BasisElapsed, 12 * time.Hour, 0},
		"internal.loan_unit":       {BasisElapsed, 24 * time.Hour, 0},
		"complaint.acknowledge":    {BasisElapsed, 24 * time.Hour, 0},
		"complaint.verify":         {BasisWorkingDays, 0, 3},
		"complaint.answer":         {BasisWorkingDays, 0, 10},
		"complaint.quality_answer": {BasisElapsed, 7 * 24 * time.Hour, 0},
	}
	for _, tg := range p.Targets {
		w, ok := want[tg.Name]
		if !ok {
			continue
		}
		if tg.Basis != w.basis || tg.Target != w.target || tg.WorkingDays != w.days {
			t.Errorf("%s = %v %v %d, want %v %v %d", tg.Name, tg.Basis, tg.Target, tg.WorkingDays, w.basis, w.target, w.days)
		}
	}
	if p.RadiusKM != 100 || p.KPI != (KPITargets{0.90, 0.85, 0.03}) || p.SatisfiedScore != 4 {
		t.Errorf("DefaultPolicy settings = %v %+v %d", p.RadiusKM, p.KPI, p.SatisfiedScore)
	}
	if got := (Policy{ID: "x"}).WithDefaults(); got.RadiusKM != 100 || len(got.Targets) != len(p.Targets) {
		t.Errorf("WithDefaults() = %+v", got)
	}
	if got := (Policy{ID: "x", RadiusKM: 50, Targets: []Target{}}).WithDefaults(); got.RadiusKM != 50 || len(got.Targets) != 0 {
		t.Errorf("WithDefaults() kept settings = %v %d", got.RadiusKM, len(got.Targets))
	}
}

// TestTriggerConditions walks a repair ticket's clocks through its life: intake, response,
// job requested, assigned, hold for parts, resume, check-in, resolve, reopen.
func TestTriggerConditions(t *testing.T) {
	p := DefaultPolicy()
	clocks := p.Clocks(Subject{Kind: KindRepair, Priority: PriorityNormal, DistanceKM: 20, DistanceKnown: true})
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	byName := func(n string) *Clock {
		for i := range clocks {
			if clocks[i].Spec.Name == n {
				return &clocks[i]
			}
		}
		t.Fatalf("no clock %s", n)
		return nil
	}
	steps := []struct {
		tr     Trigger
		after  time.Duration
		reason PauseReason
		want   map[string]ClockState
	}{
		{TriggerIntake, 0, 0, map[string]ClockState{"customer.on_site": ClockRunning, "internal.fix": ClockRunning,
			"internal.first_response": ClockRunning, "internal.arrange": 0, "customer.callback": 0}},
		{TriggerResponse, 30 * time.Minute, 0, map[string]ClockState{"internal.first_response": ClockStopped, "customer.on_site": ClockRunning}},
		{TriggerJobRequested, time.Hour, 0, map[string]ClockState{"internal.arrange": ClockRunning}},
		{TriggerJobAssigned, 90 * time.Minute, 0, map[string]ClockState{"internal.arrange": ClockStopped, "customer.inform": ClockRunning}},
		{TriggerResponse, 100 * time.Minute, 0, map[string]ClockState{"customer.inform": ClockStopped}},
		{TriggerHold, 2 * time.Hour, PauseWaitingForParts, map[string]ClockState{"customer.on_site": ClockPaused, "internal.fix": ClockPaused,
			"internal.arrange": ClockStopped}},
		{TriggerResume, 5 * time.Hour, 0, map[string]ClockState{"customer.on_site": ClockRunning, "internal.fix": ClockRunning}},
		{TriggerCheckIn, 6 * time.Hour, 0, map[string]ClockState{"customer.on_site": ClockStopped, "internal.fix": ClockRunning}},
		{TriggerResolved, 7 * time.Hour, 0, map[string]ClockState{"internal.fix": ClockStopped, "customer.callback": 0}},
		{TriggerReopened, 48 * time.Hour, 0, map[string]ClockState{"internal.fix": ClockRunning, "customer.on_site": ClockStopped}},
		{TriggerCancelled, 49 * time.Hour, 0, map[string]ClockState{"internal.fix": ClockCancelled, "customer.on_site": ClockStopped,
			"customer.callback": ClockCancelled}},
	}
	for _, s := range steps {
		if _, err := ApplyTrigger(clocks, s.tr, t0.Add(s.after), s.reason); err != nil {
			t.Fatalf("ApplyTrigger(%d): %v", s.tr, err)
		}
		for n, want := range s.want {
			if got := byName(n).State(); got != want {
				t.Errorf("after trigger %d: %s state = %d, want %d", s.tr, n, got, want)
			}
		}
	}
	st, err := byName("customer.on_site").Status(t0.Add(50*time.Hour), nil)
	if err != nil || st.Elapsed != 3*time.Hour || st.Paused[PauseWaitingForParts] != 3*time.Hour || st.Breached {
		t.Errorf("on_site status = %+v, %v; want 3h elapsed, 3h paused for parts, met", st, err)
	}
	fix, _ := byName("internal.fix").Status(t0.Add(50*time.Hour), nil)
	if fix.Elapsed != time.Hour {
		t.Errorf("fix elapsed after reset and cancel = %v, want 1h", fix.Elapsed)
	}
}

func TestTriggerHoldOnlyPausesListedReasons(t *testing.T) {
	c := []Clock{{Spec: ClockSpec{Name: "a", Metric: MetricFix, Basis: BasisElapsed, Target: time.Hour,
		PauseReasons: []PauseReason{PauseWaitingForCustomer}}}}
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	mustTrigger(t, c, TriggerIntake, t0, 0)
	mustTrigger(t, c, TriggerHold, t0, PauseWaitingForSupplier)
	if c[0].State() != ClockRunning {
		t.Errorf("hold for supplier paused a customer-only clock")
	}
	mustTrigger(t, c, TriggerHold, t0, PauseWaitingForCustomer)
	if c[0].State() != ClockPaused {
		t.Errorf("hold for customer did not pause")
	}
}

func TestQualityAnswerCancelledWhenNotQuality(t *testing.T) {
	cs := DefaultPolicy().Clocks(Subject{Kind: KindComplaint})
	t0 := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	mustTrigger(t, cs, TriggerIntake, t0, 0)
	mustTrigger(t, cs, TriggerVerified, t0.Add(time.Hour), 0)
	mustTrigger(t, cs, TriggerVerifiedNotQuality, t0.Add(time.Hour), 0)
	want := map[string]ClockState{"complaint.acknowledge": ClockStopped, "complaint.verify": ClockStopped,
		"complaint.answer": ClockRunning, "complaint.quality_answer": ClockCancelled}
	for _, c := range cs {
		if c.State() != want[c.Spec.Name] {
			t.Errorf("%s = %d, want %d", c.Spec.Name, c.State(), want[c.Spec.Name])
		}
	}
}

func mustTrigger(t *testing.T, cs []Clock, tr Trigger, at time.Time, r PauseReason) {
	t.Helper()
	if _, err := ApplyTrigger(cs, tr, at, r); err != nil {
		t.Fatalf("ApplyTrigger(%d): %v", tr, err)
	}
}
