package domain

import (
	"errors"
	"testing"
	"time"
)

func TestCheckAppraisal(t *testing.T) {
	tests := []struct {
		name    string
		v       Verdict
		d       Destination
		kind    LocationKind
		hasDest bool
		wantErr error
	}{
		{"fault to reusable", VerdictConfirmedFault, DestinationReusable, LocationReusable, true, nil},
		{"fault to scrap", VerdictConfirmedFault, DestinationScrap, LocationScrap, true, nil},
		{"fault to supplier", VerdictConfirmedFault, DestinationSupplierClaim, 0, false, nil},
		{"no fault to reusable", VerdictNoFaultFound, DestinationReusable, LocationReusable, true, nil},
		{"misuse to scrap", VerdictMisuse, DestinationScrap, LocationScrap, true, nil},
		{"no fault to supplier", VerdictNoFaultFound, DestinationSupplierClaim, 0, false, ErrInvalid},
		{"misuse to supplier", VerdictMisuse, DestinationSupplierClaim, 0, false, ErrInvalid},
		{"supplier with location", VerdictConfirmedFault, DestinationSupplierClaim, LocationScrap, true, ErrInvalid},
		{"reusable without location", VerdictConfirmedFault, DestinationReusable, 0, false, ErrInvalid},
		{"reusable into scrap store", VerdictConfirmedFault, DestinationReusable, LocationScrap, true, ErrPrecondition},
		{"scrap into a van", VerdictMisuse, DestinationScrap, LocationVan, true, ErrPrecondition},
		{"unknown verdict", Verdict(0), DestinationScrap, LocationScrap, true, ErrInvalid},
		{"unknown destination", VerdictMisuse, Destination(9), LocationScrap, true, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAppraisal(tt.v, tt.d, tt.kind, tt.hasDest)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckAppraisal(%d, %d, %d, %v) = %v, want %v", tt.v, tt.d, tt.kind, tt.hasDest, err, tt.wantErr)
			}
		})
	}
}

func TestChargeBack(t *testing.T) {
	want := map[Verdict]bool{VerdictConfirmedFault: false, VerdictNoFaultFound: true, VerdictMisuse: true}
	for v, w := range want {
		if got := ChargeBack(v); got != w {
			t.Errorf("ChargeBack(%d) = %v, want %v", v, got, w)
		}
	}
}

func TestOutstanding(t *testing.T) {
	due := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state ReturnState
		now   time.Time
		want  bool
	}{
		{"before due", ReturnAwaiting, due.Add(-time.Second), false},
		{"at due", ReturnAwaiting, due, false},
		{"just after due", ReturnAwaiting, due.Add(time.Nanosecond), true},
		{"returned late", ReturnPendingAppraisal, due.Add(time.Hour), false},
		{"appraised", ReturnAppraised, due.Add(time.Hour), false},
	}
	for _, tt := range tests {
		if got := Outstanding(tt.state, due, tt.now); got != tt.want {
			t.Errorf("%s: Outstanding(%s, due, %v) = %v, want %v", tt.name, tt.state, tt.now, got, tt.want)
		}
	}
}
