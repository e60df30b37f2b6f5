package api

import (
	"context"
	"math"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

func ts(t time.Time) *timestamppb.Timestamp    { return timestamppb.New(t) }
func dur(d time.Duration) *durationpb.Duration { return durationpb.New(d) }

// distanceKM is the great-circle distance between two points in km.
func distanceKM(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// needsWarranty reports whether a ticket is triaged through warranty-rules.
func needsWarranty(t *ticketv1.Ticket) bool {
	k := t.GetKind()
	return k == ticketv1.TicketKind_TICKET_KIND_REPAIR || k == ticketv1.TicketKind_TICKET_KIND_RETURN_EXCHANGE
}

// CreateTicket registers a ticket in RECEIVED, starts its clocks and schedules its triage.
func (s *Server) CreateTicket(ctx context.Context, req *ticketv1.CreateTicketRequest) (*ticketv1.CreateTicketResponse, error) {
	in := req.GetTicket()
	if needsWarranty(in) && in.GetUnit().GetSerial() == "" {
		return nil, toStatus(&domain.FieldError{Field: "ticket.unit.serial", Rule: "required for repair and return tickets"})
	}
	resp := &ticketv1.CreateTicketResponse{}
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "CreateTicket", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		policyID := in.GetServicePolicyId()
		if policyID == "" {
			policyID = domain.DefaultPolicyID
		}
		pol, err := s.policy(tx, policyID)
		if err != nil {
			return &domain.FieldError{Field: "ticket.service_policy_id", Rule: "unknown service policy " + strconv.Quote(policyID), Err: err}
		}
		pp, _ := store.GetPolicy(tx, policyID)
		t := &ticketv1.Ticket{
			Id: ids.NewAt(now), Kind: in.GetKind(), Channel: in.GetChannel(), State: ticketv1.TicketState_TICKET_STATE_RECEIVED,
			Priority: in.GetPriority(), Customer: in.GetCustomer(), Unit: in.GetUnit(), Fault: in.GetFault(),
			RequestedRemedy: in.GetRequestedRemedy(), OrganisationId: in.GetOrganisationId(), ServicePolicyId: policyID,
			DistanceKm: in.DistanceKm, RequestedSolution: in.GetRequestedSolution(), SupplierInvolved: in.GetSupplierInvolved(),
			WindowStartTime: in.GetWindowStartTime(), WindowEndTime: in.GetWindowEndTime(), CreateTime: ts(now),
		}
		if t.Priority == ticketv1.Priority_PRIORITY_UNSPECIFIED {
			t.Priority = ticketv1.Priority_PRIORITY_NORMAL
		}
		if t.DistanceKm == nil {
			if pt, base := t.GetCustomer().GetAddress().GetPoint(), pp.GetBasePoint(); pt != nil && base != nil {
				d := distanceKM(base.GetLatitude(), base.GetLongitude(), pt.GetLatitude(), pt.GetLongitude())
				t.DistanceKm = &d
			}
		}
		year := now.UTC().Year()
		n, err := store.NextNumber(tx, domain.TicketPrefix, year)
		if err != nil {
			return err
		}
		t.Number = domain.FormatNumber(domain.TicketPrefix, year, n)
		if t.Kind == ticketv1.TicketKind_TICKET_KIND_COMPLAINT {
			cn, err := store.NextNumber(tx, domain.ComplaintPrefix, year)
			if err != nil {
				return err
			}
			t.Complaint = &ticketv1.Complaint{Number: domain.FormatNumber(domain.ComplaintPrefix, year, cn)}
		}
		for _, k := range pol.Clocks(domain.Subject{Kind: domain.Kind(t.Kind), Priority: domain.Priority(t.Priority),
			DistanceKM: t.GetDistanceKm(), DistanceKnown: t.DistanceKm != nil, Supplier: t.SupplierInvolved}) {
			t.Clocks = append(t.Clocks, clockToProto(k, domain.Status{}))
		}
		c := &change{s: s, tx: tx, now: now, t: t}
		if err := c.trigger(domain.TriggerIntake, 0); err != nil {
			return err
		}
		c.emit(SubjectTicketCreated, func(s *ticketv1.TicketSnapshot) proto.Message { return &ticketv1.TicketCreated{Ticket: s} })
		if t.Priority == ticketv1.Priority_PRIORITY_URGENT {
			c.escalate(ticketv1.EscalationReason_ESCALATION_REASON_URGENT, "", "")
		}
		if err := timer.Schedule(tx, timerTriage, t.Id, now, nil); err != nil {
			return err
		}
		if err := c.save(); err != nil {
			return err
		}
		resp.Ticket = t
		return idem.Save(tx, "CreateTicket", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return resp, nil
}

// GetTicket returns a ticket with its clocks recomputed now.
func (s *Server) GetTicket(_ context.Context, req *ticketv1.GetTicketRequest) (*ticketv1.GetTicketResponse, error) {
	resp := &ticketv1.GetTicketResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		t, err := store.GetTicket(tx, req.GetTicketId())
		if err != nil {
			return err
		}
		if err := s.refresh(tx, t, s.p.Clock.Now(), false); err != nil {
			return err
		}
		resp.Ticket = t
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListTickets lists tickets newest first from a secondary index.
func (s *Server) ListTickets(_ context.Context, req *ticketv1.ListTicketsRequest) (*ticketv1.ListTicketsResponse, error) {
	f := store.Filter{State: int32(req.GetState()), Kind: int32(req.GetKind()), CustomerID: req.GetCustomerId(),
		Serial: req.GetUnitSerial(), OrgID: req.GetOrganisationId(), Breached: req.Breached,
		PageSize: pstore.PageSize(req.GetPageSize()), PageToken: req.GetPageToken()}
	if req.GetCreateTimeStart() != nil {
		f.Start = req.GetCreateTimeStart().AsTime()
	}
	if req.GetCreateTimeEnd() != nil {
		f.End = req.GetCreateTimeEnd().AsTime()
	}
	order, err := rpc.ParseOrderBy(req.GetOrderBy(), rpc.Order{Field: store.SortCreate, Desc: true},
		store.SortCreate, store.SortDue, store.SortPriority)
	if err != nil {
		return nil, err
	}
	resp := &ticketv1.ListTicketsResponse{}
	err = s.p.DB.View(func(tx *bbolt.Tx) error {
		var ts []*ticketv1.Ticket
		var next string
		var err error
		if order == (rpc.Order{Field: store.SortCreate, Desc: true}) {
			ts, next, err = store.ListTickets(tx, f) // the default, whose tokens clients hold
		} else {
			ts, next, err = store.ListTicketsOrdered(tx, f, order.Field, order.Desc)
		}
		resp.Tickets, resp.NextPageToken = ts, next
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// RecordContact logs a contact; an outbound one is a response.
func (s *Server) RecordContact(ctx context.Context, req *ticketv1.RecordContactRequest) (*ticketv1.RecordContactResponse, error) {
	resp := &ticketv1.RecordContactResponse{}
	err := s.mutate(ctx, "RecordContact", req, resp, req.GetTicketId(), func(c *change) error {
		rec := proto.Clone(req.GetContact()).(*ticketv1.ContactRecord)
		at := c.now
		if rec.GetContactTime() != nil {
			at = rec.GetContactTime().AsTime()
			if at.After(c.now.Add(time.Minute)) {
				return &domain.FieldError{Field: "contact.contact_time", Rule: "must not be in the future"}
			}
		}
		rec.Id, rec.TicketId, rec.ContactTime, rec.RecordTime = ids.NewAt(c.now), c.t.GetId(), ts(at), ts(c.now)
		if err := store.PutContact(c.tx, rec); err != nil {
			return err
		}
		c.t.ContactCount++
		if rec.GetDirection() == ticketv1.ContactDirection_CONTACT_DIRECTION_OUTBOUND {
			if c.t.FirstResponseTime == nil {
				c.t.FirstResponseTime = ts(at)
			}
			if cp := c.t.GetComplaint(); cp != nil && cp.AcknowledgeTime == nil {
				cp.AcknowledgeTime = ts(at)
			}
			if err := c.trigger(domain.TriggerResponse, 0); err != nil {
				return err
			}
		}
		resp.Contact = rec
		c.emit(SubjectContactRecorded, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.ContactRecorded{Ticket: s, ContactId: rec.Id, Channel: rec.Channel, Direction: rec.Direction, ContactTime: rec.ContactTime}
		})
		return nil
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListContacts lists a ticket's contacts in time order.
func (s *Server) ListContacts(_ context.Context, req *ticketv1.ListContactsRequest) (*ticketv1.ListContactsResponse, error) {
	resp := &ticketv1.ListContactsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		t, err := store.GetTicket(tx, req.GetTicketId())
		if err != nil {
			return err
		}
		resp.Contacts, resp.NextPageToken, err = store.ListContacts(tx, t.GetId(), pstore.PageSize(req.GetPageSize()), req.GetPageToken())
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// HoldTicket makes the ticket wait; its clocks pause.
func (s *Server) HoldTicket(ctx context.Context, req *ticketv1.HoldTicketRequest) (*ticketv1.HoldTicketResponse, error) {
	resp := &ticketv1.HoldTicketResponse{}
	err := s.mutate(ctx, "HoldTicket", req, resp, req.GetTicketId(), func(c *change) error {
		from := c.t.GetState()
		if err := c.fire(domain.EventHold); err != nil {
			return err
		}
		c.t.HeldFromState, c.t.HoldReason, c.t.HoldTime = from, req.GetReason(), ts(c.now)
		reason := req.GetReason()
		c.emit(SubjectTicketAwaiting, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.TicketAwaiting{Ticket: s, Reason: reason}
		})
		return c.trigger(domain.TriggerHold, domain.PauseReason(reason))
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ResumeTicket ends the wait.
func (s *Server) ResumeTicket(ctx context.Context, req *ticketv1.ResumeTicketRequest) (*ticketv1.ResumeTicketResponse, error) {
	resp := &ticketv1.ResumeTicketResponse{}
	err := s.mutate(ctx, "ResumeTicket", req, resp, req.GetTicketId(), func(c *change) error {
		if err := c.fire(domain.EventResume); err != nil {
			return err
		}
		reason := c.t.GetHoldReason()
		var waited time.Duration
		if h := c.t.GetHoldTime(); h != nil && c.now.After(h.AsTime()) {
			waited = c.now.Sub(h.AsTime())
		}
		c.t.HeldFromState, c.t.HoldReason, c.t.HoldTime = 0, 0, nil
		c.emit(SubjectTicketResumed, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.TicketResumed{Ticket: s, Reason: reason, Waited: dur(waited)}
		})
		return c.trigger(domain.TriggerResume, 0)
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// DispatchTicket asks for an on-site visit.
func (s *Server) DispatchTicket(ctx context.Context, req *ticketv1.DispatchTicketRequest) (*ticketv1.DispatchTicketResponse, error) {
	resp := &ticketv1.DispatchTicketResponse{}
	err := s.mutate(ctx, "DispatchTicket", req, resp, req.GetTicketId(), func(c *change) error {
		return c.requestVisit(req.GetExpert())
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// activeJob returns the ticket's current job when it may still be running at dispatch.
func activeJob(t *ticketv1.Ticket) *ticketv1.Job {
	if len(t.GetJobs()) == 0 {
		return nil
	}
	j := t.GetJobs()[len(t.GetJobs())-1]
	switch j.GetState() {
	case ticketv1.JobState_JOB_STATE_COMPLETED, ticketv1.JobState_JOB_STATE_FAILED, ticketv1.JobState_JOB_STATE_CANCELLED:
		return nil
	}
	return j
}

// cancelActiveJob schedules the cancellation of the current job at dispatch, if any.
func (c *change) cancelActiveJob() error {
	j := activeJob(c.t)
	if j == nil {
		return nil
	}
	j.State = ticketv1.JobState_JOB_STATE_CANCELLED
	j.EndTime = ts(c.now)
	key := c.t.GetId() + "|" + strconv.Itoa(int(j.GetVisit()))
	return timer.Schedule(c.tx, timerCancelJob, key, c.now, nil)
}

// requestVisit moves the ticket to DISPATCHED with a new visit, requested in the background.
func (c *change) requestVisit(expert bool) error {
	if err := c.fire(domain.EventDispatch); err != nil {
		return err
	}
	visit := int32(len(c.t.GetJobs()) + 1)
	c.t.Jobs = append(c.t.Jobs, &ticketv1.Job{Visit: visit, Expert: expert, RequestTime: ts(c.now)})
	if c.t.Triage == nil {
		c.t.Triage = &ticketv1.Triage{}
	}
	c.t.Triage.Solution = ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE
	if err := timer.Schedule(c.tx, timerDispatch, c.t.GetId(), c.now, nil); err != nil {
		return err
	}
	return c.trigger(domain.TriggerJobRequested, 0)
}

// onSiteKind reports whether a ticket's kind is worked on site.
func onSiteKind(k ticketv1.TicketKind) bool {
	return k == ticketv1.TicketKind_TICKET_KIND_REPAIR || k == ticketv1.TicketKind_TICKET_KIND_MAINTENANCE ||
		k == ticketv1.TicketKind_TICKET_KIND_INSTALLATION
}

// EscalateTicket escalates: level + 1, active job cancelled, dispatched again at expert level.
func (s *Server) EscalateTicket(ctx context.Context, req *ticketv1.EscalateTicketRequest) (*ticketv1.EscalateTicketResponse, error) {
	resp := &ticketv1.EscalateTicketResponse{}
	err := s.mutate(ctx, "EscalateTicket", req, resp, req.GetTicketId(), func(c *change) error {
		if err := c.fire(domain.EventEscalate); err != nil {
			return err
		}
		if err := c.cancelActiveJob(); err != nil {
			return err
		}
		c.escalate(ticketv1.EscalationReason_ESCALATION_REASON_MANUAL, req.GetNote(), "")
		if onSiteKind(c.t.GetKind()) {
			return c.requestVisit(true)
		}
		return nil
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// resolve records a resolution and everything that follows from it.
func (c *change) resolve(ev domain.Event, r *ticketv1.Resolution) error {
	if err := c.fire(ev); err != nil {
		return err
	}
	r.ResolveTime = ts(c.now)
	r.CustomerConfirmed, r.ConfirmTime = false, nil
	c.t.Resolution = r
	if err := c.trigger(domain.TriggerResolved, 0); err != nil {
		return err
	}
	if r.GetLoanUnit() {
		if err := c.trigger(domain.TriggerLoanUnit, 0); err != nil {
			return err
		}
	}
	if c.t.FirstResponseTime == nil {
		c.t.FirstResponseTime = ts(c.now)
	}
	pol, err := c.policy()
	if err != nil {
		return err
	}
	if c.t.GetKind() == ticketv1.TicketKind_TICKET_KIND_REPAIR {
		prev, err := store.LastRepair(c.tx, c.t.GetUnit().GetSerial(), c.t.GetFault().GetFaultCode(), c.now)
		if err != nil {
			return err
		}
		c.t.RepeatFailure = !prev.IsZero() && c.now.Sub(prev) <= pol.RepeatWindow
	}
	if pol.CloseTimeout > 0 {
		if err := timer.Schedule(c.tx, timerAutoClose, c.t.GetId(), c.now.Add(pol.CloseTimeout), nil); err != nil {
			return err
		}
	}
	fv, paid, rep := r.GetFirstVisitFix(), r.GetPaid(), c.t.GetRepeatFailure()
	c.emit(SubjectTicketResolved, func(s *ticketv1.TicketSnapshot) proto.Message {
		return &ticketv1.TicketResolved{Ticket: s, FirstVisitFix: fv, Paid: paid, RepeatFailure: rep}
	})
	return nil
}

// ResolveTicket records the solution.
func (s *Server) ResolveTicket(ctx context.Context, req *ticketv1.ResolveTicketRequest) (*ticketv1.ResolveTicketResponse, error) {
	resp := &ticketv1.ResolveTicketResponse{}
	err := s.mutate(ctx, "ResolveTicket", req, resp, req.GetTicketId(), func(c *change) error {
		if err := c.cancelActiveJob(); err != nil {
			return err
		}
		r := proto.Clone(req.GetResolution()).(*ticketv1.Resolution)
		if err := quotedFee(c.t, r); err != nil {
			return err
		}
		r.FirstVisitFix = len(c.t.GetJobs()) == 1
		return c.resolve(domain.EventResolve, r)
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ConfirmResolution records the customer's confirmation.
func (s *Server) ConfirmResolution(ctx context.Context, req *ticketv1.ConfirmResolutionRequest) (*ticketv1.ConfirmResolutionResponse, error) {
	resp := &ticketv1.ConfirmResolutionResponse{}
	err := s.mutate(ctx, "ConfirmResolution", req, resp, req.GetTicketId(), func(c *change) error {
		if c.t.GetState() != ticketv1.TicketState_TICKET_STATE_RESOLVED {
			return errNotResolved
		}
		c.t.Resolution.CustomerConfirmed, c.t.Resolution.ConfirmTime = true, ts(c.now)
		c.emit(SubjectResolutionConfirmed, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.ResolutionConfirmed{Ticket: s}
		})
		return nil
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// close closes a resolved ticket when confirmed or after the policy's timeout.
func (c *change) close() error {
	r := c.t.GetResolution()
	if c.t.GetState() == ticketv1.TicketState_TICKET_STATE_RESOLVED && !r.GetCustomerConfirmed() {
		pol, err := c.policy()
		if err != nil {
			return err
		}
		if pol.CloseTimeout == 0 || c.now.Before(r.GetResolveTime().AsTime().Add(pol.CloseTimeout)) {
			return errNotConfirmed
		}
	}
	if err := c.fire(domain.EventClose); err != nil {
		return err
	}
	c.t.CloseTime = ts(c.now)
	if err := timer.Cancel(c.tx, timerAutoClose, c.t.GetId()); err != nil {
		return err
	}
	confirmed := r.GetCustomerConfirmed()
	c.emit(SubjectTicketClosed, func(s *ticketv1.TicketSnapshot) proto.Message {
		return &ticketv1.TicketClosed{Ticket: s, Confirmed: confirmed}
	})
	return c.trigger(domain.TriggerClosed, 0)
}

// CloseTicket closes a resolved ticket.
func (s *Server) CloseTicket(ctx context.Context, req *ticketv1.CloseTicketRequest) (*ticketv1.CloseTicketResponse, error) {
	resp := &ticketv1.CloseTicketResponse{}
	err := s.mutate(ctx, "CloseTicket", req, resp, req.GetTicketId(), func(c *change) error { return c.close() },
		func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ReopenTicket reopens a resolved or closed ticket and triages it again.
func (s *Server) ReopenTicket(ctx context.Context, req *ticketv1.ReopenTicketRequest) (*ticketv1.ReopenTicketResponse, error) {
	resp := &ticketv1.ReopenTicketResponse{}
	err := s.mutate(ctx, "ReopenTicket", req, resp, req.GetTicketId(), func(c *change) error {
		if err := c.fire(domain.EventReopen); err != nil {
			return err
		}
		c.t.ReopenCount++
		c.t.Resolution, c.t.CloseTime = nil, nil
		n := c.t.ReopenCount
		c.emit(SubjectTicketReopened, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.TicketReopened{Ticket: s, ReopenCount: n}
		})
		if err := timer.Cancel(c.tx, timerAutoClose, c.t.GetId()); err != nil {
			return err
		}
		if err := timer.Schedule(c.tx, timerTriage, c.t.GetId(), c.now, nil); err != nil {
			return err
		}
		return c.trigger(domain.TriggerReopened, 0)
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// CancelTicket cancels a ticket not yet in service.
func (s *Server) CancelTicket(ctx context.Context, req *ticketv1.CancelTicketRequest) (*ticketv1.CancelTicketResponse, error) {
	resp := &ticketv1.CancelTicketResponse{}
	err := s.mutate(ctx, "CancelTicket", req, resp, req.GetTicketId(), func(c *change) error {
		if err := c.fire(domain.EventCancel); err != nil {
			return err
		}
		if err := c.cancelActiveJob(); err != nil {
			return err
		}
		c.emit(SubjectTicketCancelled, func(s *ticketv1.TicketSnapshot) proto.Message { return &ticketv1.TicketCancelled{Ticket: s} })
		return c.trigger(domain.TriggerCancelled, 0)
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// SubmitSurvey records the satisfaction survey of a resolved or closed ticket.
func (s *Server) SubmitSurvey(ctx context.Context, req *ticketv1.SubmitSurveyRequest) (*ticketv1.SubmitSurveyResponse, error) {
	resp := &ticketv1.SubmitSurveyResponse{}
	err := s.mutate(ctx, "SubmitSurvey", req, resp, req.GetTicketId(), func(c *change) error {
		st := c.t.GetState()
		if st != ticketv1.TicketState_TICKET_STATE_RESOLVED && st != ticketv1.TicketState_TICKET_STATE_CLOSED {
			return errNotResolved
		}
		if c.t.GetSurvey() != nil {
			return errAlreadySurveys
		}
		pol, err := c.policy()
		if err != nil {
			return err
		}
		sv := proto.Clone(req.GetSurvey()).(*ticketv1.Survey)
		var scores []int
		for _, a := range sv.GetAnswers() {
			scores = append(scores, int(a.GetScore()))
		}
		sv.MeanScore, sv.Satisfied = domain.Satisfied(scores, pol.SatisfiedScore)
		sv.SubmitTime = ts(c.now)
		c.t.Survey = sv
		mean, ok := sv.MeanScore, sv.Satisfied
		c.emit(SubjectSurveySubmitted, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.SurveySubmitted{Ticket: s, MeanScore: mean, Satisfied: ok}
		})
		return nil
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func complaintStep(t *ticketv1.Ticket) domain.ComplaintStep {
	switch {
	case t.GetComplaint().GetAnswer() != nil:
		return domain.ComplaintAnswered
	case t.GetComplaint().GetVerification() != nil:
		return domain.ComplaintVerified
	}
	return domain.ComplaintReceived
}

// VerifyComplaint records a complaint's verification.
func (s *Server) VerifyComplaint(ctx context.Context, req *ticketv1.VerifyComplaintRequest) (*ticketv1.VerifyComplaintResponse, error) {
	resp := &ticketv1.VerifyComplaintResponse{}
	err := s.mutate(ctx, "VerifyComplaint", req, resp, req.GetTicketId(), func(c *change) error {
		if err := domain.CheckVerify(domain.Kind(c.t.GetKind()), complaintStep(c.t), domain.State(c.t.GetState())); err != nil {
			return err
		}
		cp := c.t.Complaint
		cp.Category, cp.Content, cp.Severity = req.GetCategory(), req.GetContent(), req.GetSeverity()
		v := proto.Clone(req.GetVerification()).(*ticketv1.ComplaintVerification)
		v.VerifyTime = ts(c.now)
		cp.Verification = v
		if cp.AcknowledgeTime == nil {
			cp.AcknowledgeTime = ts(c.now)
		}
		if err := c.trigger(domain.TriggerVerified, 0); err != nil {
			return err
		}
		if cp.Category != ticketv1.ComplaintCategory_COMPLAINT_CATEGORY_PRODUCT_QUALITY {
			if err := c.trigger(domain.TriggerVerifiedNotQuality, 0); err != nil {
				return err
			}
		}
		ev := &ticketv1.ComplaintVerified{Category: cp.Category, Content: cp.Content, Severity: cp.Severity, Substantiated: v.GetSubstantiated()}
		c.emit(SubjectComplaintVerified, func(s *ticketv1.TicketSnapshot) proto.Message { ev.Ticket = s; return ev })
		if domain.Severity(cp.Severity).Serious() {
			c.escalate(ticketv1.EscalationReason_ESCALATION_REASON_SERIOUS_COMPLAINT, "", "")
		}
		return nil
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// AnswerComplaint records a complaint's answer and resolves the ticket.
func (s *Server) AnswerComplaint(ctx context.Context, req *ticketv1.AnswerComplaintRequest) (*ticketv1.AnswerComplaintResponse, error) {
	resp := &ticketv1.AnswerComplaintResponse{}
	err := s.mutate(ctx, "AnswerComplaint", req, resp, req.GetTicketId(), func(c *change) error {
		cp := c.t.GetComplaint()
		a := req.GetAnswer()
		if err := domain.CheckAnswer(domain.Kind(c.t.GetKind()), complaintStep(c.t), domain.ComplaintCategory(cp.GetCategory()),
			domain.Severity(cp.GetSeverity()), domain.Answer{RootCause: a.GetRootCause(), Prevention: a.GetPrevention(),
				SignOffs: len(a.GetSignOffs())}); err != nil {
			return err
		}
		ans := proto.Clone(a).(*ticketv1.ComplaintAnswer)
		ans.AnswerTime = ts(c.now)
		cp.Answer = ans
		if err := c.trigger(domain.TriggerAnswered, 0); err != nil {
			return err
		}
		cat, sev := cp.Category, cp.Severity
		c.emit(SubjectComplaintAnswered, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.ComplaintAnswered{Ticket: s, Category: cat, Severity: sev}
		})
		return c.resolve(domain.EventResolve, &ticketv1.Resolution{Solution: "complaint answered", RootCause: ans.GetRootCause()})
	}, func(t *ticketv1.Ticket) { resp.Ticket = t })
	if err != nil {
		return nil, err
	}
	return resp, nil
}
