package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// CreateRequisition raises a PENDING requisition.
func (s *Server) CreateRequisition(ctx context.Context, req *inventoryv1.CreateRequisitionRequest) (*inventoryv1.CreateRequisitionResponse, error) {
	resp := &inventoryv1.CreateRequisitionResponse{}
	err := s.update(ctx, "CreateRequisition", req, resp, func(tx *store.Tx, now time.Time) error {
		lines := make([]domain.Line, len(req.GetLines()))
		for i, l := range req.GetLines() {
			lines[i] = domain.Line{PartID: l.GetPartId(), Quantity: l.GetQuantity()}
		}
		if err := domain.CheckLines("lines", lines); err != nil {
			return err
		}
		loc, err := tx.Location(req.GetLocationId())
		if err != nil {
			return err
		}
		if !domain.Usable(domain.LocationKind(loc.GetKind())) {
			return domain.Precondition("location_id: nothing is issued from a %s location", loc.GetKind())
		}
		for _, l := range lines {
			if _, err := tx.Part(l.PartID); err != nil {
				return err
			}
		}
		r := &inventoryv1.Requisition{
			Id: ids.NewAt(now), LocationId: loc.GetId(), Lines: req.GetLines(), Purpose: req.GetPurpose(),
			RequesterId: auth.Actor(ctx, req.GetRequesterId()), JobId: req.GetJobId(), TicketId: req.GetTicketId(),
			ReservationId: req.GetReservationId(),
			State:         inventoryv1.RequisitionState_REQUISITION_STATE_PENDING, CreateTime: timestamppb.New(now),
		}
		if r.GetReservationId() != "" {
			if err := linkReservation(tx, r, lines); err != nil {
				return err
			}
		}
		if err := tx.PutRequisition(r); err != nil {
			return err
		}
		resp.Requisition = r
		return emit(tx, SubjectRequisitionCreated, "requisitions/"+r.GetId(), &inventoryv1.RequisitionCreated{Requisition: r}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetRequisition returns a requisition.
func (s *Server) GetRequisition(_ context.Context, req *inventoryv1.GetRequisitionRequest) (*inventoryv1.GetRequisitionResponse, error) {
	resp := &inventoryv1.GetRequisitionResponse{}
	err := s.view(func(tx *store.Tx) error {
		r, err := tx.Requisition(req.GetRequisitionId())
		resp.Requisition = r
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListRequisitions lists requisitions.
func (s *Server) ListRequisitions(_ context.Context, req *inventoryv1.ListRequisitionsRequest) (*inventoryv1.ListRequisitionsResponse, error) {
	resp := &inventoryv1.ListRequisitionsResponse{}
	err := s.view(func(tx *store.Tx) error {
		var err error
		resp.Requisitions, resp.NextPageToken, err = tx.ListRequisitions(req.GetLocationId(), page(req.GetPageSize(), req.GetPageToken()), func(r *inventoryv1.Requisition) bool {
			return req.GetState() == 0 || r.GetState() == req.GetState()
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// decide approves or rejects a PENDING requisition.
func (s *Server) decide(tx *store.Tx, id, approver, note string, ev domain.RequisitionEvent, now time.Time) (*inventoryv1.Requisition, error) {
	r, err := tx.Requisition(id)
	if err != nil {
		return nil, err
	}
	next, err := domain.NextRequisitionState(domain.RequisitionState(r.GetState()), ev)
	if err != nil {
		return nil, err
	}
	if ev == domain.RequisitionApprove {
		if err := domain.CheckApprover(r.GetRequesterId(), approver, s.policy); err != nil {
			return nil, err
		}
	}
	r.State = inventoryv1.RequisitionState(next)
	r.ApproverId = approver
	r.DecisionNote = note
	r.DecideTime = timestamppb.New(now)
	wait := max(now.Sub(r.GetCreateTime().AsTime()), 0)
	r.ApprovalWait = durationpb.New(wait)
	tx.Bolt().OnCommit(func() { s.approvalWait.Observe(wait.Seconds()) })
	return r, tx.PutRequisition(r)
}

// linkReservation checks that the reservation r names holds r's goods (active, at r's
// location, for r's job, at least r's lines, no other live requisition) and links the two.
func linkReservation(tx *store.Tx, r *inventoryv1.Requisition, lines []domain.Line) error {
	res, err := tx.Reservation(r.GetReservationId())
	if err != nil {
		return err
	}
	if res.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE {
		return domain.Precondition("reservation_id: reservation %s is %s, not active", res.GetId(), res.GetState())
	}
	if res.GetLocationId() != r.GetLocationId() {
		return domain.Precondition("reservation_id: reservation %s holds stock at %s, not at location_id %s", res.GetId(), res.GetLocationId(), r.GetLocationId())
	}
	if r.GetJobId() == "" {
		r.JobId = res.GetJobId()
	} else if r.GetJobId() != res.GetJobId() {
		return domain.Precondition("reservation_id: reservation %s is for job %s, not job_id %s", res.GetId(), res.GetJobId(), r.GetJobId())
	}
	if r.GetTicketId() == "" {
		r.TicketId = res.GetTicketId()
	}
	held := map[string]int64{}
	for _, l := range res.GetLines() {
		held[l.GetPartId()] += l.GetQuantity()
	}
	for i, l := range lines {
		if l.Quantity > held[l.PartID] {
			return domain.Precondition("lines[%d]: reservation %s holds %d of part %s, fewer than %d", i, res.GetId(), held[l.PartID], l.PartID, l.Quantity)
		}
	}
	if prev := res.GetRequisitionId(); prev != "" {
		old, err := tx.Requisition(prev)
		if err != nil {
			return err
		}
		if old.GetState() != inventoryv1.RequisitionState_REQUISITION_STATE_REJECTED {
			return domain.Precondition("reservation_id: reservation %s already has requisition %s (%s)", res.GetId(), prev, old.GetState())
		}
	}
	res.RequisitionId = r.GetId()
	return tx.PutReservation(res)
}

// ApproveRequisition approves a PENDING requisition.
func (s *Server) ApproveRequisition(ctx context.Context, req *inventoryv1.ApproveRequisitionRequest) (*inventoryv1.ApproveRequisitionResponse, error) {
	resp := &inventoryv1.ApproveRequisitionResponse{}
	err := s.update(ctx, "ApproveRequisition", req, resp, func(tx *store.Tx, now time.Time) error {
		r, err := s.decide(tx, req.GetRequisitionId(), auth.Actor(ctx, req.GetApproverId()), req.GetNote(), domain.RequisitionApprove, now)
		if err != nil {
			return err
		}
		resp.Requisition = r
		return emit(tx, SubjectRequisitionApproved, "requisitions/"+r.GetId(), &inventoryv1.RequisitionApproved{Requisition: r}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// RejectRequisition refuses a PENDING requisition.
func (s *Server) RejectRequisition(ctx context.Context, req *inventoryv1.RejectRequisitionRequest) (*inventoryv1.RejectRequisitionResponse, error) {
	resp := &inventoryv1.RejectRequisitionResponse{}
	err := s.update(ctx, "RejectRequisition", req, resp, func(tx *store.Tx, now time.Time) error {
		r, err := s.decide(tx, req.GetRequisitionId(), auth.Actor(ctx, req.GetApproverId()), req.GetNote(), domain.RequisitionReject, now)
		if err != nil {
			return err
		}
		resp.Requisition = r
		return emit(tx, SubjectRequisitionRejected, "requisitions/"+r.GetId(), &inventoryv1.RequisitionRejected{Requisition: r}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// IssueRequisition issues an APPROVED requisition's goods, all lines or none.
func (s *Server) IssueRequisition(ctx context.Context, req *inventoryv1.IssueRequisitionRequest) (*inventoryv1.IssueRequisitionResponse, error) {
	resp := &inventoryv1.IssueRequisitionResponse{}
	err := s.update(ctx, "IssueRequisition", req, resp, func(tx *store.Tx, now time.Time) error {
		r, err := tx.Requisition(req.GetRequisitionId())
		if err != nil {
			return err
		}
		next, err := domain.NextRequisitionState(domain.RequisitionState(r.GetState()), domain.RequisitionIssue)
		if err != nil {
			return err
		}
		if err := s.issueLines(tx, r, resp, now); err != nil {
			return err
		}
		r.State = inventoryv1.RequisitionState(next)
		r.IssueTime = timestamppb.New(now)
		if err := tx.PutRequisition(r); err != nil {
			return err
		}
		resp.Requisition = r
		return emit(tx, SubjectRequisitionIssued, "requisitions/"+r.GetId(), &inventoryv1.RequisitionIssued{Requisition: r, Movements: resp.GetMovements()}, now)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// issueLines books an issued requisition's goods out: ISSUE movements, all lines or none; for a
// requisition linked to a reservation, none (the reservation holds the goods, and its
// consumption with what the visit used books them out), once the reservation is checked live.
func (s *Server) issueLines(tx *store.Tx, r *inventoryv1.Requisition, resp *inventoryv1.IssueRequisitionResponse, now time.Time) error {
	if id := r.GetReservationId(); id != "" {
		res, err := tx.Reservation(id)
		if err != nil {
			return err
		}
		if res.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE {
			return domain.Precondition("requisition %s: its reservation %s is %s; nothing left to issue", r.GetId(), id, res.GetState())
		}
		return nil
	}
	for _, l := range r.GetLines() {
		ps, err := s.post(tx, store.Posting{Kind: domain.MovementIssue, PartID: l.GetPartId(), LocationID: r.GetLocationId(),
			Quantity: l.GetQuantity(), JobID: r.GetJobId(), Reference: "requisitions/" + r.GetId(), Time: now})
		if err != nil {
			return err
		}
		resp.Movements = append(resp.Movements, ps.Movement)
	}
	return nil
}
