package domain

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// benchRoster is 1,000 technicians spread over a 4°×4° region (Shandong), each with one or two
// of five product lines, holding 10,000 open jobs between them.
func benchRoster(b *testing.B, lines int, radius float64) (*Roster, Matcher, *rand.Rand) {
	rng := rand.New(rand.NewPCG(1, 2))
	var hs []WeeklyHours
	for d := 1; d <= 6; d++ {
		hs = append(hs, WeeklyHours{Weekday: d, StartMin: 8 * 60, EndMin: 18 * 60})
	}
	cal, err := NewCalendar("Asia/Shanghai", hs, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := NewRoster()
	for i := range 1000 {
		skills := map[string]map[string]bool{fmt.Sprintf("line-%d", i%lines): {"a": true, "b": true}}
		if i%3 == 0 {
			skills[fmt.Sprintf("line-%d", (i+1)%lines)] = map[string]bool{"a": true}
		}
		r.Put(Technician{
			ID: fmt.Sprintf("t%04d", i), OrganisationID: "org", Level: Level(1 + i%2), Skills: skills,
			Base:     Point{Lat: 34.65 + rng.Float64()*4, Lon: 115.12 + rng.Float64()*4},
			RadiusKm: radius, Calendar: cal, CapacityPerDay: 4, Active: true,
		})
	}
	// 10,000 open jobs over the next five days: two a day each.
	for i := range 10000 {
		r.AddLoad(fmt.Sprintf("t%04d", i%1000), Day{Year: 2026, Month: time.November, Day: 23 + (i/1000)%5}, 1)
	}
	p := DefaultPolicy()
	return r, Matcher{Policy: p, Distance: RoadFactor{Factor: p.RoadFactor}}, rng
}

// BenchmarkRank measures ranking one job against the roster (the CPU part of an assignment),
// reporting p50 and p99 latencies: technicians over five product lines, and the worst case of
// all 1,000 in one line.
func BenchmarkRank(b *testing.B) {
	for _, lines := range []int{5, 1} {
		b.Run(fmt.Sprintf("lines=%d", lines), func(b *testing.B) { benchRank(b, lines, 100) })
	}
	// Every technician of the line within reach (radius 300 km over the 4°×4° region), as in
	// `sanbao bench suite`'s create_job_p99 row: all of them are costed.
	b.Run("lines=5/radius=300", func(b *testing.B) { benchRank(b, 5, 300) })
}

func benchRank(b *testing.B, lines int, radius float64) {
	r, m, rng := benchRoster(b, lines, radius)
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		job := JobSpec{ProductLine: fmt.Sprintf("line-%d", i%lines), Skills: []string{"a"}, Level: LevelRoutine,
			Site: Point{Lat: 34.65 + rng.Float64()*4, Lon: 115.12 + rng.Float64()*4}}
		start := time.Now()
		rk := r.Rank(m, job, nil, now, PartsPicture{}, nil)
		lat = append(lat, time.Since(start))
		_ = rk
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
