package domain

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Exclusion reasons: why a technician is not a candidate for a job.
const (
	ReasonInactive = "inactive"
	ReasonSkills   = "skills"
	ReasonLevel    = "level"
	ReasonCapacity = "capacity"
	ReasonRadius   = "radius"
	ReasonCalendar = "calendar"
	ReasonDeadline = "deadline"
	ReasonWindow   = "window"
	ReasonDeclined = "declined"
	// ReasonPlannedDay: the job does not fit the technician's planned day (its appointments,
	// windows and working hours), or would make visits of it late.
	ReasonPlannedDay = "planned_day"
	// ReasonQualification: not qualified for the job's product line (seed 002).
	ReasonQualification = "not qualified"
)

// JobSpec is what matching needs to know about a job.
type JobSpec struct {
	ProductLine string
	Skills      []string
	Level       Level
	Site        Point
	// ArriveBy is the arrival deadline; zero means now + Policy.ArriveWithin.
	ArriveBy time.Time
	// WindowStart and WindowEnd are the customer's availability; zero means none.
	WindowStart, WindowEnd time.Time
	// NeedsParts is true when the job has likely parts.
	NeedsParts bool
}

// Depot is a stock location (not a van) that holds every likely part of a job.
type Depot struct {
	LocationID string
	Point      Point
}

// PartsPicture says where a job's likely parts are available.
type PartsPicture struct {
	// Known is false when inventory could not be asked; parts then do not affect the ranking.
	Known bool
	// Vans holds the van location ids that hold every likely part.
	Vans map[string]bool
	// VanOf maps a technician id to their van's location id, for vans in Vans that
	// parts-inventory links to a technician (Location.technician_id).
	VanOf map[string]string
	// Depots are the other locations that hold every likely part, nearest to the site first.
	Depots []Depot
}

// VanFor returns the location id of t's van when it holds every likely part, else "": the van
// named on the technician, or the one parts-inventory links to the technician.
func (p PartsPicture) VanFor(t *Technician) string {
	if t.VanLocationID != "" && p.Vans[t.VanLocationID] {
		return t.VanLocationID
	}
	if v := p.VanOf[t.ID]; v != "" && p.Vans[v] {
		return v
	}
	return ""
}

// Readiness says how a technician would come by the job's likely parts.
type Readiness int

// Parts readiness, best first after ReadinessUnknown (the API's PartsReadiness order).
const (
	ReadinessUnknown Readiness = iota
	ReadinessOnVan
	ReadinessCollect
	ReadinessWithout
)

// tier orders readiness for ranking: on van, then collect on the way, then the rest.
func (r Readiness) tier() int {
	switch r {
	case ReadinessOnVan:
		return 0
	case ReadinessCollect:
		return 1
	}
	return 2
}

// Candidate is a technician who can take a job, with the figures behind the score.
type Candidate struct {
	TechnicianID      string
	OrganisationID    string
	Score             float64
	DistanceKm        float64
	Travel            time.Duration
	Arrival           time.Time
	Slack             time.Duration
	Load              int
	Parts             Readiness
	CollectLocationID string
	// VanLocationID is the van holding the parts, when Parts is ReadinessOnVan.
	VanLocationID string
	// Routed is true when the technician's organisation is where the job's difficulty
	// belongs (see OrgKind.Routed).
	Routed bool
	// Planned is set when the technician has a planned day on the arrival day: the job is
	// costed by inserting it there, not by the drive from the base.
	Planned *Slot
	// QualifiedUntil is when the technician's qualification for the line lapses (zero when
	// the policy does not require one).
	QualifiedUntil time.Time
	Reasons        []string
}

// Slot is the cheapest place for a job in a technician's planned day.
type Slot struct {
	// Position is the visit number the job takes (0 first), Of the visits already planned.
	Position, Of int
	// ExtraTravel is the driving the job adds to the day.
	ExtraTravel time.Duration
}

// Ranking is the ordered list of candidates for a job, best first, and why others are out.
type Ranking struct {
	At time.Time
	// Line is the job's product line.
	Line       string
	Candidates []Candidate
	// Considered is the number of technicians looked at.
	Considered int
	// Exclusions counts the technicians left out, per reason.
	Exclusions map[string]int
}

// Matcher evaluates technicians against jobs under a policy and a distance estimate.
type Matcher struct {
	Policy   Policy
	Distance Distance

	departs *departMemo // set by Roster.Rank for one ranking: departures per calendar
}

// departMemo remembers, within one ranking (one instant), each calendar's next working time:
// technicians who share a calendar share the answer.
type departMemo struct {
	entries []departEntry
}

type departEntry struct {
	cal Calendar
	at  time.Time
	ok  bool
}

// maxDepartMemo bounds the calendars a ranking remembers (the rest are asked each time).
const maxDepartMemo = 16

