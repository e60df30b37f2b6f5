// Package rpc is the gRPC edge every service shares: the server with its interceptors (logging,
// panic recovery, readiness gate, protovalidate, error details), health and reflection; error
// construction with reasons, field violations and messages in the caller's language; and clients
// with deadlines and safe retries.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/store"
)

// Violation is one bad field of a request.
type Violation struct {
	Field       string // the field path, e.g. "lines[2].quantity"
	Description string // the rule it breaks, in English, e.g. "must be positive, got -2"
	// ZH is the rule in Chinese; empty: the English one is shown in a Chinese sentence.
	ZH string
	// Rule is the rule's id (protovalidate's "string.max_len", "required"); it becomes the
	// violation's UPPER_SNAKE reason. Empty: FIELD_INVALID.
	Rule string
}

// Error is an error the services answer with: a reason from the Catalogue (which gives the gRPC
// code), a message in English with the particulars, the fields at fault and metadata for
// ErrorInfo. The server's error interceptor adds google.rpc.ErrorInfo, a LocalizedMessage in the
// caller's language and the BadRequest; GRPCStatus is the English answer.
type Error struct {
	Reason     Reason
	Message    string
	Violations []Violation
	Metadata   map[string]string
}

func (e *Error) Error() string { return e.Message }

// GRPCStatus is the answer in English, with the details of the service domain "sanbao".
func (e *Error) GRPCStatus() *status.Status { return e.status("sanbao", English) }

func (e *Error) code() codes.Code {
	if en, ok := byReason[e.Reason]; ok {
		return en.Code
	}
	return codes.Unknown
}

func (e *Error) status(domain string, lang Language) *status.Status {
	st := status.New(e.code(), e.Message)
	return withDetails(st, domain, lang, e.Reason, e.Metadata, e.Violations, nil)
}

// Fail returns an error with reason (its code comes from the Catalogue) and an English message
// with the particulars; people read the reason's text in their language.
func Fail(reason Reason, format string, args ...any) error {
	return &Error{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// FailWith is Fail with ErrorInfo metadata (e.g. {"state": "CLOSED"}) a client may read.
func FailWith(reason Reason, metadata map[string]string, format string, args ...any) error {
	return &Error{Reason: reason, Message: fmt.Sprintf(format, args...), Metadata: metadata}
}

// InvalidArgument returns an INVALID_REQUEST error (INVALID_ARGUMENT) with a google.rpc.BadRequest
// of the violations; its message lists them as "field description".
func InvalidArgument(vs ...Violation) error { return invalid(ReasonInvalidRequest, vs...) }

func invalid(reason Reason, vs ...Violation) error {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.Field + " " + v.Description
	}
	return &Error{Reason: reason, Message: "invalid request: " + strings.Join(parts, "; "), Violations: vs}
}

// FieldError is shorthand for InvalidArgument with one violation, described in English.
func FieldError(field, format string, args ...any) error {
	return InvalidArgument(Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// FieldErrorReason is FieldError with a reason of its own (ORDER_BY_INVALID, ...) and the rule
// in Chinese too.
func FieldErrorReason(reason Reason, field, en, zh string) error {
	return invalid(reason, Violation{Field: field, Description: en, ZH: zh})
}

// Errorf returns a status error with code and message; it gets the code's default reason.
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
		return invalid(ReasonRequestIDReused, Violation{Field: "request_id", Rule: "request_id.reused",
			Description: "was already used for a different request; use a new request_id for a new request",
			ZH:          "已用于另一个请求，新请求请使用新的 request_id"})
	case errors.Is(err, store.ErrBadPageToken):
		return invalid(ReasonPageTokenInvalid, Violation{Field: "page_token", Rule: "page_token.invalid",
			Description: "is not a token this list returned (or the filters or order changed)",
			ZH:          "不是本列表返回的分页标记（或筛选条件、排序方式已改变）"})
	case errors.Is(err, store.ErrTooManyToSort):
		return Fail(ReasonTooManyToSort, "more than %d items match: narrow the filters to sort them in this order", store.MaxSort)
	case errors.Is(err, context.DeadlineExceeded):
		return Fail(ReasonDeadline, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return Fail(ReasonCancelled, "canceled")
	}
	return Internal(err)
}

// Localize returns err as the caller sees it: a status whose details carry a google.rpc.ErrorInfo
// (the error's reason, or its code's default, in domain), a google.rpc.LocalizedMessage in lang,
// and, for bad fields, a BadRequest whose every violation has a reason and a localized message
// too. Details already there (RetryInfo, a peer's ErrorInfo) are kept. The message stays English.
func Localize(err error, domain string, lang Language) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e.status(domain, lang).Err()
	}
	st := status.Convert(err)
	if st.Code() == codes.OK {
		return err
	}
	var (
		reason Reason
		meta   map[string]string
		vs     []Violation
		rest   []protoadapt.MessageV1
	)
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if reason == "" {
				reason, meta, domain = Reason(d.GetReason()), d.GetMetadata(), orDefault(d.GetDomain(), domain)
			}
		case *errdetails.LocalizedMessage:
			// replaced by one in lang
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				vs = append(vs, Violation{Field: v.GetField(), Description: v.GetDescription(), Rule: v.GetReason()})
			}
		case protoadapt.MessageV1:
			rest = append(rest, d)
		}
	}
	if reason == "" {
		reason = defaultReasons[st.Code()]
	}
	return withDetails(status.New(st.Code(), st.Message()), domain, lang, reason, meta, vs, rest).Err()
}

