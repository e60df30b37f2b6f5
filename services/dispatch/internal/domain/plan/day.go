package plan

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

// Day is one day to plan for a set of technicians.
type Day struct {
	Technicians []Tech
	Jobs        []DayJob
	// ServiceByKind is how long a visit of each job kind takes; a job's own Service wins, and
	// a kind missing here takes DefaultService.
	ServiceByKind  map[string]time.Duration
	DefaultService time.Duration
}

// Tech is one technician's day: the route's vehicle.
type Tech struct {
	ID string
	// Start and End are where the day starts and ends (home base, or where the technician is
	// now when re-planning).
	Start, End domain.Point
	// From and Until are the working hours (From is now when re-planning a started day).
	From, Until time.Time
	Level       domain.Level
	// Skills maps a product line to its skills (domain.Technician.Skills).
	Skills map[string]map[string]bool
	// Capacity is how many jobs the technician takes in the day; 0 means no limit.
	Capacity int
	// Taken is how many of the day's jobs already occupy the technician outside this plan
	// (members of a team another technician leads, domain.Crew); they count toward Capacity.
	Taken int
	// Van lists the parts on the technician's van.
	Van map[string]bool
	// Depot is the stock location where missing parts are collected, if any; the collection
	// takes DepotStop.
	Depot     *domain.Point
	DepotStop time.Duration
	// DepotParts lists the parts the depot holds; nil means it holds every part.
	DepotParts map[string]bool
}

// collects reports whether the technician can collect every part of job j at their depot.
func (t *Tech) collects(j *DayJob) bool {
	return t.Depot != nil && (t.DepotParts == nil || hasAll(t.DepotParts, j.Parts))
}

// DayJob is one visit to plan.
type DayJob struct {
	ID          string
	Location    domain.Point
	ProductLine string
	Skills      []string
	Level       domain.Level
	// Kind selects the service duration (Day.ServiceByKind) unless Service is set.
	Kind    string
	Service time.Duration
	// WindowStart and WindowEnd bound the arrival the customer accepts (zero: any time of the
	// technician's working hours).
	WindowStart, WindowEnd time.Time
	// Deadline is a target (on site within 24 h, ...): a visit starting later is a late
	// arrival, which the plan minimises first. Zero means none.
	Deadline time.Time
	// Priority ranks jobs when not all fit: higher is more urgent and is left out last.
	Priority int
	// Parts are needed on site: on the van, or collected at the technician's depot first.
	Parts []string
	// Appointment fixes the visit to a technician and start: it never moves.
	Appointment *Appointment
}

// Appointment is a visit agreed with the customer.
type Appointment struct {
	TechnicianID string
	Start        time.Time
}

// Reason says why a job is left out of the plan.
type Reason string

// The reasons a job is left out.
const (
	// ReasonNoSkill: no technician of the day has the product line's skills and level.
	ReasonNoSkill Reason = "NO_SKILL"
	// ReasonNoParts: no skilled technician has the parts on the van or a depot to collect them.
	ReasonNoParts Reason = "NO_PARTS"
	// ReasonOutsideHours: no skilled technician can reach the customer inside the window and
	// be back before their working hours end, even with nothing else to do.
	ReasonOutsideHours Reason = "OUTSIDE_HOURS"
	// ReasonDayFull: the job fits a technician's day alone but not with the rest of the plan
	// (capacity or time taken by more urgent or fixed visits).
	ReasonDayFull Reason = "DAY_FULL"
	// ReasonAppointmentConflict: the fixed appointment's technician is not planned today, or
	// cannot keep it with their other fixed appointments.
	ReasonAppointmentConflict Reason = "APPOINTMENT_CONFLICT"
)

// DayPlan is the plan for a day.
type DayPlan struct {
	Routes []TechRoute
	// LeftOut lists the jobs not planned, with the reason.
	LeftOut []LeftOut
	// Late counts the visits starting after their deadline.
	Late int
	// Travel is the total driving time, Km the total distance.
	Travel     time.Duration
	Km         float64
	Iterations int
}

