package domain

import (
	"errors"
	"testing"
)

func TestTransitionEveryStateAndEvent(t *testing.T) {
	S := func(s State) *State { return &s }
	// want[state][event] is the next state, nil when illegal.
	want := map[State]map[Event]*State{
		StateUnassigned: {
			EventAssign: S(StateAssigned), EventEscalate: S(StateUnassigned), EventCancel: S(StateCancelled),
			EventApprove: S(StateUnassigned),
		},
		StateAssigned: {
			EventAssign: S(StateAssigned), EventAccept: S(StateAccepted), EventDecline: S(StateUnassigned),
			EventAcceptTimeout: S(StateUnassigned), EventEscalate: S(StateAssigned), EventCancel: S(StateCancelled),
			EventApprove: S(StateAssigned),
		},
		StateAccepted: {
			EventAssign: S(StateAssigned), EventSchedule: S(StateAccepted), EventReschedule: S(StateAccepted),
			EventStartTravel: S(StateEnRoute), EventCheckIn: S(StateOnSite), EventEscalate: S(StateAccepted),
			EventCancel: S(StateCancelled), EventApprove: S(StateAccepted),
		},
		StateEnRoute: {
			EventReschedule: S(StateEnRoute), EventCheckIn: S(StateOnSite), EventEscalate: S(StateEnRoute),
			EventCancel: S(StateCancelled),
		},
		StateOnSite: {
			EventRecordWork: S(StateOnSite), EventComplete: S(StateCompleted), EventFail: S(StateFailed),
			EventEscalate: S(StateOnSite), EventCancel: S(StateCancelled),
		},
		StateCompleted: {EventAmend: S(StateCompleted)},
		StateFailed:    {EventAmend: S(StateFailed), EventEscalate: S(StateFailed)},
		StateCancelled: {},
	}
	for _, from := range AllStates() {
		for _, ev := range AllEvents() {
			t.Run(from.String()+"/"+ev.String(), func(t *testing.T) {
				got, err := Transition(from, ev)
				w := want[from][ev]
				if w == nil {
					var te *TransitionError
					if !errors.As(err, &te) || !errors.Is(err, ErrPrecondition) {
						t.Fatalf("Transition(%s, %s) = %s, %v; want illegal (ErrPrecondition)", from, ev, got, err)
					}
					if got != from {
						t.Fatalf("Transition(%s, %s) state = %s on error, want unchanged", from, ev, got)
					}
					return
				}
				if err != nil || got != *w {
					t.Fatalf("Transition(%s, %s) = %s, %v; want %s", from, ev, got, err, *w)
				}
			})
		}
	}
}

func TestStateFinalAndOpen(t *testing.T) {
	tests := []struct {
		s           State
		final, open bool
	}{
		{StateUnassigned, false, false},
		{StateAssigned, false, true},
		{StateAccepted, false, true},
		{StateEnRoute, false, true},
		{StateOnSite, false, true},
		{StateCompleted, true, false},
		{StateFailed, true, false},
		{StateCancelled, true, false},
	}
	for _, tt := range tests {
		if got := tt.s.Final(); got != tt.final {
			t.Errorf("%s.Final() = %v, want %v", tt.s, got, tt.final)
		}
		if got := tt.s.Open(); got != tt.open {
			t.Errorf("%s.Open() = %v, want %v", tt.s, got, tt.open)
		}
	}
	// No transition leaves a final state except amendments and escalations, which keep it.
	for _, s := range AllStates() {
		if !s.Final() {
			continue
		}
		for _, ev := range AllEvents() {
			if to, err := Transition(s, ev); err == nil && to != s {
				t.Errorf("Transition(%s, %s) = %s: a final state must not change", s, ev, to)
			}
		}
	}
}

func TestArranged(t *testing.T) {
	for _, s := range AllStates() {
		for _, appt := range []bool{false, true} {
			want := s != StateUnassigned && s != StateAssigned && (s != StateAccepted || appt)
			if got := Arranged(s, appt); got != want {
				t.Errorf("Arranged(%s, appointment %v) = %v, want %v", s, appt, got, want)
			}
		}
	}
}
