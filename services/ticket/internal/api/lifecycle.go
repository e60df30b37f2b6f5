package api

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// errSkip ends a lifecycle change without saving: nothing to do any more.
var errSkip = errors.New("nothing to do")

// Start keeps the platform, seeds the default calendar and policy, and registers the
// lifecycle's timers and the consumer of dispatch's job events.
func (s *Server) Start(ctx context.Context, p *daemon.Platform) error {
	s.p = p
	s.breaches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sanbao_sla_breaches_total", Help: "SLA clocks that passed their deadline, by metric and audience.",
	}, []string{"metric", "audience"})
	if err := p.Metrics.Register(s.breaches); err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	if err := s.seed(ctx); err != nil {
		return fmt.Errorf("seed defaults: %w", err)
	}
	p.Timers.Handle(timerTriage, s.triage)
	p.Timers.Handle(timerReassess, s.reassess)
	p.Timers.Handle(timerDispatch, s.createJob)
	p.Timers.Handle(timerCancelJob, s.cancelJob)
	p.Timers.Handle(timerAutoClose, s.autoClose)
	p.Timers.Handle(timerWarn, s.slaWarn)
	p.Timers.Handle(timerBreach, s.slaBreach)
	p.Timers.Handle(timerSurveyRemind, s.surveyRemind)
	p.Timers.Handle(timerProgramme, s.occur)
	if s.blobs != nil {
		p.Timers.Handle(timerRetention, s.retain)
	}
	p.Consume(events.ConsumerConfig{Stream: "DISPATCH", Durable: "ticket-jobs",
		FilterSubjects: []string{"sanbao.dispatch.v1.job.>"}, Handle: s.HandleJobEvent})
	p.Consume(events.ConsumerConfig{Stream: "WARRANTY", Durable: "ticket-units",
		FilterSubjects: []string{"sanbao.warranty.v1.unit.registered"}, Handle: s.HandleUnitEvent})
	s.startCampaigns(p)
	return nil
}

// read loads a ticket in its own read transaction.
func (s *Server) read(id string) (*ticketv1.Ticket, error) {
	var t *ticketv1.Ticket
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		t, err = store.GetTicket(tx, id)
		return err
	})
	return t, err
}

// skipOK turns errSkip and an unknown ticket into success (the timer is done).
func skipOK(err error) error {
	if errors.Is(err, errSkip) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func triageable(st ticketv1.TicketState) bool {
	return st == ticketv1.TicketState_TICKET_STATE_RECEIVED || st == ticketv1.TicketState_TICKET_STATE_REOPENED
}

// triage evaluates the claim through warranty (outside any transaction; an unreachable
// warranty service retries the timer with backoff) and then chooses the solution.
func (s *Server) triage(ctx context.Context, tm timer.Timer) error {
	t, err := s.read(tm.Key)
	if err != nil || !triageable(t.GetState()) {
		return skipOK(err)
	}
	tri := &ticketv1.Triage{}
	if needsWarranty(t) {
		if tri, err = s.warranty.Evaluate(ctx, t); err != nil {
			return fmt.Errorf("triage %s: evaluate claim: %w", t.GetId(), err)
		}
	}
	var open []string // the unit's open campaigns, done on the same visit
	if serial := t.GetUnit().GetSerial(); serial != "" {
		if _, open, err = s.warranty.OpenCampaigns(ctx, serial); err != nil {
			if needsWarranty(t) {
				return fmt.Errorf("triage %s: open campaigns: %w", t.GetId(), err)
			}
			// Warranty is not otherwise needed here: triage goes on without the flags.
			s.p.Log.Warn("open campaigns unavailable; triage without them", zap.String("ticket_id", t.GetId()), zap.Error(err))
		}
	}
	return skipOK(s.update(ctx, tm.Key, func(c *change) error {
		if !triageable(c.t.GetState()) {
			return errSkip
		}
		addCampaigns(c.t, open)
		pol, err := c.policy()
		if err != nil {
			return err
		}
		tri := proto.Clone(tri).(*ticketv1.Triage)
		tri.TriageTime = ts(c.now)
		sol := c.t.GetRequestedSolution()
		switch c.t.GetKind() {
		case ticketv1.TicketKind_TICKET_KIND_COMPLAINT, ticketv1.TicketKind_TICKET_KIND_RETURN_EXCHANGE:
			sol, tri.Note = ticketv1.SolutionType_SOLUTION_TYPE_DESK, "handled by the desk"
		case ticketv1.TicketKind_TICKET_KIND_CONSULTATION:
			sol, tri.Note = ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE, "consultation"
		case ticketv1.TicketKind_TICKET_KIND_MAINTENANCE, ticketv1.TicketKind_TICKET_KIND_INSTALLATION:
			sol, tri.Note = ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE, "on-site work"
		default:
			if sol == ticketv1.SolutionType_SOLUTION_TYPE_UNSPECIFIED {
				sol, tri.Note = ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE, "policy: repairs go on site"
				if pol.RemoteFirst {
					sol, tri.Note = ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE, "policy: remote guidance first"
				}
			}
		}
		tri.Solution = sol
		c.t.Triage = tri
		if err := c.fire(domain.EventTriage); err != nil {
			return err
		}
		c.emit(SubjectTicketTriaged, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.TicketTriaged{Ticket: s, Coverage: tri.Coverage, WarrantyPolicyId: tri.WarrantyPolicyId,
				WarrantyPolicyVersion: tri.WarrantyPolicyVersion, Solution: sol}
		})
		switch sol {
		case ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE:
			return c.requestVisit(len(c.t.GetJobs()) >= pol.ExpertAfterVisits && pol.ExpertAfterVisits > 0)
		case ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE:
			if err := c.fire(domain.EventGuideRemotely); err != nil {
				return err
			}
			c.emit(SubjectTicketRemoteGuidance, func(s *ticketv1.TicketSnapshot) proto.Message {
				return &ticketv1.TicketRemoteGuidance{Ticket: s}
			})
			return c.trigger(domain.TriggerRemoteGuidance, 0)
		}
		return nil
	}))
}

