package domain

import (
	"math"
	"testing"
	"time"
)

// manhattan is a fake distance: 100 km per degree of latitude or longitude, added up, so
// that test distances are round numbers.
type manhattan struct{}

func (manhattan) RoadKm(a, b Point) float64 {
	return math.Round((math.Abs(a.Lat-b.Lat)+math.Abs(a.Lon-b.Lon))*100*1000) / 1000
}

// monday10 is Monday 2026-11-23 10:00 UTC.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func weekdays8to18(t *testing.T, daysOff ...Day) Calendar {
	t.Helper()
	var hs []WeeklyHours
	for d := 1; d <= 5; d++ {
		hs = append(hs, WeeklyHours{Weekday: d, StartMin: 8 * 60, EndMin: 18 * 60})
	}
	c, err := NewCalendar("", hs, daysOff)
	if err != nil {
		t.Fatalf("NewCalendar: %v", err)
	}
	return c
}

func tech(t *testing.T, id string, lat float64) Technician {
	return Technician{
		ID: id, OrganisationID: "org-1", Kind: OrgServiceStation, Level: LevelRoutine,
		Skills:   map[string]map[string]bool{"diesel-engine": {"fuel-system": true, "install": true}},
		Base:     Point{Lat: lat},
		RadiusKm: 100, Calendar: weekdays8to18(t), CapacityPerDay: 4, Active: true,
	}
}

func baseJob() JobSpec {
	return JobSpec{ProductLine: "diesel-engine", Skills: []string{"fuel-system"}, Level: LevelRoutine}
}

