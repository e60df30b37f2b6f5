package api

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
)

// clocksFromProto turns a ticket's clocks into domain clocks.
func clocksFromProto(in []*ticketv1.SlaClock) []domain.Clock {
	out := make([]domain.Clock, len(in))
	for i, c := range in {
		spec := domain.ClockSpec{
			Name: c.GetName(), Metric: domain.Metric(c.GetMetric()), Audience: domain.Audience(c.GetAudience()),
			Basis: domain.Basis(c.GetBasis()), Target: c.GetTarget().AsDuration(), WorkingDays: int(c.GetWorkingDays()),
			CalendarID: c.GetCalendarId(), EscalateOnBreach: c.GetEscalateOnBreach(), WarnFraction: c.GetWarnFraction(),
		}
		for _, r := range c.GetPauseReasons() {
			spec.PauseReasons = append(spec.PauseReasons, domain.PauseReason(r))
		}
		dc := domain.Clock{Spec: spec, Warned: c.GetWarned(), Breached: c.GetBreached()}
		for _, h := range c.GetHistory() {
			dc.History = append(dc.History, domain.ClockEntry{Action: domain.Action(h.GetAction()), At: h.GetTime().AsTime(),
				Reason: domain.PauseReason(h.GetReason())})
		}
		out[i] = dc
	}
	return out
}

// clockToProto turns a domain clock and its status into the API clock.
func clockToProto(c domain.Clock, st domain.Status) *ticketv1.SlaClock {
	p := &ticketv1.SlaClock{
		Name: c.Spec.Name, Metric: ticketv1.SlaMetric(c.Spec.Metric), Audience: ticketv1.SlaAudience(c.Spec.Audience),
		Basis: ticketv1.SlaBasis(c.Spec.Basis), WorkingDays: int32(c.Spec.WorkingDays), CalendarId: c.Spec.CalendarID,
		State: ticketv1.SlaClockState(st.State), Elapsed: durationpb.New(st.Elapsed), PauseReason: ticketv1.PauseReason(st.PauseReason),
		Warned: c.Warned, Breached: c.Breached || st.Breached, EscalateOnBreach: c.Spec.EscalateOnBreach, WarnFraction: c.Spec.WarnFraction,
	}
	if c.Spec.Target > 0 {
		p.Target = durationpb.New(c.Spec.Target)
	}
	for _, r := range c.Spec.PauseReasons {
		p.PauseReasons = append(p.PauseReasons, ticketv1.PauseReason(r))
	}
	if !st.Start.IsZero() {
		p.StartTime = timestamppb.New(st.Start)
	}
	if !st.Deadline.IsZero() {
		p.Deadline = timestamppb.New(st.Deadline)
	}
	if !st.WarnAt.IsZero() {
		p.WarnTime = timestamppb.New(st.WarnAt)
	}
	if !st.Stop.IsZero() {
		p.StopTime = timestamppb.New(st.Stop)
	}
	for r := domain.PauseWaitingForCustomer; r <= domain.PauseWaitingForSupplier; r++ {
		if d := st.Paused[r]; d > 0 {
			p.Paused = append(p.Paused, &ticketv1.PauseTotal{Reason: ticketv1.PauseReason(r), Duration: durationpb.New(d)})
		}
	}
	for _, h := range c.History {
		p.History = append(p.History, &ticketv1.ClockTransition{Action: ticketv1.ClockAction(h.Action), Time: timestamppb.New(h.At),
			Reason: ticketv1.PauseReason(h.Reason)})
	}
	return p
}

