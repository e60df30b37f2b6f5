package api

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// Timer kinds.
const (
	kindAccept  = "dispatch.accept"  // key job id, payload assignment number: acceptance deadline
	kindArrange = "dispatch.arrange" // key job id: the desk's arrangement check
	kindReserve = "dispatch.reserve" // key job id, payload assignment number: reserve parts
	kindRelease = "dispatch.release" // key job id/what, payload reservation id ("" = whole job)
	kindConsume = "dispatch.consume" // key job id: consume the reservation after the visit
)

// transition applies event to the job's state or returns the domain's TransitionError.
func transition(j *dispatchv1.Job, ev domain.Event) error {
	to, err := domain.Transition(domain.State(j.GetState()), ev)
	if err != nil {
		return err
	}
	j.State = dispatchv1.JobState(to)
	return nil
}

// assignmentNumber is the 1-based number of the job's current (or next) assignment.
func assignmentNumber(j *dispatchv1.Job) string {
	return strconv.Itoa(len(j.GetPreviousAssignments()) + 1)
}

// excluded returns the technicians who declined the job or let it time out.
func excluded(j *dispatchv1.Job) map[string]bool {
	out := map[string]bool{}
	for _, a := range j.GetPreviousAssignments() {
		switch a.GetOutcome() {
		case dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_DECLINED, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_TIMED_OUT:
			out[a.GetTechnicianId()] = true
		}
	}
	return out
}

// picture asks parts-inventory where the job's likely parts are; on any failure parts do not
// affect the ranking (the reservation task retries on its own).
func (s *Server) picture(ctx context.Context, j *dispatchv1.Job) domain.PartsPicture {
	if s.inv == nil || len(j.GetLikelyParts()) == 0 || j.GetSite().GetPoint() == nil {
		return domain.PartsPicture{}
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.PictureTimeout)
	defer cancel()
	pic, err := s.inv.Picture(ctx, point(j.GetSite().GetPoint()), partLines(j))
	if err != nil {
		s.log.Warn("parts picture unavailable; ranking without parts", zap.String("job_id", j.GetId()), zap.Error(err))
		return domain.PartsPicture{}
	}
	return pic
}

// rank ranks the technicians for j, leaving out those who declined or timed out; tx (may be
// nil) is the transaction whose uncommitted assignments count toward the loads.
func (s *Server) rank(tx *bbolt.Tx, j *dispatchv1.Job, pic domain.PartsPicture, now time.Time) domain.Ranking {
	s.mu.RLock()
	rk := s.roster.Rank(s.matcher, jobSpec(j), excluded(j), now, pic, s.pendingLoads(tx))
	s.mu.RUnlock()
	s.byPlannedDay(tx, j, &rk, now)
	return rk
}

// reservationLocation chooses where to reserve the parts for a technician: the van when it
// holds them, the depot on the way, else the depot nearest the site; "" when none is known.
func reservationLocation(c *domain.Candidate, tech *domain.Technician, pic domain.PartsPicture) string {
	if c != nil {
		switch c.Parts {
		case domain.ReadinessOnVan:
			return c.VanLocationID
		case domain.ReadinessCollect:
			return c.CollectLocationID
		}
	}
	if tech != nil {
		if van := pic.VanFor(tech); van != "" {
			return van
		}
	}
	if len(pic.Depots) > 0 {
		return pic.Depots[0].LocationID
	}
	return ""
}

// assign gives the job to a technician: state ASSIGNED, the acceptance timer, the parts
// reservation task, and job.assigned (plus job.reassigned when previous is set). members are
// the technicians working with techID, who leads (checked by the caller).
func (s *Server) assign(tx *bbolt.Tx, j *dispatchv1.Job, techID, orgID string, members []string, source dispatchv1.AssignmentSource,
	rk *dispatchv1.Ranking, reason, location string, planned time.Time, previous *dispatchv1.Assignment, now time.Time) error {
	if err := transition(j, domain.EventAssign); err != nil {
		return err
	}
	acceptBy := now.Add(s.policy.AcceptWithin)
	tech, _, err := store.Technician(tx, techID)
	if err != nil {
		return err
	}
	j.Assignment = &dispatchv1.Assignment{TechnicianName: tech.GetDisplayName(),
		TechnicianId: techID, OrganisationId: orgID, AssignedTime: ts(now), Source: source,
		Ranking: rk, AcceptBy: ts(acceptBy), Reason: reason, PlannedArrivalTime: ts(planned),
		MemberIds: members, QualifiedUntil: ts(s.qualifiedUntil(techID, j.GetProductLine())),
	}
	n := assignmentNumber(j)
	if err := timer.Schedule(tx, kindAccept, j.GetId(), acceptBy, []byte(n)); err != nil {
		return fmt.Errorf("schedule acceptance: %w", err)
	}
	if s.inv != nil && len(j.GetLikelyParts()) > 0 {
		pr := &dispatchv1.PartsReservation{
			State: dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING, LocationId: location,
			TechnicianId: techID, UpdateTime: ts(now),
		}
		j.PartsReservation = pr
		// An empty location is chosen by the task, from a fresh look at the stock.
		if err := timer.Schedule(tx, kindReserve, j.GetId(), now, []byte(n)); err != nil {
			return fmt.Errorf("schedule reservation: %w", err)
		}
	}
	if err := emitJob(tx, SubjectJobAssigned, j, &dispatchv1.JobAssigned{Job: snapshot(j)}, now); err != nil {
		return err
	}
	if previous != nil {
		return emitJob(tx, SubjectJobReassigned, j, &dispatchv1.JobReassigned{
			Job: snapshot(j), PreviousTechnicianId: previous.GetTechnicianId(), PreviousOutcome: previous.GetOutcome(),
		}, now)
	}
	return nil
}

