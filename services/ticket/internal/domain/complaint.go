package domain

import (
	"errors"
	"fmt"
)

// ComplaintCategory is a complaint's category by cause. The numbers match
// sanbao.ticket.v1.ComplaintCategory.
type ComplaintCategory int

// The complaint categories.
const (
	CategoryProductQuality ComplaintCategory = iota + 1
	CategoryHumanNonQuality
	CategoryOther
)

// Severity is how a complaint is handled. The numbers match sanbao.ticket.v1.ComplaintSeverity.
type Severity int

// The severities.
const (
	SeverityMinor Severity = iota + 1
	SeveritySerious
	SeverityPriorityCase
	SeverityIndividualCase
)

// Serious reports whether s takes the serious-case path (complaint form, engineering fix,
// management and sales agree with the customer, departments sign off): the ticket escalates.
func (s Severity) Serious() bool { return s >= SeveritySerious }

// ComplaintStep is where a complaint's handling is.
type ComplaintStep int

// The complaint steps.
const (
	ComplaintReceived ComplaintStep = iota + 1
	ComplaintVerified
	ComplaintAnswered
)

// Errors of complaint handling.
var (
	// ErrNotComplaint: a complaint operation on a ticket of another kind.
	ErrNotComplaint = errors.New("ticket is not a complaint")
	// ErrComplaintStep: verify twice, or answer before verifying.
	ErrComplaintStep = errors.New("complaint step out of order")
	// ErrRootCauseRequired: a product-quality complaint answered without root cause or prevention.
	ErrRootCauseRequired = errors.New("product-quality complaints need a root cause and a prevention measure")
	// ErrSignOffRequired: a serious complaint answered without any department's sign-off.
	ErrSignOffRequired = errors.New("serious complaints need at least one department sign-off")
	// ErrSelfApproval: a serious complaint answered by the one who verified it.
	ErrSelfApproval = errors.New("serious complaints are answered by another person than the one who verified them")
)

// FieldError is a rule on one field of a request that needs the resource's state to check.
type FieldError struct {
	Field string
	Rule  string
	Err   error
}

// Error returns "field: rule".
func (e *FieldError) Error() string { return e.Field + ": " + e.Rule }

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

// CheckVerify checks that a complaint at step can be verified.
func CheckVerify(kind Kind, step ComplaintStep, state State) error {
	if kind != KindComplaint {
		return ErrNotComplaint
	}
	if step != ComplaintReceived {
		return fmt.Errorf("verify: already verified: %w", ErrComplaintStep)
	}
	if state.Terminal() || state == StateResolved {
		return &TransitionError{From: state, Event: EventResolve}
	}
	return nil
}

// Answer is what the answer to a complaint must contain.
type Answer struct {
	RootCause  string
	Prevention string
	SignOffs   int
	// VerifiedBy and AnsweredBy are who verified the complaint and who answers it (ids; empty
	// when unknown, as on a server without authentication).
	VerifiedBy, AnsweredBy string
}

// CheckAnswer checks an answer against the complaint's category and severity: quality
// complaints need a root cause and a prevention measure, serious ones a sign-off.
func CheckAnswer(kind Kind, step ComplaintStep, cat ComplaintCategory, sev Severity, a Answer) error {
	if kind != KindComplaint {
		return ErrNotComplaint
	}
	if step != ComplaintVerified {
		return fmt.Errorf("answer: must be verified first and answered once: %w", ErrComplaintStep)
	}
	if cat == CategoryProductQuality {
		if a.RootCause == "" {
			return &FieldError{Field: "answer.root_cause", Rule: "required for product-quality complaints", Err: ErrRootCauseRequired}
		}
		if a.Prevention == "" {
			return &FieldError{Field: "answer.prevention", Rule: "required for product-quality complaints", Err: ErrRootCauseRequired}
		}
	}
	if sev.Serious() && a.SignOffs == 0 {
		return &FieldError{Field: "answer.sign_offs", Rule: "at least one for serious complaints", Err: ErrSignOffRequired}
	}
	// The answer of a serious complaint is management's approval of the solution the
	// verification proposed: four eyes.
	if sev.Serious() && a.AnsweredBy != "" && a.AnsweredBy == a.VerifiedBy {
		return fmt.Errorf("%w: %q verified this complaint; another manager answers it", ErrSelfApproval, a.AnsweredBy)
	}
	return nil
}
