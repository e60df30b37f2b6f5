// Package domain holds the ticket service's pure rules: the ticket state machine, SLA clocks on
// business calendars, service policies, complaints and the KPI formulas.
package domain

import (
	"errors"
	"fmt"
)

// State is where a ticket is in its life. The numbers match sanbao.ticket.v1.TicketState.
type State int

// The ticket states.
const (
	StateReceived State = iota + 1
	StateTriaged
	StateAwaiting
	StateRemoteGuidance
	StateDispatched
	StateInService
	StateEscalated
	StateResolved
	StateClosed
	StateReopened
	StateCancelled
)

// States lists every state, for exhaustive tests and tables.
var States = []State{StateReceived, StateTriaged, StateAwaiting, StateRemoteGuidance, StateDispatched,
	StateInService, StateEscalated, StateResolved, StateClosed, StateReopened, StateCancelled}

var stateNames = map[State]string{
	StateReceived: "received", StateTriaged: "triaged", StateAwaiting: "awaiting",
	StateRemoteGuidance: "remote_guidance", StateDispatched: "dispatched", StateInService: "in_service",
	StateEscalated: "escalated", StateResolved: "resolved", StateClosed: "closed",
	StateReopened: "reopened", StateCancelled: "cancelled",
}

// String returns the state's lower-case name.
func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Terminal reports whether no work can happen on a ticket in s without reopening it.
func (s State) Terminal() bool { return s == StateClosed || s == StateCancelled }

// Event is something that moves a ticket from one state to another.
type Event int

// The events of the ticket state machine.
const (
	// EventTriage: the warranty decision is in and the solution type chosen.
	EventTriage Event = iota + 1
	// EventGuideRemotely: the ticket is solved by phone or remote guidance.
	EventGuideRemotely
	// EventDispatch: an on-site job is requested.
	EventDispatch
	// EventCheckIn: the technician checked in on site.
	EventCheckIn
	// EventVisitCompleted: the visit fixed the problem.
	EventVisitCompleted
	// EventVisitFailed: the visit did not fix the problem (服务事件升级 follows).
	EventVisitFailed
	// EventEscalate: the desk escalates.
	EventEscalate
	// EventHold: the ticket waits for the customer, parts or a supplier.
	EventHold
	// EventResume: the wait is over; the ticket goes back to where it was.
	EventResume
	// EventResolve: the desk records the solution.
	EventResolve
	// EventClose: the ticket is closed (after confirmation or the policy timeout).
	EventClose
	// EventReopen: the problem came back.
	EventReopen
	// EventCancel: the ticket is withdrawn.
	EventCancel
)

// Events lists every event, for exhaustive tests.
var Events = []Event{EventTriage, EventGuideRemotely, EventDispatch, EventCheckIn, EventVisitCompleted,
	EventVisitFailed, EventEscalate, EventHold, EventResume, EventResolve, EventClose, EventReopen, EventCancel}

var eventNames = map[Event]string{
	EventTriage: "triage", EventGuideRemotely: "guide_remotely", EventDispatch: "dispatch",
	EventCheckIn: "check_in", EventVisitCompleted: "visit_completed", EventVisitFailed: "visit_failed",
	EventEscalate: "escalate", EventHold: "hold", EventResume: "resume", EventResolve: "resolve",
	EventClose: "close", EventReopen: "reopen", EventCancel: "cancel",
}

// String returns the event's lower-case name.
func (e Event) String() string {
	if n, ok := eventNames[e]; ok {
		return n
	}
	return fmt.Sprintf("event(%d)", int(e))
}

// stateHeldFrom is the target of EventResume: the state the ticket was in before the hold.
const stateHeldFrom State = -1

// transitions is the ticket state machine: from state, on event, to state. What is not in the
// table is illegal.
var transitions = map[State]map[Event]State{
	StateReceived: {
		EventTriage:  StateTriaged,
		EventResolve: StateResolved, // what can be answered at once is answered at once
		EventCancel:  StateCancelled,
	},
	StateTriaged: {
		EventGuideRemotely: StateRemoteGuidance,
		EventDispatch:      StateDispatched,
		EventHold:          StateAwaiting,
		EventEscalate:      StateEscalated,
		EventResolve:       StateResolved,
		EventCancel:        StateCancelled,
	},
	StateAwaiting: {
		EventResume: stateHeldFrom,
		EventCancel: StateCancelled,
	},
	StateRemoteGuidance: {
		EventDispatch: StateDispatched,
		EventHold:     StateAwaiting,
		EventEscalate: StateEscalated,
		EventResolve:  StateResolved,
		EventCancel:   StateCancelled,
	},
	StateDispatched: {
		EventCheckIn:        StateInService,
		EventVisitCompleted: StateResolved,
		EventVisitFailed:    StateEscalated,
		EventHold:           StateAwaiting,
		EventEscalate:       StateEscalated,
		EventResolve:        StateResolved,
		EventCancel:         StateCancelled,
	},
	StateInService: {
		EventVisitCompleted: StateResolved,
		EventVisitFailed:    StateEscalated,
		EventHold:           StateAwaiting,
		EventEscalate:       StateEscalated,
		EventResolve:        StateResolved,
	},
	StateEscalated: {
		EventGuideRemotely: StateRemoteGuidance,
		EventDispatch:      StateDispatched,
		EventEscalate:      StateEscalated,
		EventHold:          StateAwaiting,
		EventResolve:       StateResolved,
		EventCancel:        StateCancelled,
	},
	StateResolved: {
		EventClose:  StateClosed,
		EventReopen: StateReopened,
	},
	StateClosed: {
		EventReopen: StateReopened,
	},
	StateReopened: {
		EventTriage:  StateTriaged,
		EventResolve: StateResolved,
		EventCancel:  StateCancelled,
	},
	StateCancelled: {},
}

// ErrIllegalTransition is wrapped by every *TransitionError.
var ErrIllegalTransition = errors.New("illegal state change")

// TransitionError says that event is not allowed in state From.
type TransitionError struct {
	From  State
	Event Event
}

// Error returns e.g. "cannot close a ticket in state dispatched".
func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s a ticket in state %s", e.Event, e.From)
}

// Unwrap returns ErrIllegalTransition.
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// Transition returns the state a ticket in from moves to on ev. heldFrom is the state before
// the current hold (used by EventResume only). An event the table does not allow is a
// *TransitionError.
func Transition(from State, ev Event, heldFrom State) (State, error) {
	to, ok := transitions[from][ev]
	if !ok {
		return 0, &TransitionError{From: from, Event: ev}
	}
	if to == stateHeldFrom {
		if _, ok := transitions[heldFrom]; !ok || heldFrom == StateAwaiting || heldFrom.Terminal() {
			return 0, &TransitionError{From: from, Event: ev}
		}
		return heldFrom, nil
	}
	return to, nil
}

// Allowed reports whether ev is allowed in state s.
func Allowed(s State, ev Event) bool {
	_, ok := transitions[s][ev]
	return ok
}
