package plan

import (
	"context"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

// The tests plan a day in Shanghai. The date is arbitrary: nothing here reads the wall clock.
var (
	day0  = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	base  = domain.Point{Lat: 31.2304, Lon: 121.4737}
	road  = StraightLine{RoadFactor: 1.3, SpeedKmh: 30}
	fixed = func() time.Time { return day0 } // a clock that never moves: iterations decide
)

func at(h, m int) time.Time {
	return day0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// east returns a point km kilometres east of base.
func east(km float64) domain.Point { return domain.Point{Lat: base.Lat, Lon: base.Lon + km/95.0} }

func tech(id string, p domain.Point) Tech {
	return Tech{ID: id, Start: p, End: p, From: at(8, 0), Until: at(17, 0), Level: domain.LevelRoutine,
		Skills: map[string]map[string]bool{"ac": {"install": true}}, Van: map[string]bool{}}
}

func job(id string, p domain.Point) DayJob {
	return DayJob{ID: id, Location: p, ProductLine: "ac", Skills: []string{"install"}, Kind: "repair"}
}

func planOf(t *testing.T, d Day) DayPlan {
	t.Helper()
	if d.ServiceByKind == nil {
		d.ServiceByKind = map[string]time.Duration{"repair": time.Hour, "install": 2 * time.Hour}
	}
	p, err := PlanDay(context.Background(), d, road, Options{Seed: 1, MaxIterations: 3000, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// visit finds a job in the plan: the technician and the visit, or "" when left out.
func visit(p DayPlan, jobID string) (string, PlannedVisit) {
	for _, r := range p.Routes {
		for _, v := range r.Visits {
			if v.JobID == jobID {
				return r.TechnicianID, v
			}
		}
	}
	return "", PlannedVisit{}
}

func reasonOf(p DayPlan, jobID string) Reason {
	for _, l := range p.LeftOut {
		if l.JobID == jobID {
			return l.Reason
		}
	}
	return ""
}

func TestPlanDayFieldConstraints(t *testing.T) {
	expert := tech("t-expert", east(20))
	expert.Level = domain.LevelExpert
	expert.Skills = map[string]map[string]bool{"ac": {"install": true, "compressor": true}}
	withPart := tech("t-part", east(25))
	withPart.Van = map[string]bool{"pcb-7": true}
	withDepot := tech("t-depot", east(1))
	withDepot.Depot = &domain.Point{Lat: base.Lat + 0.05, Lon: base.Lon}
	withDepot.DepotStop = 15 * time.Minute

	tests := []struct {
		name  string
		techs []Tech
		jobs  []DayJob
		check func(t *testing.T, p DayPlan)
	}{{
		name:  "an appointment never moves, even when another technician is nearer",
		techs: []Tech{tech("t-near", east(1)), tech("t-far", east(30))},
		jobs: func() []DayJob {
			a := job("appt", east(2))
			a.Appointment = &Appointment{TechnicianID: "t-far", Start: at(10, 30)}
			return []DayJob{a, job("j1", east(3)), job("j2", east(4))}
		}(),
		check: func(t *testing.T, p DayPlan) {
			who, v := visit(p, "appt")
			if who != "t-far" || !v.Start.Equal(at(10, 30)) || !v.Fixed {
				t.Fatalf("appointment on %q at %v (fixed %v), want t-far at 10:30", who, v.Start, v.Fixed)
			}
		},
	}, {
		name: "a member of another's team that day has only what is left of their capacity",
		techs: func() []Tech {
			member := tech("t-member", east(1)) // on a team job for one of its three
			member.Capacity, member.Taken = 3, 2
			full := tech("t-full", east(2.1)) // nearest, but on team jobs all day
			full.Capacity, full.Taken = 2, 2
			far := tech("t-far", east(4))
			far.Capacity = 2
			return []Tech{member, full, far}
		}(),
		jobs: []DayJob{job("j1", east(2)), job("j2", east(2.2)), job("j3", east(2.4))},
		check: func(t *testing.T, p DayPlan) {
			n := map[string]int{}
			for _, id := range []string{"j1", "j2", "j3"} {
				who, _ := visit(p, id)
				n[who]++
			}
			if n["t-member"] != 1 || n["t-full"] != 0 || n["t-far"] != 2 {
				t.Fatalf("jobs per technician = %v, want t-member 1 (capacity 3, 2 taken), t-full none (2 of 2 taken), t-far 2", n)
			}
		},
	}, {
		name:  "a missing skill leaves the job out; a rare skill goes to the one who has it",
		techs: []Tech{tech("t-near", east(1)), expert},
		jobs: func() []DayJob {
			comp := job("compressor", east(1))
			comp.Skills = []string{"compressor"}
			comp.Level = domain.LevelExpert
			gas := job("gas", east(1))
			gas.ProductLine = "boiler"
			return []DayJob{comp, gas}
		}(),
		check: func(t *testing.T, p DayPlan) {
			if who, _ := visit(p, "compressor"); who != "t-expert" {
				t.Fatalf("compressor job on %q, want t-expert", who)
			}
			if r := reasonOf(p, "gas"); r != ReasonNoSkill {
				t.Fatalf("gas job: reason %q, want %s", r, ReasonNoSkill)
			}
		},
	}, {
		name:  "a part not on the nearer van goes to the van that has it",
		techs: []Tech{tech("t-near", east(1)), withPart},
		jobs: func() []DayJob {
			j := job("pcb", east(2))
			j.Parts = []string{"pcb-7"}
			return []DayJob{j}
		}(),
		check: func(t *testing.T, p DayPlan) {
			if who, _ := visit(p, "pcb"); who != "t-part" {
				t.Fatalf("pcb job on %q, want t-part", who)
			}
		},
	}, {
		name:  "a part on no van: a depot stop first",
		techs: []Tech{tech("t-near", east(1)), withDepot},
		jobs: func() []DayJob {
			j := job("pcb", east(2))
			j.Parts = []string{"pcb-7"}
			return []DayJob{j, job("plain", east(2.5))}
		}(),
		check: func(t *testing.T, p DayPlan) {
			who, v := visit(p, "pcb")
			if who != "t-depot" {
				t.Fatalf("pcb job on %q, want t-depot", who)
			}
			for _, r := range p.Routes {
				if r.TechnicianID == "t-depot" {
					if r.DepotArrival == nil || !r.DepotArrival.Add(15*time.Minute).Before(v.Arrival) {
						t.Fatalf("depot stop %v, visit arrival %v: want the depot first", r.DepotArrival, v.Arrival)
					}
				}
			}
		},
	}, {
		name: "a depot that does not hold the part is no help: the van that has it, far away, takes the job",
		techs: func() []Tech {
			d := withDepot
			d.DepotParts = map[string]bool{"filter-2": true}
			return []Tech{d, withPart}
		}(),
		jobs: func() []DayJob {
			pcb := job("pcb", east(2))
			pcb.Parts = []string{"pcb-7"}
			filter := job("filter", east(2))
			filter.Parts = []string{"filter-2"}
			return []DayJob{pcb, filter}
		}(),
		check: func(t *testing.T, p DayPlan) {
			if who, _ := visit(p, "pcb"); who != "t-part" {
				t.Fatalf("pcb job on %q, want t-part (the only van with it; t-depot's depot has no pcb-7)", who)
			}
			if who, _ := visit(p, "filter"); who != "t-depot" {
				t.Fatalf("filter job on %q, want t-depot (collects it at its depot)", who)
			}
		},
	}, {
		name:  "a part on no van and no depot: left out",
		techs: []Tech{tech("t-near", east(1))},
		jobs: func() []DayJob {
			j := job("pcb", east(2))
			j.Parts = []string{"pcb-7"}
			return []DayJob{j}
		}(),
		check: func(t *testing.T, p DayPlan) {
			if r := reasonOf(p, "pcb"); r != ReasonNoParts {
				t.Fatalf("reason %q, want %s", r, ReasonNoParts)
			}
		},
	}, {
		name:  "working hours end: the evening job and the too-long job are left out with the reason",
		techs: []Tech{tech("t-near", east(1))},
		jobs: func() []DayJob {
			eve := job("evening", east(2))
			eve.WindowStart, eve.WindowEnd = at(18, 0), at(20, 0)
			late := job("late-long", east(2))
			late.WindowStart, late.WindowEnd = at(15, 0), at(16, 0)
			late.Service = 3 * time.Hour
			return []DayJob{eve, late, job("ok", east(3))}
		}(),
		check: func(t *testing.T, p DayPlan) {
			for _, id := range []string{"evening", "late-long"} {
				if r := reasonOf(p, id); r != ReasonOutsideHours {
					t.Fatalf("%s: reason %q, want %s", id, r, ReasonOutsideHours)
				}
			}
			if who, _ := visit(p, "ok"); who == "" {
				t.Fatal("the job inside the hours is left out")
			}
		},
	}, {
		name: "a full day keeps the urgent job and leaves the other out",
		techs: func() []Tech {
			x := tech("t-near", east(1))
			x.Capacity = 1
			return []Tech{x}
		}(),
		jobs: func() []DayJob {
			u := job("urgent", east(8))
			u.Priority = 2
			return []DayJob{job("normal", east(2)), u}
		}(),
		check: func(t *testing.T, p DayPlan) {
			if who, _ := visit(p, "urgent"); who != "t-near" {
				t.Fatalf("urgent job on %q", who)
			}
			if r := reasonOf(p, "normal"); r != ReasonDayFull {
				t.Fatalf("normal job: reason %q, want %s", r, ReasonDayFull)
			}
		},
	}, {
		name:  "a deadline is met before shorter driving: the urgent visit goes first",
		techs: []Tech{tech("t-near", base)},
		jobs: func() []DayJob {
			// Driving near → far costs less than far → near → far, but the far job is due at 9:30.
			u := job("due", east(12))
			u.Deadline = at(9, 30)
			return []DayJob{job("near", east(3)), u}
		}(),
		check: func(t *testing.T, p DayPlan) {
			if p.Late != 0 {
				t.Fatalf("%d late arrivals", p.Late)
			}
			_, v := visit(p, "due")
			if v.Start.After(at(9, 30)) || v.Late {
				t.Fatalf("due job starts %v", v.Start)
			}
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := planOf(t, Day{Technicians: tc.techs, Jobs: tc.jobs})
			tc.check(t, p)
			checkPlan(t, Day{Technicians: tc.techs, Jobs: tc.jobs}, p)
		})
	}
}

// checkPlan checks what every plan must hold: each job once (planned or left out), visits
// inside windows and working hours, appointments at their time, times in order.
func checkPlan(t *testing.T, d Day, p DayPlan) {
	t.Helper()
	seen := map[string]int{}
	jobs := map[string]DayJob{}
	for _, j := range d.Jobs {
		jobs[j.ID] = j
	}
	techs := map[string]Tech{}
	for _, x := range d.Technicians {
		techs[x.ID] = x
	}
	for _, r := range p.Routes {
		x := techs[r.TechnicianID]
		if x.Capacity > 0 && len(r.Visits) > x.Capacity {
			t.Errorf("%s: %d visits over capacity %d", x.ID, len(r.Visits), x.Capacity)
		}
		prev := r.Departure
		if r.Departure.Before(x.From) || r.Return.After(x.Until) {
			t.Errorf("%s: day %v–%v outside hours %v–%v", x.ID, r.Departure, r.Return, x.From, x.Until)
		}
		for _, v := range r.Visits {
			seen[v.JobID]++
			j := jobs[v.JobID]
			if v.Arrival.Before(prev) || v.Start.Before(v.Arrival) || v.End.Before(v.Start) {
				t.Errorf("%s: times out of order", v.JobID)
			}
			if !j.WindowStart.IsZero() && v.Start.Before(j.WindowStart) || !j.WindowEnd.IsZero() && v.Start.After(j.WindowEnd) {
				t.Errorf("%s: starts %v outside %v–%v", v.JobID, v.Start, j.WindowStart, j.WindowEnd)
			}
			if a := j.Appointment; a != nil && (a.TechnicianID != x.ID || !a.Start.Equal(v.Start)) {
				t.Errorf("%s: appointment moved to %s %v", v.JobID, x.ID, v.Start)
			}
			prev = v.End
		}
	}
	for _, l := range p.LeftOut {
		seen[l.JobID]++
	}
	for id := range jobs {
		if seen[id] != 1 {
			t.Errorf("job %s appears %d times", id, seen[id])
		}
	}
}

func TestReplanKeepsCommittedAppointments(t *testing.T) {
	techs := []Tech{tech("t1", east(1)), tech("t2", east(10)), tech("t3", east(20))}
	var jobs []DayJob
	for i := 0; i < 12; i++ {
		j := job("j"+string(rune('a'+i)), east(float64(2*i)))
		j.WindowStart, j.WindowEnd = at(8, 0), at(16, 0)
		jobs = append(jobs, j)
	}
	first := planOf(t, Day{Technicians: techs, Jobs: jobs})
	checkPlan(t, Day{Technicians: techs, Jobs: jobs}, first)
	if len(first.LeftOut) != 0 {
		t.Fatalf("left out: %v", first.LeftOut)
	}
	// Commit each technician's first two visits as appointments.
	committed := map[string]Appointment{}
	for _, r := range first.Routes {
		for k, v := range r.Visits {
			if k < 2 {
				committed[v.JobID] = Appointment{TechnicianID: r.TechnicianID, Start: v.Start}
			}
		}
	}
	for i := range jobs {
		if a, ok := committed[jobs[i].ID]; ok {
			jobs[i].Appointment = &a
		}
	}
	// An urgent job arrives, due by 11:00, next to the first technician's base.
	u := job("urgent", east(1.5))
	u.Priority, u.Deadline = 1, at(11, 0)
	jobs = append(jobs, u)
	again := planOf(t, Day{Technicians: techs, Jobs: jobs})
	checkPlan(t, Day{Technicians: techs, Jobs: jobs}, again)
	for id, a := range committed {
		who, v := visit(again, id)
		if who != a.TechnicianID || !v.Start.Equal(a.Start) {
			t.Fatalf("committed %s moved from %s %v to %q %v", id, a.TechnicianID, a.Start, who, v.Start)
		}
	}
	who, v := visit(again, "urgent")
	if who == "" || v.Late {
		t.Fatalf("urgent job on %q, late %v; left out %v", who, v.Late, again.LeftOut)
	}
}

func TestPlanDayIsDeterministic(t *testing.T) {
	techs := []Tech{tech("t1", east(1)), tech("t2", east(15))}
	var jobs []DayJob
	for i := 0; i < 10; i++ {
		jobs = append(jobs, job("j"+string(rune('a'+i)), east(float64(3*i))))
	}
	a := planOf(t, Day{Technicians: techs, Jobs: jobs})
	b := planOf(t, Day{Technicians: techs, Jobs: jobs})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed and iterations differ")
	}
}

func TestPlanDayBadInput(t *testing.T) {
	x := tech("t1", base)
	x.Until = x.From
	for name, d := range map[string]Day{
		"no technicians":  {},
		"hours reversed":  {Technicians: []Tech{x}},
		"repeated job id": {Technicians: []Tech{tech("t1", base)}, Jobs: []DayJob{job("a", base), job("a", base)}},
		"NaN location":    {Technicians: []Tech{tech("t1", base)}, Jobs: []DayJob{job("a", domain.Point{Lat: math.NaN()})}},
		"latitude 91":     {Technicians: []Tech{tech("t1", domain.Point{Lat: 91})}},
	} {
		if _, err := PlanDay(context.Background(), d, road, Options{MaxIterations: 10}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
}

func TestMatrixFile(t *testing.T) {
	data, err := os.ReadFile("testdata/osrm-table.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseOSRMTable(data)
	if err != nil {
		t.Fatal(err)
	}
	// The requested points are a few metres from the snapped locations in the file.
	depot := domain.Point{Lat: 31.23040, Lon: 121.47370}
	a := domain.Point{Lat: 31.22400, Lon: 121.52400}
	b := domain.Point{Lat: 31.19800, Lon: 121.44000}
	c := domain.Point{Lat: 31.26000, Lon: 121.50000}
	l, err := m.Leg(depot, b)
	if err != nil {
		t.Fatal(err)
	}
	if l.Duration != 1032300*time.Millisecond || l.Km != 6.9234 {
		t.Fatalf("depot → b: %v %.4f km, want the recorded 1032.3 s, 6.9234 km", l.Duration, l.Km)
	}
	if _, err := m.Leg(depot, domain.Point{Lat: 30, Lon: 120}); !errors.Is(err, ErrUnknownPoint) {
		t.Fatalf("unknown point: %v", err)
	}
	x := tech("t1", depot)
	p, err := PlanDay(context.Background(), Day{Technicians: []Tech{x},
		Jobs: []DayJob{job("a", a), job("b", b), job("c", c)}, DefaultService: 30 * time.Minute},
		m, Options{Seed: 1, MaxIterations: 500, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	var want time.Duration
	prev := depot
	r := p.Routes[0]
	for _, v := range r.Visits {
		pt := map[string]domain.Point{"a": a, "b": b, "c": c}[v.JobID]
		leg, _ := m.Leg(prev, pt)
		if v.TravelBefore != leg.Duration {
			t.Fatalf("%s: travel %v, matrix says %v", v.JobID, v.TravelBefore, leg.Duration)
		}
		want += leg.Duration
		prev = pt
	}
	back, _ := m.Leg(prev, depot)
	if want+back.Duration != r.Travel || len(r.Visits) != 3 {
		t.Fatalf("route travel %v over %d visits, matrix sum %v", r.Travel, len(r.Visits), want+back.Duration)
	}
}
