// Package calendar holds business calendars (working hours, holidays and make-up days in a
// time zone) and the day arithmetic that SLA clocks, return windows and warranty periods use.
//
// All day arithmetic happens on the wall clock of the calendar's zone with [time.Date], so a
// working day is a day even when daylight saving makes it 23 or 25 hours long, while working
// time is real elapsed time: the hours actually spent inside working spans.
package calendar

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// SearchLimitDays bounds every search of a calendar: an answer that would need walking more
// than this many calendar days (about 100 years) gives [ErrSearchLimit] instead of looping.
const SearchLimitDays = 36600

// ErrSearchLimit is returned when an answer lies more than [SearchLimitDays] days away.
var ErrSearchLimit = errors.New("no result within the search limit of 36600 days")

// Calendar is a validated business calendar. It is immutable and safe for concurrent use.
// Instants it returns are in its zone ([Calendar.Location]).
// Build one with [New] or take a preset: [Always], [Weekdays9to17], [FiveByEight],
// [SevenByEight].
type Calendar struct {
	loc        *time.Location
	week       [7][]Span // sorted, disjoint, touching spans joined
	holidays   map[Date]struct{}
	extra      map[Date]struct{}
	extraHours []Span
	spec       Spec
}

// Interval is a period of real time [Start, End), such as the time an SLA clock was paused
// while waiting for the customer. A zero End means the interval has not ended yet.
type Interval struct {
	Start time.Time
	End   time.Time
}

// Location returns the zone of the calendar's wall clock.
func (c *Calendar) Location() *time.Location { return c.loc }

// Spec returns a copy of the spec the calendar was built from, to derive a calendar from a
// preset: s := calendar.FiveByEight(loc).Spec(); s.Holidays = ...; calendar.New(s).
func (c *Calendar) Spec() Spec { return c.spec.clone() }

// Hours returns the working spans of date d in order: none on a holiday or a weekday without
// hours, the extra hours on a make-up working day.
func (c *Calendar) Hours(d Date) []Span { return slices.Clone(c.hours(d)) }

func (c *Calendar) hours(d Date) []Span {
	if _, ok := c.extra[d]; ok {
		return c.extraHours
	}
	if _, ok := c.holidays[d]; ok {
		return nil
	}
	return c.week[d.Weekday()]
}

// IsWorkingDay reports whether date d has working hours.
func (c *Calendar) IsWorkingDay(d Date) bool { return len(c.hours(d)) > 0 }

// at returns the instant at wall-clock offset off (0 to Day) from the start of day d.
func (c *Calendar) at(d Date, off time.Duration) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, int(off), c.loc)
}

// walk calls yield with the working windows [s, e) that end after from, in order, disjoint
// and clipped to start no earlier than from, until yield returns false (then walk returns
// true) or maxDays calendar days after from's date have been walked (then it returns false).
func (c *Calendar) walk(from time.Time, maxDays int, yield func(s, e time.Time) bool) bool {
	cursor := from.In(c.loc).Round(0) // results are in the calendar's zone, without monotonic reading
	// Start a day early: in zones that skip midnight a day may begin before its date.
	day := DateOf(from, c.loc).AddDays(-1)
	for range maxDays + 2 {
		for _, sp := range c.hours(day) {
			s, e := c.at(day, sp.Start), c.at(day, sp.End)
			if s.Before(cursor) {
				s = cursor
			}
			if !e.After(s) {
				continue
			}
			cursor = e
			if !yield(s, e) {
				return true
			}
		}
		day = day.AddDays(1)
	}
	return false
}

// IsOpen reports whether instant t is working time. A span includes its opening instant
// and excludes its closing one: on a 09:00-17:00 calendar 09:00 is open and 17:00 is not.
func (c *Calendar) IsOpen(t time.Time) bool {
	open := false
	c.walk(t, 1, func(s, _ time.Time) bool {
		open = s.Equal(t)
		return false
	})
	return open
}

// Stretch returns the stretch of working time that contains t or is the next to open after
// it, clipped to start no earlier than t, within maxDays calendar days: [s, e), where windows
// that touch (a day open until midnight and the next from midnight) make one stretch. ok is
// false when nothing opens within maxDays.
func (c *Calendar) Stretch(t time.Time, maxDays int) (s, e time.Time, ok bool) {
	c.walk(t, maxDays, func(ws, we time.Time) bool {
		switch {
		case !ok:
			s, e, ok = ws, we, true
			return true
		case ws.Equal(e):
			e = we
			return true
		}
		return false
	})
	return s, e, ok
}

// NextOpen returns t if it is working time, else the next instant the calendar opens.
func (c *Calendar) NextOpen(t time.Time) (time.Time, error) {
	var next time.Time
	if !c.walk(t, SearchLimitDays, func(s, _ time.Time) bool {
		next = s
		return false
	}) {
		return time.Time{}, fmt.Errorf("calendar: next opening after %s: %w", t.Format(time.RFC3339), ErrSearchLimit)
	}
	return next, nil
}