func TestEvaluateMatching(t *testing.T) {
	m := Matcher{Policy: matchingPolicy(), Distance: manhattan{}}
	saturday10 := monday10.Add(5 * 24 * time.Hour)
	tests := []struct {
		name string
		tech func(*Technician)
		job  func(*JobSpec)
		load int // open jobs on Monday
		// tomorrow is the open jobs on Tuesday.
		tomorrow int
		now      time.Time
		reason   string // "" means a candidate
	}{
		{name: "matches", now: monday10},
		{name: "inactive", tech: func(x *Technician) { x.Active = false }, now: monday10, reason: ReasonInactive},
		// skills
		{name: "other product line", job: func(j *JobSpec) { j.ProductLine = "led-screen" }, now: monday10, reason: ReasonSkills},
		{name: "missing skill", job: func(j *JobSpec) { j.Skills = []string{"fuel-system", "turbo"} }, now: monday10, reason: ReasonSkills},
		{name: "no skill required", job: func(j *JobSpec) { j.Skills = nil }, now: monday10},
		{name: "all skills", job: func(j *JobSpec) { j.Skills = []string{"fuel-system", "install"} }, now: monday10},
		// level
		{name: "routine tech, expert job", job: func(j *JobSpec) { j.Level = LevelExpert }, now: monday10, reason: ReasonLevel},
		{name: "expert tech, expert job", tech: func(x *Technician) { x.Level = LevelExpert }, job: func(j *JobSpec) { j.Level = LevelExpert }, now: monday10},
		{name: "expert tech, routine job", tech: func(x *Technician) { x.Level = LevelExpert }, now: monday10},
		{name: "routine tech, unspecified level", job: func(j *JobSpec) { j.Level = LevelUnspecified }, now: monday10},
		// capacity
		{name: "load one below capacity", load: 3, now: monday10},
		{name: "load at capacity", load: 4, now: monday10, reason: ReasonCapacity},
		{name: "full tomorrow, arriving today", tomorrow: 4, now: monday10},
		{name: "full today, arriving tomorrow (evening job)", load: 4, now: monday10.Add(9 * time.Hour)},
		{name: "full tomorrow, arriving tomorrow", tomorrow: 4, now: monday10.Add(9 * time.Hour), reason: ReasonCapacity},
		// radius (site at 0,0; the base's latitude is the distance in units of 100 km)
		{name: "radius exactly", tech: func(x *Technician) { x.Base.Lat = 1.0 }, now: monday10},
		{name: "radius plus 1 km", tech: func(x *Technician) { x.Base.Lat = 1.01 }, now: monday10, reason: ReasonRadius},
		{name: "default radius when none", tech: func(x *Technician) { x.RadiusKm = 0; x.Base.Lat = 1.0 }, now: monday10},
		{name: "larger radius", tech: func(x *Technician) { x.RadiusKm = 300; x.Base.Lat = 2.5 }, now: monday10},
		// calendar
		{name: "saturday, arrive by saturday evening", job: func(j *JobSpec) { j.ArriveBy = saturday10.Add(10 * time.Hour) },
			now: saturday10, reason: ReasonCalendar},
		{name: "saturday, arrive by monday 09:00", job: func(j *JobSpec) { j.ArriveBy = monday10.Add(7*24*time.Hour - time.Hour) },
			now: saturday10},
		{name: "saturday, default 24 h deadline", now: saturday10, reason: ReasonCalendar},
		{name: "day off today", tech: func(x *Technician) {
			x.Calendar = weekdays8to18(t, Day{Year: 2026, Month: time.November, Day: 23})
		}, job: func(j *JobSpec) { j.ArriveBy = monday10.Add(8 * time.Hour) }, now: monday10, reason: ReasonCalendar},
		{name: "day off today, deadline tomorrow", tech: func(x *Technician) {
			x.Calendar = weekdays8to18(t, Day{Year: 2026, Month: time.November, Day: 23})
		}, now: monday10},
		{name: "no working hours within horizon", tech: func(x *Technician) {
			x.Calendar = Calendar{}
		}, job: func(j *JobSpec) { j.ArriveBy = monday10.Add(30 * 24 * time.Hour) }, now: monday10, reason: ReasonCalendar},
		// deadline: base 0.5 -> 50 km -> 50 min at 60 km/h
		{name: "arrive by exactly the arrival", tech: func(x *Technician) { x.Base.Lat = 0.5 },
			job: func(j *JobSpec) { j.ArriveBy = monday10.Add(50 * time.Minute) }, now: monday10},
		{name: "arrive by one minute before arrival", tech: func(x *Technician) { x.Base.Lat = 0.5 },
			job: func(j *JobSpec) { j.ArriveBy = monday10.Add(49 * time.Minute) }, now: monday10, reason: ReasonDeadline},
		{name: "deadline passed", job: func(j *JobSpec) { j.ArriveBy = monday10.Add(-time.Hour) }, now: monday10, reason: ReasonDeadline},
		// customer window
		{name: "window later today", job: func(j *JobSpec) {
			j.WindowStart, j.WindowEnd = monday10.Add(4*time.Hour), monday10.Add(6*time.Hour)
		}, now: monday10},
		{name: "window next week, no arrive_by: the window is the target, not now + 24 h", job: func(j *JobSpec) {
			j.WindowStart, j.WindowEnd = monday10.Add(7*24*time.Hour), monday10.Add(7*24*time.Hour+8*time.Hour)
		}, now: monday10},
		{name: "window next week past its arrive_by", job: func(j *JobSpec) {
			j.WindowStart, j.WindowEnd = monday10.Add(7*24*time.Hour), monday10.Add(7*24*time.Hour+8*time.Hour)
			j.ArriveBy = monday10.Add(24 * time.Hour)
		}, now: monday10, reason: ReasonWindow},
		{name: "window closes before arrival", tech: func(x *Technician) { x.Base.Lat = 0.5 }, job: func(j *JobSpec) {
			j.WindowStart, j.WindowEnd = monday10.Add(-time.Hour), monday10.Add(50*time.Minute)
		}, now: monday10, reason: ReasonWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tech(t, "t1", 0.3)
			if tt.tech != nil {
				tt.tech(&x)
			}
			j := baseJob()
			if tt.job != nil {
				tt.job(&j)
			}
			loads := Loads{x.Calendar.DayOf(monday10): tt.load, Day{Year: 2026, Month: time.November, Day: 24}: tt.tomorrow}
			c, why := m.Evaluate(&x, j, loads, tt.now, PartsPicture{})
			if why != tt.reason {
				t.Fatalf("Evaluate() reason = %q, want %q (candidate %+v)", why, tt.reason, c)
			}
			if why == "" && c.TechnicianID != "t1" {
				t.Fatalf("Evaluate() candidate id = %q, want t1", c.TechnicianID)
			}
		})
	}
}

