package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors; the API layer maps each to a gRPC code in one table.
var (
	// ErrInvalid marks bad input that only the domain can judge (INVALID_ARGUMENT).
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound marks an unknown id (NOT_FOUND).
	ErrNotFound = errors.New("not found")
	// ErrPrecondition marks a change the resource's state does not allow (FAILED_PRECONDITION).
	ErrPrecondition = errors.New("failed precondition")
	// ErrStale marks an etag mismatch (ABORTED).
	ErrStale = errors.New("stale etag")
	// ErrSelfApproval marks an approver who asked for what they approve (PERMISSION_DENIED,
	// reason SELF_APPROVAL).
	ErrSelfApproval = errors.New("permission denied")
	// ErrExists marks a natural key (a technician code) that another record holds (ALREADY_EXISTS).
	ErrExists = errors.New("already exists")
)

// TransitionError is an illegal state change; it wraps ErrPrecondition.
type TransitionError struct {
	From  State
	Event Event
}

// Error says which event is not allowed in which state.
func (e *TransitionError) Error() string {
	return fmt.Sprintf("job state: %s not allowed in state %s", e.Event, e.From)
}

// Unwrap makes errors.Is(err, ErrPrecondition) true.
func (e *TransitionError) Unwrap() error { return ErrPrecondition }

// Preconditionf returns an ErrPrecondition error with a message naming the rule.
func Preconditionf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrPrecondition, fmt.Sprintf(format, args...))
}

// Invalidf returns an ErrInvalid error with a message naming the field and rule.
func Invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func errSelfApprovalf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSelfApproval, fmt.Sprintf(format, args...))
}