func orDefault(s, def string) string {
	if s == "" || s == "sanbao" {
		return def
	}
	return s
}

// withDetails adds ErrorInfo, LocalizedMessage, BadRequest and rest to st.
func withDetails(st *status.Status, domain string, lang Language, reason Reason, meta map[string]string, vs []Violation, rest []protoadapt.MessageV1) *status.Status {
	if reason == "" {
		reason = defaultReasons[st.Code()]
	}
	details := []protoadapt.MessageV1{
		&errdetails.ErrorInfo{Reason: string(reason), Domain: domain, Metadata: meta},
		&errdetails.LocalizedMessage{Locale: lang.Locale(), Message: localized(st, lang, reason, vs)},
	}
	if len(vs) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range vs {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: v.Field, Description: v.Description, Reason: ruleReason(v.Rule),
				LocalizedMessage: &errdetails.LocalizedMessage{Locale: lang.Locale(), Message: v.text(lang)},
			})
		}
		details = append(details, br)
	}
	details = append(details, rest...)
	if d, err := st.WithDetails(details...); err == nil {
		return d
	}
	return st
}

// localized is the message a person reads: the English message itself, or in Chinese the
// reason's text (for bad fields, each field's rule).
func localized(st *status.Status, lang Language, reason Reason, vs []Violation) string {
	if lang != Chinese {
		return st.Message()
	}
	if len(vs) > 0 {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = v.text(Chinese)
		}
		return "请求有误：" + strings.Join(parts, "；")
	}
	if e, ok := byReason[reason]; ok {
		return e.ZH
	}
	return st.Message()
}

// text is the violation as a person reads it: "ticket.kind is required", "ticket.kind 为必填项".
func (v Violation) text(lang Language) string {
	if lang == Chinese {
		if v.ZH != "" {
			return v.Field + " " + v.ZH
		}
		return v.Field + " 不符合要求：" + v.Description
	}
	return v.Field + " " + v.Description
}

// ruleReason turns a rule id into a violation reason: "string.max_len" → "STRING_MAX_LEN".
func ruleReason(rule string) string {
	if rule == "" {
		return "FIELD_INVALID"
	}
	if strings.ToUpper(rule) == rule {
		return rule
	}
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(rule))
}
