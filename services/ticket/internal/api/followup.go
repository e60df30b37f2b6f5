package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// deskAssignee is the queue follow-ups are assigned to.
const deskAssignee = "desk"

// maxDeliveryAgeDays: a unit registered with a delivery (or sale) more than this many days ago
// gets no delivery follow-up: its call is long past, and the consumer, which reads the
// WARRANTY stream from its start when first created, must not flood the desk with the
// history of an existing installation.
const maxDeliveryAgeDays = 90

func dateToProto(d calendar.Date) *typev1.Date {
	return &typev1.Date{Year: int32(d.Year), Month: int32(d.Month), Day: int32(d.Day)}
}

func dateFromProto(d *typev1.Date) calendar.Date {
	if d == nil {
		return calendar.Date{}
	}
	return calendar.NewDate(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()))
}

// followUpSnapshot is a follow-up without its notes, for events.
func followUpSnapshot(f *ticketv1.FollowUp) *ticketv1.FollowUpSnapshot {
	return &ticketv1.FollowUpSnapshot{Id: f.GetId(), Reason: f.GetReason(), State: f.GetState(), UnitSerial: f.GetUnitSerial(),
		CustomerId: f.GetCustomerId(), TicketId: f.GetTicketId(), ProgrammeId: f.GetProgrammeId(), DueDate: f.GetDueDate(),
		Attempts: int32(len(f.GetAttempts())), RaisedTicketId: f.GetRaisedTicketId()}
}

// putFollowUp stores a follow-up's change and its event in tx.
func putFollowUp(tx *bbolt.Tx, old, f *ticketv1.FollowUp, now time.Time, subject string, msg proto.Message) error {
	f.UpdateTime, f.Etag = ts(now), ids.NewAt(now)
	if err := store.PutFollowUp(tx, old, f); err != nil {
		return err
	}
	if _, err := outbox.Append(tx, outbox.Event{Subject: subject, Resource: "follow_ups/" + f.GetId(), Data: msg, Time: now}); err != nil {
		return fmt.Errorf("append event: %w", err)
	}
	return nil
}

// newFollowUp makes the follow-up of source (once: a source already followed up returns the
// existing one), due days working days after from on service policy policyID's calendar.
func (s *Server) newFollowUp(tx *bbolt.Tx, now time.Time, f *ticketv1.FollowUp, from calendar.Date, days int, policyID string,
	source ...string) (*ticketv1.FollowUp, error) {
	if id := store.FollowUpSource(tx, source...); id != "" {
		return store.GetFollowUp(tx, id)
	}
	pol, err := s.policy(tx, policyID)
	if err != nil {
		return nil, err
	}
	cal, err := s.calendar(tx, pol.CalendarID)
	if err != nil {
		return nil, err
	}
	due, err := domain.FollowUpDueDate(cal, from, days)
	if err != nil {
		return nil, err
	}
	f.Id, f.State, f.Assignee = ids.NewAt(now), ticketv1.FollowUpState_FOLLOW_UP_STATE_DUE, deskAssignee
	f.FromDate, f.DueDate, f.CreateTime = dateToProto(from), dateToProto(due), ts(now)
	if err := store.PutFollowUpSource(tx, f.GetId(), source...); err != nil {
		return nil, err
	}
	if err := putFollowUp(tx, nil, f, now, SubjectFollowUpCreated, &ticketv1.FollowUpCreated{FollowUp: followUpSnapshot(f)}); err != nil {
		return nil, err
	}
	return f, nil
}

// followUpClosed makes the follow-up call of a closed service (seed 004: within 15 days).
func (c *change) followUpClosed() error {
	pol, err := c.policy()
	if err != nil {
		return err
	}
	cal, err := c.s.calendar(c.tx, pol.CalendarID)
	if err != nil {
		return err
	}
	t := c.t
	f := &ticketv1.FollowUp{Reason: ticketv1.FollowUpReason_FOLLOW_UP_REASON_SERVICE_CLOSED, UnitSerial: t.GetUnit().GetSerial(),
		ProductLine: t.GetUnit().GetProductLine(), CustomerId: t.GetCustomer().GetCustomerId(), TicketId: t.GetId(),
		OrganisationId: t.GetOrganisationId()}
	_, err = c.s.newFollowUp(c.tx, c.now, f, calendar.DateOf(c.now, cal.Location()), pol.Programmes.ServiceDays, t.GetServicePolicyId(),
		"closed", t.GetId(), strconv.Itoa(int(t.GetReopenCount())))
	return err
}