// calendarFromProto compiles an API calendar; errors name the field.
func calendarFromProto(c *ticketv1.BusinessCalendar) (*calendar.Calendar, error) {
	loc, err := time.LoadLocation(c.GetTimeZone())
	if err != nil {
		return nil, &domain.FieldError{Field: "calendar.time_zone", Rule: fmt.Sprintf("unknown time zone %q", c.GetTimeZone()), Err: errBadCalendar}
	}
	spec := calendar.Spec{Location: loc}
	for i, h := range c.GetHours() {
		if h.GetEndMinute() <= h.GetStartMinute() {
			return nil, &domain.FieldError{Field: fmt.Sprintf("calendar.hours[%d].end_minute", i), Rule: "must be after start_minute", Err: errBadCalendar}
		}
		wd := time.Weekday(h.GetWeekday() % 7)
		spec.Week[wd] = append(spec.Week[wd], calendar.Span{Start: time.Duration(h.GetStartMinute()) * time.Minute,
			End: time.Duration(h.GetEndMinute()) * time.Minute})
	}
	for _, d := range c.GetHolidays() {
		spec.Holidays = append(spec.Holidays, calendar.NewDate(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay())))
	}
	for _, d := range c.GetWorkingDays() {
		spec.ExtraWorkdays = append(spec.ExtraWorkdays, calendar.NewDate(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay())))
	}
	cal, err := calendar.New(spec)
	if err != nil {
		return nil, &domain.FieldError{Field: "calendar", Rule: err.Error(), Err: errBadCalendar}
	}
	return cal, nil
}

// defaultCalendar is the calendar "default": Monday to Friday 09:00–17:00 in Asia/Shanghai.
func defaultCalendar(now time.Time) *ticketv1.BusinessCalendar {
	c := &ticketv1.BusinessCalendar{Id: domain.DefaultCalendarID, DisplayName: "Service desk, Mon–Fri 09:00–17:00",
		TimeZone: "Asia/Shanghai", CreateTime: timestamppb.New(now), UpdateTime: timestamppb.New(now)}
	for wd := int32(1); wd <= 5; wd++ {
		c.Hours = append(c.Hours, &ticketv1.WorkingHours{Weekday: wd, StartMinute: 9 * 60, EndMinute: 17 * 60})
	}
	return c
}

// policyFromProto turns an API policy into the domain policy, defaults filled.
func policyFromProto(p *ticketv1.ServicePolicy) domain.Policy {
	d := domain.Policy{
		ID: p.GetId(), CalendarID: p.GetCalendarId(), RadiusKM: p.GetRadiusKm(), WarnFraction: p.GetWarnFraction(),
		CloseTimeout: p.GetCloseTimeout().AsDuration(), SatisfiedScore: int(p.GetSatisfiedScore()),
		RepeatWindow: p.GetRepeatWindow().AsDuration(), RemoteFirst: p.GetRemoteFirst(), ExpertAfterVisits: int(p.GetExpertAfterVisits()),
		KPI: domain.KPITargets{TimelinessMin: p.GetKpiTargets().GetTimelinessMin(), SatisfactionMin: p.GetKpiTargets().GetSatisfactionMin(),
			ComplaintMax: p.GetKpiTargets().GetComplaintRateMax()},
	}
	if p.GetCloseTimeout() == nil {
		d.CloseTimeout = domain.DefaultPolicy().CloseTimeout
	}
	d.Programmes = programmesFromProto(p.GetProgrammes())
	if p.Targets != nil {
		d.Targets = []domain.Target{}
	}
	for _, t := range p.GetTargets() {
		dt := domain.Target{ClockSpec: domain.ClockSpec{Name: t.GetName(), Metric: domain.Metric(t.GetMetric()),
			Audience: domain.Audience(t.GetAudience()), Basis: domain.Basis(t.GetBasis()), Target: t.GetTarget().AsDuration(),
			WorkingDays: int(t.GetWorkingDays()), EscalateOnBreach: t.GetEscalateOnBreach()},
			InsideRadius: t.GetInsideRadius(), BeyondRadius: t.GetBeyondRadius()}
		if dt.Audience == 0 {
			dt.Audience = domain.AudienceCustomer
		}
		if dt.Basis == 0 {
			dt.Basis = domain.BasisElapsed
		}
		for _, k := range t.GetKinds() {
			dt.Kinds = append(dt.Kinds, domain.Kind(k))
		}
		for _, pr := range t.GetPriorities() {
			dt.Priorities = append(dt.Priorities, domain.Priority(pr))
		}
		for _, r := range t.GetPauseReasons() {
			dt.PauseReasons = append(dt.PauseReasons, domain.PauseReason(r))
		}
		d.Targets = append(d.Targets, dt)
	}
	return d.WithDefaults()
}