// createJob asks dispatch for the ticket's pending visit (request id from ticket id and visit).
func (s *Server) createJob(ctx context.Context, tm timer.Timer) error {
	t, err := s.read(tm.Key)
	if err != nil {
		return skipOK(err)
	}
	j := activeJob(t)
	if j == nil || j.GetJobId() != "" || t.GetState() != ticketv1.TicketState_TICKET_STATE_DISPATCHED {
		return nil
	}
	got, err := s.dispatch.CreateJob(ctx, t, j)
	if err != nil {
		return fmt.Errorf("ticket %s: create job: %w", t.GetId(), err)
	}
	return skipOK(s.update(ctx, tm.Key, func(c *change) error {
		cur := findVisit(c.t, j.GetVisit())
		if cur == nil {
			return errSkip
		}
		if cur.GetState() == ticketv1.JobState_JOB_STATE_CANCELLED {
			// The ticket moved on while dispatch was being asked: cancel the new job there.
			cur.JobId = got.GetJobId()
			return timer.Schedule(c.tx, timerCancelJob, c.t.GetId()+"|"+strconv.Itoa(int(cur.GetVisit())), c.now, nil)
		}
		if cur.GetJobId() != "" {
			return errSkip
		}
		if cur.State == ticketv1.JobState_JOB_STATE_UNSPECIFIED {
			cur.State = got.GetState()
		}
		c.bindJob(cur, got.GetJobId())
		return nil
	}))
}

// bindJob records that visit x is dispatch's job jobID and says so (ticket.dispatched). It runs
// once per visit, on whichever comes first: CreateJob's answer to the dispatch task, or one of
// the job's events consumed from dispatch (they can overtake the answer).
func (c *change) bindJob(x *ticketv1.Job, jobID string) {
	x.JobId = jobID
	visit, expert := x.GetVisit(), x.GetExpert()
	c.emit(SubjectTicketDispatched, func(s *ticketv1.TicketSnapshot) proto.Message {
		return &ticketv1.TicketDispatched{Ticket: s, Visit: visit, JobId: jobID, Expert: expert}
	})
}

func findVisit(t *ticketv1.Ticket, visit int32) *ticketv1.Job {
	for _, j := range t.GetJobs() {
		if j.GetVisit() == visit {
			return j
		}
	}
	return nil
}

