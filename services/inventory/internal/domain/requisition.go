package domain

import "fmt"

// RequisitionState is where a requisition is. The values match
// sanbao.inventory.v1.RequisitionState.
type RequisitionState int

// Requisition states: PENDING -> APPROVED | REJECTED; APPROVED -> ISSUED.
const (
	RequisitionPending  RequisitionState = 1
	RequisitionApproved RequisitionState = 2
	RequisitionRejected RequisitionState = 3
	RequisitionIssued   RequisitionState = 4
)

// RequisitionStates lists every state, for exhaustive tests.
func RequisitionStates() []RequisitionState {
	return []RequisitionState{RequisitionPending, RequisitionApproved, RequisitionRejected, RequisitionIssued}
}

// String names the state.
func (s RequisitionState) String() string {
	switch s {
	case RequisitionPending:
		return "pending"
	case RequisitionApproved:
		return "approved"
	case RequisitionRejected:
		return "rejected"
	case RequisitionIssued:
		return "issued"
	}
	return fmt.Sprintf("requisition_state(%d)", int(s))
}

// RequisitionEvent is what can happen to a requisition.
type RequisitionEvent int

// Requisition events.
const (
	RequisitionApprove RequisitionEvent = iota + 1
	RequisitionReject
	RequisitionIssue
)

// RequisitionEvents lists every event, for exhaustive tests.
func RequisitionEvents() []RequisitionEvent {
	return []RequisitionEvent{RequisitionApprove, RequisitionReject, RequisitionIssue}
}

// String names the event.
func (e RequisitionEvent) String() string {
	switch e {
	case RequisitionApprove:
		return "approve"
	case RequisitionReject:
		return "reject"
	case RequisitionIssue:
		return "issue"
	}
	return fmt.Sprintf("requisition_event(%d)", int(e))
}

// NextRequisitionState is the requisition transition table: goods go out only on an approved
// requisition (领料单).
func NextRequisitionState(from RequisitionState, ev RequisitionEvent) (RequisitionState, error) {
	switch {
	case from == RequisitionPending && ev == RequisitionApprove:
		return RequisitionApproved, nil
	case from == RequisitionPending && ev == RequisitionReject:
		return RequisitionRejected, nil
	case from == RequisitionApproved && ev == RequisitionIssue:
		return RequisitionIssued, nil
	}
	return from, &TransitionError{Machine: "requisition", From: from.String(), Event: ev.String()}
}

// CheckApprover enforces separation of duties when the policy asks for it: the requester
// never approves their own requisition (ErrSelfApproval).
func CheckApprover(requesterID, approverID string, p Policy) error {
	if p.DistinctApprover && requesterID == approverID {
		return fmt.Errorf("%w: approver_id: %q requested this requisition and may not approve it; another manager must", ErrSelfApproval, approverID)
	}
	return nil
}

// NeedsRequisition reports whether goods held at a location of this kind go out only on an
// approved requisition (seed 002 领料单): central and station stores; a van's own stock goes
// out directly.
func NeedsRequisition(kind LocationKind) bool {
	return kind == LocationCentral || kind == LocationStation
}
