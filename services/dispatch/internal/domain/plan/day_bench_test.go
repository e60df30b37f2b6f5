package plan

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

// station is a service station's day: techs technicians from bases around the city, jobs
// visits within 25 km with two-hour windows for most, a fifth urgent with a deadline, a tenth
// needing a part on half the vans.
func station(techs, jobs int, seed uint64) Day {
	rng := rand.New(rand.NewPCG(seed, 2))
	around := func(km float64) domain.Point {
		return domain.Point{Lat: base.Lat + (rng.Float64()*2-1)*km/111, Lon: base.Lon + (rng.Float64()*2-1)*km/95}
	}
	d := Day{ServiceByKind: map[string]time.Duration{"repair": 45 * time.Minute, "install": 90 * time.Minute}}
	for i := 0; i < techs; i++ {
		t := tech(fmt.Sprintf("t%02d", i), around(15))
		t.Capacity = 8
		t.Van = map[string]bool{"pcb-7": i%2 == 0}
		d.Technicians = append(d.Technicians, t)
	}
	for i := 0; i < jobs; i++ {
		j := job(fmt.Sprintf("j%03d", i), around(25))
		if i%3 == 0 {
			j.Kind = "install"
		}
		if i%5 != 4 {
			from := at(8+rng.IntN(7), 0)
			j.WindowStart, j.WindowEnd = from, from.Add(2*time.Hour)
		}
		if i%5 == 0 {
			j.Priority, j.Deadline = 1, at(12, 0)
		}
		if i%10 == 3 {
			j.Parts = []string{"pcb-7"}
		}
		d.Jobs = append(d.Jobs, j)
	}
	return d
}

// BenchmarkPlanDay plans a station's day (20 technicians, 100 jobs) for 2,000 iterations and
// reports what the plan looks like.
func BenchmarkPlanDay(b *testing.B) {
	d := station(20, 100, 1)
	var p DayPlan
	b.ReportAllocs()
	for b.Loop() {
		var err error
		p, err = PlanDay(context.Background(), d, road, Options{Seed: 1, MaxIterations: 2000, Now: fixed})
		if err != nil {
			b.Fatal(err)
		}
	}
	used := 0
	for _, r := range p.Routes {
		if len(r.Visits) > 0 {
			used++
		}
	}
	b.ReportMetric(float64(len(p.LeftOut)), "left-out")
	b.ReportMetric(float64(p.Late), "late")
	b.ReportMetric(p.Travel.Hours(), "travel-h")
	b.ReportMetric(float64(used), "technicians")
}

func TestStationDayIsConsistent(t *testing.T) {
	d := station(20, 100, 1)
	p, err := PlanDay(context.Background(), d, road, Options{Seed: 1, MaxIterations: 500, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, d, p)
}
