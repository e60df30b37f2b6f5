package domain

import (
	"errors"
	"fmt"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Metric is what an SLA clock measures. The numbers match sanbao.ticket.v1.SlaMetric.
type Metric int

// The SLA metrics.
const (
	MetricFirstResponse Metric = iota + 1
	MetricCallback
	MetricArrange
	MetricOnSite
	MetricReply
	MetricFix
	MetricLoanUnit
	MetricComplaintAcknowledge
	MetricComplaintVerify
	MetricComplaintAnswer
	MetricQualityAnswer
	// MetricInform: the customer told of the arrangement (seed 000: within 2 h of arranging).
	MetricInform
)

// Audience says whose target a clock measures. The numbers match sanbao.ticket.v1.SlaAudience.
type Audience int

// The audiences.
const (
	AudienceCustomer Audience = iota + 1
	AudienceInternal
)

// Basis says how a clock counts time. The numbers match sanbao.ticket.v1.SlaBasis.
type Basis int

// The bases.
const (
	// BasisElapsed counts wall-clock time (7×24).
	BasisElapsed Basis = iota + 1
	// BasisWorkingTime counts working hours on the business calendar.
	BasisWorkingTime
	// BasisWorkingDays counts whole working days: the deadline is the end of the n-th working
	// day after the start, pushed on by the working time spent paused.
	BasisWorkingDays
)

// PauseReason says why a ticket waits. The numbers match sanbao.ticket.v1.PauseReason.
type PauseReason int

// The pause reasons.
const (
	PauseWaitingForCustomer PauseReason = iota + 1
	PauseWaitingForParts
	PauseWaitingForSupplier
)

// Valid reports whether r is a known reason.
func (r PauseReason) Valid() bool {
	return r >= PauseWaitingForCustomer && r <= PauseWaitingForSupplier
}

// Action is one transition of a clock. The numbers match sanbao.ticket.v1.ClockAction.
type Action int

// The clock actions.
const (
	ActionStart Action = iota + 1
	ActionPause
	ActionResume
	ActionStop
	ActionReset
	ActionCancel
)

// ClockState is the state of a clock, derived from its history. The numbers match
// sanbao.ticket.v1.SlaClockState; zero means not started.
type ClockState int

// The clock states.
const (
	ClockRunning ClockState = iota + 1
	ClockPaused
	ClockStopped
	ClockCancelled
)

// ClockSpec is what a clock measures and its target, copied from the policy when the clock
// is created so that a later policy change does not move existing deadlines.
type ClockSpec struct {
	Name     string
	Metric   Metric
	Audience Audience
	Basis    Basis
	// Target for BasisElapsed and BasisWorkingTime.
	Target time.Duration
	// WorkingDays for BasisWorkingDays.
	WorkingDays int
	// CalendarID names the business calendar (for the working bases).
	CalendarID string
	// PauseReasons that pause the clock; empty means every reason.
	PauseReasons []PauseReason
	// EscalateOnBreach escalates the ticket when the clock breaches.
	EscalateOnBreach bool
	// WarnFraction of the target at which the warning is due (0 < f < 1).
	WarnFraction float64
}

// Pauses reports whether reason r pauses the clock.
func (s ClockSpec) Pauses(r PauseReason) bool {
	if len(s.PauseReasons) == 0 {
		return true
	}
	for _, x := range s.PauseReasons {
		if x == r {
			return true
		}
	}
	return false
}

// ClockEntry is one entry of a clock's history.
type ClockEntry struct {
	Action Action
	At     time.Time
	Reason PauseReason
}

// Clock is one SLA clock: its spec and the history of its transitions. Elapsed time, deadline
// and breach are always recomputed from the history on a calendar (see Status), never kept as
// counters. Warned and Breached record which events were already emitted.
type Clock struct {
	Spec     ClockSpec
	History  []ClockEntry
	Warned   bool
	Breached bool
}

// ErrClockTransition is returned for a clock action its state does not allow.
var ErrClockTransition = errors.New("illegal clock transition")

// State returns the clock's state from its history (zero: never started).
func (c *Clock) State() ClockState {
	if len(c.History) == 0 {
		return 0
	}
	switch c.History[len(c.History)-1].Action {
	case ActionStart, ActionResume, ActionReset:
		return ClockRunning
	case ActionPause:
		return ClockPaused
	case ActionStop:
		return ClockStopped
	default:
		return ClockCancelled
	}
}

// clockActions is the clock's own state machine: which actions each state allows.
var clockActions = map[ClockState]map[Action]bool{
	0:              {ActionStart: true, ActionCancel: true},
	ClockRunning:   {ActionPause: true, ActionStop: true, ActionReset: true, ActionCancel: true},
	ClockPaused:    {ActionResume: true, ActionStop: true, ActionReset: true, ActionCancel: true},
	ClockStopped:   {ActionReset: true},
	ClockCancelled: {},
}

// Apply appends action a at time at (reason for ActionPause). Time never runs backwards in a
// history: an at before the last entry is taken as the last entry's time.
func (c *Clock) Apply(a Action, at time.Time, reason PauseReason) error {
	st := c.State()
	if !clockActions[st][a] {
		return fmt.Errorf("clock %s: action %d in state %d: %w", c.Spec.Name, a, st, ErrClockTransition)
	}
	if n := len(c.History); n > 0 && at.Before(c.History[n-1].At) {
		at = c.History[n-1].At
	}
	if a != ActionPause {
		reason = 0
	}
	if a == ActionReset {
		c.Warned, c.Breached = false, false
	}
	c.History = append(c.History, ClockEntry{Action: a, At: at, Reason: reason})
	return nil
}

// Status is a clock's figures at one instant.
type Status struct {
	State ClockState
	// Start is the last start or reset.
	Start time.Time
	// Elapsed is the counted time since Start (working time for the working bases).
	Elapsed time.Duration
	// Deadline is when the clock breaches if it keeps running (for a paused clock: if it
	// resumed now). Zero for a clock never started.
	Deadline time.Time
	// WarnAt is when the warning is due.
	WarnAt time.Time
	// Paused is the wall-clock time spent paused since Start, by reason.
	Paused map[PauseReason]time.Duration
	// PauseReason is the reason of the current pause.
	PauseReason PauseReason
	// Stop is when the clock stopped (zero if not stopped).
	Stop time.Time
	// Breached reports whether the clock is running past its deadline, or stopped after it.
	Breached bool
}

// alwaysUTC is the calendar of elapsed-time clocks (immutable, so built once and shared).
var alwaysUTC = calendar.Always(time.UTC)

// Calendars finds a business calendar by id.
type Calendars func(id string) (*calendar.Calendar, error)

// Status computes the clock's figures at now on cal (ignored for BasisElapsed). It replays
// the history from the last start or reset.
func (c *Clock) Status(now time.Time, cal *calendar.Calendar) (Status, error) {
	st := Status{State: c.State(), Paused: map[PauseReason]time.Duration{}}
	if st.State == 0 {
		return st, nil
	}
	if c.Spec.Basis == BasisElapsed || cal == nil {
		cal = alwaysUTC
	}
	// Replay from the last start or reset.
	first := 0
	for i, t := range c.History {
		if t.Action == ActionStart || t.Action == ActionReset {
			first = i
		}
	}
	hist := c.History[first:]
	st.Start = hist[0].At
	var (
		elapsed     time.Duration
		runningFrom = st.Start
		running     = true
		pauseFrom   time.Time
		pauseReason PauseReason
	)
	for _, t := range hist[1:] {
		switch t.Action {
		case ActionPause:
			elapsed += cal.WorkingTimeBetween(runningFrom, t.At)
			running, pauseFrom, pauseReason = false, t.At, t.Reason
		case ActionResume:
			st.Paused[pauseReason] += t.At.Sub(pauseFrom)
			running, runningFrom = true, t.At
		case ActionStop, ActionCancel:
			if running {
				elapsed += cal.WorkingTimeBetween(runningFrom, t.At)
			} else {
				st.Paused[pauseReason] += t.At.Sub(pauseFrom)
			}
			if t.Action == ActionStop {
				st.Stop = t.At
			}
			running, pauseReason = false, 0
			runningFrom = time.Time{}
		}
	}
	switch st.State {
	case ClockRunning:
		elapsed += cal.WorkingTimeBetween(runningFrom, now)
	case ClockPaused:
		st.Paused[pauseReason] += now.Sub(pauseFrom)
		st.PauseReason = pauseReason
	}
	st.Elapsed = elapsed

	target, err := c.effectiveTarget(st.Start, cal)
	if err != nil {
		return st, err
	}
	// The deadline counts the rest of the target from the instant the clock last ran.
	var from time.Time
	var before time.Duration
	switch st.State {
	case ClockRunning:
		from, before = runningFrom, elapsed-cal.WorkingTimeBetween(runningFrom, now)
	case ClockPaused:
		from, before = now, elapsed
	default:
		from, before = lastRun(hist, cal)
	}
	st.Deadline, err = c.deadline(st.Start, from, before, target, cal)
	if err != nil {
		return st, err
	}
	if f := c.Spec.WarnFraction; f > 0 && f < 1 {
		warn := time.Duration(float64(target)*f) - before
		st.WarnAt, err = cal.AddWorkingTime(from, max(warn, 0))
		if err != nil {
			return st, fmt.Errorf("clock %s: warning: %w", c.Spec.Name, err)
		}
		if st.WarnAt.After(st.Deadline) {
			st.WarnAt = st.Deadline
		}
	}
	switch st.State {
	case ClockRunning:
		st.Breached = !now.Before(st.Deadline)
	case ClockPaused:
		st.Breached = before >= target
	case ClockStopped:
		st.Breached = st.Stop.After(st.Deadline)
	}
	return st, nil
}

// lastRun returns where the last running stretch before a stop or cancel began and the time
// counted before it (or the end itself and everything counted, when it ended paused).
func lastRun(hist []ClockEntry, cal *calendar.Calendar) (time.Time, time.Duration) {
	var elapsed time.Duration
	from, running := hist[0].At, true
	for _, t := range hist[1:] {
		switch t.Action {
		case ActionPause:
			elapsed += cal.WorkingTimeBetween(from, t.At)
			running = false
		case ActionResume:
			from, running = t.At, true
		case ActionStop, ActionCancel:
			if running {
				return from, elapsed
			}
			return t.At, elapsed
		}
	}
	return from, elapsed
}

// deadline is when counted time reaches target, counting the rest (target-before) from from.
// A working-days clock that was never paused ends exactly at the end of its n-th working day;
// a paused one ends at the end of the day its remaining working time runs out.
func (c *Clock) deadline(start, from time.Time, before, target time.Duration, cal *calendar.Calendar) (time.Time, error) {
	if c.Spec.Basis == BasisWorkingDays && before == 0 && from.Equal(start) {
		return c.workingDaysEnd(start, cal)
	}
	t, err := cal.AddWorkingTime(from, max(target-before, 0))
	if err != nil {
		return time.Time{}, fmt.Errorf("clock %s: deadline: %w", c.Spec.Name, err)
	}
	if c.Spec.Basis == BasisWorkingDays {
		loc := cal.Location()
		return calendar.DateOf(t, loc).AddDays(1).Time(loc), nil
	}
	return t, nil
}

// effectiveTarget is the target as counted time: the target itself, or for working days the
// working time from the start to the end of the n-th working day.
func (c *Clock) effectiveTarget(start time.Time, cal *calendar.Calendar) (time.Duration, error) {
	if c.Spec.Basis != BasisWorkingDays {
		return c.Spec.Target, nil
	}
	end, err := c.workingDaysEnd(start, cal)
	if err != nil {
		return 0, err
	}
	return cal.WorkingTimeBetween(start, end), nil
}

// workingDaysEnd is the end of the n-th working day after start's date.
func (c *Clock) workingDaysEnd(start time.Time, cal *calendar.Calendar) (time.Time, error) {
	loc := cal.Location()
	d, err := cal.AddWorkingDays(calendar.DateOf(start, loc), c.Spec.WorkingDays)
	if err != nil {
		return time.Time{}, fmt.Errorf("clock %s: %w", c.Spec.Name, err)
	}
	return d.AddDays(1).Time(loc), nil
}
