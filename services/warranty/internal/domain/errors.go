package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Violation is one broken field rule: Field is the field's path in the API request
// ("custom_conditions[2].expression"), Rule says what is wrong.
type Violation struct {
	Field string
	Rule  string
}

// ValidationError is bad input: one or more field violations. The API answers it with
// INVALID_ARGUMENT and a BadRequest listing the violations.
type ValidationError struct {
	Violations []Violation
}

// Error joins the violations as "field: rule; field: rule".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + ": " + v.Rule
	}
	return strings.Join(parts, "; ")
}

// Prefix returns a copy of e whose field paths start with prefix and a dot ("policy.").
func (e *ValidationError) Prefix(prefix string) *ValidationError {
	out := &ValidationError{Violations: make([]Violation, len(e.Violations))}
	for i, v := range e.Violations {
		out.Violations[i] = Violation{Field: prefix + "." + v.Field, Rule: v.Rule}
	}
	return out
}

// violations collects field violations.
type violations []Violation

func (vs *violations) add(field, format string, args ...any) {
	*vs = append(*vs, Violation{Field: field, Rule: fmt.Sprintf(format, args...)})
}

func (vs violations) err() error {
	if len(vs) == 0 {
		return nil
	}
	return &ValidationError{Violations: vs}
}

// Sentinel errors for rules that depend on state; the API maps them to gRPC codes.
var (
	// ErrCardAlreadyReturned: the unit's warranty card was already recorded.
	ErrCardAlreadyReturned = errors.New("warranty card already returned")
	// ErrUnitClosed: the unit was exchanged or refunded; it takes no more repairs or claims.
	ErrUnitClosed = errors.New("unit was exchanged or refunded")
	// ErrPolicyMismatch: a unit and the policy passed with it disagree.
	ErrPolicyMismatch = errors.New("policy does not match the unit")
)
