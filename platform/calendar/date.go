package calendar

import (
	"fmt"
	"time"
)

// Date is a calendar day without a time or a zone: the date printed on a receipt, a holiday,
// the first day of a warranty. Build one with [NewDate], [DateOf] or [ParseDate]; the zero
// Date is not valid.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date year-month-day, normalising out-of-range values the way
// [time.Date] does (2025-02-30 becomes 2025-03-02). Use [Date.Valid] on a literal Date to
// reject such values instead.
func NewDate(year int, month time.Month, day int) Date {
	return dateOfUTC(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the calendar day of instant t on the wall clock of loc; a nil loc means t's
// own location.
func DateOf(t time.Time, loc *time.Location) Date {
	if loc != nil {
		t = t.In(loc)
	}
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses a date written as YYYY-MM-DD ("2026-02-28").
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	return dateOfUTC(t), nil
}

func dateOfUTC(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// Valid reports whether d names a real day between years 1 and 9999 (so 2025-02-29 and the
// zero Date are not valid).
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December {
		return false
	}
	return d.Day >= 1 && d.Day <= daysIn(d.Year, d.Month)
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Time returns midnight at the start of d on the wall clock of loc (in the rare zones that
// skip midnight on a daylight-saving change, the instant [time.Date] picks). A nil loc means
// UTC.
func (d Date) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return d.Time(time.UTC).Weekday()
}

// Compare returns -1 if d is before o, 0 if they are the same day and +1 if d is after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmpInt(d.Year, o.Year)
	case d.Month != o.Month:
		return cmpInt(int(d.Month), int(o.Month))
	default:
		return cmpInt(d.Day, o.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Equal reports whether d and o are the same day.
func (d Date) Equal(o Date) bool { return d == o }

// AddDays returns the day n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	return NewDate(d.Year, d.Month, d.Day+n)
}

// AddMonths returns the same day of the month n months after d (before it when n is
// negative); when the target month is too short the result is its last day:
// 2025-01-31 + 1 month = 2025-02-28, 2024-01-31 + 1 month = 2024-02-29,
// 2024-02-29 + 12 months = 2025-02-28.
//
// This is the rule of the PRC Civil Code arts. 201 and 203 for periods counted in months or
// years: the day of the event is not counted, and the period's last day is the corresponding
// day of the final month, or that month's last day when it has no corresponding day. So a
// 1-year warranty for a unit sold on d covers every day up to and including d.AddMonths(12).
// Clamping loses information: 2025-01-31 + 1 month - 1 month = 2025-01-28.
func (d Date) AddMonths(n int) Date {
	total := d.Year*12 + int(d.Month-1) + n
	y, m := floorDiv(total, 12), time.Month(floorMod(total, 12)+1)
	day := min(d.Day, daysIn(y, m))
	return Date{Year: y, Month: m, Day: day}
}

// AddYears returns d.AddMonths(12*n): the same day n years later, with 29 February becoming
// 28 February in a common year.
func (d Date) AddYears(n int) Date {
	return d.AddMonths(12 * n)
}

// DaysBetween returns the number of days from from to to: 1 for consecutive days, negative
// when to is before from.
func DaysBetween(from, to Date) int {
	return int(to.unixDay() - from.unixDay())
}

// unixDay returns the number of days between 1970-01-01 and d.
func (d Date) unixDay() int64 {
	// Midnight UTC is always a multiple of a day after the epoch, so the division is exact.
	return d.Time(time.UTC).Unix() / 86400
}

// daysIn returns the number of days in month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int {
	return a - floorDiv(a, b)*b
}
