package api

import (
	"context"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// maxDayJobs bounds a day's answer.
const maxDayJobs = 100

// visitTime is when a job is planned to be visited: its appointment's start, else the planned
// arrival of its assignment, else its creation.
func visitTime(j *dispatchv1.Job) time.Time {
	switch {
	case j.GetAppointment().GetWindow().GetStartTime() != nil:
		return j.GetAppointment().GetWindow().GetStartTime().AsTime()
	case j.GetAssignment().GetPlannedArrivalTime() != nil:
		return j.GetAssignment().GetPlannedArrivalTime().AsTime()
	}
	return j.GetCreateTime().AsTime()
}

// ListDayJobs returns a technician's open jobs due before the day ends, in visit order.
func (s *Server) ListDayJobs(ctx context.Context, req *dispatchv1.ListDayJobsRequest) (*dispatchv1.ListDayJobsResponse, error) {
	end := req.GetDayStart().AsTime().Add(24 * time.Hour)
	var jobs []*dispatchv1.Job
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		return store.OpenJobsOf(tx, req.GetTechnicianId(), func(j *dispatchv1.Job) error {
			if visitTime(j).Before(end) {
				jobs = append(jobs, j)
			}
			return nil
		})
	})
	if err != nil {
		return nil, toStatus(err)
	}
	slices.SortStableFunc(jobs, func(a, b *dispatchv1.Job) int { return visitTime(a).Compare(visitTime(b)) })
	if len(jobs) > maxDayJobs {
		jobs = jobs[:maxDayJobs]
	}
	for _, j := range jobs {
		j.LastRanking = nil // the phone needs the visit, not the ranking
		if j.GetAssignment() != nil {
			j.Assignment.Ranking = nil
		}
	}
	return &dispatchv1.ListDayJobsResponse{Jobs: jobs}, nil
}