// cancelJob cancels a job at dispatch (key: ticket id | visit).
func (s *Server) cancelJob(ctx context.Context, tm timer.Timer) error {
	id, v, _ := strings.Cut(tm.Key, "|")
	visit, _ := strconv.Atoi(v)
	t, err := s.read(id)
	if err != nil {
		return skipOK(err)
	}
	j := findVisit(t, int32(visit))
	if j == nil || j.GetJobId() == "" {
		return nil // not created yet: createJob cancels it when it is
	}
	return s.dispatch.CancelJob(ctx, j.GetJobId(), "ticket "+t.GetNumber()+" no longer needs this visit")
}

// autoClose closes a resolved ticket after the policy's close timeout.
func (s *Server) autoClose(ctx context.Context, tm timer.Timer) error {
	return skipOK(s.update(ctx, tm.Key, func(c *change) error {
		if c.t.GetState() != ticketv1.TicketState_TICKET_STATE_RESOLVED {
			return errSkip
		}
		if err := c.close(); err != nil {
			if errors.Is(err, errNotConfirmed) {
				return errSkip
			}
			return err
		}
		return nil
	}))
}

// clockEvent applies a due SLA warning or breach (key: ticket id | clock name).
func (s *Server) clockEvent(ctx context.Context, tm timer.Timer, breach bool) error {
	id, name, _ := strings.Cut(tm.Key, "|")
	var breached *ticketv1.SlaClock // set by the committed run of the change
	err := s.update(ctx, id, func(c *change) error {
		breached = nil
		if err := s.refresh(c.tx, c.t, c.now, false); err != nil {
			return err
		}
		for _, pc := range c.t.GetClocks() {
			if pc.GetName() != name || pc.GetState() != ticketv1.SlaClockState_SLA_CLOCK_STATE_RUNNING {
				continue
			}
			snapClock := &ticketv1.SlaClockSnapshot{Name: pc.Name, Metric: pc.Metric, Audience: pc.Audience, Deadline: pc.Deadline,
				Elapsed: pc.Elapsed, Target: pc.Target, WorkingDays: pc.WorkingDays}
			if !breach {
				if pc.GetWarned() || c.now.Before(pc.GetWarnTime().AsTime()) {
					return errSkip
				}
				pc.Warned = true
				c.emit(SubjectSlaWarning, func(s *ticketv1.TicketSnapshot) proto.Message {
					return &ticketv1.SlaWarning{Ticket: s, Clock: snapClock}
				})
				return nil
			}
			if pc.GetBreached() || c.now.Before(pc.GetDeadline().AsTime()) {
				return errSkip
			}
			if !pc.GetWarned() {
				// Warning and deadline passed together (e.g. after downtime): warn first.
				pc.Warned = true
				c.emit(SubjectSlaWarning, func(s *ticketv1.TicketSnapshot) proto.Message {
					return &ticketv1.SlaWarning{Ticket: s, Clock: snapClock}
				})
			}
			pc.Breached = true
			c.t.Breached = true
			breached = pc
			c.emit(SubjectSlaBreached, func(s *ticketv1.TicketSnapshot) proto.Message {
				return &ticketv1.SlaBreached{Ticket: s, Clock: snapClock}
			})
			if pc.GetEscalateOnBreach() {
				c.escalate(ticketv1.EscalationReason_ESCALATION_REASON_SLA_BREACH, "", name)
			}
			return nil
		}
		return errSkip
	})
	if err == nil && breached != nil {
		s.breaches.WithLabelValues(strings.ToLower(strings.TrimPrefix(breached.GetMetric().String(), "SLA_METRIC_")),
			strings.ToLower(strings.TrimPrefix(breached.GetAudience().String(), "SLA_AUDIENCE_"))).Inc()
	}
	return skipOK(err)
}

func (s *Server) slaWarn(ctx context.Context, tm timer.Timer) error {
	return s.clockEvent(ctx, tm, false)
}
func (s *Server) slaBreach(ctx context.Context, tm timer.Timer) error {
	return s.clockEvent(ctx, tm, true)
}

