package domain

import (
	"fmt"
	"time"
)

// Trigger is a fact of a ticket's life that starts, stops or resets SLA clocks.
type Trigger int

// The triggers.
const (
	// TriggerIntake: the ticket was registered.
	TriggerIntake Trigger = iota + 1
	// TriggerResponse: an outbound contact (we answered the customer).
	TriggerResponse
	// TriggerRemoteGuidance: the ticket entered remote guidance.
	TriggerRemoteGuidance
	// TriggerJobRequested: an on-site job was requested.
	TriggerJobRequested
	// TriggerJobAssigned: dispatch assigned the job.
	TriggerJobAssigned
	// TriggerCheckIn: the technician is on site.
	TriggerCheckIn
	// TriggerLoanUnit: a loan unit was provided.
	TriggerLoanUnit
	// TriggerResolved: the ticket was resolved.
	TriggerResolved
	// TriggerVerified: a complaint was verified.
	TriggerVerified
	// TriggerVerifiedNotQuality: a complaint was verified as not a quality question.
	TriggerVerifiedNotQuality
	// TriggerAnswered: a complaint was answered.
	TriggerAnswered
	// TriggerReopened: the ticket was reopened.
	TriggerReopened
	// TriggerHold: the ticket waits (with a reason).
	TriggerHold
	// TriggerResume: the wait is over.
	TriggerResume
	// TriggerCancelled: the ticket was cancelled.
	TriggerCancelled
	// TriggerClosed: the ticket was closed; clocks still running no longer apply.
	TriggerClosed
)

// conditions says, per metric, which triggers start, stop, reset or cancel its clock. Hold and
// resume pause and resume every running clock whose spec pauses on the reason; cancellation
// and closure cancel every clock still running or paused.
var conditions = map[Metric]map[Trigger]Action{
	MetricFirstResponse: {TriggerIntake: ActionStart, TriggerResponse: ActionStop, TriggerRemoteGuidance: ActionStop,
		TriggerResolved: ActionStop},
	MetricCallback: {TriggerRemoteGuidance: ActionStart, TriggerResponse: ActionStop, TriggerResolved: ActionStop,
		TriggerJobRequested: ActionCancel},
	MetricArrange:  {TriggerJobRequested: ActionStart, TriggerJobAssigned: ActionStop, TriggerResolved: ActionCancel},
	MetricOnSite:   {TriggerIntake: ActionStart, TriggerCheckIn: ActionStop, TriggerResolved: ActionCancel},
	MetricReply:    {TriggerIntake: ActionStart, TriggerResponse: ActionStop, TriggerResolved: ActionStop},
	MetricFix:      {TriggerIntake: ActionStart, TriggerResolved: ActionStop, TriggerReopened: ActionReset},
	MetricLoanUnit: {TriggerIntake: ActionStart, TriggerLoanUnit: ActionStop, TriggerResolved: ActionStop},
	MetricComplaintAcknowledge: {TriggerIntake: ActionStart, TriggerResponse: ActionStop, TriggerVerified: ActionStop,
		TriggerAnswered: ActionStop},
	MetricComplaintVerify: {TriggerIntake: ActionStart, TriggerVerified: ActionStop, TriggerAnswered: ActionStop},
	MetricComplaintAnswer: {TriggerIntake: ActionStart, TriggerAnswered: ActionStop},
	MetricQualityAnswer:   {TriggerIntake: ActionStart, TriggerAnswered: ActionStop, TriggerVerifiedNotQuality: ActionCancel},
	MetricInform:          {TriggerJobAssigned: ActionStart, TriggerResponse: ActionStop, TriggerResolved: ActionCancel},
}

// ConditionAction returns what trigger tr does to a clock measuring m (0: nothing).
func ConditionAction(m Metric, tr Trigger) Action { return conditions[m][tr] }

// ApplyTrigger applies tr at time at to every clock it concerns. reason is the pause reason for
// TriggerHold. It returns the clocks that changed. Starting a clock that already ran resets
// it; stopping a clock that is not running or paused does nothing.
func ApplyTrigger(clocks []Clock, tr Trigger, at time.Time, reason PauseReason) ([]int, error) {
	var changed []int
	for i := range clocks {
		c := &clocks[i]
		st := c.State()
		if st == ClockCancelled {
			continue
		}
		var a Action
		switch tr {
		case TriggerHold:
			if st == ClockRunning && c.Spec.Pauses(reason) {
				a = ActionPause
			}
		case TriggerResume:
			if st == ClockPaused {
				a = ActionResume
			}
		case TriggerCancelled, TriggerClosed:
			if st == ClockRunning || st == ClockPaused || st == 0 {
				a = ActionCancel
			}
		default:
			a = conditions[c.Spec.Metric][tr]
			switch {
			case a == ActionStart && st != 0:
				a = ActionReset
			case a == ActionReset && st == 0:
				a = ActionStart
			case (a == ActionStop || a == ActionCancel) && st != ClockRunning && st != ClockPaused:
				a = 0
			}
		}
		if a == 0 {
			continue
		}
		if err := c.Apply(a, at, reason); err != nil {
			return changed, fmt.Errorf("apply %d: %w", tr, err)
		}
		changed = append(changed, i)
	}
	return changed, nil
}
