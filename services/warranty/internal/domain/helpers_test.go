package domain

import (
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

func day(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at returns noon of the date in Shanghai.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	return day(t, s).Time(shanghai(t)).Add(12 * time.Hour)
}

func engine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func template(t testing.TB, name string) Policy {
	t.Helper()
	tp, ok := TemplateByName(name)
	if !ok {
		t.Fatalf("no template %q", name)
	}
	p := tp.Policy
	p.ID, p.Version = "pol-"+name, 1
	return p
}

func compile(t testing.TB, p Policy) *Compiled {
	t.Helper()
	c, err := engine(t).Compile(p)
	if err != nil {
		t.Fatalf("Compile(%s) = %v", p.Name, err)
	}
	return c
}

func unitFor(p Policy, sale calendar.Date) Unit {
	return Unit{ID: "u1", Serial: "SN-0001", Model: "M1", Batch: "B1", PolicyID: p.ID, PolicyVersion: p.Version,
		Dates: UnitDates{Sale: sale}, Card: WarrantyCard{Returned: true, Received: sale}}
}

type calendarDate = calendar.Date

func calendarParse(s string) (calendar.Date, error) { return calendar.ParseDate(s) }

func mustDate(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}
