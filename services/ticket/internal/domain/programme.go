package domain

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// ProgrammeSettings are the numbers of the desk's programmes (DOMAIN.md §4, §6): follow-up
// calls, revisits, inspections and survey reminders. Zero means the default.
type ProgrammeSettings struct {
	// DeliveryDays: working days after a delivery within which the follow-up call is due.
	DeliveryDays int
	// ServiceDays: working days after a closed service within which the follow-up is due.
	ServiceDays int
	// KeyPerYear, InWarrantyPerYear, AfterWarrantyPerYear: revisits a year of a key customer,
	// of others inside the warranty and after it.
	KeyPerYear, InWarrantyPerYear, AfterWarrantyPerYear int
	// YearsAfterWarranty: years of revisits after the warranty (not lifelong lines).
	YearsAfterWarranty int
	// LifelongLines: product lines followed up for life.
	LifelongLines []string
	// FollowUpAttempts: unreached calls after which a follow-up is given up.
	FollowUpAttempts int
	// InspectionsPerYear and InspectionLeadDays: an inspection programme's frequency and how
	// many days before each due date its work is created.
	InspectionsPerYear, InspectionLeadDays int
	// SurveyReminderDays and SurveyReminders: working days between survey reminders and how
	// many are sent before the survey is given up.
	SurveyReminderDays, SurveyReminders int
}

// DefaultProgrammes returns the seeds' numbers: a follow-up within 15 days of a delivery or a
// service (seed 004), key customers 4 times a year, others 3 times a year inside the warranty
// (seed 003: 2–3) and once a year after it, for 3 years (seed 003's paid period), engines for
// life; 3 attempts; inspections twice a year (seed 000 篇六) created 14 days ahead; survey
// reminders every 3 working days, 3 of them.
func DefaultProgrammes() ProgrammeSettings {
	return ProgrammeSettings{DeliveryDays: 15, ServiceDays: 15, KeyPerYear: 4, InWarrantyPerYear: 3, AfterWarrantyPerYear: 1,
		YearsAfterWarranty: 3, LifelongLines: []string{"engine"}, FollowUpAttempts: 3, InspectionsPerYear: 2,
		InspectionLeadDays: 14, SurveyReminderDays: 3, SurveyReminders: 3}
}

// WithDefaults fills zero settings from DefaultProgrammes (LifelongLines only when nil).
func (s ProgrammeSettings) WithDefaults() ProgrammeSettings {
	d := DefaultProgrammes()
	fill := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&s.DeliveryDays, d.DeliveryDays)
	fill(&s.ServiceDays, d.ServiceDays)
	fill(&s.KeyPerYear, d.KeyPerYear)
	fill(&s.InWarrantyPerYear, d.InWarrantyPerYear)
	fill(&s.AfterWarrantyPerYear, d.AfterWarrantyPerYear)
	fill(&s.YearsAfterWarranty, d.YearsAfterWarranty)
	fill(&s.FollowUpAttempts, d.FollowUpAttempts)
	fill(&s.InspectionsPerYear, d.InspectionsPerYear)
	fill(&s.InspectionLeadDays, d.InspectionLeadDays)
	fill(&s.SurveyReminderDays, d.SurveyReminderDays)
	fill(&s.SurveyReminders, d.SurveyReminders)
	if s.LifelongLines == nil {
		s.LifelongLines = d.LifelongLines
	}
	return s
}

// Lifelong reports whether product line line is followed up for life.
func (s ProgrammeSettings) Lifelong(line string) bool {
	return line != "" && slices.Contains(s.LifelongLines, line)
}

// FollowUpDueDate returns the due date of a follow-up of something that happened on from: the
// days-th working day after it (the day itself not counted).
func FollowUpDueDate(cal *calendar.Calendar, from calendar.Date, days int) (calendar.Date, error) {
	d, err := cal.AddWorkingDays(from, days)
	if err != nil {
		return calendar.Date{}, fmt.Errorf("follow-up due: %w", err)
	}
	return d, nil
}

// OnOrAfterWorkingDay returns d when it is a working day, else the next working day.
func OnOrAfterWorkingDay(cal *calendar.Calendar, d calendar.Date) (calendar.Date, error) {
	if cal.IsWorkingDay(d) {
		return d, nil
	}
	n, err := cal.AddWorkingDays(d, 1)
	if err != nil {
		return calendar.Date{}, fmt.Errorf("next working day: %w", err)
	}
	return n, nil
}

// ProgrammeKind is what a programme schedules. The numbers match sanbao.ticket.v1.ProgrammeKind.
type ProgrammeKind int

// The programme kinds.
const (
	ProgrammeRevisit ProgrammeKind = iota + 1
	ProgrammeInspection
)

// Programme is what a unit programme's dates depend on.
type Programme struct {
	Kind        ProgrammeKind
	Start       calendar.Date
	WarrantyEnd calendar.Date // zero: Start + 1 year
	End         calendar.Date // zero: the settings decide
	Key         bool
	ProductLine string
}

