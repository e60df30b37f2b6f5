// Package rpc is the gRPC edge every service shares: the server with its interceptors (logging,
// panic recovery, readiness gate, protovalidate), health and reflection; error construction with
// field violations; and clients with deadlines and safe retries.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/store"
)

// Violation is one bad field of a request.
type Violation struct {
	Field       string // the field path, e.g. "lines[2].quantity"
	Description string // the rule it breaks, e.g. "must be positive, got -2"
}

// InvalidArgument returns an INVALID_ARGUMENT status carrying a google.rpc.BadRequest with the
// violations; its message lists them as "field: description".
func InvalidArgument(vs ...Violation) error {
	parts := make([]string, len(vs))
	br := &errdetails.BadRequest{}
	for i, v := range vs {
		parts[i] = v.Field + ": " + v.Description
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field: v.Field, Description: v.Description,
		})
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(parts, "; "))
	if d, err := st.WithDetails(br); err == nil {
		st = d
	}
	return st.Err()
}

// FieldError is shorthand for InvalidArgument with one violation.
func FieldError(field, format string, args ...any) error {
	return InvalidArgument(Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// ErrorDomain is the google.rpc.ErrorInfo domain of Sanbao's own refusal reasons.
const ErrorDomain = "sanbao"

// Reasons of PERMISSION_DENIED answers (google.rpc.ErrorInfo.reason), for clients that act on
// them rather than on the message.
const (
	// ReasonSelfApproval: the caller asked for (or made) what it now tries to approve; another
	// holder of the approving role must.
	ReasonSelfApproval = "SELF_APPROVAL"
)

// PermissionDenied returns a PERMISSION_DENIED status carrying a google.rpc.ErrorInfo with
// reason (one of the Reason constants) in ErrorDomain; the message says the rule.
func PermissionDenied(reason, format string, args ...any) error {
	st := status.New(codes.PermissionDenied, fmt.Sprintf(format, args...))
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain}); err == nil {
		st = d
	}
	return st.Err()
}

// Errorf returns a status error with code and message.
func Errorf(code codes.Code, format string, args ...any) error {
	return status.Errorf(code, format, args...)
}

// internalError hides its cause from callers (they see "internal error") while the logging
// interceptor, which logs err.Error(), records the cause.
type internalError struct{ cause error }

func (e internalError) Error() string { return "internal: " + e.cause.Error() }
func (e internalError) Unwrap() error { return e.cause }

// GRPCStatus is what the caller sees.
func (e internalError) GRPCStatus() *status.Status {
	return status.New(codes.Internal, "internal error; the server log has the details")
}

// Internal wraps an unexpected error: INTERNAL for the caller, the cause in the server log.
func Internal(err error) error { return internalError{cause: err} }

// Status maps the errors that the platform itself produces, plus context errors and errors that
// already carry a status, to a gRPC status error; anything else becomes Internal. Each service's
// toStatus table handles its domain errors first and falls back to Status.
func Status(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, idem.ErrMismatch):
		return FieldError("request_id", "was already used for a different request; use a new request_id for a new request")
	case errors.Is(err, store.ErrBadPageToken):
		return FieldError("page_token", "is not a token this list returned (or the filters changed)")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	}
	return Internal(err)
}
