package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/inventory"
)

func (s *Server) registerTimers() {
	s.p.Timers.Handle(kindAccept, s.onAcceptDeadline)
	s.p.Timers.Handle(kindArrange, s.onArrangementCheck)
	s.p.Timers.Handle(kindReserve, s.onReserve)
	s.p.Timers.Handle(kindRelease, s.onRelease)
	s.p.Timers.Handle(kindConsume, s.onConsume)
}

// change runs a timer's job change (no request id); a missing job is nothing to do.
func (s *Server) change(ctx context.Context, jobID string, fn jobChange) error {
	var resp dispatchv1.GetJobResponse
	err := s.mutateJob(ctx, "", "", nil, &resp, jobID, func(j *dispatchv1.Job) { resp.Job = j }, fn)
	if status.Code(err) == codes.NotFound {
		return nil
	}
	return err
}

// onAcceptDeadline: the assignment was not accepted in time. It goes to the next best
// technician (or UNASSIGNED) and is escalated.
func (s *Server) onAcceptDeadline(ctx context.Context, t timer.Timer) error {
	j, err := s.readJob(t.Key)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	}
	if j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED || assignmentNumber(j) != string(t.Payload) {
		return nil
	}
	pic := s.picture(ctx, j)
	return s.change(ctx, t.Key, func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
		if j.GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED || assignmentNumber(j) != string(t.Payload) {
			return errSkip
		}
		if err := transition(j, domain.EventAcceptTimeout); err != nil {
			return err
		}
		techID := j.GetAssignment().GetTechnicianId()
		prev, err := s.endAssignment(tx, j, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_TIMED_OUT, "", now)
		if err != nil {
			return err
		}
		if err := escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ACCEPTED, dispatchv1.EscalationLevel_ESCALATION_LEVEL_SUPERVISOR,
			fmt.Sprintf("technician %s did not accept within %s", techID, s.policy.AcceptWithin), now); err != nil {
			return err
		}
		return s.assignBest(tx, j, pic, prev, now)
	})
}

// onArrangementCheck: the desk's check after hand-out; an unarranged job goes to management.
func (s *Server) onArrangementCheck(ctx context.Context, t timer.Timer) error {
	return s.change(ctx, t.Key, func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
		if domain.Arranged(domain.State(j.GetState()), j.GetAppointment() != nil) {
			return errSkip
		}
		for _, x := range j.GetEscalations() {
			if x.GetReason() == dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ARRANGED {
				return errSkip // timers fire at least once: escalate once
			}
		}
		return escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_NOT_ARRANGED, dispatchv1.EscalationLevel_ESCALATION_LEVEL_MANAGEMENT,
			fmt.Sprintf("not arranged %s after hand-out (state %s)", s.policy.ArrangementCheck, domain.State(j.GetState())), now)
	})
}

func requestID(jobID, what string) string { return jobID + ":" + what }