// ErrBadProgramme is wrapped by the errors of an impossible programme.
var ErrBadProgramme = errors.New("invalid programme")

// stepBy adds the n-th interval of perYear occurrences a year to d: whole months when 12 is a
// multiple of perYear (so that dates keep their day of the month), days otherwise.
func stepBy(d calendar.Date, perYear, n int) calendar.Date {
	if 12%perYear == 0 {
		return d.AddMonths(n * 12 / perYear)
	}
	return d.AddDays(int(math.Round(float64(n) * 365.25 / float64(perYear))))
}

// Nominal returns the nominal (calendar) date of occurrence n (from 1) of programme p under
// settings s, and false when the programme has no n-th occurrence (past its end):
//   - inspections: every 12/InspectionsPerYear months from the start, without end unless set;
//   - revisits of a key customer: every 12/KeyPerYear months from the start;
//   - other revisits: every 12/InWarrantyPerYear months up to the warranty's end, then every
//     12/AfterWarrantyPerYear months after it;
//   - revisits end YearsAfterWarranty years after the warranty unless the product line is
//     lifelong (never) or End is set.
func (s ProgrammeSettings) Nominal(p Programme, n int) (calendar.Date, bool) {
	if n < 1 || !p.Start.Valid() {
		return calendar.Date{}, false
	}
	s = s.WithDefaults()
	end := p.End
	wend := p.WarrantyEnd
	if !wend.Valid() {
		wend = p.Start.AddYears(1)
	}
	var d calendar.Date
	switch p.Kind {
	case ProgrammeInspection:
		d = stepBy(p.Start, s.InspectionsPerYear, n)
	case ProgrammeRevisit:
		if !end.Valid() && !s.Lifelong(p.ProductLine) {
			end = wend.AddYears(s.YearsAfterWarranty)
		}
		if p.Key {
			d = stepBy(p.Start, s.KeyPerYear, n)
			break
		}
		// In-warranty revisits: those on or before the warranty's end.
		in := 0
		for in < 12*1000 && !stepBy(p.Start, s.InWarrantyPerYear, in+1).After(wend) {
			in++
		}
		if n <= in {
			d = stepBy(p.Start, s.InWarrantyPerYear, n)
		} else {
			d = stepBy(wend, s.AfterWarrantyPerYear, n-in)
		}
	default:
		return calendar.Date{}, false
	}
	if end.Valid() && d.After(end) {
		return calendar.Date{}, false
	}
	return d, true
}

// Occurrence is one dated occurrence of a programme.
type Occurrence struct {
	// Sequence is n (from 1).
	Sequence int
	// Due is the working day it is due (the nominal date, moved on to a working day).
	Due calendar.Date
	// Make is the day its work is made: inspections InspectionLeadDays before Due, revisits
	// on Due.
	Make calendar.Date
}

// Occur returns occurrence n of p on calendar cal, and false past the programme's end.
func (s ProgrammeSettings) Occur(cal *calendar.Calendar, p Programme, n int) (Occurrence, bool, error) {
	nom, ok := s.Nominal(p, n)
	if !ok {
		return Occurrence{}, false, nil
	}
	due, err := OnOrAfterWorkingDay(cal, nom)
	if err != nil {
		return Occurrence{}, false, err
	}
	o := Occurrence{Sequence: n, Due: due, Make: due}
	if p.Kind == ProgrammeInspection {
		o.Make = due.AddDays(-s.WithDefaults().InspectionLeadDays)
	}
	return o, true, nil
}

// FollowUpState is where a follow-up is. The numbers match sanbao.ticket.v1.FollowUpState.
type FollowUpState int

// The follow-up states.
const (
	FollowUpDue FollowUpState = iota + 1
	FollowUpDone
	FollowUpGivenUp
)

// ErrFollowUpClosed: an outcome for a follow-up that is no longer due.
var ErrFollowUpClosed = errors.New("the follow-up is not due any more")

// AfterCall returns a follow-up's state after a call: reached → DONE; not reached → GIVEN_UP
// when giveUp or when attempts (this one included) reach maxAttempts, else still DUE.
func AfterCall(st FollowUpState, reached, giveUp bool, attempts, maxAttempts int) (FollowUpState, error) {
	if st != FollowUpDue {
		return st, ErrFollowUpClosed
	}
	switch {
	case reached:
		return FollowUpDone, nil
	case giveUp || (maxAttempts > 0 && attempts >= maxAttempts):
		return FollowUpGivenUp, nil
	}
	return FollowUpDue, nil
}

// SurveyReminder returns when reminder n (from 1) of a survey requested at requested is due:
// n × days working days later, at the same time of day.
func SurveyReminder(cal *calendar.Calendar, requested time.Time, days, n int) (time.Time, error) {
	t, err := cal.AddWorkingDaysAt(requested, days*n)
	if err != nil {
		return time.Time{}, fmt.Errorf("survey reminder: %w", err)
	}
	return t, nil
}