// policyToProto writes a domain policy's settings into an API policy (targets included).
func policyToProto(d domain.Policy, p *ticketv1.ServicePolicy) {
	p.CalendarId, p.RadiusKm, p.WarnFraction = d.CalendarID, d.RadiusKM, d.WarnFraction
	p.CloseTimeout, p.SatisfiedScore = durationpb.New(d.CloseTimeout), int32(d.SatisfiedScore)
	p.RepeatWindow, p.RemoteFirst, p.ExpertAfterVisits = durationpb.New(d.RepeatWindow), d.RemoteFirst, int32(d.ExpertAfterVisits)
	p.KpiTargets = &ticketv1.KpiTargets{TimelinessMin: d.KPI.TimelinessMin, SatisfactionMin: d.KPI.SatisfactionMin, ComplaintRateMax: d.KPI.ComplaintMax}
	p.Programmes = programmesToProto(d.Programmes)
	p.Targets = nil
	for _, t := range d.Targets {
		pt := &ticketv1.SlaTarget{Name: t.Name, Metric: ticketv1.SlaMetric(t.Metric), Audience: ticketv1.SlaAudience(t.Audience),
			Basis: ticketv1.SlaBasis(t.Basis), WorkingDays: int32(t.WorkingDays), InsideRadius: t.InsideRadius,
			BeyondRadius: t.BeyondRadius, EscalateOnBreach: t.EscalateOnBreach}
		if t.Target > 0 {
			pt.Target = durationpb.New(t.Target)
		}
		for _, k := range t.Kinds {
			pt.Kinds = append(pt.Kinds, ticketv1.TicketKind(k))
		}
		for _, pr := range t.Priorities {
			pt.Priorities = append(pt.Priorities, ticketv1.Priority(pr))
		}
		for _, r := range t.PauseReasons {
			pt.PauseReasons = append(pt.PauseReasons, ticketv1.PauseReason(r))
		}
		p.Targets = append(p.Targets, pt)
	}
}

// snapshot is a ticket without personal data, for events.
func snapshot(t *ticketv1.Ticket) *ticketv1.TicketSnapshot {
	return &ticketv1.TicketSnapshot{
		Id: t.GetId(), Number: t.GetNumber(), Kind: t.GetKind(), State: t.GetState(), Priority: t.GetPriority(),
		Channel: t.GetChannel(), CustomerId: t.GetCustomer().GetCustomerId(), UnitSerial: t.GetUnit().GetSerial(),
		ProductLine: t.GetUnit().GetProductLine(), FaultCode: t.GetFault().GetFaultCode(), OrganisationId: t.GetOrganisationId(),
		Region: t.GetCustomer().GetAddress().GetRegion(), EscalationLevel: t.GetEscalationLevel(), Breached: t.GetBreached(),
		ComplaintNumber: t.GetComplaint().GetNumber(), Visits: int32(len(t.GetJobs())), CreateTime: t.GetCreateTime(),
		UpdateTime: t.GetUpdateTime(), FollowUpId: t.GetFollowUpId(), ProgrammeId: t.GetProgrammeId(),
	}
}