// endAssignment closes the current assignment with outcome and releases its reservation.
func (s *Server) endAssignment(tx *bbolt.Tx, j *dispatchv1.Job, outcome dispatchv1.AssignmentOutcome, reason string, now time.Time) (*dispatchv1.Assignment, error) {
	a := j.GetAssignment()
	if a == nil {
		return nil, nil
	}
	a.Outcome, a.EndTime = outcome, ts(now)
	if reason != "" {
		a.Reason = reason
	}
	j.PreviousAssignments = append(j.PreviousAssignments, a)
	j.Assignment = nil
	if err := timer.Cancel(tx, kindAccept, j.GetId()); err != nil {
		return nil, err
	}
	if err := s.releaseReservation(tx, j, "reassigned", now); err != nil {
		return nil, err
	}
	return a, nil
}

// releaseReservation schedules the release of the job's reservation (a pending one is
// released by the reservation task when it finds the assignment gone).
func (s *Server) releaseReservation(tx *bbolt.Tx, j *dispatchv1.Job, why string, now time.Time) error {
	pr := j.GetPartsReservation()
	if pr == nil {
		return nil
	}
	switch pr.GetState() {
	case dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED:
		if err := timer.Schedule(tx, kindRelease, j.GetId()+"/"+pr.GetReservationId(), now, []byte(pr.GetReservationId())); err != nil {
			return fmt.Errorf("schedule release: %w", err)
		}
	case dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING:
		if err := timer.Cancel(tx, kindReserve, j.GetId()); err != nil {
			return err
		}
	default:
		return nil
	}
	pr.State = dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RELEASED
	pr.Detail = why
	pr.UpdateTime = ts(now)
	return nil
}

// assignBest assigns the best ranked technician, or leaves the job UNASSIGNED and escalates
// (no technician). previous is the assignment that just ended, if any.
func (s *Server) assignBest(tx *bbolt.Tx, j *dispatchv1.Job, pic domain.PartsPicture, previous *dispatchv1.Assignment, now time.Time) error {
	if j.GetSite().GetPoint() == nil {
		j.State = dispatchv1.JobState_JOB_STATE_UNASSIGNED
		return escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_NO_TECHNICIAN,
			dispatchv1.EscalationLevel_ESCALATION_LEVEL_DISPATCHER, "the site has no position: assign by hand", now)
	}
	rk := s.rank(tx, j, pic, now)
	prk := rankingToProto(rk)
	j.LastRanking = prk
	if len(rk.Candidates) == 0 {
		j.State = dispatchv1.JobState_JOB_STATE_UNASSIGNED
		return escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_NO_TECHNICIAN,
			dispatchv1.EscalationLevel_ESCALATION_LEVEL_SUPERVISOR, "no technician matches: "+summarise(rk), now)
	}
	best := rk.Candidates[0]
	s.mu.RLock()
	tech, _ := s.roster.Technician(best.TechnicianID)
	s.mu.RUnlock()
	return s.assign(tx, j, best.TechnicianID, best.OrganisationID, nil, dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_AUTOMATIC,
		prk, "", reservationLocation(&best, tech, pic), best.Arrival, previous, now)
}

// summarise lists a ranking's exclusions, e.g. "radius 12, skills 3".
func summarise(rk domain.Ranking) string {
	if len(rk.Exclusions) == 0 {
		return "no technicians"
	}
	parts := make([]string, 0, len(rk.Exclusions))
	for k, v := range rk.Exclusions {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// qualifiedUntil is when the technician's qualification for line lapses (zero when the policy
// requires none or the technician is unknown).
func (s *Server) qualifiedUntil(techID, line string) time.Time {
	if !s.policy.Qualification.Required {
		return time.Time{}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t, ok := s.roster.Technician(techID); ok {
		return t.Quals[line].Until
	}
	return time.Time{}
}

// checkTeam applies the qualification rule to a lead and members for a job of line at now
// (seed 002): a qualified lead; members qualified or trainees. Members must be known, active,
// with skills for the line, and not the lead.
func (s *Server) checkTeam(line, lead string, members []string, now time.Time) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, m := range members {
		if m == lead {
			return domain.Invalidf("member_ids[%d]: %s is the lead (technician_id)", i, m)
		}
		t, ok := s.roster.Technician(m)
		if !ok {
			return fmt.Errorf("%w: technician %s", domain.ErrNotFound, m)
		}
		if !t.Active {
			return domain.Preconditionf("member_ids[%d]: technician %s is not active", i, m)
		}
		if _, has := t.Skills[line]; !has {
			return domain.Preconditionf("member_ids[%d]: technician %s has no skills for product line %q", i, m, line)
		}
	}
	if !s.policy.Qualification.Required {
		return nil
	}
	return domain.CheckTeam(line, lead, members, func(id string) domain.Qualification {
		if t, ok := s.roster.Technician(id); ok {
			return t.Quals[line]
		}
		return domain.Qualification{}
	}, now)
}
