package domain

import (
	"errors"
	"testing"
	"time"
)

// day0 is a Monday; qualification dates are calendar months from it.
var day0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func on(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }

func training(start, end time.Time) QualRecord {
	return QualRecord{Line: "diesel", Kind: RecordTraining, Start: start, End: end}
}

func assessment(at time.Time, passed bool) QualRecord {
	return QualRecord{Line: "diesel", Kind: RecordAssessment, At: at, Passed: passed}
}

// TestCheckRecord: seed 002's rule, record by record: two months' training before the first
// assessment, a retraining after a failed one, renewals by assessment.
func TestCheckRecord(t *testing.T) {
	p := DefaultQualificationPolicy()
	cases := []struct {
		name    string
		before  []QualRecord
		rec     QualRecord
		now     time.Time
		invalid bool
		reason  string
	}{
		{name: "first training", rec: training(day0, on(2026, 3, 5)), now: day0},
		{name: "training ends before it starts", rec: training(day0, day0), now: day0, invalid: true},
		{name: "training starts in the future", rec: training(day0.AddDate(0, 0, 1), on(2026, 4, 1)), now: day0, invalid: true},
		{name: "assessment without training", rec: assessment(day0, true), now: day0, reason: ReasonTrainingIncomplete},
		{name: "assessment after two months' training",
			before: []QualRecord{training(day0, on(2026, 3, 5))}, rec: assessment(on(2026, 3, 5), true), now: on(2026, 3, 5)},
		{name: "training one day short of two months",
			before: []QualRecord{training(day0, on(2026, 3, 4))}, rec: assessment(on(2026, 3, 6), true), now: on(2026, 3, 6),
			reason: ReasonTrainingIncomplete},
		{name: "assessment before the training ends",
			before: []QualRecord{training(day0, on(2026, 3, 20))}, rec: assessment(on(2026, 3, 10), true), now: on(2026, 3, 10),
			reason: ReasonTrainingIncomplete},
		{name: "two months across February (calendar months)",
			before: []QualRecord{training(on(2026, 12, 31), on(2027, 2, 28))}, rec: assessment(on(2027, 3, 1), true), now: on(2027, 3, 1),
			reason: ReasonTrainingIncomplete},
		{name: "assessment in the future",
			before: []QualRecord{training(day0, on(2026, 3, 5))}, rec: assessment(on(2026, 3, 6), true), now: on(2026, 3, 5), invalid: true},
		{name: "after a failure, no retraining",
			before: []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), false)},
			rec:    assessment(on(2026, 3, 7), true), now: on(2026, 3, 7), reason: ReasonTrainingIncomplete},
		{name: "after a failure, retraining still running",
			before: []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), false), training(on(2026, 3, 9), on(2026, 3, 30))},
			rec:    assessment(on(2026, 3, 20), true), now: on(2026, 3, 20), reason: ReasonTrainingIncomplete},
		{name: "after a failure, retraining ended (any length)",
			before: []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), false), training(on(2026, 3, 9), on(2026, 3, 20))},
			rec:    assessment(on(2026, 3, 21), true), now: on(2026, 3, 21)},
		{name: "renewal of an expired qualification",
			before: []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), true)},
			rec:    assessment(on(2027, 4, 1), true), now: on(2027, 4, 1)},
		{name: "assessment before the line's last record",
			before: []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), true)},
			rec:    assessment(on(2026, 3, 5), true), now: on(2026, 4, 1), invalid: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var last time.Time
			for _, r := range c.before {
				if r.when().After(last) {
					last = r.when()
				}
			}
			q := FoldQualifications(p, c.before)["diesel"]
			err := CheckRecord(p, q, last, c.rec, c.now)
			var re *ReasonError
			switch {
			case c.invalid:
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("CheckRecord() = %v, want ErrInvalid", err)
				}
			case c.reason != "":
				if !errors.As(err, &re) || re.Reason != c.reason || !errors.Is(err, ErrPrecondition) {
					t.Fatalf("CheckRecord() = %v, want reason %s", err, c.reason)
				}
			case err != nil:
				t.Fatalf("CheckRecord() = %v, want nil", err)
			}
		})
	}
}