// HandleUnitEvent makes the delivery follow-up of a unit warranty registered (seed 004: a call
// within 15 days of the delivery; the sale date when no delivery date is known), inside the
// consumer's transaction.
func (s *Server) HandleUnitEvent(tx *bbolt.Tx, m events.Message) error {
	if m.Type != "sanbao.warranty.v1.UnitRegistered" {
		return nil
	}
	e := &warrantyv1.UnitRegistered{}
	if err := m.Decode(e); err != nil {
		return events.Permanent(fmt.Errorf("decode %s: %w", m.Type, err))
	}
	u := e.GetUnit()
	from := u.GetDates().GetDelivery()
	if from == nil {
		from = u.GetDates().GetSale()
	}
	d := dateFromProto(from)
	if u.GetId() == "" || u.GetSerial() == "" || !d.Valid() {
		return events.Permanent(fmt.Errorf("unit event %s: unit id, serial and a delivery or sale date are required", m.ID))
	}
	pol, err := s.policy(tx, domain.DefaultPolicyID)
	if err != nil {
		return err
	}
	now := s.p.Clock.Now()
	if cal, err := s.calendar(tx, pol.CalendarID); err != nil {
		return err
	} else if d.Before(calendar.DateOf(now, cal.Location()).AddDays(-maxDeliveryAgeDays)) {
		// A unit delivered long ago (a late registration, or the stream's history read when the
		// consumer first starts): no call is due any more.
		return nil
	}
	f := &ticketv1.FollowUp{Reason: ticketv1.FollowUpReason_FOLLOW_UP_REASON_DELIVERY, UnitSerial: u.GetSerial(), UnitId: u.GetId(),
		CustomerId: u.GetCustomer().GetCustomerId(), OrganisationId: u.GetDealerId()}
	_, err = s.newFollowUp(tx, now, f, d, pol.Programmes.DeliveryDays, domain.DefaultPolicyID, "delivery", u.GetId())
	return err
}

