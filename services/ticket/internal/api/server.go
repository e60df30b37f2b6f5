// Package api serves the TicketService over gRPC and drives tickets through their lifecycle:
// durable triage and dispatch tasks, the dispatch-event consumer and the SLA timers.
package api

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// Warranty decides coverage for a ticket (the warranty-rules service).
type Warranty interface {
	// Evaluate returns the triage facts of the warranty decision for t; an unknown unit gives
	// COVERAGE_UNKNOWN_UNIT, an unreachable service an error (the task is retried).
	Evaluate(ctx context.Context, t *ticketv1.Ticket) (*ticketv1.Triage, error)
	// Reassess re-decides t's coverage on the signed report of job jobID (the technician's
	// finding), with a fee quote when the service is not free; nil for a unit warranty does
	// not know, an error when the service is unreachable (the task is retried).
	Reassess(ctx context.Context, t *ticketv1.Ticket, jobID string, r *dispatchv1.ServiceReport, failed bool) (*ticketv1.Triage, error)
	// CampaignUnit returns the customer and unit a campaign ticket names (found false for a
	// unit warranty does not know).
	CampaignUnit(ctx context.Context, unitID, productLine string) (*ticketv1.Customer, *ticketv1.Unit, bool, error)
	// OpenCampaigns returns the unit id of serial and its open campaigns.
	OpenCampaigns(ctx context.Context, serial string) (string, []string, error)
	// CompleteCampaign records a campaign's remedy done for a unit on a ticket.
	CompleteCampaign(ctx context.Context, requestID, campaignID, unitID, ticketID string) error
	// Repairs returns the newest max repairs of the unit with serial, newest first, without
	// their costs; none for an unknown serial.
	Repairs(ctx context.Context, serial string, max int) ([]*warrantyv1.Repair, error)
	// Coverage returns a unit's warranty status and period end dates on the day of now (nil
	// for a unit warranty does not know), for the customer's page.
	Coverage(ctx context.Context, serial string, now time.Time) (*ticketv1.UnitWarranty, error)
}

// Dispatch creates and cancels on-site jobs (the dispatch service).
type Dispatch interface {
	// CreateJob requests visit j of ticket t, idempotent on the ticket id and visit number.
	CreateJob(ctx context.Context, t *ticketv1.Ticket, j *ticketv1.Job) (*ticketv1.Job, error)
	// CancelJob cancels a job; a job already finished is not an error.
	CancelJob(ctx context.Context, jobID, reason string) error
	// Job reads a job; found is false when dispatch does not know it.
	Job(ctx context.Context, jobID string) (job *dispatchv1.Job, found bool, err error)
}

// Server implements ticketv1.TicketServiceServer.
type Server struct {
	ticketv1.UnimplementedTicketServiceServer
	p        *daemon.Platform
	warranty Warranty
	dispatch Dispatch
	breaches *prometheus.CounterVec // sanbao_sla_breaches_total

	blobs       blob.Store             // attachments' bytes (nil: no attachment API)
	attachments domain.AttachmentRules // their limits and retention

	notifyPref   *notify.Preference        // quiet hours of customer notifications (nil: none sent)
	notifyServed func(notify.Channel) bool // the channels a provider serves

	calendars calendarCache // business calendars compiled once per stored version
}

var _ ticketv1.TicketServiceServer = (*Server)(nil)

// New returns a server that uses the given peers.
func New(w Warranty, d Dispatch) *Server { return &Server{warranty: w, dispatch: d} }

// Errors with their own codes.
var (
	errNotConfirmed   = errors.New("the customer has not confirmed the resolution and the close timeout has not passed")
	errAlreadySurveys = errors.New("the ticket already has a survey")
	errNotResolved    = errors.New("the ticket is not resolved")
	errEtag           = errors.New("etag does not match the stored version")
	errExists         = errors.New("already exists")
	errBadCalendar    = errors.New("invalid calendar")
)

