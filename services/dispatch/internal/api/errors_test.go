package api

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

func TestToStatus(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		code  codes.Code
		msg   string
		field string
	}{
		{"invalid names the field", domain.Invalidf("job.site.point: required"), codes.InvalidArgument, "", "job.site.point"},
		{"not found", fmt.Errorf("%w: job 01X", domain.ErrNotFound), codes.NotFound, "job 01X not found", ""},
		{"precondition", domain.Preconditionf("window: outside"), codes.FailedPrecondition, "window: outside", ""},
		{"transition", &domain.TransitionError{From: domain.StateCompleted, Event: domain.EventCancel}, codes.FailedPrecondition,
			"job state: cancel not allowed in state COMPLETED", ""},
		{"wrapped transition", fmt.Errorf("cancel: %w", &domain.TransitionError{From: domain.StateCancelled, Event: domain.EventAccept}),
			codes.FailedPrecondition, "", ""},
		{"stale", domain.ErrStale, codes.Aborted, "", ""},
		{"request id reused", idem.ErrMismatch, codes.InvalidArgument, "", "request_id"},
		{"anything else is internal", errors.New("disk on fire"), codes.Internal, "internal error; the server log has the details", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := status.Convert(toStatus(tt.err))
			if st.Code() != tt.code || (tt.msg != "" && st.Message() != tt.msg) {
				t.Fatalf("toStatus(%v) = %s %q, want %s %q", tt.err, st.Code(), st.Message(), tt.code, tt.msg)
			}
			if tt.field == "" {
				return
			}
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) == 1 && br.GetFieldViolations()[0].GetField() == tt.field {
					return
				}
			}
			t.Fatalf("toStatus(%v) details %v, want a violation on %s", tt.err, st.Details(), tt.field)
		})
	}
}
