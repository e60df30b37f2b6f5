package domain

import (
	"math"
	"time"
)

// ReorderInput is what the reorder formula needs about one part at one location.
type ReorderInput struct {
	OnHand           int64
	Reserved         int64
	WindowDemand     int64 // units consumed or issued in the demand window
	LeadTimeDays     int   // the part's lead time; 0 means the policy default
	MinOrderQuantity int64 // order multiple; 0 means 1
}

// Reorder is the advice for one part at one location.
type Reorder struct {
	Available     int64
	WindowDemand  int64
	WindowDays    int
	DailyDemand   float64
	LeadTimeDays  int
	SafetyStock   int64
	ReorderPoint  int64
	OrderQuantity int64
	Below         bool
}

// SuggestReorder applies the reorder formula:
//
//	d   = window demand / ReorderWindowDays             (average daily demand)
//	SS  = ceil(d × SafetyDays)                          (safety stock)
//	ROP = ceil(d × lead time days) + SS                 (reorder point)
//	Q   = ROP + ceil(d × CoverDays) − available         (when available ≤ ROP and d > 0)
//	      rounded up to a multiple of the minimum order quantity; else 0.
//
// so that an order placed at the reorder point arrives as the safety stock is reached and
// covers CoverDays of demand beyond the reorder point.
func SuggestReorder(in ReorderInput, p Policy) Reorder {
	lead := in.LeadTimeDays
	if lead <= 0 {
		lead = p.DefaultLeadTimeDays
	}
	d := float64(in.WindowDemand) / float64(p.ReorderWindowDays)
	ss := ceil(d * p.SafetyDays)
	rop := ceil(d*float64(lead)) + ss
	r := Reorder{
		Available:    in.OnHand - in.Reserved,
		WindowDemand: in.WindowDemand,
		WindowDays:   p.ReorderWindowDays,
		DailyDemand:  d,
		LeadTimeDays: lead,
		SafetyStock:  ss,
		ReorderPoint: rop,
	}
	if in.WindowDemand <= 0 || r.Available > rop {
		return r
	}
	r.Below = true
	q := rop + ceil(d*p.CoverDays) - r.Available
	if moq := in.MinOrderQuantity; moq > 1 && q%moq != 0 {
		q += moq - q%moq
	}
	r.OrderQuantity = q
	return r
}

// CrossedReorderPoint reports whether a change took stock from above its reorder point to at
// or below it (the moment a BelowReorderPoint event is due).
func CrossedReorderPoint(before, after Reorder) bool { return !before.Below && after.Below }

// DemandWindow returns the half-open interval [start, end) of the demand window ending at asOf.
func DemandWindow(asOf time.Time, p Policy) (start, end time.Time) {
	return asOf.Add(-time.Duration(p.ReorderWindowDays) * 24 * time.Hour), asOf
}

// ceil rounds up, ignoring floating-point noise below 1e-9.
func ceil(x float64) int64 { return int64(math.Ceil(x - 1e-9)) }
