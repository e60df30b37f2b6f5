package domain

import (
	"errors"
	"testing"
)

func TestPaidServiceRules(t *testing.T) {
	unapproved := PaidJob{Paid: true, RequestedBy: "u-desk"}
	approved := PaidJob{Paid: true, Approved: true, RequestedBy: "u-desk"}
	free := PaidJob{RequestedBy: "u-desk"}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"manager approves a paid job", CheckApproval(unapproved, "u-manager"), nil},
		{"the requester may not approve", CheckApproval(unapproved, "u-desk"), ErrSelfApproval},
		{"approved once", CheckApproval(approved, "u-manager"), ErrPrecondition},
		{"a free job needs no approval", CheckApproval(free, "u-manager"), ErrPrecondition},
		{"unapproved paid work may not start", CheckWorkMayStart(unapproved), ErrPrecondition},
		{"approved paid work may start", CheckWorkMayStart(approved), nil},
		{"free work may start", CheckWorkMayStart(free), nil},
		{"resolved paid job without the money", CheckCollected(approved, true, false), ErrInvalid},
		{"resolved paid job with the money", CheckCollected(approved, true, true), nil},
		{"failed paid visit collects nothing", CheckCollected(approved, false, false), nil},
		{"free job collects nothing", CheckCollected(free, true, false), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil && tc.err != nil || tc.want != nil && !errors.Is(tc.err, tc.want) {
				t.Errorf("got %v, want %v", tc.err, tc.want)
			}
		})
	}
}
