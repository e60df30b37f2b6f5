package api

import (
	"context"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

func suggestionProto(partID, locationID string, onHand, reserved int64, r domain.Reorder) *inventoryv1.ReorderSuggestion {
	return &inventoryv1.ReorderSuggestion{
		PartId: partID, LocationId: locationID, OnHand: onHand, Reserved: reserved, Available: r.Available,
		WindowDemand: r.WindowDemand, WindowDays: int32(r.WindowDays), DailyDemand: r.DailyDemand,
		LeadTimeDays: int32(r.LeadTimeDays), SafetyStock: r.SafetyStock, ReorderPoint: r.ReorderPoint,
		OrderQuantity: r.OrderQuantity, BelowReorderPoint: r.Below,
	}
}

// SuggestReorders computes reorder advice for every part and location with stock history.
func (s *Server) SuggestReorders(_ context.Context, req *inventoryv1.SuggestReordersRequest) (*inventoryv1.SuggestReordersResponse, error) {
	asOf := s.p.Clock.Now()
	if req.GetAsOfTime() != nil {
		asOf = req.GetAsOfTime().AsTime()
	}
	start, end := domain.DemandWindow(asOf, s.policy)
	resp := &inventoryv1.SuggestReordersResponse{}
	err := s.view(func(tx *store.Tx) error {
		if id := req.GetLocationId(); id != "" {
			if _, err := tx.Location(id); err != nil {
				return err
			}
		}
		if id := req.GetPartId(); id != "" {
			if _, err := tx.Part(id); err != nil {
				return err
			}
		}
		parts := map[string]*inventoryv1.Part{}
		return tx.AllBalances(req.GetLocationId(), func(b *inventoryv1.StockBalance) error {
			if req.GetPartId() != "" && b.GetPartId() != req.GetPartId() {
				return nil
			}
			p, ok := parts[b.GetPartId()]
			if !ok {
				var err error
				if p, err = tx.Part(b.GetPartId()); err != nil {
					return err
				}
				parts[b.GetPartId()] = p
			}
			r := domain.SuggestReorder(domain.ReorderInput{
				OnHand: b.GetOnHand(), Reserved: b.GetReserved(),
				WindowDemand:     tx.WindowDemand(b.GetPartId(), b.GetLocationId(), start, end),
				LeadTimeDays:     int(p.GetLeadTimeDays()),
				MinOrderQuantity: p.GetMinOrderQuantity(),
			}, s.policy)
			if r.Below || req.GetIncludeAll() {
				resp.Suggestions = append(resp.Suggestions, suggestionProto(b.GetPartId(), b.GetLocationId(), b.GetOnHand(), b.GetReserved(), r))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(resp.Suggestions, func(i, j int) bool {
		a, b := resp.Suggestions[i], resp.Suggestions[j]
		if a.GetLocationId() != b.GetLocationId() {
			return a.GetLocationId() < b.GetLocationId()
		}
		return a.GetPartId() < b.GetPartId()
	})
	return resp, nil
}

func dateOf(d *typev1.Date) domain.Date {
	return domain.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
}

func dateProto(d domain.Date) *typev1.Date {
	return &typev1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

// SubmitStockingPlan records a dealer's stocking plan.
func (s *Server) SubmitStockingPlan(ctx context.Context, req *inventoryv1.SubmitStockingPlanRequest) (*inventoryv1.SubmitStockingPlanResponse, error) {
	resp := &inventoryv1.SubmitStockingPlanResponse{}
	err := s.update(ctx, "SubmitStockingPlan", req, resp, func(tx *store.Tx, now time.Time) error {
		in := req.GetPlan()
		season := dateOf(in.GetSeasonStart())
		if err := season.Check("plan.season_start"); err != nil {
			return err
		}
		lines := make([]domain.Line, len(in.GetLines()))
		for i, l := range in.GetLines() {
			lines[i] = domain.Line{PartID: l.GetPartId(), Quantity: l.GetQuantity()}
		}
		if err := domain.CheckLines("plan.lines", lines); err != nil {
			return err
		}
		loc, err := tx.Location(in.GetLocationId())
		if err != nil {
			return err
		}
		if k := loc.GetKind(); k != inventoryv1.LocationKind_LOCATION_KIND_DEALER && k != inventoryv1.LocationKind_LOCATION_KIND_STATION {
			return domain.Precondition("plan.location_id: stocking plans are for DEALER or STATION locations, not %s", k)
		}
		for _, l := range lines {
			if _, err := tx.Part(l.PartID); err != nil {
				return err
			}
		}
		p := proto.Clone(in).(*inventoryv1.StockingPlan)
		p.Id = ids.NewAt(now)
		p.DueDate = dateProto(domain.PlanDue(season, s.policy))
		p.Late = domain.PlanLate(now, season, s.policy)
		p.SubmitTime = timestamppb.New(now)
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		resp.Plan = p
		return emit(tx, SubjectStockingPlanSubmitted, "stocking_plans/"+p.GetId(), &inventoryv1.StockingPlanSubmitted{Plan: p}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// CompareStockingPlan compares a plan with the location's stock now.
func (s *Server) CompareStockingPlan(_ context.Context, req *inventoryv1.CompareStockingPlanRequest) (*inventoryv1.CompareStockingPlanResponse, error) {
	resp := &inventoryv1.CompareStockingPlanResponse{}
	err := s.view(func(tx *store.Tx) error {
		p, err := tx.Plan(req.GetPlanId())
		if err != nil {
			return err
		}
		resp.Plan = p
		for _, l := range p.GetLines() {
			b, err := tx.Balance(l.GetPartId(), p.GetLocationId())
			if err != nil {
				return err
			}
			c := &inventoryv1.StockingPlanComparison{
				PartId: l.GetPartId(), Planned: l.GetQuantity(), OnHand: b.GetOnHand(), Available: b.GetAvailable(),
				Shortfall: domain.Shortfall(l.GetQuantity(), b.GetOnHand()),
			}
			resp.TotalShortfall += c.GetShortfall()
			resp.Lines = append(resp.Lines, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
