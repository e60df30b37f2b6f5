package domain

import (
	"errors"
	"fmt"
	"testing"
)

// TestTransitionEveryStateAndEvent checks every state × event: the listed transitions go where
// DOMAIN.md §1 says, everything else is a *TransitionError.
func TestTransitionEveryStateAndEvent(t *testing.T) {
	allowed := map[string]State{
		"received/triage":            StateTriaged,
		"received/resolve":           StateResolved,
		"received/cancel":            StateCancelled,
		"triaged/guide_remotely":     StateRemoteGuidance,
		"triaged/dispatch":           StateDispatched,
		"triaged/hold":               StateAwaiting,
		"triaged/escalate":           StateEscalated,
		"triaged/resolve":            StateResolved,
		"triaged/cancel":             StateCancelled,
		"awaiting/resume":            StateDispatched, // heldFrom below
		"awaiting/cancel":            StateCancelled,
		"remote_guidance/dispatch":   StateDispatched,
		"remote_guidance/hold":       StateAwaiting,
		"remote_guidance/escalate":   StateEscalated,
		"remote_guidance/resolve":    StateResolved,
		"remote_guidance/cancel":     StateCancelled,
		"dispatched/check_in":        StateInService,
		"dispatched/visit_completed": StateResolved,
		"dispatched/visit_failed":    StateEscalated,
		"dispatched/hold":            StateAwaiting,
		"dispatched/escalate":        StateEscalated,
		"dispatched/resolve":         StateResolved,
		"dispatched/cancel":          StateCancelled,
		"in_service/visit_completed": StateResolved,
		"in_service/visit_failed":    StateEscalated,
		"in_service/hold":            StateAwaiting,
		"in_service/escalate":        StateEscalated,
		"in_service/resolve":         StateResolved,
		"escalated/guide_remotely":   StateRemoteGuidance,
		"escalated/dispatch":         StateDispatched,
		"escalated/escalate":         StateEscalated,
		"escalated/hold":             StateAwaiting,
		"escalated/resolve":          StateResolved,
		"escalated/cancel":           StateCancelled,
		"resolved/close":             StateClosed,
		"resolved/reopen":            StateReopened,
		"closed/reopen":              StateReopened,
		"reopened/triage":            StateTriaged,
		"reopened/resolve":           StateResolved,
		"reopened/cancel":            StateCancelled,
	}
	seen := 0
	for _, s := range States {
		for _, ev := range Events {
			key := fmt.Sprintf("%s/%s", s, ev)
			t.Run(key, func(t *testing.T) {
				got, err := Transition(s, ev, StateDispatched)
				want, ok := allowed[key]
				if ok {
					seen++
					if err != nil || got != want {
						t.Errorf("Transition(%s, %s) = %s, %v; want %s", s, ev, got, err, want)
					}
					if !Allowed(s, ev) {
						t.Errorf("Allowed(%s, %s) = false, want true", s, ev)
					}
					return
				}
				var te *TransitionError
				if !errors.As(err, &te) || !errors.Is(err, ErrIllegalTransition) {
					t.Errorf("Transition(%s, %s) = %s, %v; want a *TransitionError", s, ev, got, err)
				}
				if Allowed(s, ev) {
					t.Errorf("Allowed(%s, %s) = true, want false", s, ev)
				}
			})
		}
	}
	if seen != len(allowed) {
		t.Errorf("checked %d allowed transitions, table has %d", seen, len(allowed))
	}
}

func TestResumeReturnsToHeldFrom(t *testing.T) {
	for _, held := range States {
		if !Allowed(held, EventHold) {
			continue
		}
		t.Run(held.String(), func(t *testing.T) {
			got, err := Transition(StateAwaiting, EventResume, held)
			if err != nil || got != held {
				t.Errorf("Transition(awaiting, resume, %s) = %s, %v; want %s", held, got, err, held)
			}
		})
	}
	for _, bad := range []State{0, StateAwaiting, StateClosed, StateCancelled} {
		if got, err := Transition(StateAwaiting, EventResume, bad); err == nil {
			t.Errorf("Transition(awaiting, resume, %s) = %s, nil; want error", bad, got)
		}
	}
}

func TestStateStrings(t *testing.T) {
	for _, s := range States {
		if s.String() == fmt.Sprintf("state(%d)", int(s)) {
			t.Errorf("state %d has no name", int(s))
		}
	}
	for _, e := range Events {
		if e.String() == fmt.Sprintf("event(%d)", int(e)) {
			t.Errorf("event %d has no name", int(e))
		}
	}
	if got := (&TransitionError{From: StateDispatched, Event: EventClose}).Error(); got != "cannot close a ticket in state dispatched" {
		t.Errorf("TransitionError.Error() = %q", got)
	}
}
