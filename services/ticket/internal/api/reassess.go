package api

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/warranty"
)

// The technician's finding on a signed report re-decides coverage (seed 002 "看": is it in
// 三包 scope, was the part opened, cause and responsibility): a free repair found to be misuse
// becomes paid service at a quoted fee, and the ticket, its triage clauses (the customer's
// explanation) and ticket.coverage_changed say so.

// reassessable reports whether report's finding can change t's coverage: it finds something
// other than a plain quality fault, or t carries causes the finding may overrule.
func reassessable(t *ticketv1.Ticket, r *dispatchv1.ServiceReport) bool {
	if !needsWarranty(t) {
		return false
	}
	f := warranty.Finding("", r)
	if f == nil {
		return false
	}
	if len(t.GetFault().GetCauses()) > 0 || f.GetOutOfScope() || f.GetPartOpened() {
		return true
	}
	for _, c := range f.GetCauses() {
		if c.String() != "CAUSE_QUALITY" {
			return true
		}
	}
	return false
}

// reassessOn schedules the re-decision on job jobID's report when its finding may change the
// coverage (key: ticket id | job id | failed).
func (c *change) reassessOn(jobID string, r *dispatchv1.ServiceReport, failed bool) error {
	if !reassessable(c.t, r) {
		return nil
	}
	payload, err := proto.Marshal(r)
	if err != nil {
		return fmt.Errorf("reassess payload: %w", err)
	}
	key := c.t.GetId() + "|" + jobID + "|completed"
	if failed {
		key = c.t.GetId() + "|" + jobID + "|failed"
	}
	return timer.Schedule(c.tx, timerReassess, key, c.now, payload)
}

// reassess asks warranty to re-decide on the finding (outside any transaction; an unreachable
// warranty service retries the timer), then records the new triage, tells the events, prices
// a resolution this job made, and asks for the next visit after a failed one.
func (s *Server) reassess(ctx context.Context, tm timer.Timer) error {
	parts := strings.Split(tm.Key, "|")
	if len(parts) != 3 {
		return nil
	}
	id, jobID, failed := parts[0], parts[1], parts[2] == "failed"
	r := &dispatchv1.ServiceReport{}
	if err := proto.Unmarshal(tm.Payload, r); err != nil {
		return nil // a payload this binary did not write: nothing to do
	}
	t, err := s.read(id)
	if err != nil {
		return skipOK(err)
	}
	tri, err := s.warranty.Reassess(ctx, t, jobID, r, failed)
	if err != nil {
		return fmt.Errorf("ticket %s: reassess on job %s: %w", id, jobID, err)
	}
	return skipOK(s.update(ctx, id, func(c *change) error {
		if tri != nil {
			c.recoverage(proto.Clone(tri).(*ticketv1.Triage), jobID)
		}
		if failed && c.t.GetState() == ticketv1.TicketState_TICKET_STATE_ESCALATED && activeJob(c.t) == nil {
			pol, err := c.policy()
			if err != nil {
				return err
			}
			return c.requestVisit(pol.ExpertAfterVisits > 0 && len(c.t.GetJobs()) >= pol.ExpertAfterVisits)
		}
		return nil
	}))
}

// maxEventClauses is how many clauses a TicketCoverageChanged event carries (events.proto).
const maxEventClauses = 16

// recoverage records the re-decided triage tri (found on job jobID's report) and says so.
func (c *change) recoverage(tri *ticketv1.Triage, jobID string) {
	old := c.t.GetTriage()
	prev := old.GetCoverage()
	tri.Solution, tri.TriageTime = old.GetSolution(), ts(c.now)
	tri.Note = "coverage re-decided on the finding of job " + jobID
	c.t.Triage = tri
	if res := c.t.GetResolution(); res != nil && c.t.GetState() == ticketv1.TicketState_TICKET_STATE_RESOLVED && resolvedBy(c.t, jobID) {
		res.Paid, res.Fee = tri.GetFee() != nil, tri.GetFee()
	}
	if prev == tri.GetCoverage() && proto.Equal(old.GetFee(), tri.GetFee()) {
		return
	}
	cov, clauses, fee := tri.GetCoverage(), tri.GetClauses(), tri.GetFee()
	clauses = clauses[:min(len(clauses), maxEventClauses)] // the event's bound; the ticket keeps all
	c.emit(SubjectCoverageChanged, func(s *ticketv1.TicketSnapshot) proto.Message {
		return &ticketv1.TicketCoverageChanged{Ticket: s, PreviousCoverage: prev, Coverage: cov, Clauses: clauses, Fee: fee, JobId: jobID}
	})
}

// quotedFee applies "no arbitrary pricing" to a resolution given by hand: a paid resolution's
// fee is the ticket's QuoteServiceFee quote (filled in when left empty); a ticket without a
// quote cannot be resolved as paid, and a free resolution has no fee.
func quotedFee(t *ticketv1.Ticket, r *ticketv1.Resolution) error {
	q := t.GetTriage().GetFee()
	switch {
	case !r.GetPaid() && r.GetFee() != nil:
		return rpc.FieldError("resolution.fee", "only a paid resolution has a fee")
	case !r.GetPaid():
		return nil
	case q == nil:
		return status.Error(codes.FailedPrecondition, "resolution.paid: the ticket has no fee quote (its coverage is not paid service); a paid fee comes from QuoteServiceFee, no other pricing")
	case r.GetFee() == nil:
		r.Fee = q
	case !proto.Equal(r.GetFee(), q):
		return rpc.FieldError("resolution.fee", "must be the quoted fee %d %s (QuoteServiceFee), got %d %s",
			q.GetAmountMinor(), q.GetCurrencyCode(), r.GetFee().GetAmountMinor(), r.GetFee().GetCurrencyCode())
	}
	return nil
}

// resolvedBy reports whether job jobID is the ticket's completed, resolving visit.
func resolvedBy(t *ticketv1.Ticket, jobID string) bool {
	for _, j := range t.GetJobs() {
		if j.GetJobId() == jobID {
			return j.GetResolved()
		}
	}
	return false
}
