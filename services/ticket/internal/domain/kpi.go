package domain

import "time"

// Facts are what one ticket contributes to the service KPIs.
type Facts struct {
	Kind     Kind
	Resolved bool
	// ResponseTime and ResolveTime are from intake; zero when not responded / not resolved.
	Responded    bool
	ResponseTime time.Duration
	ResolveTime  time.Duration
	// CustomerClocksMet and CustomerClocksMissed count the customer clocks that finished in
	// time and those that breached (running past the deadline or stopped late).
	CustomerClocksMet    int64
	CustomerClocksMissed int64
	Surveyed             bool
	Satisfied            bool
	// SurveyRequested: a survey was requested (the ticket closed); SurveyAnswered and
	// SurveyGivenUp say how its chase ended.
	SurveyRequested, SurveyAnswered, SurveyGivenUp bool
	// ComplaintSubstantiated: a complaint verified as our fault.
	ComplaintSubstantiated bool
	// OnSite: resolved after at least one visit; FirstVisitFix: fixed on the first.
	OnSite        bool
	FirstVisitFix bool
	// RepeatFailure: a resolved repair of a unit and fault resolved before in the window.
	RepeatFailure bool
	Paused        map[PauseReason]time.Duration
}

// Aggregate is the sum of many tickets' Facts. It is additive and subtractable, so a store can
// keep aggregates per period and slice and update them when a ticket changes (subtract the old
// facts, add the new).
type Aggregate struct {
	Tickets, Resolved, Complaints               int64
	Responded                                   int64
	ResponseTotal, ResolveTotal                 time.Duration
	ClocksMet, ClocksMissed                     int64
	Surveys, Satisfied                          int64
	Substantiated                               int64
	OnSiteResolved, FirstVisitFixes             int64
	RepairsResolved, RepeatFailures             int64
	PausedCustomer, PausedParts, PausedSupplier time.Duration
	SurveysRequested, SurveysAnswered           int64
	SurveysGivenUp                              int64
}

// Add adds f to a with sign +1 or -1.
func (a *Aggregate) Add(f Facts, sign int64) {
	b := func(v bool) int64 {
		if v {
			return sign
		}
		return 0
	}
	d := time.Duration(sign)
	a.Tickets += sign
	a.Resolved += b(f.Resolved)
	a.Complaints += b(f.Kind == KindComplaint)
	a.Responded += b(f.Responded)
	if f.Responded {
		a.ResponseTotal += d * f.ResponseTime
	}
	if f.Resolved {
		a.ResolveTotal += d * f.ResolveTime
	}
	a.ClocksMet += sign * f.CustomerClocksMet
	a.ClocksMissed += sign * f.CustomerClocksMissed
	a.Surveys += b(f.Surveyed)
	a.Satisfied += b(f.Surveyed && f.Satisfied)
	a.Substantiated += b(f.Kind == KindComplaint && f.ComplaintSubstantiated)
	a.OnSiteResolved += b(f.Resolved && f.OnSite)
	a.FirstVisitFixes += b(f.Resolved && f.OnSite && f.FirstVisitFix)
	a.RepairsResolved += b(f.Resolved && f.Kind == KindRepair)
	a.RepeatFailures += b(f.Resolved && f.Kind == KindRepair && f.RepeatFailure)
	a.PausedCustomer += d * f.Paused[PauseWaitingForCustomer]
	a.PausedParts += d * f.Paused[PauseWaitingForParts]
	a.PausedSupplier += d * f.Paused[PauseWaitingForSupplier]
	a.SurveysRequested += b(f.SurveyRequested)
	a.SurveysAnswered += b(f.SurveyRequested && f.SurveyAnswered)
	a.SurveysGivenUp += b(f.SurveyRequested && f.SurveyGivenUp)
}

