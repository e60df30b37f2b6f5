package plan

import (
	"testing"
	"time"
)

func TestRankInsertionsUsesThePlannedDay(t *testing.T) {
	// t-home lives next to the new job but spends the day 30 km east on fixed appointments;
	// t-route lives 10 km away and its planned day passes by the new job.
	home := tech("t-home", east(0))
	route := tech("t-route", east(-10))
	far1, far2 := job("far1", east(30)), job("far2", east(31))
	far1.Appointment = &Appointment{TechnicianID: "t-home", Start: at(10, 0)}
	far2.Appointment = &Appointment{TechnicianID: "t-home", Start: at(13, 0)}
	near1, near2 := job("near1", east(0.5)), job("near2", east(1))
	near1.Appointment = &Appointment{TechnicianID: "t-route", Start: at(9, 0)}
	near2.Appointment = &Appointment{TechnicianID: "t-route", Start: at(11, 30)}
	d := Day{Technicians: []Tech{home, route}, Jobs: []DayJob{far1, far2, near1, near2},
		ServiceByKind: map[string]time.Duration{"repair": time.Hour}}
	p := planOf(t, d)
	if len(p.LeftOut) != 0 {
		t.Fatalf("left out %v", p.LeftOut)
	}
	newJob := job("new", east(0.2))
	newJob.WindowStart, newJob.WindowEnd = at(10, 0), at(10, 45)
	ranked, reason, err := RankInsertions(d, p, newJob, road)
	if err != nil {
		t.Fatal(err)
	}
	if len(ranked) == 0 {
		t.Fatalf("no technician can take it: %s", reason)
	}
	if ranked[0].TechnicianID != "t-route" || ranked[0].Position != 1 {
		t.Fatalf("ranked %+v, want t-route between its two visits first", ranked)
	}
	if ranked[0].Arrival.Before(at(10, 0).Add(-time.Hour)) || ranked[0].LateAdded != 0 {
		t.Fatalf("insertion %+v", ranked[0])
	}
	for _, r := range ranked[1:] {
		if r.ExtraTravel < ranked[0].ExtraTravel {
			t.Fatalf("not ordered by extra travel: %+v", ranked)
		}
	}

	// A job needing a skill nobody has: no ranking, the reason.
	odd := job("odd", east(0.2))
	odd.ProductLine = "boiler"
	if ranked, reason, err := RankInsertions(d, p, odd, road); err != nil || len(ranked) != 0 || reason != ReasonNoSkill {
		t.Fatalf("odd job: %v %q %v", ranked, reason, err)
	}
}
