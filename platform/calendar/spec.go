package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Spec describes a business calendar as plain data: the zone, the working hours of each
// weekday, holidays and make-up working days. Turn it into a [Calendar] with [New].
type Spec struct {
	// Location is the zone whose wall clock the hours and dates are in. Required.
	Location *time.Location
	// Week holds the working hours of each weekday, indexed by time.Weekday
	// (Week[time.Sunday] ... Week[time.Saturday]). Spans of a day must not overlap; spans
	// that touch (08:00-12:00, 12:00-17:00) are joined. At least one weekday needs hours.
	Week [7][]Span
	// Holidays are dates on which nobody works, whatever their weekday.
	Holidays []Date
	// ExtraWorkdays are dates worked although their weekday has no hours (the make-up days
	// of Chinese public holidays, 调休). They are worked with ExtraHours.
	ExtraWorkdays []Date
	// ExtraHours are the hours of an extra workday; empty means Monday's hours.
	ExtraHours []Span
}

// FieldError is a Spec that breaks a rule: Field names the part of the spec
// ("week[monday][1]", "holidays[3]") and Rule says what is wrong with it.
type FieldError struct {
	Field string
	Rule  string
}

// Error returns "field: rule".
func (e *FieldError) Error() string { return e.Field + ": " + e.Rule }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Rule: fmt.Sprintf(format, args...)}
}

// Validate reports the first rule the spec breaks as a *[FieldError], or nil.
func (s Spec) Validate() error {
	_, err := s.compile()
	return err
}

// weekdayField returns "week[monday]".
func weekdayField(d time.Weekday) string {
	return "week[" + strings.ToLower(d.String()) + "]"
}

// normalize checks spans, sorts a copy and joins touching spans.
func normalize(field string, spans []Span) ([]Span, error) {
	for i, sp := range spans {
		if err := sp.check(); err != nil {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", field, i), "%v", err)
		}
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b Span) int { return cmpInt(int(a.Start), int(b.Start)) })
	out := sorted[:0]
	for _, sp := range sorted {
		if n := len(out); n > 0 && sp.Start <= out[n-1].End {
			if sp.Start < out[n-1].End {
				return nil, fieldErr(field, "spans %s and %s overlap", out[n-1], sp)
			}
			out[n-1].End = sp.End
			continue
		}
		out = append(out, sp)
	}
	return out, nil
}

// compile validates s and builds the calendar.
func (s Spec) compile() (*Calendar, error) {
	if s.Location == nil {
		return nil, fieldErr("location", "is required")
	}
	c := &Calendar{
		loc:      s.Location,
		holidays: make(map[Date]struct{}, len(s.Holidays)),
		extra:    make(map[Date]struct{}, len(s.ExtraWorkdays)),
		spec:     s.clone(),
	}
	hasHours := false
	for d := time.Sunday; d <= time.Saturday; d++ {
		spans, err := normalize(weekdayField(d), s.Week[d])
		if err != nil {
			return nil, err
		}
		c.week[d] = spans
		hasHours = hasHours || len(spans) > 0
	}
	if !hasHours {
		return nil, fieldErr("week", "must give working hours for at least one weekday")
	}
	for i, d := range s.Holidays {
		if !d.Valid() {
			return nil, fieldErr(fmt.Sprintf("holidays[%d]", i), "%s is not a valid date", d)
		}
		c.holidays[d] = struct{}{}
	}
	extraHours, err := normalize("extra_hours", s.ExtraHours)
	if err != nil {
		return nil, err
	}
	if len(extraHours) == 0 {
		extraHours = c.week[time.Monday]
	}
	c.extraHours = extraHours
	for i, d := range s.ExtraWorkdays {
		field := fmt.Sprintf("extra_workdays[%d]", i)
		if !d.Valid() {
			return nil, fieldErr(field, "%s is not a valid date", d)
		}
		if _, ok := c.holidays[d]; ok {
			return nil, fieldErr(field, "%s is also a holiday", d)
		}
		if len(extraHours) == 0 {
			return nil, fieldErr(field, "has no hours: set extra_hours or Monday's hours")
		}
		c.extra[d] = struct{}{}
	}
	return c, nil
}

// clone returns a deep copy of s, so a Calendar never shares slices with its caller.
func (s Spec) clone() Spec {
	out := s
	for d := range s.Week {
		out.Week[d] = slices.Clone(s.Week[d])
	}
	out.Holidays = slices.Clone(s.Holidays)
	out.ExtraWorkdays = slices.Clone(s.ExtraWorkdays)
	out.ExtraHours = slices.Clone(s.ExtraHours)
	return out
}

// New validates spec and returns its calendar; a spec that breaks a rule gives a
// *[FieldError].
func New(spec Spec) (*Calendar, error) {
	c, err := spec.compile()
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return c, nil
}

// preset builds a calendar from a spec that is valid by construction; a nil loc means UTC.
func preset(loc *time.Location, days []time.Weekday, spans ...Span) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	s := Spec{Location: loc}
	for _, d := range days {
		s.Week[d] = spans
	}
	c, err := s.compile()
	if err != nil {
		// Unreachable: presets are valid; fall back to a 7×24 calendar rather than panic.
		return Always(loc)
	}
	return c
}

// mondayToFriday lists the weekdays of a five-day week.
func mondayToFriday() []time.Weekday {
	return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
}

// Always returns a 7×24 calendar (a hotline): every instant is working time. A nil loc means
// UTC; the zone matters only for dates and working days.
func Always(loc *time.Location) *Calendar {
	if loc == nil {
		loc = time.UTC
	}
	c := &Calendar{loc: loc, holidays: map[Date]struct{}{}, extra: map[Date]struct{}{}}
	whole := []Span{{0, Day}}
	for d := range c.week {
		c.week[d] = whole
	}
	c.extraHours = whole
	c.spec = Spec{Location: loc, Week: c.week}
	c.spec = c.spec.clone()
	return c
}

// Weekdays9to17 returns a calendar open Monday to Friday, 09:00-17:00, in loc (nil means UTC),
// without holidays.
func Weekdays9to17(loc *time.Location) *Calendar {
	return preset(loc, mondayToFriday(), Hours(9, 0, 17, 0))
}

// FiveByEight returns the usual Chinese service-desk calendar (5×8): Monday to Friday,
// 08:30-12:00 and 13:00-17:30, in loc (nil means UTC), without holidays.
func FiveByEight(loc *time.Location) *Calendar {
	return preset(loc, mondayToFriday(), Hours(8, 30, 12, 0), Hours(13, 0, 17, 30))
}

// SevenByEight returns a calendar open every day of the week, 09:00-17:00, in loc (nil means
// UTC), without holidays.
func SevenByEight(loc *time.Location) *Calendar {
	return preset(loc, []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}, Hours(9, 0, 17, 0))
}