// TechRoute is one technician's ordered day.
type TechRoute struct {
	TechnicianID string
	// DepotArrival is set when the day starts with collecting parts at the depot.
	DepotArrival *time.Time
	Visits       []PlannedVisit
	// Departure is when the technician sets off; Return when back at End.
	Departure, Return time.Time
	Travel            time.Duration
	Km                float64
}

// PlannedVisit is one visit on a route.
type PlannedVisit struct {
	JobID string
	// TravelBefore is the drive from the previous stop.
	TravelBefore time.Duration
	// Arrival is the ETA; Start when work starts (after waiting for the window); End when
	// the technician leaves.
	Arrival, Start, End time.Time
	// Slack is how much later the work could start without breaking this visit's window, a
	// later one's or the end of the working hours.
	Slack time.Duration
	// Late reports a start after the job's deadline.
	Late bool
	// Fixed reports a fixed appointment.
	Fixed bool
}

// LeftOut is a job the plan leaves out.
type LeftOut struct {
	JobID  string
	Reason Reason
}

// PlanDay plans the day within opts' budget: fewest late arrivals, then least driving time,
// then fewest technicians. Fixed appointments keep their technician and start. It fails only
// on bad input (an error wrapping domain.ErrInvalid) or a Travel error.
func PlanDay(ctx context.Context, day Day, travel Travel, opts Options) (DayPlan, error) {
	b, err := buildDay(day, travel)
	if err != nil {
		return DayPlan{}, err
	}
	var plan DayPlan
	var sol Solution
	if len(b.model.Jobs) > 0 {
		sol, err = Solve(ctx, b.model, opts)
		if err != nil {
			return DayPlan{}, fmt.Errorf("plan day: %w", err)
		}
	} else {
		sol = Solution{}
		for v := range day.Technicians {
			sol.Routes = append(sol.Routes, Route{Vehicle: v, Departure: b.model.Vehicles[v].Open})
		}
	}
	plan.Iterations = sol.Iterations
	at := func(sec float64) time.Time { return b.origin.Add(time.Duration(sec * float64(time.Second))) }
	for _, r := range sol.Routes {
		tech := &day.Technicians[r.Vehicle]
		tr := TechRoute{TechnicianID: tech.ID, Departure: at(r.Departure), Return: at(r.Return)}
		prev := tech.Start
		if r.Depot {
			t := at(r.DepotArrival)
			tr.DepotArrival = &t
			l := b.leg(tech.Start, *tech.Depot)
			tr.Km += l.Km
			tr.Travel += l.Duration
			prev = *tech.Depot
		}
		for _, v := range r.Visits {
			job := &day.Jobs[b.jobIndex[v.Job]]
			l := b.leg(prev, job.Location)
			tr.Km += l.Km
			tr.Travel += l.Duration
			tr.Visits = append(tr.Visits, PlannedVisit{JobID: job.ID, TravelBefore: l.Duration,
				Arrival: at(v.Arrival), Start: at(v.Start), End: at(v.End),
				Slack: time.Duration(v.Slack * float64(time.Second)).Round(time.Second),
				Late:  v.Late, Fixed: job.Appointment != nil})
			prev = job.Location
		}
		if len(r.Visits) > 0 {
			l := b.leg(prev, tech.End)
			tr.Km += l.Km
			tr.Travel += l.Duration
		} else {
			tr.Return = tr.Departure
		}
		plan.Travel += tr.Travel
		plan.Km += tr.Km
		plan.Routes = append(plan.Routes, tr)
	}
	plan.Late = sol.Late
	for _, mj := range sol.Unassigned {
		j := b.jobIndex[mj]
		plan.LeftOut = append(plan.LeftOut, LeftOut{JobID: day.Jobs[j].ID, Reason: b.reason(j)})
	}
	plan.LeftOut = append(plan.LeftOut, b.excluded...)
	sort.Slice(plan.LeftOut, func(i, k int) bool { return plan.LeftOut[i].JobID < plan.LeftOut[k].JobID })
	return plan, nil
}

// built is a Day turned into a Model.
type built struct {
	day      *Day
	model    *Model
	origin   time.Time
	jobIndex []int // model job → day job
	excluded []LeftOut
	legs     map[[2]domain.Point]Leg
	// skilled[j] lists the technicians with the skills and level for day job j.
	skilled [][]int
	parts   [][]int // of those, the ones who have or can collect the parts
}

