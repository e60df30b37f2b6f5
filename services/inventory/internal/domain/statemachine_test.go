package domain

import (
	"errors"
	"testing"
)

func TestNextReservationState(t *testing.T) {
	want := map[ReservationState]map[ReservationEvent]ReservationState{
		ReservationActive: {
			ReservationRelease: ReservationReleased,
			ReservationConsume: ReservationConsumed,
			ReservationExpire:  ReservationExpired,
		},
	}
	for _, s := range ReservationStates() {
		for _, ev := range ReservationEvents() {
			t.Run(s.String()+"/"+ev.String(), func(t *testing.T) {
				got, err := NextReservationState(s, ev)
				to, ok := want[s][ev]
				if !ok {
					if !errors.Is(err, ErrIllegalTransition) || got != s {
						t.Fatalf("NextReservationState(%s, %s) = %s, %v; want %s, ErrIllegalTransition", s, ev, got, err, s)
					}
					return
				}
				if err != nil || got != to {
					t.Fatalf("NextReservationState(%s, %s) = %s, %v; want %s", s, ev, got, err, to)
				}
			})
		}
	}
}

func TestNextRequisitionState(t *testing.T) {
	want := map[RequisitionState]map[RequisitionEvent]RequisitionState{
		RequisitionPending:  {RequisitionApprove: RequisitionApproved, RequisitionReject: RequisitionRejected},
		RequisitionApproved: {RequisitionIssue: RequisitionIssued},
	}
	for _, s := range RequisitionStates() {
		for _, ev := range RequisitionEvents() {
			t.Run(s.String()+"/"+ev.String(), func(t *testing.T) {
				got, err := NextRequisitionState(s, ev)
				to, ok := want[s][ev]
				if !ok {
					if !errors.Is(err, ErrIllegalTransition) || got != s {
						t.Fatalf("NextRequisitionState(%s, %s) = %s, %v; want %s, ErrIllegalTransition", s, ev, got, err, s)
					}
					return
				}
				if err != nil || got != to {
					t.Fatalf("NextRequisitionState(%s, %s) = %s, %v; want %s", s, ev, got, err, to)
				}
			})
		}
	}
}

func TestNextReturnState(t *testing.T) {
	want := map[ReturnState]map[ReturnEvent]ReturnState{
		ReturnAwaiting:         {ReturnReceive: ReturnPendingAppraisal},
		ReturnPendingAppraisal: {ReturnAppraise: ReturnAppraised},
	}
	for _, s := range ReturnStates() {
		for _, ev := range ReturnEvents() {
			t.Run(s.String()+"/"+ev.String(), func(t *testing.T) {
				got, err := NextReturnState(s, ev)
				to, ok := want[s][ev]
				if !ok {
					if !errors.Is(err, ErrIllegalTransition) || got != s {
						t.Fatalf("NextReturnState(%s, %s) = %s, %v; want %s, ErrIllegalTransition", s, ev, got, err, s)
					}
					return
				}
				if err != nil || got != to {
					t.Fatalf("NextReturnState(%s, %s) = %s, %v; want %s", s, ev, got, err, to)
				}
			})
		}
	}
}

func TestNextClaimState(t *testing.T) {
	for _, s := range ClaimStates() {
		for _, outcome := range ClaimStates() {
			t.Run(s.String()+"/"+outcome.String(), func(t *testing.T) {
				got, err := NextClaimState(s, outcome)
				legal := s == ClaimOpen && outcome != ClaimOpen
				if legal && (err != nil || got != outcome) {
					t.Fatalf("NextClaimState(%s, %s) = %s, %v; want %s", s, outcome, got, err, outcome)
				}
				if !legal && (!errors.Is(err, ErrIllegalTransition) || got != s) {
					t.Fatalf("NextClaimState(%s, %s) = %s, %v; want ErrIllegalTransition", s, outcome, got, err)
				}
			})
		}
	}
}