func TestEvaluateFigures(t *testing.T) {
	m := Matcher{Policy: matchingPolicy(), Distance: manhattan{}}
	x := tech(t, "t1", 0.6) // 60 km: 1 h
	j := baseJob()
	j.ArriveBy = monday10.Add(13 * time.Hour)
	c, why := m.Evaluate(&x, j, Loads{x.Calendar.DayOf(monday10): 1}, monday10, PartsPicture{})
	if why != "" {
		t.Fatalf("Evaluate() excluded: %s", why)
	}
	if c.DistanceKm != 60 || c.Travel != time.Hour || !c.Arrival.Equal(monday10.Add(time.Hour)) || c.Slack != 12*time.Hour || c.Load != 1 {
		t.Fatalf("Evaluate() = %+v; want 60 km, 1h travel, arrival 11:00, slack 12h, load 1", c)
	}
	// 0.5*(1-60/100) + 0.3*(1-1/4) + 0.2*(12h/24h) + 0.2 (a station on a routine job)
	if want := 0.725; math.Abs(c.Score-want) > 1e-9 || !c.Routed {
		t.Fatalf("Evaluate() score = %v, want %v", c.Score, want)
	}
	// A job arriving during the evening: the technician leaves at 08:00 the next day.
	c, why = m.Evaluate(&x, baseJob(), Loads{x.Calendar.DayOf(monday10): 4}, monday10.Add(9*time.Hour), PartsPicture{})
	if why != "" || !c.Arrival.Equal(monday10.Add(23*time.Hour)) {
		t.Fatalf("Evaluate() at 19:00 = %+v, %q; want arrival Tuesday 09:00", c, why)
	}
}

func TestEvaluateParts(t *testing.T) {
	m := Matcher{Policy: matchingPolicy(), Distance: manhattan{}}
	picture := PartsPicture{
		Known:  true,
		Vans:   map[string]bool{"van-b": true},
		Depots: []Depot{{LocationID: "depot-near", Point: Point{Lat: 0.5, Lon: 0.1}}},
	}
	tests := []struct {
		name     string
		lat      float64
		van      string
		arriveBy time.Duration
		picture  PartsPicture
		want     Readiness
		via      string
		km       float64
	}{
		{name: "van holds parts", lat: 0.9, van: "van-b", picture: picture, want: ReadinessOnVan, km: 90},
		{name: "van linked by inventory holds parts", lat: 0.9, picture: PartsPicture{Known: true,
			Vans: map[string]bool{"van-t": true}, VanOf: map[string]string{"t": "van-t"}}, want: ReadinessOnVan, km: 90},
		{name: "linked van without the parts", lat: 0.9, picture: PartsPicture{Known: true,
			Vans: map[string]bool{}, VanOf: map[string]string{"t": "van-t"}}, want: ReadinessWithout, km: 90},
		{name: "van without parts collects", lat: 0.9, van: "van-x", picture: picture, want: ReadinessCollect, via: "depot-near", km: 110},
		{name: "depot is too far a detour", lat: 0.1, picture: picture, want: ReadinessWithout, km: 10},
		{name: "collecting would be late", lat: 0.9, arriveBy: 100 * time.Minute, picture: picture, want: ReadinessWithout, km: 90},
		{name: "inventory unknown", lat: 0.9, picture: PartsPicture{}, want: ReadinessUnknown, km: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tech(t, "t", tt.lat)
			x.VanLocationID = tt.van
			j := baseJob()
			j.NeedsParts = true
			if tt.arriveBy > 0 {
				j.ArriveBy = monday10.Add(tt.arriveBy)
			}
			c, why := m.Evaluate(&x, j, nil, monday10, tt.picture)
			if why != "" {
				t.Fatalf("Evaluate() excluded: %s", why)
			}
			if c.Parts != tt.want || c.CollectLocationID != tt.via || c.DistanceKm != tt.km {
				t.Fatalf("Evaluate() = parts %v via %q %v km; want %v via %q %v km", c.Parts, c.CollectLocationID, c.DistanceKm, tt.want, tt.via, tt.km)
			}
		})
	}
}