// ListFollowUps lists follow-ups in due-date order.
func (s *Server) ListFollowUps(_ context.Context, req *ticketv1.ListFollowUpsRequest) (*ticketv1.ListFollowUpsResponse, error) {
	resp := &ticketv1.ListFollowUpsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.FollowUps, resp.NextPageToken, err = store.ListFollowUps(tx, store.FollowUpFilter{State: int32(req.GetState()),
			Serial: req.GetUnitSerial(), TicketID: req.GetTicketId(), DueBy: req.GetDueBy(), PageSize: pstore.PageSize(req.GetPageSize()), PageToken: req.GetPageToken()})
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// GetFollowUp returns a follow-up.
func (s *Server) GetFollowUp(_ context.Context, req *ticketv1.GetFollowUpRequest) (*ticketv1.GetFollowUpResponse, error) {
	resp := &ticketv1.GetFollowUpResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.FollowUp, err = store.GetFollowUp(tx, req.GetFollowUpId())
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// errNoUnitForProblem: a new problem of a kind that needs a unit on a follow-up without one.
var errNoUnitForProblem = errors.New("no unit")

// RecordFollowUpOutcome records one call of a due follow-up; a new problem raises a ticket.
func (s *Server) RecordFollowUpOutcome(ctx context.Context, req *ticketv1.RecordFollowUpOutcomeRequest) (*ticketv1.RecordFollowUpOutcomeResponse, error) {
	out := req.GetOutcome()
	if out.GetNewProblem() != nil && !out.GetReached() {
		return nil, toStatus(&domain.FieldError{Field: "outcome.new_problem", Rule: "only a customer who was reached can report a new problem"})
	}
	actor := auth.Actor(ctx, deskAssignee)
	resp := &ticketv1.RecordFollowUpOutcomeResponse{}
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "RecordFollowUpOutcome", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		f, err := store.GetFollowUp(tx, req.GetFollowUpId())
		if err != nil {
			return err
		}
		old := proto.Clone(f).(*ticketv1.FollowUp)
		pol, err := s.policy(tx, domain.DefaultPolicyID)
		if err != nil {
			return err
		}
		st, err := domain.AfterCall(domain.FollowUpState(f.GetState()), out.GetReached(), out.GetGiveUp(),
			len(f.GetAttempts())+1, pol.Programmes.FollowUpAttempts)
		if err != nil {
			return err
		}
		f.State = ticketv1.FollowUpState(st)
		f.Attempts = append(f.Attempts, &ticketv1.FollowUpAttempt{AttemptTime: ts(now), Reached: out.GetReached(),
			Channel: out.GetChannel(), HandledBy: actor})
		if st != domain.FollowUpDue {
			f.Outcome = proto.Clone(out).(*ticketv1.FollowUpOutcome)
		}
		if np := out.GetNewProblem(); np != nil {
			t, err := s.raiseFromFollowUp(tx, now, f, np)
			if err != nil {
				return err
			}
			f.RaisedTicketId, resp.RaisedTicket = t.GetId(), t
		}
		var subject string
		var msg proto.Message
		snap := followUpSnapshot(f)
		switch st {
		case domain.FollowUpDone:
			subject, msg = SubjectFollowUpDone, &ticketv1.FollowUpDone{FollowUp: snap, Satisfied: out.GetSatisfied(), NewProblem: out.GetNewProblem() != nil}
		case domain.FollowUpGivenUp:
			subject, msg = SubjectFollowUpGivenUp, &ticketv1.FollowUpGivenUp{FollowUp: snap}
		default:
			subject, msg = SubjectFollowUpAttempted, &ticketv1.FollowUpAttempted{FollowUp: snap}
		}
		if err := putFollowUp(tx, old, f, now, subject, msg); err != nil {
			return err
		}
		resp.FollowUp = f
		return idem.Save(tx, "RecordFollowUpOutcome", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return resp, nil
}

// raiseFromFollowUp raises the ticket of a new problem found on follow-up f: same unit,
// customer and organisation as the followed-up ticket (or the follow-up's), linked both ways.
func (s *Server) raiseFromFollowUp(tx *bbolt.Tx, now time.Time, f *ticketv1.FollowUp, np *ticketv1.NewProblem) (*ticketv1.Ticket, error) {
	in := &ticketv1.Ticket{Kind: np.GetKind(), Channel: ticketv1.Channel_CHANNEL_INTERNAL, Priority: np.GetPriority(),
		Fault: np.GetFault(), Unit: &ticketv1.Unit{Serial: f.GetUnitSerial(), ProductLine: f.GetProductLine()},
		Customer: &ticketv1.Customer{CustomerId: f.GetCustomerId()}, OrganisationId: f.GetOrganisationId()}
	if in.Kind == ticketv1.TicketKind_TICKET_KIND_UNSPECIFIED {
		in.Kind = ticketv1.TicketKind_TICKET_KIND_REPAIR
	}
	if prev := f.GetTicketId(); prev != "" {
		if t, err := store.GetTicket(tx, prev); err == nil {
			in.Customer, in.Unit, in.ServicePolicyId = t.GetCustomer(), t.GetUnit(), t.GetServicePolicyId()
			in.DistanceKm = t.DistanceKm
		}
	}
	if needsWarranty(in) && in.GetUnit().GetSerial() == "" {
		return nil, &domain.FieldError{Field: "outcome.new_problem.kind", Rule: "the follow-up names no unit: a repair or return needs one", Err: errNoUnitForProblem}
	}
	return s.newTicket(tx, now, in, func(t *ticketv1.Ticket) { t.FollowUpId = f.GetId() })
}
