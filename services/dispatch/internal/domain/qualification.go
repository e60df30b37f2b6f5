package domain

import (
	"fmt"
	"sort"
	"time"
)

// QualificationPolicy holds the numbers of seed 002's training rule: in-house study of at
// least two months and an assessment before a technician works alone; a retraining after a
// failed assessment; qualifications that lapse and are renewed by a periodic assessment.
type QualificationPolicy struct {
	// Required turns the rule on: only a technician qualified for a job's product line is
	// assigned it (default true).
	Required bool
	// TrainingMonths is the shortest first training, in calendar months (default 2).
	TrainingMonths int
	// ValidMonths is how long a passed assessment qualifies, in calendar months (default 12;
	// the seed says "assessed regularly" without a number).
	ValidMonths int
}

// DefaultQualificationPolicy returns seed 002's numbers.
func DefaultQualificationPolicy() QualificationPolicy {
	return QualificationPolicy{Required: true, TrainingMonths: 2, ValidMonths: 12}
}

// QualState is a technician's standing for a product line (the API's QualificationState order).
type QualState int

// Qualification states.
const (
	QualNone QualState = iota
	QualInTraining
	QualQualified
	QualRetrainingRequired
	QualExpired
)

// RecordKind says whether a record is a training or an assessment.
type RecordKind int

// Record kinds (the API's QualificationRecordKind order).
const (
	RecordUnspecified RecordKind = iota
	RecordTraining
	RecordAssessment
)

// QualRecord is one training ([Start, End)) or one assessment (At, Passed) for a line.
type QualRecord struct {
	Line       string
	Kind       RecordKind
	Start, End time.Time
	At         time.Time
	Passed     bool
}

// when is the record's place in time: a training's start, an assessment's time.
func (r QualRecord) when() time.Time {
	if r.Kind == RecordTraining {
		return r.Start
	}
	return r.At
}

// Qualification is the fold of one line's records.
type Qualification struct {
	Line string
	// Until is the end of the last passed assessment's validity (zero: never qualified, or
	// the last assessment failed).
	Until time.Time
	// Failed is true when the last assessment failed.
	Failed bool
	// Training is the current training's interval: the first one before any assessment, or
	// the retraining begun after the last failed assessment; zero when none.
	TrainingStart, TrainingEnd time.Time
	// Assessable is when the current training allows an assessment (zero: it does not).
	Assessable time.Time
	// Assessed is true once any assessment passed: the technician then renews by assessment.
	Assessed bool
}

// State is the standing at t.
func (q Qualification) State(t time.Time) QualState {
	switch {
	case !q.Until.IsZero() && t.Before(q.Until):
		return QualQualified
	case q.Failed:
		return QualRetrainingRequired
	case !q.Until.IsZero():
		return QualExpired
	case !q.TrainingStart.IsZero():
		return QualInTraining
	}
	return QualNone
}

// Qualified reports whether the technician may work the line alone at t.
func (q Qualification) Qualified(t time.Time) bool { return q.State(t) == QualQualified }

// Trainee reports whether the technician may work the line at t only alongside a qualified
// lead: a training (or retraining) has begun and they are not qualified.
func (q Qualification) Trainee(t time.Time) bool {
	if q.Qualified(t) || q.TrainingStart.IsZero() || t.Before(q.TrainingStart) {
		return false
	}
	return q.State(t) == QualInTraining || q.State(t) == QualRetrainingRequired
}

// FoldQualifications folds records (any order; sorted by time here, ties in the given order)
// into one Qualification per line, under p.
func FoldQualifications(p QualificationPolicy, records []QualRecord) map[string]Qualification {
	rs := append([]QualRecord(nil), records...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].when().Before(rs[j].when()) })
	out := map[string]Qualification{}
	for _, r := range rs {
		q := out[r.Line]
		q.Line = r.Line
		q = q.apply(p, r)
		out[r.Line] = q
	}
	return out
}

// apply adds one record to q (already checked by CheckRecord when it was recorded).
func (q Qualification) apply(p QualificationPolicy, r QualRecord) Qualification {
	switch r.Kind {
	case RecordTraining:
		if q.Assessed && !q.Failed {
			return q // a refresher course of a qualified technician changes nothing
		}
		q.TrainingStart, q.TrainingEnd = r.Start, r.End
		q.Assessable = r.End
		if !q.Failed && r.Start.AddDate(0, p.TrainingMonths, 0).After(r.End) {
			q.Assessable = time.Time{} // a first training shorter than the policy's length
		}
	case RecordAssessment:
		q.Assessed = q.Assessed || r.Passed
		q.Failed = !r.Passed
		q.TrainingStart, q.TrainingEnd, q.Assessable = time.Time{}, time.Time{}, time.Time{}
		q.Until = time.Time{}
		if r.Passed {
			q.Until = r.At.AddDate(0, p.ValidMonths, 0)
		} else {
			// Failed: the technician is still a trainee of the line's last training
			// until retrained (seed 002: 二次学习并至考核合格).
			q.TrainingStart = r.At
		}
	}
	return q
}

