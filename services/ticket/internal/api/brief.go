package api

import (
	"context"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// briefHistory bounds the earlier tickets and the repairs a job brief lists.
const briefHistory = 20

// GetJobBrief returns what the technician of one of the ticket's jobs reads: the fault, the
// unit, the unit's earlier tickets (no customer's data: they may be another owner's) and its
// repairs. With technician_id the job must be the ticket's and that technician's (the lead or
// a member of the team), else NOT_FOUND; dispatch decides, as it holds the assignment.
func (s *Server) GetJobBrief(ctx context.Context, req *ticketv1.GetJobBriefRequest) (*ticketv1.GetJobBriefResponse, error) {
	if tech := req.GetTechnicianId(); tech != "" {
		j, found, err := s.dispatch.Job(ctx, req.GetJobId())
		if err != nil {
			return nil, rpc.Fail(rpc.ReasonUnavailable, "dispatch did not answer: try again")
		}
		a := j.GetAssignment()
		if !found || j.GetTicketId() != req.GetTicketId() || (a.GetTechnicianId() != tech && !slices.Contains(a.GetMemberIds(), tech)) {
			return nil, toStatus(fmt.Errorf("job %s of ticket %s for technician %s: %w", req.GetJobId(), req.GetTicketId(), tech, store.ErrNotFound))
		}
	}
	b := &ticketv1.JobBrief{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		t, err := store.GetTicket(tx, req.GetTicketId())
		if err != nil {
			return err
		}
		b.TicketId, b.Number, b.Kind, b.State, b.CreateTime = t.GetId(), t.GetNumber(), t.GetKind(), t.GetState(), t.GetCreateTime()
		b.Fault, b.Unit = t.GetFault(), t.GetUnit()
		serial := t.GetUnit().GetSerial()
		if serial == "" {
			return nil
		}
		others, _, err := store.ListTickets(tx, store.Filter{Serial: serial, PageSize: briefHistory + 1})
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.GetId() == t.GetId() || o.GetUnit().GetSerial() != serial || len(b.EarlierTickets) == briefHistory {
				continue // the index is the filter; this is the guard
			}
			b.EarlierTickets = append(b.EarlierTickets, &ticketv1.EarlierTicket{Number: o.GetNumber(), Kind: o.GetKind(), State: o.GetState(),
				CreateTime: o.GetCreateTime(), ResolveTime: o.GetResolution().GetResolveTime(), FaultCode: o.GetFault().GetFaultCode()})
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if serial := b.GetUnit().GetSerial(); serial != "" {
		repairs, err := s.warranty.Repairs(ctx, serial, briefHistory)
		if err != nil {
			s.p.Log.Warn("job brief without repairs: warranty-rules did not answer", zap.String("ticket_id", b.GetTicketId()), zap.Error(err))
			b.RepairsUnavailable = true
		}
		b.Repairs = repairs
	}
	return &ticketv1.GetJobBriefResponse{Brief: b}, nil
}
