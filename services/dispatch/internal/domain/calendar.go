package domain

import (
	"errors"
	"fmt"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Day is a calendar day in a calendar's time zone (a day off).
type Day = calendar.Date

// WeeklyHours is one weekday's working hours as given by a caller.
type WeeklyHours struct {
	// Weekday uses ISO numbering: 1 = Monday ... 7 = Sunday.
	Weekday int
	// StartMin and EndMin are minutes after local midnight, [StartMin, EndMin).
	StartMin, EndMin int
}

// Calendar is a technician's working time: weekly hours in a time zone, minus days off. It
// wraps the platform's business calendar. The zero Calendar never works.
type Calendar struct {
	cal *calendar.Calendar
}

// NewCalendar builds a Calendar from a time zone name ("" = UTC), weekly hours and days off.
func NewCalendar(zone string, hours []WeeklyHours, daysOff []Day) (Calendar, error) {
	loc := time.UTC
	if zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return Calendar{}, Invalidf("calendar.time_zone: unknown zone %q", zone)
		}
		loc = l
	}
	spec := calendar.Spec{Location: loc, Holidays: daysOff}
	seen := map[int]bool{}
	for i, h := range hours {
		if h.Weekday < 1 || h.Weekday > 7 {
			return Calendar{}, Invalidf("calendar.hours[%d].weekday: must be 1 to 7, got %d", i, h.Weekday)
		}
		if h.StartMin < 0 || h.EndMin > 1440 || h.EndMin <= h.StartMin {
			return Calendar{}, Invalidf("calendar.hours[%d]: end_minute must be after start_minute within the day", i)
		}
		if seen[h.Weekday] {
			return Calendar{}, Invalidf("calendar.hours[%d].weekday: %d given twice", i, h.Weekday)
		}
		seen[h.Weekday] = true
		wd := time.Weekday(h.Weekday % 7)
		spec.Week[wd] = append(spec.Week[wd], calendar.Span{
			Start: time.Duration(h.StartMin) * time.Minute,
			End:   time.Duration(h.EndMin) * time.Minute,
		})
	}
	c, err := calendar.New(spec)
	if err != nil {
		var fe *calendar.FieldError
		if errors.As(err, &fe) {
			return Calendar{}, Invalidf("calendar.%s: %s", fe.Field, fe.Rule)
		}
		return Calendar{}, fmt.Errorf("%w: calendar: %v", ErrInvalid, err)
	}
	return Calendar{cal: c}, nil
}

// IsWorking reports whether t lies inside working time.
func (c Calendar) IsWorking(t time.Time) bool {
	return c.cal != nil && c.cal.IsOpen(t)
}

// NextWorking returns the earliest instant at or after t that is working time, looking at
// most horizon ahead; ok is false when there is none.
func (c Calendar) NextWorking(t time.Time, horizon time.Duration) (time.Time, bool) {
	if c.cal == nil {
		return time.Time{}, false
	}
	next, err := c.cal.NextOpen(t)
	if err != nil || next.After(t.Add(horizon)) {
		return time.Time{}, false
	}
	return next, true
}

// FirstStretch returns the first stretch of working time in [from, until): when it starts and
// ends (cut at until); ok is false when none starts before until.
func (c Calendar) FirstStretch(from, until time.Time) (start, end time.Time, ok bool) {
	if c.cal == nil {
		return time.Time{}, time.Time{}, false
	}
	days := int(until.Sub(from)/(24*time.Hour)) + 1
	s, e, ok := c.cal.Stretch(from, days)
	if !ok || !s.Before(until) {
		return time.Time{}, time.Time{}, false
	}
	if e.After(until) {
		e = until
	}
	return s, e, true
}

// Location is the calendar's time zone (UTC for the zero Calendar).
func (c Calendar) Location() *time.Location {
	if c.cal == nil {
		return time.UTC
	}
	return c.cal.Location()
}

// DayOf returns the calendar day of t in the calendar's zone (UTC for the zero Calendar).
func (c Calendar) DayOf(t time.Time) Day {
	if c.cal == nil {
		return calendar.DateOf(t, time.UTC)
	}
	return calendar.DateOf(t, c.cal.Location())
}