// TestQualificationOnTheCalendar: where a technician stands on given days (trainee, qualified
// until a calendar date 12 months on, expired, retraining).
func TestQualificationOnTheCalendar(t *testing.T) {
	p := DefaultQualificationPolicy()
	passed := []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), true)}
	failed := []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), false)}
	renewed := append(append([]QualRecord(nil), passed...), assessment(on(2027, 2, 1), true))
	refresher := append(append([]QualRecord(nil), passed...), training(on(2026, 6, 1), on(2026, 6, 5)))
	cases := []struct {
		name      string
		records   []QualRecord
		at        time.Time
		state     QualState
		trainee   bool
		until     time.Time
		qualified bool
	}{
		{name: "no records", at: day0, state: QualNone},
		{name: "before the training starts", records: passed[:1], at: day0.Add(-time.Hour), state: QualInTraining},
		{name: "in training", records: passed[:1], at: on(2026, 2, 1), state: QualInTraining, trainee: true},
		{name: "trained, not yet assessed", records: passed[:1], at: on(2026, 4, 1), state: QualInTraining, trainee: true},
		{name: "passed", records: passed, at: on(2026, 3, 6), state: QualQualified, qualified: true, until: on(2027, 3, 6)},
		{name: "last day of validity", records: passed, at: on(2027, 3, 6).Add(-time.Second), state: QualQualified, qualified: true, until: on(2027, 3, 6)},
		{name: "expired", records: passed, at: on(2027, 3, 6), state: QualExpired, until: on(2027, 3, 6)},
		{name: "renewed before expiry", records: renewed, at: on(2027, 6, 1), state: QualQualified, qualified: true, until: on(2028, 2, 1)},
		{name: "refresher course changes nothing", records: refresher, at: on(2026, 6, 2), state: QualQualified, qualified: true, until: on(2027, 3, 6)},
		{name: "failed: retraining required, a trainee", records: failed, at: on(2026, 3, 7), state: QualRetrainingRequired, trainee: true},
		{name: "failed then retrained and passed", at: on(2026, 4, 1), state: QualQualified, qualified: true, until: on(2027, 3, 21),
			records: append(append([]QualRecord(nil), failed...), training(on(2026, 3, 9), on(2026, 3, 20)), assessment(on(2026, 3, 21), true))},
		{name: "passed then failed a periodic assessment", at: on(2026, 9, 2), state: QualRetrainingRequired, trainee: true,
			records: append(append([]QualRecord(nil), passed...), assessment(on(2026, 9, 1), false))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := FoldQualifications(p, c.records)["diesel"]
			if got := q.State(c.at); got != c.state {
				t.Errorf("State(%s) = %d, want %d", c.at, got, c.state)
			}
			if got := q.Trainee(c.at); got != c.trainee {
				t.Errorf("Trainee(%s) = %v, want %v", c.at, got, c.trainee)
			}
			if got := q.Qualified(c.at); got != c.qualified {
				t.Errorf("Qualified(%s) = %v, want %v", c.at, got, c.qualified)
			}
			if !q.Until.Equal(c.until) {
				t.Errorf("Until = %s, want %s", q.Until, c.until)
			}
		})
	}
}

// TestCheckTeam: a qualified lead; members qualified or trainees; a trainee never alone.
func TestCheckTeam(t *testing.T) {
	p := DefaultQualificationPolicy()
	at := on(2026, 4, 1)
	quals := map[string]Qualification{
		"lead":    FoldQualifications(p, []QualRecord{training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), true)})["diesel"],
		"trainee": FoldQualifications(p, []QualRecord{training(on(2026, 3, 1), on(2026, 5, 1))})["diesel"],
		"lapsed":  FoldQualifications(p, []QualRecord{training(on(2024, 1, 1), on(2024, 3, 1)), assessment(on(2024, 3, 2), true)})["diesel"],
	}
	get := func(id string) Qualification { return quals[id] }
	cases := []struct {
		name    string
		lead    string
		members []string
		reason  string
	}{
		{name: "qualified alone", lead: "lead"},
		{name: "qualified lead with a trainee", lead: "lead", members: []string{"trainee"}},
		{name: "trainee alone", lead: "trainee", reason: ReasonTraineeNeedsLead},
		{name: "trainee leading", lead: "trainee", members: []string{"lead"}, reason: ReasonTraineeNeedsLead},
		{name: "expired lead", lead: "lapsed", reason: ReasonNotQualified},
		{name: "expired member", lead: "lead", members: []string{"lapsed"}, reason: ReasonNotQualified},
		{name: "member never trained", lead: "lead", members: []string{"nobody"}, reason: ReasonNotQualified},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckTeam("diesel", c.lead, c.members, get, at)
			var re *ReasonError
			if c.reason == "" {
				if err != nil {
					t.Fatalf("CheckTeam() = %v, want nil", err)
				}
				return
			}
			if !errors.As(err, &re) || re.Reason != c.reason {
				t.Fatalf("CheckTeam() = %v, want reason %s", err, c.reason)
			}
		})
	}
}

// TestEvaluateQualification: with the rule on, an unqualified technician is excluded as
// "not qualified" and a qualified one says until when.
func TestEvaluateQualification(t *testing.T) {
	m := Matcher{Policy: DefaultPolicy(), Distance: manhattan{}}
	now := on(2026, 4, 1)
	tech := func(records ...QualRecord) *Technician {
		return &Technician{ID: "t", Active: true, Level: LevelRoutine, Skills: map[string]map[string]bool{"diesel": {}},
			Calendar: weekdays8to18(t), CapacityPerDay: 4, RadiusKm: 100, Quals: FoldQualifications(m.Policy.Qualification, records)}
	}
	job := JobSpec{ProductLine: "diesel", Site: Point{Lat: 0.1}}
	if _, why := m.Evaluate(tech(training(day0, on(2026, 3, 5))), job, nil, now, PartsPicture{}); why != ReasonQualification {
		t.Fatalf("Evaluate(trainee) reason = %q, want %q", why, ReasonQualification)
	}
	c, why := m.Evaluate(tech(training(day0, on(2026, 3, 5)), assessment(on(2026, 3, 6), true)), job, nil, now, PartsPicture{})
	if why != "" || !c.QualifiedUntil.Equal(on(2027, 3, 6)) {
		t.Fatalf("Evaluate(qualified) = %v, %q; want qualified until 2027-03-06", c.QualifiedUntil, why)
	}
	Explain(&c)
	if c.Reasons[0] != "qualified until 2027-03-06" || len(c.Reasons) > 5 {
		t.Fatalf("Explain() = %q, want first \"qualified until 2027-03-06\", at most 5", c.Reasons)
	}
}
