package domain

import (
	"testing"
	"time"
)

// FuzzNextWorking checks NextWorking's promises for arbitrary hours, instants and horizons:
// the answer is working time, not before the start, not beyond the horizon, and nothing
// earlier (at minute steps) was working time.
func FuzzNextWorking(f *testing.F) {
	f.Add(int64(0), 1, 510, 1050, int64(3600))
	f.Add(int64(1795413600), 5, 0, 1440, int64(86400*3))
	f.Add(int64(-1000), 7, 1439, 1440, int64(60))
	f.Fuzz(func(t *testing.T, unix int64, weekday, startMin, endMin int, horizonSec int64) {
		if weekday < 1 || weekday > 7 || startMin < 0 || endMin > 1440 || endMin <= startMin || horizonSec < 0 || horizonSec > 86400*15 {
			return
		}
		cal, err := NewCalendar("Asia/Shanghai", []WeeklyHours{{Weekday: weekday, StartMin: startMin, EndMin: endMin}}, nil)
		if err != nil {
			t.Fatalf("NewCalendar: %v", err)
		}
		from := time.Unix(unix%(1<<40), 0).UTC().Truncate(time.Minute)
		horizon := time.Duration(horizonSec) * time.Second
		got, ok := cal.NextWorking(from, horizon)
		if !ok {
			return
		}
		if got.Before(from) || got.After(from.Add(horizon)) || !cal.IsWorking(got) {
			t.Fatalf("NextWorking(%s, %s) = %s: outside [from, from+horizon] or not working", from, horizon, got)
		}
		for m := from; m.Before(got) && m.Sub(from) < 8*24*time.Hour; m = m.Add(time.Minute) {
			if cal.IsWorking(m) {
				t.Fatalf("NextWorking(%s) = %s, but %s is working time", from, got, m)
			}
		}
	})
}

// FuzzEvaluate checks that a candidate always arrives by the deadline and inside the radius,
// whatever the positions, load and times.
func FuzzEvaluate(f *testing.F) {
	f.Add(36.0, 117.0, 36.5, 117.2, 2, int64(3600*5))
	f.Add(0.0, 0.0, 0.0, 0.0, 0, int64(0))
	f.Fuzz(func(t *testing.T, bLat, bLon, sLat, sLon float64, load int, arriveSec int64) {
		if bLat < -90 || bLat > 90 || sLat < -90 || sLat > 90 || bLon < -180 || bLon > 180 || sLon < -180 || sLon > 180 || load < 0 || arriveSec < -86400*30 || arriveSec > 86400*30 {
			return
		}
		p := matchingPolicy()
		m := Matcher{Policy: p, Distance: RoadFactor{Factor: p.RoadFactor}}
		var hs []WeeklyHours
		for d := 1; d <= 5; d++ {
			hs = append(hs, WeeklyHours{Weekday: d, StartMin: 480, EndMin: 1080})
		}
		cal, _ := NewCalendar("", hs, nil)
		tech := Technician{ID: "t", Active: true, Level: LevelExpert, Skills: map[string]map[string]bool{"x": {}},
			Base: Point{bLat, bLon}, RadiusKm: 100, Calendar: cal, CapacityPerDay: 5}
		now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		job := JobSpec{ProductLine: "x", Site: Point{sLat, sLon}, ArriveBy: now.Add(time.Duration(arriveSec) * time.Second)}
		loads := Loads{cal.DayOf(now): load}
		c, why := m.Evaluate(&tech, job, loads, now, PartsPicture{})
		if why != "" {
			return
		}
		if c.Arrival.After(job.ArriveBy) || c.DistanceKm > tech.RadiusKm || loads[cal.DayOf(c.Arrival)] >= tech.CapacityPerDay || c.Slack < 0 {
			t.Fatalf("Evaluate() = %+v for %+v: breaks deadline, radius or capacity", c, job)
		}
	})
}
