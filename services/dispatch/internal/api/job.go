package api

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// checkJobInput applies the CreateJob rules protovalidate cannot.
func checkJobInput(j *dispatchv1.Job) error {
	if strings.ContainsRune(j.GetTicketId(), 0) {
		return domain.Invalidf("job.ticket_id: must not contain NUL")
	}
	if j.GetPaid() {
		switch {
		case j.GetRequestedBy() == "":
			return domain.Invalidf("job.requested_by: required on a paid job (its requester may not approve it)")
		case j.GetFee() == nil:
			return domain.Invalidf("job.fee: required on a paid job: the fee quoted to the customer")
		case j.GetFee().GetAmountMinor() < 0:
			return domain.Invalidf("job.fee.amount_minor: must not be negative, got %d", j.GetFee().GetAmountMinor())
		}
	} else if j.GetFee() != nil {
		return domain.Invalidf("job.fee: only a paid job has a fee")
	}
	seen := map[string]bool{}
	for i, p := range j.GetLikelyParts() {
		if seen[p.GetPartId()] {
			return domain.Invalidf("job.likely_parts[%d].part_id: %q given twice", i, p.GetPartId())
		}
		seen[p.GetPartId()] = true
	}
	return nil
}

// newJob copies the caller's input fields of in into a fresh job.
func newJob(in *dispatchv1.Job, now time.Time) *dispatchv1.Job {
	j := &dispatchv1.Job{
		Id:             ids.NewAt(now),
		TicketId:       in.GetTicketId(),
		Kind:           in.GetKind(),
		Site:           in.GetSite(),
		ProductLine:    in.GetProductLine(),
		UnitSerial:     in.GetUnitSerial(),
		FaultCode:      in.GetFaultCode(),
		RequiredSkills: in.GetRequiredSkills(),
		Level:          in.GetLevel(),
		Priority:       in.GetPriority(),
		ArrangeBy:      in.GetArrangeBy(),
		ArriveBy:       in.GetArriveBy(),
		FixBy:          in.GetFixBy(),
		CustomerWindow: in.GetCustomerWindow(),
		LikelyParts:    in.GetLikelyParts(),
		PreviousJobId:  in.GetPreviousJobId(),
		Paid:           in.GetPaid(),
		Fee:            in.GetFee(),
		RequestedBy:    in.GetRequestedBy(),
		State:          dispatchv1.JobState_JOB_STATE_UNASSIGNED,
		VisitNumber:    1,
		CreateTime:     ts(now),
	}
	if j.Level == dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_UNSPECIFIED {
		j.Level = dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE
	}
	if j.Priority == dispatchv1.Priority_PRIORITY_UNSPECIFIED {
		j.Priority = dispatchv1.Priority_PRIORITY_NORMAL
	}
	touch(j, now)
	return proto.Clone(j).(*dispatchv1.Job)
}

// CreateJob creates a job and assigns it to the best technician at once.
func (s *Server) CreateJob(ctx context.Context, req *dispatchv1.CreateJobRequest) (*dispatchv1.CreateJobResponse, error) {
	in := req.GetJob()
	if err := checkJobInput(in); err != nil {
		return nil, toStatus(err)
	}
	pic := s.picture(ctx, in) // before the transaction: never call out inside one
	resp := &dispatchv1.CreateJobResponse{}
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "CreateJob", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		j := newJob(in, now)
		if prev := in.GetPreviousJobId(); prev != "" {
			pj, found, err := store.Job(tx, prev)
			if err != nil {
				return err
			}
			if !found {
				return domain.Invalidf("job.previous_job_id: no job %s", prev)
			}
			j.VisitNumber = pj.GetVisitNumber() + 1
		}
		if err := emitJob(tx, SubjectJobCreated, j, &dispatchv1.JobCreated{Job: snapshot(j)}, now); err != nil {
			return err
		}
		if j.GetPriority() == dispatchv1.Priority_PRIORITY_URGENT {
			if err := escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_URGENT,
				dispatchv1.EscalationLevel_ESCALATION_LEVEL_SUPERVISOR, "urgent job", now); err != nil {
				return err
			}
		}
		if err := s.assignBest(tx, j, pic, nil, now); err != nil {
			return err
		}
		if err := timer.Schedule(tx, kindArrange, j.GetId(), now.Add(s.policy.ArrangementCheck), nil); err != nil {
			return fmt.Errorf("schedule arrangement check: %w", err)
		}
		if err := store.PutJob(tx, nil, j); err != nil {
			return err
		}
		s.stageLoad(tx, s.loadChange(nil, j))
		resp.Job = j
		return idem.Save(tx, "CreateJob", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return resp, nil
}

