package domain

import (
	"fmt"
	"time"
)

// Interval is a working interval within a day, in minutes after local midnight: [Start, End).
type Interval struct {
	Start, End int
}

// Day is a calendar day in a calendar's time zone.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// Calendar is a technician's working time: weekly hours in a time zone, minus days off.
type Calendar struct {
	// Location is the calendar's time zone; nil means UTC.
	Location *time.Location
	// Weekly holds the working intervals per weekday (index time.Weekday: 0 = Sunday),
	// sorted and not overlapping.
	Weekly [7][]Interval
	// DaysOff are holidays and leave.
	DaysOff map[Day]bool
}

// WeeklyHours is one weekday's working hours as given by a caller.
type WeeklyHours struct {
	// Weekday uses ISO numbering: 1 = Monday ... 7 = Sunday.
	Weekday          int
	StartMin, EndMin int
}

// NewCalendar builds a Calendar from a time zone name ("" = UTC), weekly hours and days off.
func NewCalendar(zone string, hours []WeeklyHours, daysOff []Day) (Calendar, error) {
	loc := time.UTC
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return Calendar{}, fmt.Errorf("%w: calendar.time_zone: unknown zone %q", ErrInvalid, zone)
		}
		loc = l
	}
	c := Calendar{Location: loc, DaysOff: make(map[Day]bool, len(daysOff))}
	seen := map[int]bool{}
	for _, h := range hours {
		if h.Weekday < 1 || h.Weekday > 7 {
			return Calendar{}, fmt.Errorf("%w: calendar.hours.weekday: must be 1 to 7, got %d", ErrInvalid, h.Weekday)
		}
		if h.StartMin < 0 || h.EndMin > 1440 || h.EndMin <= h.StartMin {
			return Calendar{}, fmt.Errorf("%w: calendar.hours: end_minute must be after start_minute within the day", ErrInvalid)
		}
		if seen[h.Weekday] {
			return Calendar{}, fmt.Errorf("%w: calendar.hours.weekday: %d given twice", ErrInvalid, h.Weekday)
		}
		seen[h.Weekday] = true
		wd := time.Weekday(h.Weekday % 7)
		c.Weekly[wd] = append(c.Weekly[wd], Interval{Start: h.StartMin, End: h.EndMin})
	}
	for _, d := range daysOff {
		c.DaysOff[d] = true
	}
	return c, nil
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// IsWorking reports whether t lies inside working time.
func (c Calendar) IsWorking(t time.Time) bool {
	lt := t.In(c.loc())
	if c.DaysOff[Day{lt.Year(), lt.Month(), lt.Day()}] {
		return false
	}
	m := lt.Hour()*60 + lt.Minute()
	for _, iv := range c.Weekly[lt.Weekday()] {
		if m >= iv.Start && m < iv.End {
			return true
		}
	}
	return false
}

// NextWorking returns the earliest instant at or after t that is working time, looking at
// most horizon ahead; ok is false when there is none.
func (c Calendar) NextWorking(t time.Time, horizon time.Duration) (time.Time, bool) {
	loc := c.loc()
	lt := t.In(loc)
	limit := t.Add(horizon)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	for !day.After(limit) {
		if !c.DaysOff[Day{day.Year(), day.Month(), day.Day()}] {
			for _, iv := range c.Weekly[day.Weekday()] {
				start := day.Add(time.Duration(iv.Start) * time.Minute)
				end := day.Add(time.Duration(iv.End) * time.Minute)
				if !end.After(t) {
					continue
				}
				if start.Before(t) {
					start = t
				}
				if start.After(limit) {
					return time.Time{}, false
				}
				return start, true
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}, false
}