// jobOf returns the ticket's record of dispatch job j, binding a pending visit to it.
func (c *change) jobOf(j *dispatchv1.Job) *ticketv1.Job {
	for _, x := range c.t.GetJobs() {
		if x.GetJobId() == j.GetId() {
			return x
		}
	}
	if x := activeJob(c.t); x != nil && x.GetJobId() == "" {
		c.bindJob(x, j.GetId())
		return x
	}
	return nil
}

// HandleJobEvent applies one of dispatch's job events to its ticket, inside the consumer's
// transaction (the platform applies each event id once).
func (s *Server) HandleJobEvent(tx *bbolt.Tx, m events.Message) error {
	var job *dispatchv1.Job
	var report *dispatchv1.ServiceReport
	var kind string
	decode := func(msg interface {
		proto.Message
		GetJob() *dispatchv1.Job
	}) error {
		if err := m.Decode(msg); err != nil {
			return events.Permanent(fmt.Errorf("decode %s: %w", m.Type, err))
		}
		job = msg.GetJob()
		return nil
	}
	var err error
	switch m.Type {
	case "sanbao.dispatch.v1.JobAssigned", "sanbao.dispatch.v1.JobReassigned", "sanbao.dispatch.v1.JobAccepted":
		kind, err = "assigned", decode(&dispatchv1.JobAssigned{})
	case "sanbao.dispatch.v1.JobEnRoute":
		kind, err = "en_route", decode(&dispatchv1.JobEnRoute{})
	case "sanbao.dispatch.v1.JobCheckedIn":
		kind, err = "checked_in", decode(&dispatchv1.JobCheckedIn{})
	case "sanbao.dispatch.v1.VisitCompleted":
		e := &dispatchv1.VisitCompleted{}
		kind, err, report = "completed", decode(e), e.GetReport()
	case "sanbao.dispatch.v1.JobFailed":
		e := &dispatchv1.JobFailed{}
		kind, err, report = "failed", decode(e), e.GetReport()
	case "sanbao.dispatch.v1.JobEscalated":
		kind, err = "escalated", decode(&dispatchv1.JobEscalated{})
	case "sanbao.dispatch.v1.JobCancelled":
		kind, err = "cancelled", decode(&dispatchv1.JobCancelled{})
	default:
		return nil
	}
	if err != nil {
		return err
	}
	if report == nil {
		report = job.GetReport()
	}
	now := s.p.Clock.Now()
	_, err = s.inTx(tx, job.GetTicketId(), now, func(c *change) error {
		if err := c.applyJob(kind, job, report); err != nil {
			return err
		}
		return c.campaignsDone(kind, report)
	})
	if errors.Is(err, errSkip) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err // the platform wakes the relay and the timers once the consumer's transaction commits
}

