package api

import (
	"context"
	"time"

	"go.etcd.io/bbolt"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// GetWarrantyCost sums recorded decisions' costs and the real cost of the visits. It reads the
// decisions and the units repaired in the range (indexes by time), not the whole history.
func (s *Server) GetWarrantyCost(_ context.Context, req *warrantyv1.GetWarrantyCostRequest) (*warrantyv1.GetWarrantyCostResponse, error) {
	c := &warrantyv1.WarrantyCost{Model: req.GetModel(), Batch: req.GetBatch()}
	var parts, labour, travel, expenses int64
	cur := ""
	var visits []domain.Visit
	var st, et time.Time
	if req.GetStartTime() != nil {
		st = req.GetStartTime().AsTime()
	}
	if req.GetEndTime() != nil {
		et = req.GetEndTime().AsTime()
	}
	now := s.p.Clock.Now()
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		err := store.EachDecision(tx, req.GetModel(), req.GetBatch(), st, et, func(d *warrantyv1.Decision) error {
			c.Decisions++
			parts += d.GetPartsCost().GetAmountMinor()
			labour += d.GetLabourCost().GetAmountMinor()
			travel += d.GetTravelCost().GetAmountMinor()
			expenses += d.GetExpensesCost().GetAmountMinor()
			if cur == "" {
				cur = d.GetCompanyCost().GetCurrencyCode()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if c.UnitsSold, err = store.CountUnits(tx, req.GetModel(), req.GetBatch()); err != nil {
			return err
		}
		// Only the units with a visit in range count; each one's whole history decides
		// which of its visits repeat an earlier repair.
		return store.UnitsRepairedIn(tx, st, et, func(id string) error {
			u, err := store.GetUnit(tx, id)
			if err != nil {
				return err
			}
			if (req.GetModel() != "" && u.GetModel() != req.GetModel()) || (req.GetBatch() != "" && u.GetBatch() != req.GetBatch()) {
				return nil
			}
			vs, err := s.visitsOf(tx, u, st, et, now)
			visits = append(visits, vs...)
			return err
		})
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if cur == "" {
		cur = domain.DefaultCurrency
	}
	total := parts + labour + travel + expenses
	c.Parts, c.Labour, c.Travel, c.Expenses, c.Total = money(parts, cur), money(labour, cur), money(travel, cur), money(expenses, cur), money(total, cur)
	c.PerUnitSold = money(0, cur)
	if c.UnitsSold > 0 {
		c.PerUnitSold = money((total+c.UnitsSold/2)/c.UnitsSold, cur)
	}
	figuresOut(c, domain.SumVisits(visits), cur)
	for _, f := range domain.SumVisitsBy(visits, func(v domain.Visit) string { return v.Model }) {
		m := &warrantyv1.WarrantyCost{Model: f.Key, Batch: req.GetBatch()}
		figuresOut(m, f, cur)
		c.ByModel = append(c.ByModel, m)
	}
	for _, f := range domain.SumVisitsBy(visits, func(v domain.Visit) string { return v.Batch }) {
		b := &warrantyv1.WarrantyCost{Model: req.GetModel(), Batch: f.Key}
		figuresOut(b, f, cur)
		c.ByBatch = append(c.ByBatch, b)
	}
	return &warrantyv1.GetWarrantyCostResponse{Cost: c}, nil
}

// figuresOut sets the visit figures of c.
func figuresOut(c *warrantyv1.WarrantyCost, f domain.CostFigures, cur string) {
	c.Visits, c.Repairs = f.Visits, f.Repairs
	c.VisitParts, c.VisitLabour, c.VisitTravel, c.VisitTotal = money(f.Cost.Parts, cur), money(f.Cost.Labour, cur), money(f.Cost.Travel, cur), money(f.Cost.Total(), cur)
	c.ChargedBack, c.SupplierRecovered, c.Net = money(f.ChargedBack, cur), money(f.SupplierRecovered, cur), money(f.Net(), cur)
	c.BlockedVisits, c.Blocked, c.BlockedJobIds, c.WrittenOff = f.BlockedVisits, money(f.Blocked, cur), f.BlockedJobs, money(f.WrittenOff(), cur)
	c.RepeatRepairRate, c.FirstTimeFixRate = f.RepeatRepairRate, f.FirstTimeFixRate
}

// visitsOf reads a unit's history as the cost report sees it: dispatch visits recorded in
// [st, et) are in range; every repair decides whether a later one repeats it.
func (s *Server) visitsOf(tx *bbolt.Tx, u *warrantyv1.Unit, st, et, now time.Time) ([]domain.Visit, error) {
	repairs, err := store.Repairs(tx, u.GetId())
	if err != nil {
		return nil, err
	}
	out := make([]domain.Visit, 0, len(repairs))
	for _, r := range repairs {
		t := r.GetCreateTime().AsTime()
		v := domain.Visit{UnitID: u.GetId(), Model: u.GetModel(), Batch: u.GetBatch(), JobID: r.GetJobId(), TicketID: r.GetTicketId(),
			FaultCode: r.GetFaultCode(), Kind: domain.VisitKind(r.GetKind()), Outcome: domain.RepairOutcome(r.GetOutcome()),
			Date: dateIn(r.GetRepairDate()), Recorded: t, Paid: r.GetPaid(),
			InRange: r.GetSource() == warrantyv1.RepairSource_REPAIR_SOURCE_DISPATCH && (st.IsZero() || !t.Before(st)) && (et.IsZero() || t.Before(et))}
		if v.InRange {
			if err := s.priceVisit(tx, r, &v, now); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// priceVisit sets a visit's cost, charge-backs, supplier recoveries and overdue old parts.
func (s *Server) priceVisit(tx *bbolt.Tx, r *warrantyv1.Repair, v *domain.Visit, now time.Time) error {
	c := r.GetCost()
	v.Cost = domain.Cost{Parts: c.GetParts().GetAmountMinor(), Labour: c.GetLabour().GetAmountMinor(), Travel: c.GetTravel().GetAmountMinor()}
	for _, sw := range r.GetParts() {
		unit := sw.GetUnitCost().GetAmountMinor()
		if sw.GetUnitCost() == nil {
			// Costed after the visit was recorded: the part's cost as known now.
			pc, err := store.PartCost(tx, sw.GetPartId())
			if err != nil {
				return err
			}
			unit = pc.GetAmountMinor()
			v.Cost.Parts += sw.GetQuantity() * unit
		}
		if sw.GetChargeBack() != nil {
			v.ChargedBack += sw.GetQuantity() * unit
		}
	}
	if r.GetJobId() == "" {
		return nil
	}
	claims, err := store.SupplierClaimsOfJob(tx, r.GetJobId())
	if err != nil {
		return err
	}
	for _, sc := range claims {
		if sc.GetState() == inventoryv1.SupplierClaimState_SUPPLIER_CLAIM_STATE_RECOVERED {
			v.SupplierRecovered += sc.GetRecoveredAmount().GetAmountMinor()
		}
	}
	olds, err := store.OldPartsOfJob(tx, r.GetJobId())
	if err != nil {
		return err
	}
	for _, o := range olds {
		if o.GetState() == inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN && o.GetDueTime() != nil && now.After(o.GetDueTime().AsTime()) {
			v.Overdue = true
		}
	}
	return nil
}