// Merge adds every figure of o to a.
func (a *Aggregate) Merge(o Aggregate) {
	a.Tickets += o.Tickets
	a.Resolved += o.Resolved
	a.Complaints += o.Complaints
	a.Responded += o.Responded
	a.ResponseTotal += o.ResponseTotal
	a.ResolveTotal += o.ResolveTotal
	a.ClocksMet += o.ClocksMet
	a.ClocksMissed += o.ClocksMissed
	a.Surveys += o.Surveys
	a.Satisfied += o.Satisfied
	a.Substantiated += o.Substantiated
	a.OnSiteResolved += o.OnSiteResolved
	a.FirstVisitFixes += o.FirstVisitFixes
	a.RepairsResolved += o.RepairsResolved
	a.RepeatFailures += o.RepeatFailures
	a.PausedCustomer += o.PausedCustomer
	a.PausedParts += o.PausedParts
	a.PausedSupplier += o.PausedSupplier
	a.SurveysRequested += o.SurveysRequested
	a.SurveysAnswered += o.SurveysAnswered
	a.SurveysGivenUp += o.SurveysGivenUp
}

// KPI is one indicator: Count of Sample, its target and whether it misses it.
type KPI struct {
	Name   string
	Count  int64
	Sample int64
	Value  float64
	// Target and TargetIsMax; HasTarget false means no target.
	HasTarget   bool
	Target      float64
	TargetIsMax bool
	Flagged     bool
}

// KPI names.
const (
	KPITimeliness    = "timeliness_rate"
	KPISatisfaction  = "satisfaction_rate"
	KPIComplaintRate = "complaint_rate"
	KPIFirstVisitFix = "first_visit_fix_rate"
	KPIRepeatFailure = "repeat_failure_rate"
	KPISurveyAnswer  = "survey_answer_rate"
)

func ratio(name string, count, sample int64) KPI {
	k := KPI{Name: name, Count: count, Sample: sample}
	if sample > 0 {
		k.Value = float64(count) / float64(sample)
	}
	return k
}

func withMin(k KPI, min float64) KPI {
	k.HasTarget, k.Target = true, min
	k.Flagged = k.Sample > 0 && k.Value < min
	return k
}

func withMax(k KPI, max float64) KPI {
	k.HasTarget, k.Target, k.TargetIsMax = true, max, true
	k.Flagged = k.Sample > 0 && k.Value >= max
	return k
}

// KPIs computes the indicators of a with their targets:
//   - timeliness = customer clocks met / customer clocks finished (≥ TimelinessMin),
//   - satisfaction = satisfied surveys / surveys (≥ SatisfactionMin),
//   - complaint rate = substantiated complaints / tickets (< ComplaintMax),
//   - first-visit fix = fixed on the first visit / resolved on site,
//   - repeat failure = repeat failures / resolved repairs,
//   - survey answer = surveys answered / surveys requested.
//
// A KPI with an empty sample is never flagged.
func (a Aggregate) KPIs(t KPITargets) []KPI {
	return []KPI{
		withMin(ratio(KPITimeliness, a.ClocksMet, a.ClocksMet+a.ClocksMissed), t.TimelinessMin),
		withMin(ratio(KPISatisfaction, a.Satisfied, a.Surveys), t.SatisfactionMin),
		withMax(ratio(KPIComplaintRate, a.Substantiated, a.Tickets), t.ComplaintMax),
		ratio(KPIFirstVisitFix, a.FirstVisitFixes, a.OnSiteResolved),
		ratio(KPIRepeatFailure, a.RepeatFailures, a.RepairsResolved),
		ratio(KPISurveyAnswer, a.SurveysAnswered, a.SurveysRequested),
	}
}

// MeanTimeToRespond is the mean time from intake to first response (0 without responses).
func (a Aggregate) MeanTimeToRespond() time.Duration {
	if a.Responded == 0 {
		return 0
	}
	return a.ResponseTotal / time.Duration(a.Responded)
}

// MeanTimeToResolve is the mean time from intake to resolution (0 without resolutions).
func (a Aggregate) MeanTimeToResolve() time.Duration {
	if a.Resolved == 0 {
		return 0
	}
	return a.ResolveTotal / time.Duration(a.Resolved)
}

// Satisfied reports whether a survey's scores reach the satisfied score: the mean of the
// scores at or above it. It returns the mean too.
func Satisfied(scores []int, satisfiedScore int) (float64, bool) {
	if len(scores) == 0 {
		return 0, false
	}
	sum := 0
	for _, s := range scores {
		sum += s
	}
	mean := float64(sum) / float64(len(scores))
	return mean, mean >= float64(satisfiedScore)
}