// applyJob moves the ticket on one job event.
func (c *change) applyJob(kind string, job *dispatchv1.Job, report *dispatchv1.ServiceReport) error {
	j := c.jobOf(job)
	if j == nil {
		return errSkip
	}
	current := j == activeJob(c.t)
	if a := job.GetAssignment(); a != nil {
		j.TechnicianId, j.OrganisationId, j.TechnicianName = a.GetTechnicianId(), a.GetOrganisationId(), a.GetTechnicianName()
		j.EtaTime = a.GetPlannedArrivalTime()
	}
	if w := job.GetAppointment().GetWindow(); w.GetStartTime() != nil {
		j.EtaTime = w.GetStartTime() // the agreed appointment beats the plan
	}
	state := c.t.GetState()
	switch kind {
	case "assigned":
		if !current {
			return errSkip
		}
		j.State = ticketv1.JobState(job.GetState())
		if j.AssignTime == nil {
			j.AssignTime = ts(c.now)
			if err := c.trigger(domain.TriggerJobAssigned, 0); err != nil {
				return err
			}
			visit, jobID, tech := j.GetVisit(), j.GetJobId(), j.GetTechnicianId()
			c.emit(SubjectTicketJobAssigned, func(s *ticketv1.TicketSnapshot) proto.Message {
				return &ticketv1.TicketJobAssigned{Ticket: s, Visit: visit, JobId: jobID, TechnicianId: tech}
			})
		}
		return nil
	case "en_route":
		if !current {
			return errSkip
		}
		j.State = ticketv1.JobState_JOB_STATE_EN_ROUTE
		return nil
	case "checked_in":
		if !current {
			return errSkip
		}
		j.State, j.CheckInTime = ticketv1.JobState_JOB_STATE_ON_SITE, ts(c.now)
		if state != ticketv1.TicketState_TICKET_STATE_DISPATCHED {
			return nil
		}
		if err := c.fire(domain.EventCheckIn); err != nil {
			return err
		}
		visit, jobID := j.GetVisit(), j.GetJobId()
		c.emit(SubjectTicketInService, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.TicketInService{Ticket: s, Visit: visit, JobId: jobID}
		})
		return c.trigger(domain.TriggerCheckIn, 0)
	case "completed", "failed":
		if !current {
			return errSkip
		}
		j.EndTime = ts(c.now)
		j.ReportSummary = report.GetDiagnosis()
		if kind == "completed" && (report == nil || report.GetResolved()) {
			j.State, j.Resolved = ticketv1.JobState_JOB_STATE_COMPLETED, true
			if state != ticketv1.TicketState_TICKET_STATE_DISPATCHED && state != ticketv1.TicketState_TICKET_STATE_IN_SERVICE {
				return nil
			}
			if j.CheckInTime == nil {
				if err := c.trigger(domain.TriggerCheckIn, 0); err != nil {
					return err
				}
			}
			solution := report.GetWorkDone()
			if solution == "" {
				solution = "fixed on site"
			}
			r := &ticketv1.Resolution{Solution: solution, RootCause: report.GetFaultCause(), FirstVisitFix: j.GetVisit() == 1}
			if job.GetPaid() {
				// Paid service: the fee is the quote the job was approved on.
				r.Paid, r.Fee = true, job.GetFee()
			}
			if err := c.resolve(domain.EventVisitCompleted, r); err != nil {
				return err
			}
			if job.GetPaid() {
				return nil // done at the quote it was approved on: the finding is not priced again
			}
			return c.reassessOn(job.GetId(), report, false)
		}
		j.State = ticketv1.JobState_JOB_STATE_FAILED
		if state != ticketv1.TicketState_TICKET_STATE_DISPATCHED && state != ticketv1.TicketState_TICKET_STATE_IN_SERVICE {
			return nil
		}
		if reassessable(c.t, report) {
			// The finding re-decides who pays before the next visit is asked for.
			if err := c.fire(domain.EventVisitFailed); err != nil {
				return err
			}
			c.escalate(ticketv1.EscalationReason_ESCALATION_REASON_VISIT_FAILED, "", "")
			return c.reassessOn(job.GetId(), report, true)
		}
		return c.redispatch(domain.EventVisitFailed, ticketv1.EscalationReason_ESCALATION_REASON_VISIT_FAILED)
	case "escalated":
		if !current {
			return errSkip
		}
		c.escalate(ticketv1.EscalationReason_ESCALATION_REASON_DISPATCH, "", "")
		return nil
	case "cancelled":
		if j.GetState() == ticketv1.JobState_JOB_STATE_CANCELLED {
			return errSkip // we cancelled it
		}
		j.State, j.EndTime = ticketv1.JobState_JOB_STATE_CANCELLED, ts(c.now)
		if !current || (state != ticketv1.TicketState_TICKET_STATE_DISPATCHED && state != ticketv1.TicketState_TICKET_STATE_IN_SERVICE) {
			return nil
		}
		return c.redispatch(domain.EventEscalate, ticketv1.EscalationReason_ESCALATION_REASON_DISPATCH)
	}
	return errSkip
}

// redispatch escalates (服务事件升级) and requests the next visit, at expert level once the
// policy's visit count is reached.
func (c *change) redispatch(ev domain.Event, reason ticketv1.EscalationReason) error {
	if err := c.fire(ev); err != nil {
		return err
	}
	c.escalate(reason, "", "")
	pol, err := c.policy()
	if err != nil {
		return err
	}
	return c.requestVisit(pol.ExpertAfterVisits > 0 && len(c.t.GetJobs()) >= pol.ExpertAfterVisits)
}
