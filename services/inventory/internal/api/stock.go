package api

import (
	"context"
	"errors"
	"sort"
	"time"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// partAndLocation loads both or returns NOT_FOUND naming the missing one.
func partAndLocation(tx *store.Tx, partID, locationID string) (*inventoryv1.Part, *inventoryv1.Location, error) {
	p, err := tx.Part(partID)
	if err != nil {
		return nil, nil, err
	}
	l, err := tx.Location(locationID)
	if err != nil {
		return nil, nil, err
	}
	return p, l, nil
}

func checkSerialCount(p *inventoryv1.Part, serials []string, q int64) error {
	n := int64(len(serials))
	if (p.GetSerialTracked() || n > 0) && n != q {
		return domain.Invalid("serials", "must give one serial per unit: %d serials for %d units", n, q)
	}
	return nil
}

// post books a movement and publishes BelowReorderPoint when it takes stock to or below the
// reorder point.
func (s *Server) post(tx *store.Tx, p store.Posting) (store.Posted, error) {
	ps, err := tx.Post(p)
	if err != nil {
		return ps, err
	}
	return ps, s.checkReorder(tx, p, ps)
}

func (s *Server) checkReorder(tx *store.Tx, p store.Posting, ps store.Posted) error {
	demandMove := p.Kind == domain.MovementConsume || p.Kind == domain.MovementIssue
	if !demandMove && ps.After.GetAvailable() >= ps.Before.Available() {
		return nil
	}
	part, err := tx.Part(p.PartID)
	if err != nil {
		return err
	}
	start, end := domain.DemandWindow(p.Time, s.policy)
	demand := tx.WindowDemand(p.PartID, p.LocationID, start, end)
	before := demand
	if demandMove {
		before -= p.Quantity
	}
	in := domain.ReorderInput{LeadTimeDays: int(part.GetLeadTimeDays()), MinOrderQuantity: part.GetMinOrderQuantity()}
	inBefore, inAfter := in, in
	inBefore.OnHand, inBefore.Reserved, inBefore.WindowDemand = ps.Before.OnHand, ps.Before.Reserved, before
	inAfter.OnHand, inAfter.Reserved, inAfter.WindowDemand = ps.After.GetOnHand(), ps.After.GetReserved(), demand
	rb, ra := domain.SuggestReorder(inBefore, s.policy), domain.SuggestReorder(inAfter, s.policy)
	if !domain.CrossedReorderPoint(rb, ra) {
		return nil
	}
	return emit(tx, SubjectBelowReorderPoint, "parts/"+p.PartID, &inventoryv1.BelowReorderPoint{
		Suggestion: suggestionProto(p.PartID, p.LocationID, ps.After.GetOnHand(), ps.After.GetReserved(), ra),
	}, p.Time)
}

// ReceiveStock books goods in.
func (s *Server) ReceiveStock(ctx context.Context, req *inventoryv1.ReceiveStockRequest) (*inventoryv1.ReceiveStockResponse, error) {
	resp := &inventoryv1.ReceiveStockResponse{}
	err := s.update(ctx, "ReceiveStock", req, resp, func(tx *store.Tx, now time.Time) error {
		p, l, err := partAndLocation(tx, req.GetPartId(), req.GetLocationId())
		if err != nil {
			return err
		}
		if err := checkSerialCount(p, req.GetSerials(), req.GetQuantity()); err != nil {
			return err
		}
		ps, err := s.post(tx, store.Posting{
			Kind: domain.MovementReceipt, PartID: p.GetId(), LocationID: l.GetId(), Quantity: req.GetQuantity(),
			Document: req.GetReceivingNote(), Note: req.GetNote(), Serials: req.GetSerials(),
			Reference: "receipts/" + ids.NewAt(now), Time: now,
		})
		if err != nil {
			return err
		}
		resp.Movement, resp.Balance = ps.Movement, ps.After
		return emit(tx, SubjectStockReceived, "parts/"+p.GetId(), &inventoryv1.StockReceived{Movement: ps.Movement}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// TransferStock moves available stock between locations.
func (s *Server) TransferStock(ctx context.Context, req *inventoryv1.TransferStockRequest) (*inventoryv1.TransferStockResponse, error) {
	resp := &inventoryv1.TransferStockResponse{}
	err := s.update(ctx, "TransferStock", req, resp, func(tx *store.Tx, now time.Time) error {
		if req.GetFromLocationId() == req.GetToLocationId() {
			return domain.Invalid("to_location_id", "must differ from from_location_id")
		}
		p, from, err := partAndLocation(tx, req.GetPartId(), req.GetFromLocationId())
		if err != nil {
			return err
		}
		to, err := tx.Location(req.GetToLocationId())
		if err != nil {
			return err
		}
		if !domain.Usable(domain.LocationKind(from.GetKind())) {
			return domain.Precondition("from_location_id: stock in a %s location cannot be moved out", from.GetKind())
		}
		ref := "transfers/" + ids.NewAt(now)
		out, err := s.post(tx, store.Posting{Kind: domain.MovementTransferOut, PartID: p.GetId(), LocationID: from.GetId(),
			Quantity: req.GetQuantity(), Document: req.GetDocumentNumber(), Note: req.GetNote(), Reference: ref,
			JobID: req.GetJobId(), Postage: req.GetPostage(), Time: now})
		if err != nil {
			return err
		}
		in, err := s.post(tx, store.Posting{Kind: domain.MovementTransferIn, PartID: p.GetId(), LocationID: to.GetId(),
			Quantity: req.GetQuantity(), Document: req.GetDocumentNumber(), Note: req.GetNote(), Reference: ref,
			JobID: req.GetJobId(), Time: now})
		if err != nil {
			return err
		}
		resp.Out, resp.In, resp.FromBalance, resp.ToBalance = out.Movement, in.Movement, out.After, in.After
		return emit(tx, SubjectStockTransferred, "parts/"+p.GetId(), &inventoryv1.StockTransferred{Out: out.Movement, In: in.Movement}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// AdjustStock books a count adjustment.
func (s *Server) AdjustStock(ctx context.Context, req *inventoryv1.AdjustStockRequest) (*inventoryv1.AdjustStockResponse, error) {
	resp := &inventoryv1.AdjustStockResponse{}
	err := s.update(ctx, "AdjustStock", req, resp, func(tx *store.Tx, now time.Time) error {
		p, l, err := partAndLocation(tx, req.GetPartId(), req.GetLocationId())
		if err != nil {
			return err
		}
		ps, err := s.post(tx, store.Posting{Kind: domain.MovementAdjust, PartID: p.GetId(), LocationID: l.GetId(),
			Quantity: req.GetDelta(), Reason: req.GetReason(), Note: req.GetNote(), Reference: "adjustments/" + ids.NewAt(now), Time: now})
		if err != nil {
			return err
		}
		resp.Movement, resp.Balance = ps.Movement, ps.After
		return emit(tx, SubjectStockAdjusted, "parts/"+p.GetId(), &inventoryv1.StockAdjusted{Movement: ps.Movement}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetStock returns a part's stock by location, nearest first.
func (s *Server) GetStock(_ context.Context, req *inventoryv1.GetStockRequest) (*inventoryv1.GetStockResponse, error) {
	if req.GetMaxDistanceKm() > 0 && req.GetNear() == nil {
		return nil, toStatus(domain.Invalid("max_distance_km", "needs near"))
	}
	resp := &inventoryv1.GetStockResponse{}
	err := s.view(func(tx *store.Tx) error {
		if _, err := tx.Part(req.GetPartId()); err != nil {
			return err
		}
		bals, err := tx.PartBalances(req.GetPartId())
		if err != nil {
			return err
		}
		kinds := map[inventoryv1.LocationKind]bool{}
		for _, k := range req.GetLocationKinds() {
			kinds[k] = true
		}
		org := req.GetOrganisationId()
		for _, b := range bals {
			var l *inventoryv1.Location
			if org != "" || b.GetOnHand() != 0 {
				if l, err = tx.Location(b.GetLocationId()); err != nil {
					return err
				}
			}
			if org != "" && l.GetOrganisationId() != org {
				continue // another organisation's stock: neither listed nor counted
			}
			resp.TotalOnHand += b.GetOnHand()
			resp.TotalReserved += b.GetReserved()
			resp.TotalAvailable += b.GetAvailable()
			if b.GetOnHand() == 0 {
				continue
			}
			if len(kinds) > 0 && !kinds[l.GetKind()] || b.GetAvailable() < req.GetMinAvailable() {
				continue
			}
			lv := &inventoryv1.StockLevel{Location: l, OnHand: b.GetOnHand(), Reserved: b.GetReserved(), Available: b.GetAvailable()}
			if n := req.GetNear(); n != nil {
				if pt := l.GetPoint(); pt != nil {
					lv.DistanceKm = domain.DistanceKM(domain.Point{Lat: n.GetLatitude(), Lon: n.GetLongitude()},
						domain.Point{Lat: pt.GetLatitude(), Lon: pt.GetLongitude()})
				} else {
					lv.DistanceKm = -1
				}
				if max := req.GetMaxDistanceKm(); max > 0 && (lv.DistanceKm < 0 || lv.DistanceKm > max) {
					continue
				}
			}
			resp.Levels = append(resp.Levels, lv)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(resp.Levels, func(i, j int) bool {
		a, b := resp.Levels[i].GetDistanceKm(), resp.Levels[j].GetDistanceKm()
		if (a < 0) != (b < 0) {
			return b < 0
		}
		return a < b
	})
	limit := int(req.GetLimit())
	if limit == 0 {
		limit = 50
	}
	if len(resp.Levels) > limit {
		resp.Levels = resp.Levels[:limit]
	}
	return resp, nil
}

// ListMovements lists ledger movements.
func (s *Server) ListMovements(_ context.Context, req *inventoryv1.ListMovementsRequest) (*inventoryv1.ListMovementsResponse, error) {
	if req.GetOrganisationId() != "" && req.GetLocationId() == "" {
		return nil, toStatus(domain.Invalid("location_id", "required with organisation_id: name one of the organisation's locations"))
	}
	resp := &inventoryv1.ListMovementsResponse{}
	err := s.view(func(tx *store.Tx) error {
		if org := req.GetOrganisationId(); org != "" {
			l, err := tx.Location(req.GetLocationId())
			if err != nil {
				return err
			}
			if l.GetOrganisationId() != org {
				return &store.NotFoundError{Kind: "location", ID: req.GetLocationId()}
			}
		}
		var err error
		resp.Movements, resp.NextPageToken, err = tx.ListMovements(store.MovementFilter{
			PartID: req.GetPartId(), LocationID: req.GetLocationId(), AfterSequence: req.GetAfterSequence(),
		}, page(req.GetPageSize(), req.GetPageToken()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListLocationStock lists what one location holds, part by part: a location by id, or a
// technician's van. With both, a location that is not that technician's van is NOT_FOUND.
func (s *Server) ListLocationStock(_ context.Context, req *inventoryv1.ListLocationStockRequest) (*inventoryv1.ListLocationStockResponse, error) {
	locID, techID := req.GetLocationId(), req.GetTechnicianId()
	if locID == "" && techID == "" {
		return nil, toStatus(domain.Invalid("location_id", "required: give the location, or technician_id for that technician's van"))
	}
	resp := &inventoryv1.ListLocationStockResponse{}
	err := s.view(func(tx *store.Tx) error {
		var (
			l   *inventoryv1.Location
			err error
		)
		if locID != "" {
			l, err = tx.Location(locID)
		} else {
			l, err = tx.VanOf(techID)
		}
		if err != nil {
			return err
		}
		if techID != "" && (l.GetKind() != inventoryv1.LocationKind_LOCATION_KIND_VAN || l.GetTechnicianId() != techID) {
			// Not this technician's van: as if it did not exist (a technician reads only their own).
			return &store.NotFoundError{Kind: "location", ID: l.GetId() + " as the van of technician " + techID}
		}
		bals, next, err := tx.LocationBalances(l.GetId(), page(req.GetPageSize(), req.GetPageToken()), func(b *inventoryv1.StockBalance) bool {
			return !req.GetOnHandOnly() || b.GetOnHand() > 0
		})
		if err != nil {
			return err
		}
		resp.Location, resp.NextPageToken = l, next
		for _, b := range bals {
			line := &inventoryv1.LocationStockLine{PartId: b.GetPartId(), OnHand: b.GetOnHand(), Reserved: b.GetReserved(), Available: b.GetAvailable()}
			if p, err := tx.Part(b.GetPartId()); err == nil {
				line.Sku, line.Name = p.GetSku(), p.GetName()
			} else if !errors.As(err, new(*store.NotFoundError)) {
				return err
			}
			resp.Lines = append(resp.Lines, line)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