// toStatus maps errors to gRPC codes: the one table of the service.
func toStatus(err error) error {
	var fe *domain.FieldError
	switch {
	case errors.As(err, &fe):
		return rpc.FieldError(fe.Field, "%s", fe.Rule)
	case errors.Is(err, store.ErrNotFound):
		return rpc.Fail(rpc.ReasonNotFound, "%v", err)
	case errors.Is(err, domain.ErrIllegalTransition):
		return rpc.Fail(rpc.ReasonStateConflict, "%v", err)
	case errors.Is(err, domain.ErrComplaintStep):
		return rpc.Fail(rpc.ReasonComplaintStep, "%v", err)
	case errors.Is(err, domain.ErrNotComplaint):
		return rpc.Fail(rpc.ReasonNotComplaint, "%v", err)
	case errors.Is(err, errNotConfirmed):
		return rpc.Fail(rpc.ReasonNotConfirmed, "%v", err)
	case errors.Is(err, errAlreadySurveys):
		return rpc.Fail(rpc.ReasonSurveyExists, "%v", err)
	case errors.Is(err, errNotResolved):
		return rpc.Fail(rpc.ReasonNotResolved, "%v", err)
	case errors.Is(err, domain.ErrFollowUpClosed):
		return rpc.Fail(rpc.ReasonStateConflict, "%v", err)
	case errors.Is(err, errEtag):
		return rpc.Fail(rpc.ReasonEtagMismatch, "%v", err)
	case errors.Is(err, errExists):
		return rpc.Fail(rpc.ReasonAlreadyExists, "%v", err)
	case errors.Is(err, domain.ErrSelfApproval):
		return rpc.Fail(rpc.ReasonSelfApproval, "%v", err)
	}
	return rpc.Status(err)
}

// change is one transaction's change of one ticket: the ticket before and after, and the
// events to publish with it.
type change struct {
	s      *Server
	tx     *bbolt.Tx
	now    time.Time
	old, t *ticketv1.Ticket
	events []pending
}

type pending struct {
	subject string
	msg     func(*ticketv1.TicketSnapshot) proto.Message
}

func (c *change) emit(subject string, msg func(*ticketv1.TicketSnapshot) proto.Message) {
	c.events = append(c.events, pending{subject, msg})
}

// fire moves the ticket's state on ev.
func (c *change) fire(ev domain.Event) error {
	to, err := domain.Transition(domain.State(c.t.GetState()), ev, domain.State(c.t.GetHeldFromState()))
	if err != nil {
		return err
	}
	c.t.State = ticketv1.TicketState(to)
	return nil
}

// trigger applies a clock trigger to the ticket's clocks.
func (c *change) trigger(tr domain.Trigger, reason domain.PauseReason) error {
	clocks := clocksFromProto(c.t.GetClocks())
	if _, err := domain.ApplyTrigger(clocks, tr, c.now, reason); err != nil {
		return err
	}
	c.t.Clocks = nil
	for _, k := range clocks {
		c.t.Clocks = append(c.t.Clocks, clockToProto(k, domain.Status{}))
	}
	return nil
}

// escalate raises the escalation level and records why.
func (c *change) escalate(reason ticketv1.EscalationReason, note, clock string) {
	c.t.EscalationLevel++
	level := c.t.EscalationLevel
	c.t.Escalations = append(c.t.Escalations, &ticketv1.Escalation{Level: level, Reason: reason, Note: note,
		EscalateTime: ts(c.now), Clock: clock})
	c.emit(SubjectTicketEscalated, func(s *ticketv1.TicketSnapshot) proto.Message {
		return &ticketv1.TicketEscalated{Ticket: s, Level: level, Reason: reason, Clock: clock}
	})
}

// policy reads the ticket's service policy.
func (c *change) policy() (domain.Policy, error) { return c.s.policy(c.tx, c.t.GetServicePolicyId()) }

func (s *Server) policy(tx *bbolt.Tx, id string) (domain.Policy, error) {
	if id == "" {
		id = domain.DefaultPolicyID
	}
	p, err := store.GetPolicy(tx, id)
	if err != nil {
		return domain.Policy{}, err
	}
	return policyFromProto(p), nil
}

// calendar returns a business calendar ("default" when id is empty) as stored in tx,
// compiled (once per stored version: calendarCache).
func (s *Server) calendar(tx *bbolt.Tx, id string) (*calendar.Calendar, error) {
	if id == "" {
		id = domain.DefaultCalendarID
	}
	return s.calendars.get(tx, id)
}