// onReserve reserves the likely parts for the assignment the timer was set for. Inventory
// being down returns an error: the timer retries with backoff, so the reservation is delayed,
// never lost. The request id makes retries reserve once.
func (s *Server) onReserve(ctx context.Context, t timer.Timer) error {
	if s.inv == nil {
		return nil
	}
	j, err := s.readJob(t.Key)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	}
	n := string(t.Payload)
	pr := j.GetPartsReservation()
	if pr.GetState() != dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING || assignmentNumber(j) != n || j.GetAssignment() == nil {
		return nil
	}
	now := s.p.Clock.Now()
	location := pr.GetLocationId()
	var resID, reqID string
	if location == "" {
		// Chosen now: the stock was unknown at assignment (inventory down or nothing found).
		pic, err := s.inv.Picture(ctx, point(j.GetSite().GetPoint()), partLines(j))
		if err != nil {
			return err
		}
		s.mu.RLock()
		tech, _ := s.roster.Technician(j.GetAssignment().GetTechnicianId())
		s.mu.RUnlock()
		location = reservationLocation(nil, tech, pic)
	}
	if location == "" {
		err = fmt.Errorf("reserve parts: %w: no stock location holds all the likely parts", inventory.ErrShort)
	} else {
		resID, reqID, err = s.inv.Reserve(ctx, requestID(j.GetId(), "reserve:"+n), j.GetId(), j.GetTicketId(), j.GetAssignment().GetTechnicianId(),
			location, partLines(j), now.Add(s.opts.ReservationHold))
	}
	short := errors.Is(err, inventory.ErrShort) || errors.Is(err, inventory.ErrRejected)
	if err != nil && !short {
		return err
	}
	return s.change(ctx, t.Key, func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
		pr := j.GetPartsReservation()
		current := assignmentNumber(j) == n && j.GetAssignment() != nil &&
			pr.GetState() == dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING
		if !current {
			if short || pr.GetReservationId() == resID {
				// Short, or this very reservation is already recorded (the timer fired twice).
				return errSkip
			}
			// The assignment moved on while reserving: give this reservation back.
			if err := timer.Schedule(tx, kindRelease, j.GetId()+"/"+resID, now, []byte(resID)); err != nil {
				return err
			}
			return nil
		}
		pr.UpdateTime = ts(now)
		if short {
			pr.State = dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_SHORT
			pr.Detail = err.Error()
			return nil
		}
		pr.State = dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED
		pr.ReservationId, pr.LocationId, pr.RequisitionId = resID, location, reqID
		return nil
	})
}

// onRelease gives a reservation back (payload: its id; empty: every reservation of the job).
func (s *Server) onRelease(ctx context.Context, t timer.Timer) error {
	if s.inv == nil {
		return nil
	}
	jobID, what := splitKey(t.Key)
	resID := string(t.Payload)
	err := s.inv.Release(ctx, requestID(jobID, "release:"+what), jobID, resID, "released by dispatch")
	if errors.Is(err, inventory.ErrShort) || errors.Is(err, inventory.ErrRejected) {
		s.log.Warn("reservation not released", zap.String("job_id", jobID), zap.Error(err))
		return nil
	}
	return err
}

func splitKey(key string) (string, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

// onConsume books what the report says was used: the job's reservation is consumed with the
// reserved parts used (the rest released), and parts used beyond any reservation are booked too
// (bookUnreserved), so the stock ledger and the must-return obligations of warranty parts follow
// what was actually fitted.
func (s *Server) onConsume(ctx context.Context, t timer.Timer) error {
	if s.inv == nil {
		return nil
	}
	j, err := s.readJob(t.Key)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		return err
	}
	pr := j.GetPartsReservation()
	switch pr.GetState() {
	case dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING:
		return errors.New("reservation still pending; consume after it is made")
	case dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED:
	default:
		return s.bookUnreserved(ctx, j)
	}
	used := consumedLines(j)
	err = s.inv.Consume(ctx, requestID(j.GetId(), "consume"), pr.GetReservationId(), used)
	rejected := errors.Is(err, inventory.ErrShort) || errors.Is(err, inventory.ErrRejected)
	if err != nil && !rejected {
		return err
	}
	if err := s.bookUnreserved(ctx, j); err != nil {
		return err
	}
	return s.change(ctx, t.Key, func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
		pr := j.GetPartsReservation()
		if pr.GetState() != dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED {
			return errSkip
		}
		pr.State = dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_CONSUMED
		pr.UpdateTime = ts(now)
		if rejected {
			pr.Detail = err.Error()
		}
		return nil
	})
}