func (b *built) leg(a, c domain.Point) Leg { return b.legs[[2]domain.Point{a, c}] }

func buildDay(day Day, travel Travel) (*built, error) {
	if len(day.Technicians) == 0 {
		return nil, domain.Invalidf("technicians: at least one is needed")
	}
	b := &built{day: &day, legs: map[[2]domain.Point]Leg{}}
	badPoint := func(p domain.Point) bool {
		return !(p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180)
	}
	seen := map[string]bool{}
	techByID := map[string]int{}
	for i, t := range day.Technicians {
		if t.ID == "" || seen[t.ID] {
			return nil, domain.Invalidf("technicians[%d].id: empty or repeated", i)
		}
		seen[t.ID] = true
		techByID[t.ID] = i
		if badPoint(t.Start) || badPoint(t.End) || (t.Depot != nil && badPoint(*t.Depot)) {
			return nil, domain.Invalidf("technicians[%d]: a point is outside latitude ±90, longitude ±180", i)
		}
		if !t.Until.After(t.From) {
			return nil, domain.Invalidf("technicians[%d]: working hours end before they start", i)
		}
		if t.Depot != nil && t.DepotStop < 0 {
			return nil, domain.Invalidf("technicians[%d].depot_stop: negative", i)
		}
		if i == 0 || t.From.Before(b.origin) {
			b.origin = t.From
		}
	}
	seen = map[string]bool{}
	for i, j := range day.Jobs {
		if j.ID == "" || seen[j.ID] {
			return nil, domain.Invalidf("jobs[%d].id: empty or repeated", i)
		}
		seen[j.ID] = true
		if !j.WindowStart.IsZero() && !j.WindowEnd.IsZero() && j.WindowEnd.Before(j.WindowStart) {
			return nil, domain.Invalidf("jobs[%d].window: ends before it starts", i)
		}
		if badPoint(j.Location) {
			return nil, domain.Invalidf("jobs[%d].location: outside latitude ±90, longitude ±180", i)
		}
		if j.Service < 0 {
			return nil, domain.Invalidf("jobs[%d].service: negative", i)
		}
	}
	sec := func(t time.Time) float64 { return t.Sub(b.origin).Seconds() }

	// Points: every technician's start, end and depot, every job's location.
	var pts []domain.Point
	idx := map[domain.Point]int{}
	point := func(p domain.Point) int {
		if i, ok := idx[p]; ok {
			return i
		}
		idx[p] = len(pts)
		pts = append(pts, p)
		return len(pts) - 1
	}
	m := &Model{LateWeight: defaultLate}
	for _, t := range day.Technicians {
		v := Vehicle{Start: point(t.Start), End: point(t.End), Open: sec(t.From), Close: sec(t.Until),
			Capacity: t.Capacity, FixedCost: 1e-3, Depot: -1}
		if v.Capacity <= 0 {
			v.Capacity = math.MaxInt32
		} else {
			v.Capacity = max(0, v.Capacity-t.Taken)
		}
		if t.Depot != nil {
			v.Depot = point(*t.Depot)
			v.DepotService = t.DepotStop.Seconds()
		}
		m.Vehicles = append(m.Vehicles, v)
	}
	b.skilled = make([][]int, len(day.Jobs))
	b.parts = make([][]int, len(day.Jobs))
	for i := range day.Jobs {
		j := &day.Jobs[i]
		var pickup []int
		for v, t := range day.Technicians {
			if !t.Level.Covers(j.Level) {
				continue
			}
			tech := domain.Technician{Skills: t.Skills}
			if !tech.HasSkills(j.ProductLine, j.Skills) {
				continue
			}
			b.skilled[i] = append(b.skilled[i], v)
			if hasAll(t.Van, j.Parts) {
				b.parts[i] = append(b.parts[i], v)
			} else if t.collects(j) {
				b.parts[i] = append(b.parts[i], v)
				pickup = append(pickup, v)
			}
		}
		service := j.Service
		if service == 0 {
			var ok bool
			if service, ok = day.ServiceByKind[j.Kind]; !ok {
				service = day.DefaultService
			}
		}
		mj := Job{Node: point(j.Location), Demand: 1, Service: service.Seconds(),
			Open: math.Inf(-1), Close: math.Inf(1), Due: NoDue,
			Penalty: defaultPenalty * float64(1+max(0, j.Priority))}
		if !j.WindowStart.IsZero() {
			mj.Open = sec(j.WindowStart)
		}
		if !j.WindowEnd.IsZero() {
			mj.Close = sec(j.WindowEnd)
		}
		if !j.Deadline.IsZero() {
			mj.Due = sec(j.Deadline)
		}
		switch {
		case j.Appointment != nil:
			v, ok := techByID[j.Appointment.TechnicianID]
			if !ok {
				b.excluded = append(b.excluded, LeftOut{JobID: j.ID, Reason: ReasonAppointmentConflict})
				continue
			}
			st := sec(j.Appointment.Start)
			mj.Open, mj.Close, mj.Pinned, mj.Allowed = st, st, true, []int{v}
			if !hasAll(day.Technicians[v].Van, j.Parts) && day.Technicians[v].collects(j) {
				mj.Pickup = []int{v}
			}
		case len(b.skilled[i]) == 0:
			b.excluded = append(b.excluded, LeftOut{JobID: j.ID, Reason: ReasonNoSkill})
			continue
		case len(b.parts[i]) == 0:
			b.excluded = append(b.excluded, LeftOut{JobID: j.ID, Reason: ReasonNoParts})
			continue
		default:
			mj.Allowed, mj.Pickup = b.parts[i], pickup
		}
		if mj.Close < mj.Open {
			mj.Close = mj.Open
		}
		// An open window is bounded by the day, so the model stays finite.
		lo, hi := m.Vehicles[0].Open, m.Vehicles[0].Close
		for _, v := range m.Vehicles {
			lo, hi = math.Min(lo, v.Open), math.Max(hi, v.Close)
		}
		mj.Open = math.Max(mj.Open, lo)
		mj.Close = math.Min(mj.Close, hi)
		if mj.Close < mj.Open {
			r := ReasonOutsideHours
			if mj.Pinned {
				r = ReasonAppointmentConflict
			}
			b.excluded = append(b.excluded, LeftOut{JobID: j.ID, Reason: r})
			continue
		}
		b.jobIndex = append(b.jobIndex, i)
		m.Jobs = append(m.Jobs, mj)
	}
	n := len(pts)
	m.Nodes = n
	m.Cost = make([]float64, n*n)
	m.Time = m.Cost
	for a, pa := range pts {
		for c, pc := range pts {
			if a == c {
				b.legs[[2]domain.Point{pa, pc}] = Leg{}
				continue
			}
			l, err := travel.Leg(pa, pc)
			if err != nil {
				return nil, fmt.Errorf("travel: %w", err)
			}
			b.legs[[2]domain.Point{pa, pc}] = l
			m.Cost[a*n+c] = l.Duration.Seconds()
		}
	}
	b.model = m
	return b, nil
}

func hasAll(van map[string]bool, parts []string) bool {
	for _, p := range parts {
		if !van[p] {
			return false
		}
	}
	return true
}

// reason explains why day job j, left out by the solver, did not fit.
func (b *built) reason(j int) Reason {
	job := &b.day.Jobs[j]
	if job.Appointment != nil {
		return ReasonAppointmentConflict
	}
	// Does it fit some allowed technician's day alone?
	var mj *Job
	for k, dj := range b.jobIndex {
		if dj == j {
			mj = &b.model.Jobs[k]
		}
	}
	n := b.model.Nodes
	for _, v := range mj.Allowed {
		veh := &b.model.Vehicles[v]
		now, prev := veh.Open, veh.Start
		for _, p := range mj.Pickup {
			if p == v {
				now += b.model.Time[prev*n+veh.Depot] + veh.DepotService
				prev = veh.Depot
			}
		}
		now = math.Max(now+b.model.Time[prev*n+mj.Node], mj.Open)
		if now <= mj.Close && now+mj.Service+b.model.Time[mj.Node*n+veh.End] <= veh.Close {
			return ReasonDayFull
		}
	}
	return ReasonOutsideHours
}
