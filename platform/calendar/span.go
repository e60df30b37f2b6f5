package calendar

import (
	"fmt"
	"strings"
	"time"
)

// Day is the length of a whole day on the wall clock, the largest value of [Span.End].
const Day = 24 * time.Hour

// Span is a period of working hours within one day, [Start, End), given as wall-clock
// offsets from midnight: {8h30m, 12h} is 08:30 to 12:00 and {0, Day} is the whole day.
// A span never crosses midnight; an overnight shift is two spans on consecutive weekdays.
// On a day with a daylight-saving change the span still runs between the two wall-clock
// times, so it lasts an hour more or less than on other days.
type Span struct {
	Start time.Duration
	End   time.Duration
}

// Hours returns the span from hh:mm to hh:mm; Hours(8, 30, 12, 0) is 08:30-12:00 and
// Hours(0, 0, 24, 0) is the whole day.
func Hours(startHour, startMinute, endHour, endMinute int) Span {
	return Span{
		Start: time.Duration(startHour)*time.Hour + time.Duration(startMinute)*time.Minute,
		End:   time.Duration(endHour)*time.Hour + time.Duration(endMinute)*time.Minute,
	}
}

// ParseSpan parses a span written as "HH:MM-HH:MM" ("08:30-12:00", "00:00-24:00").
func ParseSpan(s string) (Span, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Span{}, fmt.Errorf("parse span %q: want HH:MM-HH:MM", s)
	}
	start, err1 := parseClock(from)
	end, err2 := parseClock(to)
	if err1 != nil || err2 != nil {
		return Span{}, fmt.Errorf("parse span %q: want HH:MM-HH:MM", s)
	}
	sp := Span{Start: start, End: end}
	if err := sp.check(); err != nil {
		return Span{}, fmt.Errorf("parse span %q: %w", s, err)
	}
	return sp, nil
}

// ParseSpans parses comma-separated spans ("08:30-12:00,13:00-17:30"); an empty string is
// no spans.
func ParseSpans(s string) ([]Span, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	spans := make([]Span, 0, len(parts))
	for _, p := range parts {
		sp, err := ParseSpan(p)
		if err != nil {
			return nil, err
		}
		spans = append(spans, sp)
	}
	return spans, nil
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) != 5 || s[2] != ':' || !isDigits(s[:2]) || !isDigits(s[3:]) {
		return 0, fmt.Errorf("want HH:MM")
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("want HH:MM between 00:00 and 24:00")
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats s as "HH:MM-HH:MM" (with seconds when they are not zero).
func (s Span) String() string {
	return formatClock(s.Start) + "-" + formatClock(s.End)
}

func formatClock(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	h, m, sec := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute
	if sec != 0 {
		return fmt.Sprintf("%s%02d:%02d:%02g", neg, h, m, sec.Seconds())
	}
	return fmt.Sprintf("%s%02d:%02d", neg, h, m)
}

// Duration returns the nominal length of s, End - Start.
func (s Span) Duration() time.Duration { return s.End - s.Start }

// check reports what is wrong with s on its own.
func (s Span) check() error {
	switch {
	case s.Start < 0:
		return fmt.Errorf("start %s must not be before 00:00", formatClock(s.Start))
	case s.End > Day:
		return fmt.Errorf("end %s must not be after 24:00", formatClock(s.End))
	case s.End <= s.Start:
		return fmt.Errorf("end %s must be after start %s", formatClock(s.End), formatClock(s.Start))
	}
	return nil
}
