package domain

import (
	"math"
	"sort"
	"time"
)

// Roster is an in-memory index of technicians by product line, with their current loads, so
// that ranking a job looks only at technicians of the job's product line. It is not safe for
// concurrent use; the caller guards it.
type Roster struct {
	techs  map[string]*Technician
	byLine map[string][]*Technician
	load   map[string]Loads
}

// NewRoster returns an empty roster.
func NewRoster() *Roster {
	return &Roster{
		techs:  map[string]*Technician{},
		byLine: map[string][]*Technician{},
		load:   map[string]Loads{},
	}
}

// Len returns the number of technicians.
func (r *Roster) Len() int { return len(r.techs) }

// Put adds or replaces a technician.
func (r *Roster) Put(t Technician) {
	if old, ok := r.techs[t.ID]; ok {
		for line := range old.Skills {
			list := r.byLine[line]
			for i, x := range list {
				if x.ID == t.ID {
					r.byLine[line] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
		}
	}
	tp := &t
	r.techs[t.ID] = tp
	for line := range t.Skills {
		list := append(r.byLine[line], tp)
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		r.byLine[line] = list
	}
}

// Technician returns the technician with id.
func (r *Roster) Technician(id string) (*Technician, bool) {
	t, ok := r.techs[id]
	return t, ok
}

// AddLoad changes a technician's open-job count on day by delta (never below zero).
func (r *Roster) AddLoad(id string, day Day, delta int) {
	l := r.load[id]
	if l == nil {
		l = Loads{}
		r.load[id] = l
	}
	n := l[day] + delta
	if n <= 0 {
		delete(l, day)
		if len(l) == 0 {
			delete(r.load, id)
		}
		return
	}
	l[day] = n
}

// Load returns a technician's open-job count on day.
func (r *Roster) Load(id string, day Day) int { return r.load[id][day] }

// Loads returns a copy of a technician's open-job counts per day.
func (r *Roster) Loads(id string) Loads {
	out := make(Loads, len(r.load[id]))
	for d, n := range r.load[id] {
		out[d] = n
	}
	return out
}

// kmPerDegreeLat is the great-circle length of one degree of latitude.
const kmPerDegreeLat = earthRadiusKm * math.Pi / 180

// Rank evaluates every technician for job, leaving out those in exclude (e.g. who declined),
// and returns the candidates best first, at most m.Policy.RankingSize of them with reasons.
// A technician whose latitude alone puts them beyond their radius is skipped without computing
// the distance (road distance is never shorter than great-circle distance).
//
// adjust (may be nil) holds changes to the loads not yet in the roster (assignments made in the
// same group commit); they are added to the technicians' loads.
func (r *Roster) Rank(m Matcher, job JobSpec, exclude map[string]bool, now time.Time, parts PartsPicture, adjust map[string]Loads) Ranking {
	rk := Ranking{At: now, Line: job.ProductLine, Considered: len(r.techs), Exclusions: map[string]int{}}
	line := r.byLine[job.ProductLine]
	if other := len(r.techs) - len(line); other > 0 {
		rk.Exclusions[ReasonSkills] += other
	}
	m.departs = &departMemo{} // one instant: technicians sharing a calendar share its next opening
	var cs []Candidate
	for _, t := range line {
		if exclude[t.ID] {
			rk.Exclusions[ReasonDeclined]++
			continue
		}
		radius := t.RadiusKm
		if radius <= 0 {
			radius = m.Policy.DefaultRadiusKm
		}
		// The latitude test first: it is the cheapest, and Evaluate checks the skills anyway.
		if math.Abs(t.Base.Lat-job.Site.Lat)*kmPerDegreeLat > radius && t.Active &&
			t.HasSkills(job.ProductLine, job.Skills) && t.Level.Covers(job.Level) {
			rk.Exclusions[ReasonRadius]++
			continue
		}
		loads := r.load[t.ID]
		if adj := adjust[t.ID]; len(adj) > 0 {
			loads = merge(loads, adj)
		}
		c, why := m.Evaluate(t, job, loads, now, parts)
		if why != "" {
			rk.Exclusions[why]++
			continue
		}
		cs = append(cs, c)
	}
	Sort(cs)
	if n := m.Policy.RankingSize; n > 0 && len(cs) > n {
		cs = cs[:n]
	}
	for i := range cs {
		Explain(&cs[i])
	}
	rk.Candidates = cs
	return rk
}

// merge returns a + b per day.
func merge(a, b Loads) Loads {
	out := make(Loads, len(a)+len(b))
	for d, n := range a {
		out[d] += n
	}
	for d, n := range b {
		out[d] += n
	}
	return out
}
