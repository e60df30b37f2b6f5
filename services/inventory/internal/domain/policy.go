package domain

import (
	"fmt"
	"time"
)

// Policy holds every number of the inventory rules. Zero fields are not valid; start from
// DefaultPolicy and override.
type Policy struct {
	// DefaultHold is how long a reservation lasts when the caller gives no expiry.
	DefaultHold time.Duration
	// MaxHold is the longest a reservation may last.
	MaxHold time.Duration
	// ReturnDays is how many days after a warranty consumption the old part must be back
	// (DOMAIN §5: returned by set dates; old parts are handled monthly).
	ReturnDays int
	// ReorderWindowDays is the demand window of the reorder formula.
	ReorderWindowDays int
	// SafetyDays is the safety stock expressed in days of demand.
	SafetyDays float64
	// CoverDays is the period an order should cover beyond the reorder point.
	CoverDays float64
	// DefaultLeadTimeDays is the replenishment lead time for parts that give none.
	DefaultLeadTimeDays int
	// PlanLeadDays is how many days before the season a stocking plan is due (DOMAIN §5: 30).
	PlanLeadDays int
	// TimeZone is the service organisation's zone, for calendar dates.
	TimeZone *time.Location
	// DistinctApprover requires a requisition's approver to differ from its requester.
	DistinctApprover bool
}

// DefaultPolicy returns the policy defaults.
func DefaultPolicy() Policy {
	return Policy{
		DefaultHold:         72 * time.Hour,
		MaxHold:             30 * 24 * time.Hour,
		ReturnDays:          30,
		ReorderWindowDays:   90,
		SafetyDays:          7,
		CoverDays:           30,
		DefaultLeadTimeDays: 7,
		PlanLeadDays:        30,
		TimeZone:            time.FixedZone("CST", 8*60*60),
		DistinctApprover:    true,
	}
}

// Validate reports the first setting out of range.
func (p Policy) Validate() error {
	switch {
	case p.DefaultHold <= 0:
		return fmt.Errorf("policy: default hold must be positive, got %s", p.DefaultHold)
	case p.MaxHold < p.DefaultHold:
		return fmt.Errorf("policy: max hold %s is shorter than default hold %s", p.MaxHold, p.DefaultHold)
	case p.ReturnDays <= 0:
		return fmt.Errorf("policy: return days must be positive, got %d", p.ReturnDays)
	case p.ReorderWindowDays <= 0:
		return fmt.Errorf("policy: reorder window days must be positive, got %d", p.ReorderWindowDays)
	case p.SafetyDays < 0:
		return fmt.Errorf("policy: safety days must not be negative, got %g", p.SafetyDays)
	case p.CoverDays < 0:
		return fmt.Errorf("policy: cover days must not be negative, got %g", p.CoverDays)
	case p.DefaultLeadTimeDays < 0:
		return fmt.Errorf("policy: lead time days must not be negative, got %d", p.DefaultLeadTimeDays)
	case p.PlanLeadDays < 0:
		return fmt.Errorf("policy: plan lead days must not be negative, got %d", p.PlanLeadDays)
	case p.TimeZone == nil:
		return fmt.Errorf("policy: time zone is required")
	}
	return nil
}