// AddWorkingTime returns the earliest instant at which d of working time has passed since
// start: an SLA deadline. Time outside working hours does not count, so a start outside hours
// counts from the next opening, and 2h from 16:30 on a 09:00-17:00 calendar ends at 10:30 the
// next working day. A d that runs out exactly at closing ends at the closing instant (17:00),
// not at the next opening; a d of zero returns start (in the calendar's zone). A negative d is an error, as is an end
// more than [SearchLimitDays] days away ([ErrSearchLimit]).
//
// It is the inverse of [Calendar.WorkingTimeBetween]: WorkingTimeBetween(start, end) == d.
func (c *Calendar) AddWorkingTime(start time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("calendar: add working time: duration %v must not be negative", d)
	}
	if d == 0 {
		return start.In(c.loc), nil
	}
	remaining := d
	var end time.Time
	if !c.walk(start, SearchLimitDays, func(s, e time.Time) bool {
		if w := e.Sub(s); w < remaining {
			remaining -= w
			return true
		}
		end = s.Add(remaining)
		return false
	}) {
		return time.Time{}, fmt.Errorf("calendar: add working time %v: %w", d, ErrSearchLimit)
	}
	return end, nil
}

// WorkingTimeBetween returns how much working time lies in [a, b): real elapsed time inside
// working spans. It is zero when b is not after a, and saturates at the largest Duration.
// Its cost grows with the number of calendar days between a and b (about 60 ms for the
// 292 years after which a 09:00-17:00 calendar saturates), so bound instants that come from
// callers.
func (c *Calendar) WorkingTimeBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	days := DaysBetween(DateOf(a, c.loc), DateOf(b, c.loc)) + 1
	c.walk(a, days, func(s, e time.Time) bool {
		if !s.Before(b) {
			return false
		}
		if e.After(b) {
			e = b
		}
		w := e.Sub(s)
		if total > math.MaxInt64-w {
			total = math.MaxInt64
			return false
		}
		total += w
		return true
	})
	return total
}

// WorkingTimeExcluding returns the working time in [a, b) outside the pauses: the elapsed
// time of an SLA clock that stops while the ticket waits for the customer. Pauses may overlap
// each other and reach outside [a, b); a pause with a zero End lasts until b.
func (c *Calendar) WorkingTimeExcluding(a, b time.Time, pauses []Interval) time.Duration {
	if !b.After(a) {
		return 0
	}
	clipped := make([]Interval, 0, len(pauses))
	for _, p := range pauses {
		s, e := p.Start, p.End
		if s.Before(a) {
			s = a
		}
		if e.IsZero() || e.After(b) {
			e = b
		}
		if e.After(s) {
			clipped = append(clipped, Interval{Start: s, End: e})
		}
	}
	slices.SortFunc(clipped, func(x, y Interval) int { return x.Start.Compare(y.Start) })
	total := c.WorkingTimeBetween(a, b)
	var cur Interval
	for i, p := range clipped {
		if i > 0 && !p.Start.After(cur.End) {
			if p.End.After(cur.End) {
				cur.End = p.End
			}
			continue
		}
		if i > 0 {
			total -= c.WorkingTimeBetween(cur.Start, cur.End)
		}
		cur = p
	}
	if len(clipped) > 0 {
		total -= c.WorkingTimeBetween(cur.Start, cur.End)
	}
	return total
}

// AddWorkingDays returns the n-th working day after date d (before d when n is negative);
// d itself is never counted (as the PRC Civil Code art. 201 does not count the day of the
// event), and n of zero returns d. So "within 3 working days of a purchase on Friday" (with a
// working Monday to Wednesday) ends with Wednesday, last = AddWorkingDays(friday, 3), and the
// deadline instant is the start of the following day, last.AddDays(1).Time(loc). An answer
// more than [SearchLimitDays] days away gives [ErrSearchLimit].
func (c *Calendar) AddWorkingDays(d Date, n int) (Date, error) {
	step, left := 1, n
	if n < 0 {
		step, left = -1, -n
	}
	day := d
	for walked := 0; left > 0; walked++ {
		if walked >= SearchLimitDays {
			return Date{}, fmt.Errorf("calendar: add %d working days to %s: %w", n, d, ErrSearchLimit)
		}
		day = day.AddDays(step)
		if c.IsWorkingDay(day) {
			left--
		}
	}
	return day, nil
}

// AddWorkingDaysAt is [Calendar.AddWorkingDays] for an instant: it moves t's date in the
// calendar's zone by n working days and keeps t's wall-clock time of day (a time that a
// daylight-saving gap skips on the result day is shifted as [time.Date] does).
func (c *Calendar) AddWorkingDaysAt(t time.Time, n int) (time.Time, error) {
	lt := t.In(c.loc)
	d, err := c.AddWorkingDays(DateOf(lt, nil), n)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(d.Year, d.Month, d.Day, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), c.loc), nil
}

// WorkingDaysBetween counts the working days stepped onto when walking from date a to date b:
// those after a up to and including b, or, when b is before a, minus those from b up to but
// not including a. So WorkingDaysBetween(d, AddWorkingDays(d, n)) == n for every n. Its cost
// grows with the number of days between a and b.
func (c *Calendar) WorkingDaysBetween(a, b Date) int {
	from, to, sign := a.AddDays(1), b, 1
	if b.Before(a) {
		from, to, sign = b, a.AddDays(-1), -1
	}
	n := 0
	for day := from; !day.After(to); day = day.AddDays(1) {
		if c.IsWorkingDay(day) {
			n++
		}
	}
	return sign * n
}