// CheckRecord reports why r may not be added to the line's records (held in q) at now:
// a training must end after it starts and not start in the future; an assessment lies in
// the past, not before the line's last record, and needs a completed training of the
// policy's length (first), a retraining begun since the failure and ended, or a former
// qualification (periodic renewal). Errors wrap ErrPrecondition (ReasonError) or ErrInvalid.
func CheckRecord(p QualificationPolicy, q Qualification, last time.Time, r QualRecord, now time.Time) error {
	switch r.Kind {
	case RecordTraining:
		if !r.End.After(r.Start) {
			return Invalidf("end_time: must be after start_time")
		}
		if r.Start.After(now) {
			return Invalidf("start_time: must not be in the future")
		}
		if r.Start.Before(last) {
			return Invalidf("start_time: must not be before the line's last record (%s)", last.UTC().Format(time.RFC3339))
		}
	case RecordAssessment:
		if r.At.After(now) {
			return Invalidf("assessed_time: must not be in the future")
		}
		if r.At.Before(last) {
			return Invalidf("assessed_time: must not be before the line's last record (%s)", last.UTC().Format(time.RFC3339))
		}
		if q.Assessed && !q.Failed {
			return nil // periodic assessment (renewal)
		}
		if q.Failed && (q.TrainingEnd.IsZero() || q.TrainingEnd.After(r.At)) {
			return &ReasonError{Reason: ReasonTrainingIncomplete,
				Msg: fmt.Sprintf("product line %s: the last assessment failed; a retraining must end before a new assessment", r.Line)}
		}
		if !q.Failed {
			if q.TrainingStart.IsZero() {
				return &ReasonError{Reason: ReasonTrainingIncomplete,
					Msg: fmt.Sprintf("product line %s: no training recorded; %d months of training come before an assessment", r.Line, p.TrainingMonths)}
			}
			if q.Assessable.IsZero() {
				return &ReasonError{Reason: ReasonTrainingIncomplete,
					Msg: fmt.Sprintf("product line %s: the training lasts less than %d months", r.Line, p.TrainingMonths)}
			}
			if q.Assessable.After(r.At) {
				return &ReasonError{Reason: ReasonTrainingIncomplete,
					Msg: fmt.Sprintf("product line %s: the training ends %s, after the assessment", r.Line, q.Assessable.UTC().Format(time.RFC3339))}
			}
		}
	default:
		return Invalidf("kind: training or assessment")
	}
	return nil
}

// ErrorInfo reasons for refusals a client may act on.
const (
	ReasonNotQualified       = "NOT_QUALIFIED"
	ReasonTraineeNeedsLead   = "TRAINEE_NEEDS_LEAD"
	ReasonTrainingIncomplete = "TRAINING_INCOMPLETE"
)

// ReasonError is a FAILED_PRECONDITION refusal with a machine-readable reason (the API's
// ErrorInfo reason) and a message a person can read.
type ReasonError struct {
	Reason string
	Msg    string
}

// Error returns the message.
func (e *ReasonError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrPrecondition) true.
func (e *ReasonError) Unwrap() error { return ErrPrecondition }

// CheckTeam reports why a lead with members may not take a job of line at t, for technicians
// whose qualifications are given by quals (technician id → line → qualification): the lead
// must be qualified, each member qualified or a trainee (who then works alongside the lead).
func CheckTeam(line, lead string, members []string, quals func(id string) Qualification, t time.Time) error {
	lq := quals(lead)
	if !lq.Qualified(t) {
		if lq.Trainee(t) {
			return &ReasonError{Reason: ReasonTraineeNeedsLead,
				Msg: fmt.Sprintf("technician %s is a trainee for %s: assign a qualified lead and add them as a member", lead, line)}
		}
		return &ReasonError{Reason: ReasonNotQualified, Msg: fmt.Sprintf("technician %s is %s", lead, NotQualifiedFor(line, lq, t))}
	}
	for _, m := range members {
		mq := quals(m)
		if !mq.Qualified(t) && !mq.Trainee(t) {
			return &ReasonError{Reason: ReasonNotQualified, Msg: fmt.Sprintf("member %s is %s", m, NotQualifiedFor(line, mq, t))}
		}
	}
	return nil
}

// NotQualifiedFor says why q does not qualify at t, e.g. "not qualified for diesel-engine
// (expired 2026-11-30)".
func NotQualifiedFor(line string, q Qualification, t time.Time) string {
	why := ""
	switch q.State(t) {
	case QualExpired:
		why = " (expired " + q.Until.UTC().Format(time.DateOnly) + ")"
	case QualRetrainingRequired:
		why = " (failed assessment: retraining required)"
	case QualInTraining:
		why = " (in training)"
	}
	return "not qualified for " + line + why
}