func (s *Server) readJob(id string) (*dispatchv1.Job, error) {
	var j *dispatchv1.Job
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var found bool
		var err error
		j, found, err = store.Job(tx, id)
		if err == nil && !found {
			err = fmt.Errorf("%w: job %s", domain.ErrNotFound, id)
		}
		return err
	})
	return j, err
}

// GetJob returns a job.
func (s *Server) GetJob(_ context.Context, req *dispatchv1.GetJobRequest) (*dispatchv1.GetJobResponse, error) {
	j, err := s.readJob(req.GetJobId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &dispatchv1.GetJobResponse{Job: j}, nil
}

// ListJobs lists jobs.
func (s *Server) ListJobs(_ context.Context, req *dispatchv1.ListJobsRequest) (*dispatchv1.ListJobsResponse, error) {
	order, err := rpc.ParseOrderBy(req.GetOrderBy(), rpc.Order{Field: store.SortCreate},
		store.SortCreate, store.SortDue, store.SortPriority)
	if err != nil {
		return nil, err
	}
	resp := &dispatchv1.ListJobsResponse{}
	err = s.p.DB.View(func(tx *bbolt.Tx) error {
		f := store.JobFilter{State: req.GetState(), TechnicianID: req.GetTechnicianId(), TicketID: req.GetTicketId()}
		var err error
		if order == (rpc.Order{Field: store.SortCreate}) {
			resp.Jobs, resp.NextPageToken, err = store.ListJobs(tx, f, req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		} else {
			resp.Jobs, resp.NextPageToken, err = store.ListJobsOrdered(tx, f, order.Field, order.Desc, req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		}
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// RankTechnicians ranks the technicians for a job without changing it.
func (s *Server) RankTechnicians(ctx context.Context, req *dispatchv1.RankTechniciansRequest) (*dispatchv1.RankTechniciansResponse, error) {
	j, err := s.readJob(req.GetJobId())
	if err != nil {
		return nil, toStatus(err)
	}
	if j.GetSite().GetPoint() == nil {
		return nil, toStatus(domain.Preconditionf("job.site.point: the site has no position to rank by"))
	}
	rk := rankingToProto(s.rank(nil, j, s.picture(ctx, j), s.p.Clock.Now()))
	return &dispatchv1.RankTechniciansResponse{Ranking: rk}, nil
}

// requireAssignee refuses a technician action by anyone but the assigned technician.
func requireAssignee(j *dispatchv1.Job, techID string) error {
	if j.GetAssignment().GetTechnicianId() != techID {
		return domain.Preconditionf("technician_id: %s is not the job's assigned technician", techID)
	}
	return nil
}

// AssignJob assigns a job by hand.
func (s *Server) AssignJob(ctx context.Context, req *dispatchv1.AssignJobRequest) (*dispatchv1.AssignJobResponse, error) {
	j, err := s.readJob(req.GetJobId())
	if err != nil {
		return nil, toStatus(err)
	}
	pic := s.picture(ctx, j)
	s.mu.RLock()
	tech, ok := s.roster.Technician(req.GetTechnicianId())
	var tc domain.Technician
	if ok {
		tc = *tech
	}
	s.mu.RUnlock()
	if !ok {
		return nil, toStatus(fmt.Errorf("%w: technician %s", domain.ErrNotFound, req.GetTechnicianId()))
	}
	if !tc.Active {
		return nil, toStatus(domain.Preconditionf("technician_id: technician %s is not active", tc.ID))
	}
	if _, has := tc.Skills[j.GetProductLine()]; !has {
		return nil, toStatus(domain.Preconditionf("technician_id: technician %s has no skills for product line %q", tc.ID, j.GetProductLine()))
	}
	resp := &dispatchv1.AssignJobResponse{}
	err = s.mutateJob(ctx, "AssignJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if _, err := domain.Transition(domain.State(j.GetState()), domain.EventAssign); err != nil {
				return err
			}
			rk := s.rank(tx, j, pic, now)
			j.LastRanking = rankingToProto(rk)
			var cand *domain.Candidate
			planned := now
			if c, why := s.matcher.Evaluate(&tc, jobSpec(j), s.loads(tc.ID), now, pic); why == "" {
				cand, planned = &c, c.Arrival
			}
			prev, err := s.endAssignment(tx, j, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_OVERRIDDEN, "", now)
			if err != nil {
				return err
			}
			if prev != nil {
				j.State = dispatchv1.JobState_JOB_STATE_UNASSIGNED
			}
			return s.assign(tx, j, tc.ID, tc.OrganisationID, dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_MANUAL,
				j.LastRanking, req.GetReason(), reservationLocation(cand, &tc, pic), planned, prev, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (s *Server) loads(id string) domain.Loads {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.roster.Loads(id)
}

// AcceptJob records the technician's acceptance.
func (s *Server) AcceptJob(ctx context.Context, req *dispatchv1.AcceptJobRequest) (*dispatchv1.AcceptJobResponse, error) {
	resp := &dispatchv1.AcceptJobResponse{}
	err := s.mutateJob(ctx, "AcceptJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventAccept); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			j.Assignment.AcceptedTime = ts(now)
			if err := timer.Cancel(tx, kindAccept, j.GetId()); err != nil {
				return err
			}
			return emitJob(tx, SubjectJobAccepted, j, &dispatchv1.JobAccepted{Job: snapshot(j)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// paidJob is what the paid-service rules read of a job.
func paidJob(j *dispatchv1.Job) domain.PaidJob {
	return domain.PaidJob{Paid: j.GetPaid(), Approved: j.GetApproval() != nil, RequestedBy: j.GetRequestedBy()}
}

// ApproveJob records a manager's approval of a paid job.
func (s *Server) ApproveJob(ctx context.Context, req *dispatchv1.ApproveJobRequest) (*dispatchv1.ApproveJobResponse, error) {
	resp := &dispatchv1.ApproveJobResponse{}
	err := s.mutateJob(ctx, "ApproveJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventApprove); err != nil {
				return err
			}
			if err := domain.CheckApproval(paidJob(j), req.GetApproverId()); err != nil {
				return err
			}
			j.Approval = &dispatchv1.JobApproval{ApproverId: req.GetApproverId(), ApproveTime: ts(now), Note: req.GetNote()}
			return emitJob(tx, SubjectJobApproved, j, &dispatchv1.JobApproved{Job: snapshot(j)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// DeclineJob records a decline and passes the job to the next best technician.
func (s *Server) DeclineJob(ctx context.Context, req *dispatchv1.DeclineJobRequest) (*dispatchv1.DeclineJobResponse, error) {
	j, err := s.readJob(req.GetJobId())
	if err != nil {
		return nil, toStatus(err)
	}
	pic := s.picture(ctx, j)
	resp := &dispatchv1.DeclineJobResponse{}
	err = s.mutateJob(ctx, "DeclineJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventDecline); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			prev, err := s.endAssignment(tx, j, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_DECLINED, req.GetReason(), now)
			if err != nil {
				return err
			}
			if err := emitJob(tx, SubjectJobDeclined, j, &dispatchv1.JobDeclined{
				Job: snapshot(j), TechnicianId: req.GetTechnicianId(), Reason: req.GetReason(),
			}, now); err != nil {
				return err
			}
			return s.assignBest(tx, j, pic, prev, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// EscalateJob escalates a job by hand.
func (s *Server) EscalateJob(ctx context.Context, req *dispatchv1.EscalateJobRequest) (*dispatchv1.EscalateJobResponse, error) {
	resp := &dispatchv1.EscalateJobResponse{}
	err := s.mutateJob(ctx, "EscalateJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventEscalate); err != nil {
				return err
			}
			reason := req.GetReason()
			if reason == dispatchv1.EscalationReason_ESCALATION_REASON_UNSPECIFIED {
				reason = dispatchv1.EscalationReason_ESCALATION_REASON_MANUAL
			}
			return escalate(tx, j, reason, req.GetLevel(), req.GetDetail(), now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// CancelJob cancels a job and releases its parts.
func (s *Server) CancelJob(ctx context.Context, req *dispatchv1.CancelJobRequest) (*dispatchv1.CancelJobResponse, error) {
	resp := &dispatchv1.CancelJobResponse{}
	err := s.mutateJob(ctx, "CancelJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventCancel); err != nil {
				return err
			}
			hadParts := j.GetPartsReservation() != nil
			if a := j.GetAssignment(); a != nil {
				a.Outcome, a.EndTime = dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_CANCELLED, ts(now)
			}
			if err := timer.Cancel(tx, kindAccept, j.GetId()); err != nil {
				return err
			}
			if err := timer.Cancel(tx, kindArrange, j.GetId()); err != nil {
				return err
			}
			if err := timer.Cancel(tx, kindReserve, j.GetId()); err != nil {
				return err
			}
			if hadParts {
				// Release every reservation of the job, whatever its state here: a reservation
				// still being made is released too (inventory also does so on job.cancelled).
				if err := timer.Schedule(tx, kindRelease, j.GetId()+"/cancel", now, nil); err != nil {
					return fmt.Errorf("schedule release: %w", err)
				}
				pr := j.GetPartsReservation()
				pr.State = dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RELEASED
				pr.Detail, pr.UpdateTime = "job cancelled", ts(now)
			}
			j.CancelReason = req.GetReason()
			return emitJob(tx, SubjectJobCancelled, j, &dispatchv1.JobCancelled{Job: snapshot(j), Reason: req.GetReason()}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
