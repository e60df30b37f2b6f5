package domain

import (
	"fmt"
	"time"
)

// ReturnState is where an old part is in the return loop. The values match
// sanbao.inventory.v1.ReturnState.
type ReturnState int

// Return states: AWAITING_RETURN -> PENDING_APPRAISAL -> APPRAISED.
const (
	ReturnAwaiting         ReturnState = 1
	ReturnPendingAppraisal ReturnState = 2
	ReturnAppraised        ReturnState = 3
)

// ReturnStates lists every state, for exhaustive tests.
func ReturnStates() []ReturnState {
	return []ReturnState{ReturnAwaiting, ReturnPendingAppraisal, ReturnAppraised}
}

// String names the state.
func (s ReturnState) String() string {
	switch s {
	case ReturnAwaiting:
		return "awaiting_return"
	case ReturnPendingAppraisal:
		return "pending_appraisal"
	case ReturnAppraised:
		return "appraised"
	}
	return fmt.Sprintf("return_state(%d)", int(s))
}

// ReturnEvent is what can happen to an old part.
type ReturnEvent int

// Return events.
const (
	ReturnReceive ReturnEvent = iota + 1
	ReturnAppraise
)

// ReturnEvents lists every event, for exhaustive tests.
func ReturnEvents() []ReturnEvent { return []ReturnEvent{ReturnReceive, ReturnAppraise} }

// String names the event.
func (e ReturnEvent) String() string {
	switch e {
	case ReturnReceive:
		return "receive"
	case ReturnAppraise:
		return "appraise"
	}
	return fmt.Sprintf("return_event(%d)", int(e))
}

// NextReturnState is the old-part transition table.
func NextReturnState(from ReturnState, ev ReturnEvent) (ReturnState, error) {
	switch {
	case from == ReturnAwaiting && ev == ReturnReceive:
		return ReturnPendingAppraisal, nil
	case from == ReturnPendingAppraisal && ev == ReturnAppraise:
		return ReturnAppraised, nil
	}
	return from, &TransitionError{Machine: "old part return", From: from.String(), Event: ev.String()}
}

// Outstanding reports whether a must-return old part is overdue at now: still awaited and
// past its due time.
func Outstanding(s ReturnState, due, now time.Time) bool {
	return s == ReturnAwaiting && now.After(due)
}

// Verdict is the appraisal finding. The values match sanbao.inventory.v1.Verdict.
type Verdict int

// Verdicts.
const (
	VerdictConfirmedFault Verdict = 1
	VerdictNoFaultFound   Verdict = 2
	VerdictMisuse         Verdict = 3
)

// Destination is where an appraised part goes. The values match
// sanbao.inventory.v1.Destination.
type Destination int

// Destinations.
const (
	DestinationReusable      Destination = 1
	DestinationScrap         Destination = 2
	DestinationSupplierClaim Destination = 3
)

// ChargeBack reports whether a verdict lets the warranty claim be charged back (the part was
// not faulty, or failed through misuse).
func ChargeBack(v Verdict) bool { return v == VerdictNoFaultFound || v == VerdictMisuse }

// CheckAppraisal validates a verdict with its destination: a supplier claim needs a confirmed
// fault, and a store destination needs a location of the matching kind.
func CheckAppraisal(v Verdict, d Destination, destKind LocationKind, hasDest bool) error {
	if v < VerdictConfirmedFault || v > VerdictMisuse {
		return Invalid("verdict", "must be a defined verdict, got %d", int(v))
	}
	switch d {
	case DestinationSupplierClaim:
		if v != VerdictConfirmedFault {
			return Invalid("destination", "a supplier claim needs verdict CONFIRMED_FAULT")
		}
		if hasDest {
			return Invalid("destination_location_id", "must be empty for a supplier claim")
		}
		return nil
	case DestinationReusable, DestinationScrap:
		if !hasDest {
			return Invalid("destination_location_id", "required for destination REUSABLE or SCRAP")
		}
		want := LocationReusable
		if d == DestinationScrap {
			want = LocationScrap
		}
		if destKind != want {
			return Precondition("destination_location_id: location is not a %s store", map[LocationKind]string{LocationReusable: "REUSABLE", LocationScrap: "SCRAP"}[want])
		}
		return nil
	}
	return Invalid("destination", "must be a defined destination, got %d", int(d))
}

// ClaimState is where a supplier claim is. The values match
// sanbao.inventory.v1.SupplierClaimState.
type ClaimState int

// Claim states: OPEN -> RECOVERED | REJECTED.
const (
	ClaimOpen      ClaimState = 1
	ClaimRecovered ClaimState = 2
	ClaimRejected  ClaimState = 3
)

// ClaimStates lists every state, for exhaustive tests.
func ClaimStates() []ClaimState { return []ClaimState{ClaimOpen, ClaimRecovered, ClaimRejected} }

// String names the state.
func (s ClaimState) String() string {
	switch s {
	case ClaimOpen:
		return "open"
	case ClaimRecovered:
		return "recovered"
	case ClaimRejected:
		return "rejected"
	}
	return fmt.Sprintf("claim_state(%d)", int(s))
}

// NextClaimState resolves an open claim to outcome (RECOVERED or REJECTED).
func NextClaimState(from, outcome ClaimState) (ClaimState, error) {
	if from == ClaimOpen && (outcome == ClaimRecovered || outcome == ClaimRejected) {
		return outcome, nil
	}
	return from, &TransitionError{Machine: "supplier claim", From: from.String(), Event: "resolve as " + outcome.String()}
}