func TestRosterRankPartsFirst(t *testing.T) {
	p := matchingPolicy()
	m := Matcher{Policy: p, Distance: RoadFactor{Factor: p.RoadFactor}}
	site := Point{Lat: 36.0, Lon: 117.0}
	r := NewRoster()
	mk := func(id string, dLat float64, van string) {
		x := tech(t, id, site.Lat+dLat)
		x.Base.Lon = site.Lon
		x.VanLocationID = van
		r.Put(x)
	}
	mk("near-no-parts", 0.05, "van-a") // ~7 km
	mk("far-van-parts", 0.6, "van-b")  // ~87 km, van holds the parts
	mk("mid-collects", 0.3, "")        // ~43 km, depot on the way
	mk("too-far", 1.0, "")             // ~145 km: beyond radius
	mk("declined", 0.01, "")           // excluded by the caller
	off := tech(t, "inactive", site.Lat)
	off.Active = false
	r.Put(off)
	led := tech(t, "led-only", site.Lat)
	led.Skills = map[string]map[string]bool{"led-screen": {}}
	r.Put(led)

	job := baseJob()
	job.Site = site
	job.NeedsParts = true
	parts := PartsPicture{Known: true, Vans: map[string]bool{"van-b": true},
		Depots: []Depot{{LocationID: "depot", Point: Point{Lat: 36.25, Lon: 117.0}}}}
	rk := r.Rank(m, job, map[string]bool{"declined": true}, monday10, parts, nil)

	var got []string
	for _, c := range rk.Candidates {
		got = append(got, c.TechnicianID)
		if len(c.Reasons) == 0 {
			t.Errorf("candidate %s has no reasons", c.TechnicianID)
		}
	}
	want := []string{"far-van-parts", "mid-collects", "near-no-parts"}
	if len(got) != len(want) {
		t.Fatalf("Rank() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Rank() = %v, want %v", got, want)
		}
	}
	wantEx := map[string]int{ReasonRadius: 1, ReasonDeclined: 1, ReasonInactive: 1, ReasonSkills: 1}
	for k, v := range wantEx {
		if rk.Exclusions[k] != v {
			t.Errorf("Rank() exclusions[%s] = %d, want %d (all: %v)", k, rk.Exclusions[k], v, rk.Exclusions)
		}
	}
	if rk.Considered != 7 {
		t.Errorf("Rank() considered = %d, want 7", rk.Considered)
	}

	// Without parts in the picture, the nearest wins.
	rk = r.Rank(m, job, nil, monday10, PartsPicture{}, nil)
	if rk.Candidates[0].TechnicianID != "declined" {
		t.Fatalf("Rank() without parts first = %s, want the nearest (declined not excluded now)", rk.Candidates[0].TechnicianID)
	}

	// Load moves a technician down; replacing a technician re-indexes it.
	r.AddLoad("declined", Day{Year: 2026, Month: time.November, Day: 23}, 4)
	if got := r.Load("declined", Day{Year: 2026, Month: time.November, Day: 23}); got != 4 {
		t.Fatalf("Load() = %d, want 4", got)
	}
	rk = r.Rank(m, job, nil, monday10, PartsPicture{}, nil)
	for _, c := range rk.Candidates {
		if c.TechnicianID == "declined" {
			t.Fatalf("Rank() kept a technician at capacity")
		}
	}
	// Loads not yet in the roster (same group commit) count too.
	monday := Day{Year: 2026, Month: time.November, Day: 23}
	rk = r.Rank(m, job, nil, monday10, PartsPicture{}, map[string]Loads{"mid-collects": {monday: 4}})
	for _, c := range rk.Candidates {
		if c.TechnicianID == "mid-collects" {
			t.Fatalf("Rank() kept a technician at capacity through pending loads")
		}
	}
	moved := tech(t, "near-no-parts", site.Lat)
	moved.Skills = map[string]map[string]bool{"led-screen": {}}
	r.Put(moved)
	rk = r.Rank(m, job, nil, monday10, PartsPicture{}, nil)
	for _, c := range rk.Candidates {
		if c.TechnicianID == "near-no-parts" {
			t.Fatalf("Rank() kept a technician after its product line was removed")
		}
	}
}