// nextWorking is cal.NextWorking(now, the policy's horizon), remembered for the ranking.
func (m Matcher) nextWorking(cal Calendar, now time.Time) (time.Time, bool) {
	if m.departs == nil {
		return cal.NextWorking(now, m.Policy.CalendarHorizon)
	}
	for _, e := range m.departs.entries {
		if e.cal == cal {
			return e.at, e.ok
		}
	}
	at, ok := cal.NextWorking(now, m.Policy.CalendarHorizon)
	if len(m.departs.entries) < maxDepartMemo {
		m.departs.entries = append(m.departs.entries, departEntry{cal, at, ok})
	}
	return at, ok
}

// Loads counts a technician's open jobs per day, in the technician's calendar zone.
type Loads map[Day]int

// Evaluate decides whether t can take job at now given the open jobs t holds per day, and if
// so scores it. It returns the candidate, or the exclusion reason. The checks, in order:
// active, skills for the product line, level, radius, calendar (a working time within the
// horizon), arrival before the deadline, arrival inside the customer's window, capacity on the
// day of arrival.
func (m Matcher) Evaluate(t *Technician, job JobSpec, loads Loads, now time.Time, parts PartsPicture) (Candidate, string) {
	p := m.Policy
	if !t.Active {
		return Candidate{}, ReasonInactive
	}
	if !t.HasSkills(job.ProductLine, job.Skills) {
		return Candidate{}, ReasonSkills
	}
	if !t.Level.Covers(job.Level) {
		return Candidate{}, ReasonLevel
	}
	var qualifiedUntil time.Time
	if p.Qualification.Required {
		q := t.Quals[job.ProductLine]
		if !q.Qualified(now) {
			return Candidate{}, ReasonQualification
		}
		qualifiedUntil = q.Until
	}
	radius := t.RadiusKm
	if radius <= 0 {
		radius = p.DefaultRadiusKm
	}
	direct := m.Distance.RoadKm(t.Base, job.Site)
	if direct > radius {
		return Candidate{}, ReasonRadius
	}
	depart, ok := m.nextWorking(t.Calendar, now)
	if !ok {
		return Candidate{}, ReasonCalendar
	}
	deadline := m.Deadline(job, now)

	// Parts: the van, else the best depot on the way, else without.
	readiness, via, van, dist := ReadinessUnknown, "", "", direct
	if job.NeedsParts && parts.Known {
		readiness = ReadinessWithout
		if van = parts.VanFor(t); van != "" {
			readiness = ReadinessOnVan
		} else {
			best := math.Inf(1)
			for _, d := range parts.Depots {
				km := m.Distance.RoadKm(t.Base, d.Point) + m.Distance.RoadKm(d.Point, job.Site)
				if km-direct <= p.CollectDetourKm && km < best {
					best, via = km, d.LocationID
				}
			}
			if via != "" {
				arr := m.arrival(depart, best, job)
				if arr.After(deadline) || (!job.WindowEnd.IsZero() && !arr.Before(job.WindowEnd)) {
					via = "" // collecting would make the technician late: go direct
				} else {
					readiness, dist = ReadinessCollect, best
				}
			}
		}
	}
	travel := m.travel(dist)
	arrival := m.arrival(depart, dist, job)
	if arrival.After(deadline) {
		if job.WindowStart.After(deadline) {
			return Candidate{}, ReasonWindow // the customer's window opens after the deadline
		}
		if !now.Add(travel).After(deadline) {
			return Candidate{}, ReasonCalendar // would make it if working now
		}
		return Candidate{}, ReasonDeadline
	}
	if !job.WindowEnd.IsZero() && !arrival.Before(job.WindowEnd) {
		return Candidate{}, ReasonWindow
	}
	load := loads[t.Calendar.DayOf(arrival)]
	if t.CapacityPerDay > 0 && load >= t.CapacityPerDay {
		return Candidate{}, ReasonCapacity
	}

	c := Candidate{
		TechnicianID:      t.ID,
		OrganisationID:    t.OrganisationID,
		Routed:            t.Kind.Routed(job.Level),
		DistanceKm:        dist,
		Travel:            travel,
		Arrival:           arrival,
		Slack:             deadline.Sub(arrival),
		Load:              load,
		Parts:             readiness,
		CollectLocationID: via,
		VanLocationID:     van,
		QualifiedUntil:    qualifiedUntil,
	}
	c.Score = m.score(t, &c)
	return c, ""
}