// facts is what a stored ticket contributes to the KPIs.
func facts(t *ticketv1.Ticket) domain.Facts {
	created := t.GetCreateTime().AsTime()
	f := domain.Facts{Kind: domain.Kind(t.GetKind()), Paused: map[domain.PauseReason]time.Duration{}}
	if r := t.GetResolution(); r.GetResolveTime() != nil {
		f.Resolved = true
		f.ResolveTime = r.GetResolveTime().AsTime().Sub(created)
		f.FirstVisitFix = r.GetFirstVisitFix()
	}
	if t.GetFirstResponseTime() != nil {
		f.Responded, f.ResponseTime = true, t.GetFirstResponseTime().AsTime().Sub(created)
	}
	for _, c := range t.GetClocks() {
		if c.GetAudience() != ticketv1.SlaAudience_SLA_AUDIENCE_CUSTOMER {
			continue
		}
		switch {
		case c.GetBreached():
			f.CustomerClocksMissed++
		case c.GetState() == ticketv1.SlaClockState_SLA_CLOCK_STATE_STOPPED:
			f.CustomerClocksMet++
		}
	}
	if s := t.GetSurvey(); s != nil {
		f.Surveyed, f.Satisfied = true, s.GetSatisfied()
	}
	switch t.GetSurveyRequest().GetState() {
	case ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_REQUESTED:
		f.SurveyRequested = true
	case ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_ANSWERED:
		f.SurveyRequested, f.SurveyAnswered = true, true
	case ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_GIVEN_UP:
		f.SurveyRequested, f.SurveyGivenUp = true, true
	}
	f.ComplaintSubstantiated = t.GetComplaint().GetVerification().GetSubstantiated()
	f.OnSite = len(t.GetJobs()) > 0
	f.RepeatFailure = t.GetRepeatFailure()
	// Pause time: the longest-running clock's pauses stand for the ticket's waits.
	for _, c := range t.GetClocks() {
		if c.GetName() == "" {
			continue
		}
		var sum time.Duration
		for _, p := range c.GetPaused() {
			sum += p.GetDuration().AsDuration()
		}
		var cur time.Duration
		for _, d := range f.Paused {
			cur += d
		}
		if sum > cur {
			f.Paused = map[domain.PauseReason]time.Duration{}
			for _, p := range c.GetPaused() {
				f.Paused[domain.PauseReason(p.GetReason())] = p.GetDuration().AsDuration()
			}
		}
	}
	return f
}

// programmesFromProto turns a policy's programme settings into the domain's (zero: default).
func programmesFromProto(p *ticketv1.ProgrammePolicy) domain.ProgrammeSettings {
	s := domain.ProgrammeSettings{DeliveryDays: int(p.GetDeliveryDays()), ServiceDays: int(p.GetServiceDays()),
		KeyPerYear: int(p.GetKeyCustomerPerYear()), InWarrantyPerYear: int(p.GetInWarrantyPerYear()),
		AfterWarrantyPerYear: int(p.GetAfterWarrantyPerYear()), YearsAfterWarranty: int(p.GetRevisitYearsAfterWarranty()),
		LifelongLines: p.GetLifelongProductLines(), FollowUpAttempts: int(p.GetFollowUpAttempts()),
		InspectionsPerYear: int(p.GetInspectionsPerYear()), InspectionLeadDays: int(p.GetInspectionLeadDays()),
		SurveyReminderDays: int(p.GetSurveyReminderDays()), SurveyReminders: int(p.GetSurveyReminders())}
	return s.WithDefaults()
}

// programmesToProto is the inverse of programmesFromProto.
func programmesToProto(s domain.ProgrammeSettings) *ticketv1.ProgrammePolicy {
	return &ticketv1.ProgrammePolicy{DeliveryDays: int32(s.DeliveryDays), ServiceDays: int32(s.ServiceDays),
		KeyCustomerPerYear: int32(s.KeyPerYear), InWarrantyPerYear: int32(s.InWarrantyPerYear),
		AfterWarrantyPerYear: int32(s.AfterWarrantyPerYear), RevisitYearsAfterWarranty: int32(s.YearsAfterWarranty),
		LifelongProductLines: s.LifelongLines, FollowUpAttempts: int32(s.FollowUpAttempts),
		InspectionsPerYear: int32(s.InspectionsPerYear), InspectionLeadDays: int32(s.InspectionLeadDays),
		SurveyReminderDays: int32(s.SurveyReminderDays), SurveyReminders: int32(s.SurveyReminders)}
}
