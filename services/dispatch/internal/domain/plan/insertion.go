package plan

import (
	"math"
	"sort"
	"time"
)

// Insertion is what adding one job to a technician's planned day costs, the day's order kept.
type Insertion struct {
	TechnicianID string
	// Position is the index in the technician's planned visits the job would take.
	Position int
	// ExtraTravel is the driving time the job adds to the day.
	ExtraTravel time.Duration
	// Arrival is the job's ETA at that place.
	Arrival time.Time
	// LateAdded counts the late arrivals the insertion adds (the job's own included).
	LateAdded int
}

// RankInsertions ranks the technicians of a planned day for one more job: for each one who
// may take it (skills, level, parts or depot, capacity, every window and the end of the
// working hours still kept), the cheapest place in their day, keeping the planned order.
// The list is ordered by late arrivals added, then extra travel. The job's Appointment is
// ignored. A job no technician can take returns an empty list and the reason.
func RankInsertions(day Day, plan DayPlan, job DayJob, travel Travel) ([]Insertion, Reason, error) {
	job.Appointment = nil
	withJob := day
	withJob.Jobs = append(append([]DayJob(nil), day.Jobs...), job)
	b, err := buildDay(withJob, travel)
	if err != nil {
		return nil, "", err
	}
	last := len(withJob.Jobs) - 1
	u := int32(-1)
	model := map[string]int32{}
	for k, dj := range b.jobIndex {
		model[withJob.Jobs[dj].ID] = int32(k)
		if dj == last {
			u = int32(k)
		}
	}
	if u < 0 {
		for _, l := range b.excluded {
			if l.JobID == job.ID {
				return nil, l.Reason, nil
			}
		}
		return nil, ReasonNoSkill, nil
	}
	s := newSolver(b.model, 0)
	x := s.newSol()
	tech := map[string]int{}
	for v, t := range day.Technicians {
		tech[t.ID] = v
	}
	for _, r := range plan.Routes {
		v, ok := tech[r.TechnicianID]
		if !ok {
			continue
		}
		rt := &x.routes[v]
		rt.path = rt.path[:1]
		for _, vis := range r.Visits {
			if j, ok := model[vis.JobID]; ok {
				rt.path = append(rt.path, j)
				x.where[j] = int32(v)
			}
		}
		rt.path = append(rt.path, s.end(v))
		s.update(v, rt)
	}
	var out []Insertion
	for v := range day.Technicians {
		pos, _ := s.bestInsert(x, v, u, 0, math.Inf(1))
		if pos < 0 {
			continue
		}
		r := &x.routes[v]
		before := *r
		trial := route{path: append(append(append([]int32(nil), r.path[:pos]...), u), r.path[pos:]...)}
		s.update(v, &trial)
		if trial.bad {
			continue
		}
		ins := Insertion{TechnicianID: day.Technicians[v].ID, Position: pos - 1,
			ExtraTravel: time.Duration((trial.travel - before.travel) * float64(time.Second)).Round(time.Second),
			LateAdded:   trial.late - before.late}
		ins.Arrival = b.origin.Add(time.Duration(s.arrival(v, trial.path, pos) * float64(time.Second)))
		out = append(out, ins)
	}
	sort.SliceStable(out, func(i, k int) bool {
		if out[i].LateAdded != out[k].LateAdded {
			return out[i].LateAdded < out[k].LateAdded
		}
		return out[i].ExtraTravel < out[k].ExtraTravel
	})
	if len(out) == 0 {
		return nil, b.reason(last), nil
	}
	return out, "", nil
}

// arrival returns when route v's vehicle reaches path[at], depot stop included.
func (s *solver) arrival(v int, p []int32, at int) float64 {
	S := s.S
	now := s.m.Vehicles[v].Open
	prev := p[0]
	depot := false
	if s.pickup != nil {
		for _, j := range p[1 : len(p)-1] {
			depot = depot || s.pickup[int(j)*s.V+v]
		}
	}
	if depot {
		dp := s.depot(v)
		now += s.t[int(prev)*S+int(dp)] + s.svc[dp]
		prev = dp
	}
	for k := 1; k <= at; k++ {
		b := p[k]
		now += s.t[int(prev)*S+int(b)]
		if k == at {
			return now
		}
		now = math.Max(now, s.open[b]) + s.svc[b]
		prev = b
	}
	return now
}
