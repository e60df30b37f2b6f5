package api

import (
	"context"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
)

// depotStop is how long collecting parts at a depot takes when a day starts there.
const depotStop = 15 * time.Minute

// pictureLookups bounds the parts-inventory lookups one PlanDay makes at once.
const pictureLookups = 4

// dayParts puts the parts picture into a day: each job with likely parts needs them (one
// token per job, standing for "every likely part of this job"), a technician's van holds the
// tokens of the jobs whose parts are all on it, and each technician collects at one depot —
// the one that holds the parts of most of the day's jobs, nearest to their base on a tie —
// holding the tokens of the jobs it has everything for. A job whose picture cannot be had
// (parts-inventory down or slow) is planned as if it needed no parts, as the ranking does. It
// returns the depot location chosen per technician.
func (s *Server) dayParts(ctx context.Context, day *plan.Day, need []*dispatchv1.Job, techs map[string]domain.Technician) map[string]string {
	if s.inv == nil || len(need) == 0 {
		return nil
	}
	pics := make([]domain.PartsPicture, len(need))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(pictureLookups)
	for i, j := range need {
		g.Go(func() error {
			pics[i] = s.picture(gctx, j)
			return nil
		})
	}
	_ = g.Wait() // picture never fails: an unknown picture is Known=false

	token := func(jobID string) string { return "job/" + jobID }
	index := map[string]int{}
	for i := range day.Jobs {
		index[day.Jobs[i].ID] = i
	}
	// Which depots hold each job's parts, and where they are.
	holds := map[string]map[string]bool{} // depot location -> job tokens
	where := map[string]domain.Point{}
	unknown := 0
	for i, j := range need {
		pic := pics[i]
		k, ok := index[j.GetId()]
		if !ok {
			continue
		}
		if !pic.Known {
			unknown++
			continue
		}
		tok := token(j.GetId())
		day.Jobs[k].Parts = []string{tok}
		for _, d := range pic.Depots {
			if holds[d.LocationID] == nil {
				holds[d.LocationID] = map[string]bool{}
			}
			holds[d.LocationID][tok] = true
			where[d.LocationID] = d.Point
		}
		for ti := range day.Technicians {
			tc := techs[day.Technicians[ti].ID]
			if pic.VanFor(&tc) == "" {
				continue
			}
			if day.Technicians[ti].Van == nil {
				day.Technicians[ti].Van = map[string]bool{}
			}
			day.Technicians[ti].Van[tok] = true
		}
	}
	if unknown > 0 {
		s.log.Warn("day planned without the parts of some jobs: parts-inventory did not answer",
			zap.Int("jobs", unknown), zap.Int("with_parts", len(need)))
	}
	chosen := map[string]string{}
	for ti := range day.Technicians {
		t := &day.Technicians[ti]
		best, bestN, bestKm := "", 0, 0.0
		for loc, toks := range holds {
			km := s.opts.Distance.RoadKm(t.Start, where[loc])
			if n := len(toks); n > bestN || (n == bestN && (km < bestKm || (km == bestKm && loc < best))) {
				best, bestN, bestKm = loc, n, km
			}
		}
		if best == "" {
			continue
		}
		p := where[best]
		t.Depot, t.DepotStop, t.DepotParts = &p, depotStop, holds[best]
		chosen[t.ID] = best
	}
	return chosen
}
