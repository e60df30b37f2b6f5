package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

func TestCheckAnswer(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		step ComplaintStep
		cat  ComplaintCategory
		sev  Severity
		a    Answer
		want error
	}{
		{"minor other", KindComplaint, ComplaintVerified, CategoryOther, SeverityMinor, Answer{}, nil},
		{"quality with root cause and prevention", KindComplaint, ComplaintVerified, CategoryProductQuality, SeverityMinor,
			Answer{RootCause: "weld", Prevention: "inspect"}, nil},
		{"quality without root cause", KindComplaint, ComplaintVerified, CategoryProductQuality, SeverityMinor,
			Answer{Prevention: "inspect"}, ErrRootCauseRequired},
		{"quality without prevention", KindComplaint, ComplaintVerified, CategoryProductQuality, SeverityMinor,
			Answer{RootCause: "weld"}, ErrRootCauseRequired},
		{"serious without sign-off", KindComplaint, ComplaintVerified, CategoryHumanNonQuality, SeveritySerious, Answer{}, ErrSignOffRequired},
		{"priority case with sign-off", KindComplaint, ComplaintVerified, CategoryOther, SeverityPriorityCase, Answer{SignOffs: 2}, nil},
		{"not verified yet", KindComplaint, ComplaintReceived, CategoryOther, SeverityMinor, Answer{}, ErrComplaintStep},
		{"answered twice", KindComplaint, ComplaintAnswered, CategoryOther, SeverityMinor, Answer{}, ErrComplaintStep},
		{"not a complaint", KindRepair, ComplaintVerified, CategoryOther, SeverityMinor, Answer{}, ErrNotComplaint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckAnswer(tc.kind, tc.step, tc.cat, tc.sev, tc.a)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckAnswer = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCheckVerify(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		step  ComplaintStep
		state State
		want  error
	}{
		{"received", KindComplaint, ComplaintReceived, StateTriaged, nil},
		{"twice", KindComplaint, ComplaintVerified, StateTriaged, ErrComplaintStep},
		{"repair", KindRepair, ComplaintReceived, StateTriaged, ErrNotComplaint},
		{"cancelled", KindComplaint, ComplaintReceived, StateCancelled, ErrIllegalTransition},
	}
	for _, tc := range tests {
		if err := CheckVerify(tc.kind, tc.step, tc.state); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: CheckVerify = %v, want %v", tc.name, err, tc.want)
		}
	}
	if !SeveritySerious.Serious() || !SeverityIndividualCase.Serious() || SeverityMinor.Serious() {
		t.Error("Severity.Serious wrong")
	}
}

// TestComplaintClocks checks the complaint clocks of the default policy on a 5×8 calendar in
// Shanghai: acknowledge 24 h, verify 3 working days, answer 10 working days, quality one week.
// Intake Friday 2026-11-27 16:00 (a holiday on Monday 2026-11-30).
func TestComplaintClocks(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	s := calendar.FiveByEight(sh).Spec()
	s.Holidays = []calendar.Date{calendar.NewDate(2026, 11, 30)}
	cal, err := calendar.New(s)
	if err != nil {
		t.Fatal(err)
	}
	cs := DefaultPolicy().Clocks(Subject{Kind: KindComplaint})
	intake := time.Date(2026, 11, 27, 16, 0, 0, 0, sh)
	mustTrigger(t, cs, TriggerIntake, intake, 0)
	want := map[string]time.Time{
		"complaint.acknowledge":    time.Date(2026, 11, 28, 16, 0, 0, 0, sh),
		"complaint.verify":         time.Date(2026, 12, 4, 0, 0, 0, 0, sh),  // Tue, Wed, Thu
		"complaint.answer":         time.Date(2026, 12, 15, 0, 0, 0, 0, sh), // Tue 1 … Mon 14
		"complaint.quality_answer": time.Date(2026, 12, 4, 16, 0, 0, 0, sh),
	}
	for _, c := range cs {
		st, err := c.Status(intake, cal)
		if err != nil {
			t.Fatalf("%s: %v", c.Spec.Name, err)
		}
		if !st.Deadline.Equal(want[c.Spec.Name]) {
			t.Errorf("%s deadline = %v, want %v", c.Spec.Name, st.Deadline.In(sh), want[c.Spec.Name])
		}
	}
	// Acknowledged on Monday (holiday) 10:00: 66 h after intake, late.
	mustTrigger(t, cs, TriggerResponse, time.Date(2026, 11, 30, 10, 0, 0, 0, sh), 0)
	st, _ := cs[0].Status(time.Date(2026, 12, 1, 0, 0, 0, 0, sh), cal)
	if st.State != ClockStopped || !st.Breached {
		t.Errorf("acknowledge = %+v, want stopped and breached", st)
	}
}