// refresh recomputes the clocks' figures at now, the breached flag, and (re)schedules the
// SLA warning and breach timers of running clocks.
func (s *Server) refresh(tx *bbolt.Tx, t *ticketv1.Ticket, now time.Time, schedule bool) error {
	clocks := clocksFromProto(t.GetClocks())
	t.Clocks = nil
	var paused time.Duration
	for _, k := range clocks {
		var cal *calendar.Calendar
		if k.Spec.Basis != domain.BasisElapsed {
			var err error
			if cal, err = s.calendar(tx, k.Spec.CalendarID); err != nil {
				return fmt.Errorf("clock %s: %w", k.Spec.Name, err)
			}
		}
		st, err := k.Status(now, cal)
		if err != nil {
			return err
		}
		pc := clockToProto(k, st)
		pc.Breached = k.Breached || (st.State == domain.ClockStopped && st.Breached)
		t.Clocks = append(t.Clocks, pc)
		if pc.Breached {
			t.Breached = true
		}
		var sum time.Duration
		for _, d := range st.Paused {
			sum += d
		}
		paused = max(paused, sum)
		if !schedule {
			continue
		}
		key := t.GetId() + "|" + k.Spec.Name
		if st.State == domain.ClockRunning && !k.Warned && !st.WarnAt.IsZero() {
			if err := timer.Schedule(tx, timerWarn, key, st.WarnAt, nil); err != nil {
				return err
			}
		} else if err := timer.Cancel(tx, timerWarn, key); err != nil {
			return err
		}
		if st.State == domain.ClockRunning && !k.Breached {
			if err := timer.Schedule(tx, timerBreach, key, st.Deadline, nil); err != nil {
				return err
			}
		} else if err := timer.Cancel(tx, timerBreach, key); err != nil {
			return err
		}
	}
	t.Paused = dur(paused)
	return nil
}

// save stores the changed ticket with its indexes, aggregates, timers and events.
func (c *change) save() error {
	c.t.UpdateTime = ts(c.now)
	c.t.Etag = ids.NewAt(c.now)
	// Who did it: the call's (or the timer's, or the event's) actor, never the request's.
	auth.Stamp(c.tx, c.t, c.s.p.Name, c.old == nil)
	if err := c.s.refresh(c.tx, c.t, c.now, true); err != nil {
		return err
	}
	if err := store.PutTicket(c.tx, c.old, c.t, facts); err != nil {
		return err
	}
	if err := c.s.keepAttachments(c.tx, c.old, c.t, c.now); err != nil {
		return err
	}
	if err := c.notifyCustomer(c.tx); err != nil {
		return err
	}
	snap := snapshot(c.t)
	for _, e := range c.events {
		if _, err := outbox.Append(c.tx, outbox.Event{Subject: e.subject, Resource: "tickets/" + c.t.GetId(),
			Data: e.msg(snap), Time: c.now}); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
	}
	return nil
}

// inTx changes ticket id inside tx with fn and saves it.
func (s *Server) inTx(tx *bbolt.Tx, id string, now time.Time, fn func(c *change) error) (*ticketv1.Ticket, error) {
	t, err := store.GetTicket(tx, id)
	if err != nil {
		return nil, err
	}
	c := &change{s: s, tx: tx, now: now, old: proto.Clone(t).(*ticketv1.Ticket), t: t}
	if err := fn(c); err != nil {
		return nil, err
	}
	if err := c.save(); err != nil {
		return nil, err
	}
	return c.t, nil
}

// requestWithID is a request that carries an idempotency key.
type requestWithID interface {
	proto.Message
	GetRequestId() string
}

// mutate runs one idempotent state change of a ticket for an RPC and fills resp through out.
func (s *Server) mutate(ctx context.Context, method string, req requestWithID, resp proto.Message, id string,
	fn func(c *change) error, out func(t *ticketv1.Ticket)) error {
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, method, req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		t, err := s.inTx(tx, id, now, fn)
		if err != nil {
			return err
		}
		out(t)
		return idem.Save(tx, method, req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return nil
}

// update changes a ticket outside an RPC (timers), without idempotency records.
func (s *Server) update(ctx context.Context, id string, fn func(c *change) error) error {
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		_, err := s.inTx(tx, id, s.p.Clock.Now(), fn)
		return err
	})
	if err == nil {
		s.p.Notify()
		s.p.Timers.Notify()
	}
	return err
}