func TestGreatCircleKm(t *testing.T) {
	// Beijing (39.9042, 116.4074) to Shanghai (31.2304, 121.4737): about 1068 km.
	got := GreatCircleKm(Point{39.9042, 116.4074}, Point{31.2304, 121.4737})
	if math.Abs(got-1068) > 5 {
		t.Fatalf("GreatCircleKm(Beijing, Shanghai) = %.1f, want about 1068", got)
	}
	if got := (RoadFactor{Factor: 1.3}).RoadKm(Point{0, 0}, Point{1, 0}); math.Abs(got-144.55) > 0.1 {
		t.Fatalf("RoadKm(1 degree latitude) = %.2f, want 144.55", got)
	}
}

func TestRouting(t *testing.T) {
	tests := []struct {
		kind OrgKind
		need Level
		want bool
	}{
		{OrgDealer, LevelRoutine, true},
		{OrgServiceStation, LevelRoutine, true},
		{OrgServiceStation, LevelUnspecified, true},
		{OrgTechnicalDepartment, LevelRoutine, false},
		{OrgTechnicalDepartment, LevelExpert, true},
		{OrgServiceStation, LevelExpert, false},
		{OrgDealer, LevelExpert, false},
	}
	for _, tt := range tests {
		if got := tt.kind.Routed(tt.need); got != tt.want {
			t.Errorf("OrgKind(%d).Routed(%d) = %v, want %v", tt.kind, tt.need, got, tt.want)
		}
	}
	// Same place, same load: the station ranks ahead of the technical department on a routine
	// job, and behind it on an expert job.
	m := Matcher{Policy: matchingPolicy(), Distance: manhattan{}}
	station := tech(t, "station", 0.3)
	station.Level = LevelExpert
	dept := station
	dept.ID, dept.Kind = "dept", OrgTechnicalDepartment
	for _, tc := range []struct {
		need  Level
		first string
	}{{LevelRoutine, "station"}, {LevelExpert, "dept"}} {
		j := baseJob()
		j.Level = tc.need
		a, _ := m.Evaluate(&station, j, nil, monday10, PartsPicture{})
		b, _ := m.Evaluate(&dept, j, nil, monday10, PartsPicture{})
		cs := []Candidate{a, b}
		Sort(cs)
		if cs[0].TechnicianID != tc.first {
			t.Errorf("level %d job: first = %s, want %s", tc.need, cs[0].TechnicianID, tc.first)
		}
	}
}

// matchingPolicy is the default policy without the qualification rule, which
// TestEvaluateQualification covers: these tests are about the other rules.
func matchingPolicy() Policy {
	p := DefaultPolicy()
	p.Qualification.Required = false
	return p
}
