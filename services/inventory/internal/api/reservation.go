package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

func reservationLines(in []*inventoryv1.ReservationLine) []domain.Line {
	out := make([]domain.Line, len(in))
	for i, l := range in {
		out[i] = domain.Line{PartID: l.GetPartId(), Quantity: l.GetQuantity()}
	}
	return out
}

// ReserveParts reserves all lines or none.
func (s *Server) ReserveParts(ctx context.Context, req *inventoryv1.ReservePartsRequest) (*inventoryv1.ReservePartsResponse, error) {
	resp := &inventoryv1.ReservePartsResponse{}
	err := s.update(ctx, "ReserveParts", req, resp, func(tx *store.Tx, now time.Time) error {
		if err := domain.CheckLines("lines", reservationLines(req.GetLines())); err != nil {
			return err
		}
		var requested time.Time
		if req.GetExpireTime() != nil {
			requested = req.GetExpireTime().AsTime()
		}
		expire, err := domain.ExpireTime(now, requested, s.policy)
		if err != nil {
			return err
		}
		loc, err := tx.Location(req.GetLocationId())
		if err != nil {
			return err
		}
		if !domain.Reservable(domain.LocationKind(loc.GetKind())) {
			return domain.Precondition("location_id: stock in a %s location cannot be reserved", loc.GetKind())
		}
		for _, l := range req.GetLines() {
			if _, err := tx.Part(l.GetPartId()); err != nil {
				return err
			}
		}
		r := &inventoryv1.Reservation{
			Id: ids.NewAt(now), JobId: req.GetJobId(), TicketId: req.GetTicketId(), LocationId: loc.GetId(), Lines: req.GetLines(),
			State: inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE, ExpireTime: timestamppb.New(expire),
			CreateTime: timestamppb.New(now),
		}
		for _, l := range r.GetLines() {
			if _, err := s.post(tx, store.Posting{Kind: domain.MovementReserve, PartID: l.GetPartId(), LocationID: loc.GetId(),
				Quantity: l.GetQuantity(), JobID: r.GetJobId(), Reference: "reservations/" + r.GetId(), Time: now}); err != nil {
				return err // the transaction rolls back: nothing is reserved
			}
		}
		if err := tx.PutReservation(r); err != nil {
			return err
		}
		if err := timer.Schedule(tx.Bolt(), TimerReservationExpiry, r.GetId(), expire, nil); err != nil {
			return err
		}
		resp.Reservation = r
		return emit(tx, SubjectReservationCreated, "reservations/"+r.GetId(), &inventoryv1.PartsReserved{Reservation: r}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetReservation returns a reservation.
func (s *Server) GetReservation(_ context.Context, req *inventoryv1.GetReservationRequest) (*inventoryv1.GetReservationResponse, error) {
	resp := &inventoryv1.GetReservationResponse{}
	err := s.view(func(tx *store.Tx) error {
		r, err := tx.Reservation(req.GetReservationId())
		resp.Reservation = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListReservations lists a job's reservations.
func (s *Server) ListReservations(_ context.Context, req *inventoryv1.ListReservationsRequest) (*inventoryv1.ListReservationsResponse, error) {
	o, err := rpc.ParseOrderBy(req.GetOrderBy(), rpc.Order{Field: sortCreate}, sortCreate, sortExpire)
	if err != nil {
		return nil, err
	}
	resp := &inventoryv1.ListReservationsResponse{}
	inState := func(r *inventoryv1.Reservation) bool { return req.GetState() == 0 || r.GetState() == req.GetState() }
	err = s.view(func(tx *store.Tx) error {
		var err error
		if o == (rpc.Order{Field: sortCreate}) {
			resp.Reservations, resp.NextPageToken, err = tx.ListJobReservations(req.GetJobId(), page(req.GetPageSize(), req.GetPageToken()), inState)
			return err
		}
		all, err := collect(func(pg store.Page) ([]*inventoryv1.Reservation, string, error) {
			return tx.ListJobReservations(req.GetJobId(), pg, inState)
		})
		if err != nil {
			return err
		}
		key := func(r *inventoryv1.Reservation) []byte {
			if o.Field == sortExpire {
				return timeSortKey(r.GetExpireTime(), r.GetCreateTime(), r.GetId())
			}
			return timeSortKey(r.GetCreateTime(), r.GetCreateTime(), r.GetId())
		}
		resp.Reservations, resp.NextPageToken, err = sortedPage(tx.Bolt(), "reservations", req.GetJobId()+"/"+req.GetState().String(),
			order{o.Field, o.Desc}, all, key, req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// endReservation moves an ACTIVE reservation to RELEASED or EXPIRED, giving its stock back.
func (s *Server) endReservation(tx *store.Tx, r *inventoryv1.Reservation, ev domain.ReservationEvent, reason string, now time.Time) error {
	next, err := domain.NextReservationState(domain.ReservationState(r.GetState()), ev)
	if err != nil {
		return err
	}
	for _, l := range r.GetLines() {
		if _, err := s.post(tx, store.Posting{Kind: domain.MovementRelease, PartID: l.GetPartId(), LocationID: r.GetLocationId(),
			Quantity: l.GetQuantity(), JobID: r.GetJobId(), Reference: "reservations/" + r.GetId(), Note: reason, Time: now}); err != nil {
			return err
		}
	}
	r.State = inventoryv1.ReservationState(next)
	r.EndReason = reason
	r.EndTime = timestamppb.New(now)
	if err := tx.PutReservation(r); err != nil {
		return err
	}
	if err := timer.Cancel(tx.Bolt(), TimerReservationExpiry, r.GetId()); err != nil {
		return err
	}
	if next == domain.ReservationExpired {
		return emit(tx, SubjectReservationExpired, "reservations/"+r.GetId(), &inventoryv1.ReservationExpired{Reservation: r}, now)
	}
	return emit(tx, SubjectReservationReleased, "reservations/"+r.GetId(), &inventoryv1.ReservationReleased{Reservation: r}, now)
}

// releaseJob releases every ACTIVE reservation of a job.
func (s *Server) releaseJob(tx *store.Tx, jobID, reason string, now time.Time) ([]*inventoryv1.Reservation, error) {
	var out []*inventoryv1.Reservation
	for _, id := range tx.JobReservationIDs(jobID) {
		r, err := tx.Reservation(id)
		if err != nil {
			return nil, err
		}
		if r.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE {
			continue
		}
		if err := s.endReservation(tx, r, domain.ReservationRelease, reason, now); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReleaseReservation releases one reservation or all of a job's.
func (s *Server) ReleaseReservation(ctx context.Context, req *inventoryv1.ReleaseReservationRequest) (*inventoryv1.ReleaseReservationResponse, error) {
	resp := &inventoryv1.ReleaseReservationResponse{}
	reason := req.GetReason()
	if reason == "" {
		reason = "released"
	}
	err := s.update(ctx, "ReleaseReservation", req, resp, func(tx *store.Tx, now time.Time) error {
		if req.GetJobId() != "" {
			var err error
			resp.Reservations, err = s.releaseJob(tx, req.GetJobId(), reason, now)
			return err
		}
		r, err := tx.Reservation(req.GetReservationId())
		if err != nil {
			return err
		}
		switch r.GetState() {
		case inventoryv1.ReservationState_RESERVATION_STATE_RELEASED, inventoryv1.ReservationState_RESERVATION_STATE_EXPIRED:
			return nil // its stock is already back: nothing to do
		}
		if err := s.endReservation(tx, r, domain.ReservationRelease, reason, now); err != nil {
			return err
		}
		resp.Reservations = []*inventoryv1.Reservation{r}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ConsumeReservation books what a job used and releases the rest.
func (s *Server) ConsumeReservation(ctx context.Context, req *inventoryv1.ConsumeReservationRequest) (*inventoryv1.ConsumeReservationResponse, error) {
	resp := &inventoryv1.ConsumeReservationResponse{}
	err := s.update(ctx, "ConsumeReservation", req, resp, func(tx *store.Tx, now time.Time) error {
		r, err := tx.Reservation(req.GetReservationId())
		if err != nil {
			return err
		}
		next, err := domain.NextReservationState(domain.ReservationState(r.GetState()), domain.ReservationConsume)
		if err != nil {
			return err
		}
		used := make([]domain.Used, len(req.GetLines()))
		for i, l := range req.GetLines() {
			used[i] = domain.Used{PartID: l.GetPartId(), Quantity: l.GetQuantity(), Serials: l.GetSerials(), UnderWarranty: l.GetUnderWarranty()}
		}
		tracked := map[string]bool{}
		for _, l := range r.GetLines() {
			p, err := tx.Part(l.GetPartId())
			if err != nil {
				return err
			}
			tracked[p.GetId()] = p.GetSerialTracked()
		}
		settled, err := domain.Settle(reservationLines(r.GetLines()), used, func(id string) bool { return tracked[id] })
		if err != nil {
			return err
		}
		serials := map[string][]string{}
		for _, u := range used {
			serials[u.PartID] = u.Serials
		}
		ref := "reservations/" + r.GetId()
		for _, st := range settled {
			if st.Consume > 0 {
				if _, err := s.post(tx, store.Posting{Kind: domain.MovementConsume, PartID: st.PartID, LocationID: r.GetLocationId(),
					Quantity: st.Consume, JobID: r.GetJobId(), Serials: serials[st.PartID], Reference: ref, Time: now}); err != nil {
					return err
				}
			}
			if st.Release > 0 {
				if _, err := s.post(tx, store.Posting{Kind: domain.MovementRelease, PartID: st.PartID, LocationID: r.GetLocationId(),
					Quantity: st.Release, JobID: r.GetJobId(), Reference: ref, Note: "not used", Time: now}); err != nil {
					return err
				}
			}
		}
		loc, err := tx.Location(r.GetLocationId())
		if err != nil {
			return err
		}
		for _, o := range domain.MustReturn(used, now, s.policy) {
			ret := &inventoryv1.OldPartReturn{
				Id: ids.NewAt(now), JobId: r.GetJobId(), PartId: o.PartID, ReservationId: r.GetId(),
				LocationId: loc.GetId(), OrganisationId: loc.GetOrganisationId(), ReplacementSerial: o.ReplacementSerial,
				State: inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN, DueTime: timestamppb.New(o.Due),
				CreateTime: timestamppb.New(now),
			}
			if err := tx.PutReturn(ret, nil); err != nil {
				return err
			}
			resp.MustReturn = append(resp.MustReturn, ret)
		}
		r.State = inventoryv1.ReservationState(next)
		r.ConsumedLines = req.GetLines()
		r.EndTime = timestamppb.New(now)
		if err := tx.PutReservation(r); err != nil {
			return err
		}
		if err := timer.Cancel(tx.Bolt(), TimerReservationExpiry, r.GetId()); err != nil {
			return err
		}
		resp.Reservation = r
		return emit(tx, SubjectReservationConsumed, ref, &inventoryv1.ReservationConsumed{Reservation: r, MustReturn: resp.GetMustReturn()}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// expireReservation is the expiry timer's handler: an ACTIVE reservation past its expiry is
// released as EXPIRED. It is idempotent (a reservation that ended meanwhile is left alone).
func (s *Server) expireReservation(ctx context.Context, t timer.Timer) error {
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		r, err := tx.Reservation(t.Key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		now := s.p.Clock.Now()
		if r.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE || now.Before(r.GetExpireTime().AsTime()) {
			return nil
		}
		return s.endReservation(tx, r, domain.ReservationExpire, "expired", now)
	})
	if err != nil {
		return fmt.Errorf("expire reservation %s: %w", t.Key, err)
	}
	s.p.Notify()
	return nil
}