// score weighs a candidate's distance (against the technician's radius), load (against the
// capacity) and slack (against the arrival target), plus the routing bonus.
func (m Matcher) score(t *Technician, c *Candidate) float64 {
	p := m.Policy
	radius := t.RadiusKm
	if radius <= 0 {
		radius = p.DefaultRadiusKm
	}
	w := p.Weights
	dTerm := 1 - math.Min(c.DistanceKm/radius, 1)
	lTerm := 1.0
	if t.CapacityPerDay > 0 {
		lTerm = 1 - float64(c.Load)/float64(t.CapacityPerDay)
	}
	sTerm := 1.0
	if p.ArriveWithin > 0 {
		sTerm = math.Min(float64(c.Slack)/float64(p.ArriveWithin), 1)
	}
	score := w.Distance*dTerm + w.Load*lTerm + w.Slack*sTerm
	if c.Routed {
		score += w.Routing
	}
	return score
}

// InPlannedDay costs candidate c by the cheapest place for the job in the technician's
// planned day instead of the drive from the base: the distance term becomes the driving the
// job adds (at the policy's speed), the arrival and slack those of that place. deadline is
// the job's arrival target (JobSpec.ArriveBy, or now + ArriveWithin).
func (m Matcher) InPlannedDay(t *Technician, c *Candidate, slot Slot, arrival, deadline time.Time) {
	c.Planned = &slot
	c.DistanceKm = slot.ExtraTravel.Hours() * m.Policy.SpeedKmh
	c.Travel = slot.ExtraTravel
	c.Arrival = arrival
	c.Slack = deadline.Sub(arrival)
	c.Score = m.score(t, c)
}

// OnLaterDay costs candidate c for a visit on a later working day than its first opening,
// arriving at arrival (that day's start and the drive from the base it was ranked by): a
// technician whose planned day cannot take the job may still take it before its deadline.
func (m Matcher) OnLaterDay(t *Technician, c *Candidate, arrival, deadline time.Time) {
	c.Planned = nil
	c.Arrival = arrival
	c.Slack = deadline.Sub(arrival)
	c.Score = m.score(t, c)
}

// Deadline is the arrival target of job at now: its ArriveBy, else now + ArriveWithin, or the
// end of the customer's window when that is later (a visit agreed for next week — an
// inspection, a campaign — is not late for missing tomorrow).
func (m Matcher) Deadline(job JobSpec, now time.Time) time.Time {
	if !job.ArriveBy.IsZero() {
		return job.ArriveBy
	}
	d := now.Add(m.Policy.ArriveWithin)
	if job.WindowEnd.After(d) {
		d = job.WindowEnd
	}
	return d
}

func (m Matcher) travel(km float64) time.Duration {
	if m.Policy.SpeedKmh <= 0 {
		return 0
	}
	return time.Duration(km / m.Policy.SpeedKmh * float64(time.Hour)).Round(time.Minute)
}

// arrival is the earliest arrival leaving at depart over km, not before the customer window.
func (m Matcher) arrival(depart time.Time, km float64, job JobSpec) time.Time {
	a := depart.Add(m.travel(km))
	if !job.WindowStart.IsZero() && a.Before(job.WindowStart) {
		a = job.WindowStart
	}
	return a
}

// Sort orders candidates best first: parts readiness (van, collect on the way, without), then
// score (higher first; it includes the routing bonus), then distance, then id for a stable order.
func Sort(cs []Candidate) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := &cs[i], &cs[j] // not copies: a candidate is a dozen words
		if a.Parts.tier() != b.Parts.tier() {
			return a.Parts.tier() < b.Parts.tier()
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.DistanceKm != b.DistanceKm {
			return a.DistanceKm < b.DistanceKm
		}
		return a.TechnicianID < b.TechnicianID
	})
}

// Explain fills c.Reasons with the human-readable reasons for its place.
func Explain(c *Candidate) {
	r := make([]string, 0, 5)
	if !c.QualifiedUntil.IsZero() {
		r = append(r, "qualified until "+c.QualifiedUntil.UTC().Format(time.DateOnly))
	}
	switch c.Parts {
	case ReadinessOnVan:
		r = append(r, "van holds the likely parts")
	case ReadinessCollect:
		r = append(r, "collects the likely parts at "+c.CollectLocationID+" on the way")
	case ReadinessWithout:
		r = append(r, "would arrive without the likely parts")
	}
	if c.Routed {
		r = append(r, "organisation matches the job's difficulty")
	}
	if p := c.Planned; p != nil {
		r = append(r, fmt.Sprintf("planned day: +%s driving as visit %d of %d", p.ExtraTravel.Round(time.Minute), p.Position+1, p.Of+1))
	}
	r = append(r,
		fmt.Sprintf("distance %.1f km, arrives %s, slack %s", c.DistanceKm, c.Arrival.UTC().Format(time.RFC3339), c.Slack.Round(time.Minute)),
		fmt.Sprintf("load %d open jobs, score %.3f", c.Load, c.Score))
	c.Reasons = r
}
