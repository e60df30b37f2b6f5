package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors. The API layer maps each to one gRPC code.
var (
	// ErrInsufficientStock: a movement would take on-hand, reserved or available below zero.
	ErrInsufficientStock = errors.New("insufficient stock")
	// ErrIllegalTransition: the state machine does not allow the event in the current state.
	ErrIllegalTransition = errors.New("illegal state change")
	// ErrInvalid: the input breaks a rule that does not depend on stored state.
	ErrInvalid = errors.New("invalid argument")
	// ErrPrecondition: the input conflicts with stored state in a way that is not a state
	// machine transition (wrong location kind, part not on the reservation, ...).
	ErrPrecondition = errors.New("failed precondition")
	// ErrStale: an update named an etag that is no longer the resource's (someone changed it
	// since it was read).
	ErrStale = errors.New("etag is stale: read the resource again and retry")
	// ErrSelfApproval: the approver is the requester (PERMISSION_DENIED, reason SELF_APPROVAL).
	ErrSelfApproval = errors.New("self-approval")
)

// ShortageError says which part at which location is short, and by how much.
type ShortageError struct {
	PartID     string
	LocationID string
	Requested  int64
	Available  int64
}

// Error implements error.
func (e *ShortageError) Error() string {
	return fmt.Sprintf("part %s at location %s: requested %d, available %d", e.PartID, e.LocationID, e.Requested, e.Available)
}

// Unwrap makes errors.Is(err, ErrInsufficientStock) true.
func (e *ShortageError) Unwrap() error { return ErrInsufficientStock }

// TransitionError names the machine, state and event of a refused transition.
type TransitionError struct {
	Machine string
	From    string
	Event   string
}

// Error implements error.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("%s: cannot %s when %s", e.Machine, e.Event, e.From)
}

// Unwrap makes errors.Is(err, ErrIllegalTransition) true.
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }

// FieldError is an invalid input field with the rule it breaks.
type FieldError struct {
	Field string
	Rule  string
}

// Error implements error ("lines[1].quantity: must be positive, got -2").
func (e *FieldError) Error() string { return e.Field + ": " + e.Rule }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Invalid returns a FieldError.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...)}
}

// PreconditionError is a conflict with stored state, with a message for the caller.
type PreconditionError struct {
	Msg string
}

// Error implements error.
func (e *PreconditionError) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, ErrPrecondition) true.
func (e *PreconditionError) Unwrap() error { return ErrPrecondition }

// Precondition returns a PreconditionError.
func Precondition(format string, args ...any) error {
	return &PreconditionError{Msg: fmt.Sprintf(format, args...)}
}
