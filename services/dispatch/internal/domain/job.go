package domain

// State is where a job is in its life.
type State int

// The job states (the same order as the API's JobState).
const (
	StateUnspecified State = iota
	StateUnassigned
	StateAssigned
	StateAccepted
	StateEnRoute
	StateOnSite
	StateCompleted
	StateFailed
	StateCancelled
)

// AllStates returns every real state, for exhaustive tests and loops.
func AllStates() []State {
	return []State{StateUnassigned, StateAssigned, StateAccepted, StateEnRoute, StateOnSite,
		StateCompleted, StateFailed, StateCancelled}
}

// String returns the state as the API spells it (UNASSIGNED, ...).
func (s State) String() string {
	switch s {
	case StateUnassigned:
		return "UNASSIGNED"
	case StateAssigned:
		return "ASSIGNED"
	case StateAccepted:
		return "ACCEPTED"
	case StateEnRoute:
		return "EN_ROUTE"
	case StateOnSite:
		return "ON_SITE"
	case StateCompleted:
		return "COMPLETED"
	case StateFailed:
		return "FAILED"
	case StateCancelled:
		return "CANCELLED"
	}
	return "UNSPECIFIED"
}

// Final reports whether no further state change is possible.
func (s State) Final() bool {
	return s == StateCompleted || s == StateFailed || s == StateCancelled
}

// Open reports whether the job counts toward its technician's load.
func (s State) Open() bool {
	return s == StateAssigned || s == StateAccepted || s == StateEnRoute || s == StateOnSite
}

// Event is something that happens to a job.
type Event int

// The job events.
const (
	// EventAssign gives the job to a technician (automatic or manual).
	EventAssign Event = iota + 1
	// EventAccept is the technician accepting.
	EventAccept
	// EventDecline is the technician declining; the job is free for the next best.
	EventDecline
	// EventAcceptTimeout is the acceptance time running out; the job is free for the next best.
	EventAcceptTimeout
	// EventSchedule records the agreed appointment.
	EventSchedule
	// EventReschedule agrees a new appointment window.
	EventReschedule
	// EventStartTravel is the technician setting off.
	EventStartTravel
	// EventCheckIn is the technician arriving on site.
	EventCheckIn
	// EventRecordWork saves the draft report.
	EventRecordWork
	// EventComplete completes the visit, resolved.
	EventComplete
	// EventFail completes the visit, unresolved.
	EventFail
	// EventAmend appends a correction to the signed report.
	EventAmend
	// EventEscalate raises an escalation.
	EventEscalate
	// EventCancel cancels the job.
	EventCancel
	// EventApprove is a manager approving a paid job before work starts.
	EventApprove
)

// AllEvents returns every event, for exhaustive tests.
func AllEvents() []Event {
	return []Event{EventAssign, EventAccept, EventDecline, EventAcceptTimeout, EventSchedule,
		EventReschedule, EventStartTravel, EventCheckIn, EventRecordWork, EventComplete, EventFail,
		EventAmend, EventEscalate, EventCancel, EventApprove}
}

// String names the event for error messages.
func (e Event) String() string {
	switch e {
	case EventAssign:
		return "assign"
	case EventAccept:
		return "accept"
	case EventDecline:
		return "decline"
	case EventAcceptTimeout:
		return "accept timeout"
	case EventSchedule:
		return "schedule appointment"
	case EventReschedule:
		return "reschedule appointment"
	case EventStartTravel:
		return "start travel"
	case EventCheckIn:
		return "check in"
	case EventRecordWork:
		return "record work"
	case EventComplete:
		return "complete visit"
	case EventFail:
		return "fail visit"
	case EventAmend:
		return "amend report"
	case EventEscalate:
		return "escalate"
	case EventCancel:
		return "cancel"
	case EventApprove:
		return "approve"
	}
	return "unknown event"
}

type transition struct {
	from  State
	event Event
}

// transitions is the job state machine: every allowed (state, event) and the state after it.
// Anything not listed is illegal.
var transitions = map[transition]State{
	{StateUnassigned, EventAssign}: StateAssigned,
	{StateAssigned, EventAssign}:   StateAssigned, // manual override
	{StateAccepted, EventAssign}:   StateAssigned, // manual override

	{StateAssigned, EventAccept}:        StateAccepted,
	{StateAssigned, EventDecline}:       StateUnassigned, // then the next best is assigned
	{StateAssigned, EventAcceptTimeout}: StateUnassigned, // then the next best is assigned

	{StateAccepted, EventSchedule}:   StateAccepted,
	{StateAccepted, EventReschedule}: StateAccepted,
	{StateEnRoute, EventReschedule}:  StateEnRoute,

	{StateAccepted, EventStartTravel}: StateEnRoute,
	{StateAccepted, EventCheckIn}:     StateOnSite,
	{StateEnRoute, EventCheckIn}:      StateOnSite,

	{StateOnSite, EventRecordWork}: StateOnSite,
	{StateOnSite, EventComplete}:   StateCompleted,
	{StateOnSite, EventFail}:       StateFailed,

	{StateCompleted, EventAmend}: StateCompleted,
	{StateFailed, EventAmend}:    StateFailed,

	{StateUnassigned, EventEscalate}: StateUnassigned,
	{StateAssigned, EventEscalate}:   StateAssigned,
	{StateAccepted, EventEscalate}:   StateAccepted,
	{StateEnRoute, EventEscalate}:    StateEnRoute,
	{StateOnSite, EventEscalate}:     StateOnSite,
	{StateFailed, EventEscalate}:     StateFailed,

	{StateUnassigned, EventApprove}: StateUnassigned,
	{StateAssigned, EventApprove}:   StateAssigned,
	{StateAccepted, EventApprove}:   StateAccepted,

	{StateUnassigned, EventCancel}: StateCancelled,
	{StateAssigned, EventCancel}:   StateCancelled,
	{StateAccepted, EventCancel}:   StateCancelled,
	{StateEnRoute, EventCancel}:    StateCancelled,
	{StateOnSite, EventCancel}:     StateCancelled,
}

// Transition returns the state after event in state from, or a *TransitionError
// (ErrPrecondition) when the event is not allowed there.
func Transition(from State, event Event) (State, error) {
	to, ok := transitions[transition{from, event}]
	if !ok {
		return from, &TransitionError{From: from, Event: event}
	}
	return to, nil
}

// Arranged reports whether a job in state s counts as arranged at the desk's check: accepted by
// a technician with an appointment agreed with the customer, or further along (or closed).
func Arranged(s State, hasAppointment bool) bool {
	switch s {
	case StateAccepted:
		return hasAppointment
	case StateEnRoute, StateOnSite, StateCompleted, StateFailed, StateCancelled:
		return true
	}
	return false
}