// bookUnreserved books the parts used beyond the job's reservation (parts nobody foresaw): they
// are reserved where the technician's parts are (the van, or the nearest stock holding them) and
// consumed at once, idempotently per job. Stock that is not there cannot be booked (the ledger
// never goes negative): that is logged for the warehouse to correct with a count adjustment.
func (s *Server) bookUnreserved(ctx context.Context, j *dispatchv1.Job) error {
	extra := unreservedLines(j)
	if len(extra) == 0 {
		return nil
	}
	need := make([]inventory.Line, len(extra))
	for i, u := range extra {
		need[i] = inventory.Line{PartID: u.PartID, Quantity: u.Quantity}
	}
	log := s.log.With(zap.String("job_id", j.GetId()))
	pic, err := s.inv.Picture(ctx, point(j.GetSite().GetPoint()), need)
	if err != nil {
		return err
	}
	s.mu.RLock()
	tech, _ := s.roster.Technician(j.GetAssignment().GetTechnicianId())
	s.mu.RUnlock()
	location := reservationLocation(nil, tech, pic)
	if location == "" {
		log.Warn("parts used without a reservation are in no stock location; not booked")
		return nil
	}
	resID, _, err := s.inv.Reserve(ctx, requestID(j.GetId(), "reserve:unplanned"), j.GetId(), j.GetTicketId(), j.GetAssignment().GetTechnicianId(),
		location, need, s.p.Clock.Now().Add(s.opts.ReservationHold))
	if err == nil {
		err = s.inv.Consume(ctx, requestID(j.GetId(), "consume:unplanned"), resID, extra)
	}
	if errors.Is(err, inventory.ErrShort) || errors.Is(err, inventory.ErrRejected) {
		log.Warn("parts used without a reservation not booked", zap.Error(err))
		return nil
	}
	return err
}

// unreservedLines are the parts the report says were used beyond what the job reserved.
func unreservedLines(j *dispatchv1.Job) []inventory.Used {
	reserved := map[string]int64{}
	if st := j.GetPartsReservation().GetState(); st == dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED ||
		st == dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING ||
		st == dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_CONSUMED {
		for _, p := range j.GetLikelyParts() {
			reserved[p.GetPartId()] += p.GetQuantity()
		}
	}
	byPart := map[string]*inventory.Used{}
	var order []string
	for _, u := range j.GetReport().GetPartsUsed() {
		l := byPart[u.GetPartId()]
		if l == nil {
			l = &inventory.Used{PartID: u.GetPartId()}
			byPart[u.GetPartId()] = l
			order = append(order, u.GetPartId())
		}
		l.Quantity += max(u.GetQuantity(), 1)
		l.UnderWarranty = l.UnderWarranty || u.GetUnderWarranty()
		if u.GetReplacementSerial() != "" {
			l.Serials = append(l.Serials, u.GetReplacementSerial())
		}
	}
	var out []inventory.Used
	for _, id := range order {
		l := byPart[id]
		if l.Quantity -= reserved[id]; l.Quantity <= 0 {
			continue
		}
		if int64(len(l.Serials)) > l.Quantity {
			l.Serials = l.Serials[len(l.Serials)-int(l.Quantity):]
		}
		out = append(out, *l)
	}
	return out
}

// consumedLines are the reserved parts the report says were used, each at most its reserved
// quantity (parts-inventory consumes only what was reserved).
func consumedLines(j *dispatchv1.Job) []inventory.Used {
	reserved := map[string]int64{}
	for _, p := range j.GetLikelyParts() {
		reserved[p.GetPartId()] = p.GetQuantity()
	}
	byPart := map[string]*inventory.Used{}
	var order []string
	for _, u := range j.GetReport().GetPartsUsed() {
		if _, ok := reserved[u.GetPartId()]; !ok {
			continue
		}
		l := byPart[u.GetPartId()]
		if l == nil {
			l = &inventory.Used{PartID: u.GetPartId()}
			byPart[u.GetPartId()] = l
			order = append(order, u.GetPartId())
		}
		l.Quantity += u.GetQuantity()
		l.UnderWarranty = l.UnderWarranty || u.GetUnderWarranty()
		if u.GetReplacementSerial() != "" {
			l.Serials = append(l.Serials, u.GetReplacementSerial())
		}
	}
	out := make([]inventory.Used, 0, len(order))
	for _, id := range order {
		l := byPart[id]
		if l.Quantity > reserved[id] {
			l.Quantity = reserved[id]
		}
		if int64(len(l.Serials)) > l.Quantity {
			l.Serials = l.Serials[:l.Quantity]
		}
		out = append(out, *l)
	}
	return out
}
