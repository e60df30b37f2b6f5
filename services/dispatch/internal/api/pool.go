package api

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// Event subjects of the job pool.
const (
	SubjectJobReleasedToPool = "sanbao.dispatch.v1.job.released_to_pool"
	SubjectJobPicked         = "sanbao.dispatch.v1.job.picked"
	SubjectJobTransferred    = "sanbao.dispatch.v1.job.transferred"
)

// maxPoolList bounds ListPoolJobs' answer.
const maxPoolList = 200

// technician returns a copy of the roster's technician id.
func (s *Server) technician(id string) (domain.Technician, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.roster.Technician(id)
	if !ok {
		return domain.Technician{}, fmt.Errorf("%w: technician %s", domain.ErrNotFound, id)
	}
	return *t, nil
}

// qualified says why technician t may not take job j in organisation org at now ("" when they
// may): active, of the organisation, with the job's skills and level, and qualified for its
// product line when the policy requires it (seed 002).
func (s *Server) qualified(t *domain.Technician, j *dispatchv1.Job, org string, now time.Time) string {
	spec := jobSpec(j)
	switch {
	case s.policy.Qualification.Required && !t.Quals[spec.ProductLine].Qualified(now):
		return fmt.Sprintf("technician %s is not qualified for product line %q", t.ID, spec.ProductLine)
	case !t.Active:
		return fmt.Sprintf("technician %s is not active", t.ID)
	case org != "" && t.OrganisationID != org:
		return fmt.Sprintf("technician %s is not of organisation %s", t.ID, org)
	case !t.HasSkills(spec.ProductLine, spec.Skills):
		return fmt.Sprintf("technician %s lacks the skills of product line %q this job needs", t.ID, spec.ProductLine)
	case !t.Level.Covers(spec.Level):
		return fmt.Sprintf("technician %s is not of the level this job needs", t.ID)
	}
	return ""
}

// ReleaseToPool offers a job to an organisation's technicians.
func (s *Server) ReleaseToPool(ctx context.Context, req *dispatchv1.ReleaseToPoolRequest) (*dispatchv1.ReleaseToPoolResponse, error) {
	resp := &dispatchv1.ReleaseToPoolResponse{}
	err := s.mutateJob(ctx, "ReleaseToPool", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			switch j.GetState() {
			case dispatchv1.JobState_JOB_STATE_UNASSIGNED:
			case dispatchv1.JobState_JOB_STATE_ASSIGNED:
				if _, err := s.endAssignment(tx, j, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_OVERRIDDEN, "released to the job pool", now); err != nil {
					return err
				}
				j.State = dispatchv1.JobState_JOB_STATE_UNASSIGNED
			default:
				return domain.Preconditionf("job_id: a %s job cannot be released to the pool (only unassigned, or assigned and not accepted)", j.GetState())
			}
			j.Pool = &dispatchv1.JobPool{PoolOrganisationId: req.GetPoolOrganisationId(), ReleasedBy: auth.Actor(ctx, "dispatch"),
				ReleaseTime: ts(now), Reason: req.GetReason()}
			return emitJob(tx, SubjectJobReleasedToPool, j, &dispatchv1.JobReleasedToPool{Job: snapshot(j)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// PickJob gives a pooled job to the first qualified technician who picks it, accepted.
func (s *Server) PickJob(ctx context.Context, req *dispatchv1.PickJobRequest) (*dispatchv1.PickJobResponse, error) {
	tc, err := s.technician(req.GetTechnicianId())
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatchv1.PickJobResponse{}
	err = s.mutateJob(ctx, "PickJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			pool := j.GetPool()
			switch {
			case pool == nil:
				return domain.Preconditionf("job_id: job %s is not in a job pool", j.GetId())
			case pool.GetPickedBy() != "" || j.GetState() != dispatchv1.JobState_JOB_STATE_UNASSIGNED:
				return domain.Preconditionf("job_id: job %s was already taken", j.GetId())
			}
			if why := s.qualified(&tc, j, pool.GetPoolOrganisationId(), now); why != "" {
				return domain.Preconditionf("technician_id: %s", why)
			}
			if err := s.assign(tx, j, tc.ID, tc.OrganisationID, nil, dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_POOL,
				nil, "picked from the job pool", "", now, nil, now); err != nil {
				return err
			}
			if err := transition(j, domain.EventAccept); err != nil {
				return err
			}
			j.Assignment.AcceptedTime = ts(now)
			pool.PickedBy, pool.PickTime = tc.ID, ts(now)
			if err := timer.Cancel(tx, kindAccept, j.GetId()); err != nil {
				return err
			}
			if err := emitJob(tx, SubjectJobAccepted, j, &dispatchv1.JobAccepted{Job: snapshot(j)}, now); err != nil {
				return err
			}
			return emitJob(tx, SubjectJobPicked, j, &dispatchv1.JobPicked{Job: snapshot(j)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// TransferJob hands an accepted job to a qualified colleague of the same organisation.
func (s *Server) TransferJob(ctx context.Context, req *dispatchv1.TransferJobRequest) (*dispatchv1.TransferJobResponse, error) {
	to, err := s.technician(req.GetToTechnicianId())
	if err != nil {
		return nil, toStatus(err)
	}
	if req.GetToTechnicianId() == req.GetTechnicianId() {
		return nil, toStatus(domain.Preconditionf("to_technician_id: a job cannot be transferred to its own technician"))
	}
	resp := &dispatchv1.TransferJobResponse{}
	err = s.mutateJob(ctx, "TransferJob", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) {
			resp.JobId, resp.ToTechnicianId, resp.State, resp.Job = j.GetId(), j.GetAssignment().GetTechnicianId(), j.GetState(), j
		},
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if j.GetState() != dispatchv1.JobState_JOB_STATE_ACCEPTED {
				return domain.Preconditionf("job_id: only an accepted job not yet on the way may be transferred (it is %s)", j.GetState())
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			if why := s.qualified(&to, j, j.GetAssignment().GetOrganisationId(), now); why != "" {
				return domain.Preconditionf("to_technician_id: %s", why)
			}
			prev, err := s.endAssignment(tx, j, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_TRANSFERRED, req.GetReason(), now)
			if err != nil {
				return err
			}
			j.State = dispatchv1.JobState_JOB_STATE_UNASSIGNED
			if err := s.assign(tx, j, to.ID, to.OrganisationID, nil, dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_TRANSFER,
				nil, req.GetReason(), "", now, prev, now); err != nil {
				return err
			}
			return emitJob(tx, SubjectJobTransferred, j, &dispatchv1.JobTransferred{Job: snapshot(j),
				FromTechnicianId: req.GetTechnicianId(), Reason: req.GetReason()}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListPoolJobs lists the pooled jobs of the technician's organisation they are qualified for.
func (s *Server) ListPoolJobs(ctx context.Context, req *dispatchv1.ListPoolJobsRequest) (*dispatchv1.ListPoolJobsResponse, error) {
	tc, err := s.technician(req.GetTechnicianId())
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatchv1.ListPoolJobsResponse{}
	err = s.p.DB.View(func(tx *bbolt.Tx) error {
		return store.EachJobInState(tx, dispatchv1.JobState_JOB_STATE_UNASSIGNED, func(j *dispatchv1.Job) error {
			pool := j.GetPool()
			if len(resp.Jobs) >= maxPoolList || pool == nil || pool.GetPickedBy() != "" {
				return nil
			}
			if s.qualified(&tc, j, pool.GetPoolOrganisationId(), s.p.Clock.Now()) == "" {
				resp.Jobs = append(resp.Jobs, j)
			}
			return nil
		})
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}
