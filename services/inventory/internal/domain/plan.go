package domain

import (
	"fmt"
	"time"
)

// Date is a calendar day in the service organisation's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the calendar day of t in zone.
func DateOf(t time.Time, zone *time.Location) Date {
	y, m, d := t.In(zone).Date()
	return Date{Year: y, Month: m, Day: d}
}

// Check reports whether the date exists (e.g. no 31 April).
func (d Date) Check(field string) error {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	if d.Year < 1 || d.Year > 9999 || t.Year() != d.Year || t.Month() != d.Month || t.Day() != d.Day {
		return Invalid(field, "%04d-%02d-%02d is not a calendar date", d.Year, int(d.Month), d.Day)
	}
	return nil
}

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// PlanDue returns the last day a stocking plan for a season starting on seasonStart is on
// time: PlanLeadDays (default 30) before the season.
func PlanDue(seasonStart Date, p Policy) Date { return seasonStart.AddDays(-p.PlanLeadDays) }

// PlanLate reports whether a plan submitted at submitted is late for the season: submitted on a
// day after PlanDue in the policy's time zone.
func PlanLate(submitted time.Time, seasonStart Date, p Policy) bool {
	return PlanDue(seasonStart, p).Before(DateOf(submitted, p.TimeZone))
}

// Shortfall is what a dealer still has to stock to meet a plan line: max(0, planned − on hand).
func Shortfall(planned, onHand int64) int64 {
	if onHand >= planned {
		return 0
	}
	return planned - onHand
}
