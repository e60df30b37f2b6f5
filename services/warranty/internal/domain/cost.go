package domain

import (
	"cmp"
	"slices"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// VisitCostOf prices a visit from its signed report under policy p: parts fitted at cost
// (partsAtCost, already summed), labour per started quarter hour and travel (call-out + km) at
// the policy's fee schedule. What a visit costs does not depend on who pays for it.
func VisitCostOf(p *Compiled, labour time.Duration, travelKm float64, partsAtCost int64) Cost {
	f := p.policy.Fees
	c := Cost{Parts: partsAtCost, Labour: f.labour(labour)}
	if travelKm > 0 {
		c.Travel = f.travel(travelKm)
	}
	return c
}

// Visit is one recorded visit as the cost report reads it.
type Visit struct {
	UnitID    string
	Model     string
	Batch     string
	JobID     string
	TicketID  string
	FaultCode string
	Kind      VisitKind
	Outcome   RepairOutcome
	Date      calendar.Date
	// Recorded orders visits of one day.
	Recorded time.Time
	// Paid: paid service; the customer bears the cost, the warranty report leaves it out.
	Paid bool
	Cost Cost
	// ChargedBack is the cost (parts at cost) of its warranty swaps charged back after the
	// old part was appraised as misuse or no fault.
	ChargedBack int64
	// SupplierRecovered is what secondary claims on its parts recovered from suppliers.
	SupplierRecovered int64
	// Overdue: a must-return old part of the visit is overdue, so its cost is not written off.
	Overdue bool
	// InRange: the visit falls in the report's time range (visits outside it still decide
	// whether a later repair repeats an earlier one).
	InRange bool
}

// CostFigures are the real-cost figures of a set of visits. Amounts are minor units.
type CostFigures struct {
	// Key is the model or batch of a SumVisitsBy group; empty for SumVisits.
	Key               string
	Visits, Repairs   int64
	Cost              Cost
	ChargedBack       int64
	SupplierRecovered int64
	BlockedVisits     int64
	Blocked           int64
	BlockedJobs       []string
	RepeatRepairRate  float64
	FirstTimeFixRate  float64
}

// Net is the visits' cost less charge-backs and supplier recoveries.
func (f CostFigures) Net() int64 { return f.Cost.Total() - f.ChargedBack - f.SupplierRecovered }

// WrittenOff is the net cost less what overdue old parts block.
func (f CostFigures) WrittenOff() int64 { return f.Net() - f.Blocked }

// maxBlockedJobs bounds the job ids a report lists.
const maxBlockedJobs = 100

// SumVisits computes the cost figures of visits (those InRange), with the repeat-repair rate (a
// repair repeats when the same unit had an earlier repair of the same fault, whenever it was)
// and the first-time-fix rate (a repaired fault, grouped by ticket, else by job, is fixed the
// first time when its first visit's outcome is FIXED). Paid visits count as visits and in the
// rates but their cost is the customer's.
func SumVisits(visits []Visit) CostFigures {
	vs := make([]*Visit, len(visits)) // sorted by pointer: a Visit is too big to swap
	for i := range visits {
		vs[i] = &visits[i]
	}
	slices.SortStableFunc(vs, func(a, b *Visit) int {
		return cmp.Or(cmp.Compare(a.UnitID, b.UnitID), a.Date.Compare(b.Date), a.Recorded.Compare(b.Recorded))
	})
	var f CostFigures
	seen := make(map[[2]string]bool, len(vs))      // unit, fault repaired before
	firstOf := make(map[[3]string]*Visit, len(vs)) // unit, ticket (else job) → its first repair visit
	var repeats int64
	for _, v := range vs {
		key := [2]string{v.UnitID, v.FaultCode}
		isRepair := v.Kind.IsRepair()
		repeat := isRepair && seen[key]
		if isRepair {
			seen[key] = true
			g := [3]string{v.UnitID, v.TicketID, ""}
			if v.TicketID == "" {
				g[2] = v.JobID
			}
			if _, ok := firstOf[g]; !ok {
				firstOf[g] = v
			}
		}
		if !v.InRange {
			continue
		}
		f.Visits++
		if isRepair {
			f.Repairs++
			if repeat {
				repeats++
			}
		}
		if v.Paid {
			continue
		}
		f.Cost.Parts += v.Cost.Parts
		f.Cost.Labour += v.Cost.Labour
		f.Cost.Travel += v.Cost.Travel
		f.Cost.Expenses += v.Cost.Expenses
		f.ChargedBack += v.ChargedBack
		f.SupplierRecovered += v.SupplierRecovered
		if v.Overdue {
			f.BlockedVisits++
			f.Blocked += v.Cost.Total() - v.ChargedBack - v.SupplierRecovered
			if len(f.BlockedJobs) < maxBlockedJobs && v.JobID != "" && !slices.Contains(f.BlockedJobs, v.JobID) {
				f.BlockedJobs = append(f.BlockedJobs, v.JobID)
			}
		}
	}
	if f.Repairs > 0 {
		f.RepeatRepairRate = float64(repeats) / float64(f.Repairs)
	}
	fixed, faults := 0, 0
	for _, v := range firstOf {
		if !v.InRange {
			continue // the fault's first visit is outside the range
		}
		faults++
		if v.Outcome == OutcomeFixed {
			fixed++
		}
	}
	if faults > 0 {
		f.FirstTimeFixRate = float64(fixed) / float64(faults)
	}
	slices.Sort(f.BlockedJobs)
	return f
}

// SumVisitsBy computes SumVisits for each value of key (a model, a batch), sorted by it.
func SumVisitsBy(visits []Visit, key func(Visit) string) []CostFigures {
	groups := map[string][]Visit{}
	for _, v := range visits {
		groups[key(v)] = append(groups[key(v)], v)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]CostFigures, 0, len(keys))
	for _, k := range keys {
		f := SumVisits(groups[k])
		if f.Visits == 0 {
			continue
		}
		f.Key = k
		out = append(out, f)
	}
	return out
}
