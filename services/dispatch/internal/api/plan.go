package api

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// defaultService is how long a visit takes when planning a day.
const defaultService = time.Hour

// maxPlanJobs bounds the jobs one PlanDay considers (the solver's matrix grows with their
// square); appointments come first, then priority, then the earliest arrive_by.
const maxPlanJobs = 500

// maxPlanTechnicians bounds the technicians of one PlanDay.
const maxPlanTechnicians = 100

// hoursStep is the resolution at which a technician's working hours are read off the calendar.
const hoursStep = 5 * time.Minute

var leftOutReasons = map[plan.Reason]dispatchv1.LeftOutReason{
	plan.ReasonNoSkill:             dispatchv1.LeftOutReason_LEFT_OUT_REASON_NO_SKILL,
	plan.ReasonNoParts:             dispatchv1.LeftOutReason_LEFT_OUT_REASON_NO_PARTS,
	plan.ReasonOutsideHours:        dispatchv1.LeftOutReason_LEFT_OUT_REASON_OUTSIDE_HOURS,
	plan.ReasonDayFull:             dispatchv1.LeftOutReason_LEFT_OUT_REASON_DAY_FULL,
	plan.ReasonAppointmentConflict: dispatchv1.LeftOutReason_LEFT_OUT_REASON_APPOINTMENT_CONFLICT,
}

// travel is the straight-line travel model with the policy's road factor and speed, in whole
// seconds.
func (s *Server) travel() plan.Travel {
	return wholeSeconds{plan.StraightLine{RoadFactor: s.policy.RoadFactor, SpeedKmh: s.policy.SpeedKmh}}
}

// wholeSeconds rounds every drive up to the second. With the day starting on a whole second
// and whole-minute working hours and services, every planned time is then a whole number of
// seconds, which the solver's float seconds hold exactly: an appointment committed at a
// planned start that equals its ETA is still reachable, to the nanosecond, when the day is
// planned again (a truncated nanosecond would otherwise make it unreachable).
type wholeSeconds struct{ plan.Travel }

// Leg returns the drive, its duration rounded up to the second.
func (w wholeSeconds) Leg(from, to domain.Point) (plan.Leg, error) {
	l, err := w.Travel.Leg(from, to)
	if r := l.Duration.Truncate(time.Second); r != l.Duration {
		l.Duration = r + time.Second
	}
	return l, err
}

// workingHours returns the first stretch of working time in [from, from+24h).
func workingHours(cal domain.Calendar, from time.Time) (time.Time, time.Time, bool) {
	start, ok := cal.NextWorking(from, 24*time.Hour)
	if !ok || !start.Before(from.Add(24*time.Hour)) {
		return time.Time{}, time.Time{}, false
	}
	end := start
	for end.Before(from.Add(24*time.Hour)) && cal.IsWorking(end) {
		end = end.Add(hoursStep)
	}
	return start, end, end.After(start)
}

// dayInput reads the technicians and open jobs of a PlanDay request into a plan.Day; left
// holds the jobs that cannot be planned before solving (no site point).
func (s *Server) dayInput(req *dispatchv1.PlanDayRequest) (plan.Day, []plan.LeftOut, error) {
	from := tm(req.GetDayStart()).Truncate(time.Second)
	to := from.Add(24 * time.Hour)
	var day plan.Day
	var left []plan.LeftOut
	day.DefaultService = defaultService
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var techs []*dispatchv1.Technician
		if org := req.GetOrganisationId(); org != "" {
			if err := store.EachTechnician(tx, func(t *dispatchv1.Technician) error {
				if t.GetOrganisationId() == org {
					techs = append(techs, t)
				}
				return nil
			}); err != nil {
				return err
			}
		} else {
			for _, id := range req.GetTechnicianIds() {
				t, found, err := store.Technician(tx, id)
				if err != nil {
					return err
				}
				if !found {
					return fmt.Errorf("%w: technician %s", domain.ErrNotFound, id)
				}
				techs = append(techs, t)
			}
		}
		planned := map[string]bool{}
		var reach []domain.Technician
		for _, t := range techs {
			if !t.GetActive() {
				continue
			}
			dt, err := techToDomain(t)
			if err != nil {
				continue // not indexed either: fixed by UpdateTechnician
			}
			start, end, ok := workingHours(dt.Calendar, from)
			if now := s.p.Clock.Now().Truncate(time.Second); ok && now.After(start) {
				// The day has started: plan from now (the base stands in for where they are).
				start, ok = now, now.Before(end)
			}
			if !ok {
				continue
			}
			day.Technicians = append(day.Technicians, plan.Tech{ID: dt.ID, Start: dt.Base, End: dt.Base,
				From: start, Until: end, Level: dt.Level, Skills: dt.Skills, Capacity: dt.CapacityPerDay})
			planned[dt.ID] = true
			reach = append(reach, dt)
		}
		if len(day.Technicians) == 0 {
			return domain.Preconditionf("technician_ids: no active technician works on that day")
		}
		if len(day.Technicians) > maxPlanTechnicians {
			return domain.Invalidf("organisation_id: %d technicians work that day, at most %d are planned at once; give technician_ids",
				len(day.Technicians), maxPlanTechnicians)
		}
		for _, st := range []dispatchv1.JobState{dispatchv1.JobState_JOB_STATE_UNASSIGNED,
			dispatchv1.JobState_JOB_STATE_ASSIGNED, dispatchv1.JobState_JOB_STATE_ACCEPTED} {
			if err := store.EachJobInState(tx, st, func(j *dispatchv1.Job) error {
				holder := j.GetAssignment().GetTechnicianId()
				if holder != "" && !planned[holder] {
					return nil
				}
				var ap *plan.Appointment
				if w := j.GetAppointment().GetWindow(); w != nil {
					at := tm(w.GetStartTime())
					if at.Before(from) || !at.Before(to) {
						return nil
					}
					ap = &plan.Appointment{TechnicianID: holder, Start: at}
				}
				if holder == "" && !s.reachable(j, reach, from, to) {
					return nil // another station's job, or not for this day
				}
				if j.GetSite().GetPoint() == nil {
					if len(left) < maxPlanJobs {
						left = append(left, plan.LeftOut{JobID: j.GetId(), Reason: plan.ReasonOutsideHours})
					}
					return nil
				}
				day.Jobs = append(day.Jobs, dayJob(j, ap))
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if len(day.Jobs) > maxPlanJobs {
		sort.SliceStable(day.Jobs, func(a, b int) bool {
			ja, jb := &day.Jobs[a], &day.Jobs[b]
			if (ja.Appointment != nil) != (jb.Appointment != nil) {
				return ja.Appointment != nil
			}
			if ja.Priority != jb.Priority {
				return ja.Priority > jb.Priority
			}
			return ja.Deadline.Before(jb.Deadline)
		})
		day.Jobs = day.Jobs[:maxPlanJobs]
	}
	return day, left, err
}

// reachable reports whether an unassigned job is one for this day's technicians: its site
// (when known) inside some planned technician's radius who has the product line, and its
// customer window (when given) overlapping [from, to).
func (s *Server) reachable(j *dispatchv1.Job, techs []domain.Technician, from, to time.Time) bool {
	if w := j.GetCustomerWindow(); w != nil && (!tm(w.GetEndTime()).After(from) || !tm(w.GetStartTime()).Before(to)) {
		return false
	}
	for i := range techs {
		t := &techs[i]
		if _, ok := t.Skills[j.GetProductLine()]; !ok {
			continue
		}
		if j.GetSite().GetPoint() == nil {
			return true
		}
		radius := t.RadiusKm
		if radius <= 0 {
			radius = s.policy.DefaultRadiusKm
		}
		if s.opts.Distance.RoadKm(t.Base, point(j.GetSite().GetPoint())) <= radius {
			return true
		}
	}
	return false
}

func dayJob(j *dispatchv1.Job, ap *plan.Appointment) plan.DayJob {
	spec := jobSpec(j)
	dj := plan.DayJob{ID: j.GetId(), Location: spec.Site, ProductLine: spec.ProductLine, Skills: spec.Skills,
		Level: spec.Level, Kind: j.GetKind().String(), WindowStart: spec.WindowStart, WindowEnd: spec.WindowEnd,
		Deadline: spec.ArriveBy, Priority: int(j.GetPriority()), Appointment: ap}
	return dj
}

// PlanDay plans a day for a set of technicians without changing anything.
func (s *Server) PlanDay(ctx context.Context, req *dispatchv1.PlanDayRequest) (*dispatchv1.PlanDayResponse, error) {
	day, left, err := s.dayInput(req)
	if err != nil {
		return nil, toStatus(err)
	}
	budget := time.Second
	if req.GetBudget() != nil {
		budget = req.GetBudget().AsDuration()
	}
	select {
	case s.planSlots <- struct{}{}:
		defer func() { <-s.planSlots }()
	case <-ctx.Done():
		return nil, toStatus(ctx.Err())
	}
	opts := plan.Options{Seed: req.GetSeed(), Budget: budget}
	dp, err := plan.PlanDay(ctx, day, s.travel(), opts)
	if err != nil {
		return nil, toStatus(err)
	}
	moved := map[string]bool{}
	if req.GetMoveLateAppointments() {
		moved = releaseLate(&day, dp)
		if len(moved) > 0 {
			if dp, err = plan.PlanDay(ctx, day, s.travel(), opts); err != nil {
				return nil, toStatus(err)
			}
		}
	}
	dp.LeftOut = append(dp.LeftOut, left...)
	out := dayPlanToProto(dp)
	for _, r := range out.GetRoutes() {
		for _, v := range r.GetVisits() {
			v.MovesAppointment = moved[v.GetJobId()]
		}
	}
	return &dispatchv1.PlanDayResponse{Plan: out}, nil
}

// releaseLate frees the appointments dp could not keep whose technician is planned: they may
// move, and lose the customer's window (the customer is told a new time). It returns the
// freed jobs.
func releaseLate(day *plan.Day, dp plan.DayPlan) map[string]bool {
	conflict := map[string]bool{}
	for _, l := range dp.LeftOut {
		if l.Reason == plan.ReasonAppointmentConflict {
			conflict[l.JobID] = true
		}
	}
	techs := map[string]bool{}
	for _, t := range day.Technicians {
		techs[t.ID] = true
	}
	moved := map[string]bool{}
	for i := range day.Jobs {
		j := &day.Jobs[i]
		if conflict[j.ID] && j.Appointment != nil && techs[j.Appointment.TechnicianID] {
			j.Appointment, j.WindowStart, j.WindowEnd = nil, time.Time{}, time.Time{}
			moved[j.ID] = true
		}
	}
	return moved
}

func dur(d time.Duration) *durationpb.Duration { return durationpb.New(max(d, 0)) }

func dayPlanToProto(dp plan.DayPlan) *dispatchv1.DayPlan {
	out := &dispatchv1.DayPlan{Late: int32(dp.Late), Travel: dur(dp.Travel), Km: dp.Km, Iterations: int64(dp.Iterations)}
	for _, r := range dp.Routes {
		pr := &dispatchv1.PlannedRoute{TechnicianId: r.TechnicianID, DepartureTime: ts(r.Departure),
			ReturnTime: ts(r.Return), Travel: dur(r.Travel), Km: r.Km}
		for _, v := range r.Visits {
			pr.Visits = append(pr.Visits, &dispatchv1.PlannedVisit{JobId: v.JobID, TravelBefore: dur(v.TravelBefore),
				ArrivalTime: ts(v.Arrival), StartTime: ts(v.Start), EndTime: ts(v.End), Slack: dur(v.Slack),
				Late: v.Late, Fixed: v.Fixed})
		}
		out.Routes = append(out.Routes, pr)
	}
	for _, l := range dp.LeftOut {
		out.LeftOut = append(out.LeftOut, &dispatchv1.LeftOutJob{JobId: l.JobID, Reason: leftOutReasons[l.Reason]})
	}
	return out
}

// CommitPlan assigns and schedules a plan's visits in one transaction.
func (s *Server) CommitPlan(ctx context.Context, req *dispatchv1.CommitPlanRequest) (*dispatchv1.CommitPlanResponse, error) {
	seen := map[string]bool{}
	techs := map[string]domain.Technician{}
	s.mu.RLock()
	for i, v := range req.GetVisits() {
		if seen[v.GetJobId()] {
			s.mu.RUnlock()
			return nil, toStatus(domain.Invalidf("visits[%d].job_id: job %s is given twice", i, v.GetJobId()))
		}
		seen[v.GetJobId()] = true
		t, ok := s.roster.Technician(v.GetTechnicianId())
		if !ok {
			s.mu.RUnlock()
			return nil, toStatus(fmt.Errorf("%w: technician %s", domain.ErrNotFound, v.GetTechnicianId()))
		}
		techs[t.ID] = *t
	}
	s.mu.RUnlock()
	resp := &dispatchv1.CommitPlanResponse{}
	const method = "CommitPlan"
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, method, req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		ev := &dispatchv1.PlanCommitted{Visits: req.GetVisits()}
		for i, v := range req.GetVisits() {
			j, err := s.commitVisit(tx, i, v, techs[v.GetTechnicianId()], ev, now)
			if err != nil {
				return err
			}
			resp.Jobs = append(resp.Jobs, j)
		}
		key := req.GetRequestId()
		if key == "" {
			key = req.GetVisits()[0].GetJobId()
		}
		if err := emit(tx, SubjectPlanCommitted, "plans/"+key, ev, now); err != nil {
			return err
		}
		return idem.Save(tx, method, req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return resp, nil
}

// commitVisit applies visit i of a plan to its job, refusing a stale plan.
func (s *Server) commitVisit(tx *bbolt.Tx, i int, v *dispatchv1.CommitVisit, tc domain.Technician,
	ev *dispatchv1.PlanCommitted, now time.Time) (*dispatchv1.Job, error) {
	j, found, err := store.Job(tx, v.GetJobId())
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: job %s", domain.ErrNotFound, v.GetJobId())
	}
	switch j.GetState() {
	case dispatchv1.JobState_JOB_STATE_UNASSIGNED, dispatchv1.JobState_JOB_STATE_ASSIGNED, dispatchv1.JobState_JOB_STATE_ACCEPTED:
	default:
		return nil, domain.Preconditionf("visits[%d]: job %s is %s, no longer open; plan the day again", i, j.GetId(), j.GetState())
	}
	start := tm(v.GetStartTime())
	holder := j.GetAssignment().GetTechnicianId()
	if ap := j.GetAppointment(); ap != nil {
		if v.GetMoveAppointment() && holder == tc.ID {
			return s.movePlanned(tx, i, j, start, ev, now)
		}
		if holder != tc.ID || !tm(ap.GetWindow().GetStartTime()).Equal(start) {
			return nil, domain.Preconditionf("visits[%d]: job %s's appointment moved (technician %s at %s); plan the day again",
				i, j.GetId(), holder, tm(ap.GetWindow().GetStartTime()).Format(time.RFC3339))
		}
	}
	if !tc.Active {
		return nil, domain.Preconditionf("visits[%d].technician_id: technician %s is not active", i, tc.ID)
	}
	old := proto.Clone(j).(*dispatchv1.Job)
	touch(j, now)
	s.stamp(tx, j, false)
	switch {
	case holder != tc.ID:
		prev, err := s.endAssignment(tx, j, dispatchv1.AssignmentOutcome_ASSIGNMENT_OUTCOME_OVERRIDDEN, "day plan", now)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			j.State = dispatchv1.JobState_JOB_STATE_UNASSIGNED
		}
		if err := s.assign(tx, j, tc.ID, tc.OrganisationID, dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_MANUAL,
			nil, "day plan", "", start, prev, now); err != nil {
			return nil, err
		}
		ev.AssignedJobIds = append(ev.AssignedJobIds, j.GetId())
	case j.GetState() == dispatchv1.JobState_JOB_STATE_ACCEPTED && j.GetAppointment() == nil:
		j.Assignment.PlannedArrivalTime = ts(start)
		if w, ok := s.planWindow(j, start, now); ok {
			if err := transition(j, domain.EventSchedule); err != nil {
				return nil, err
			}
			j.Appointment = &dispatchv1.Appointment{Window: w, AgreedTime: ts(now)}
			if err := emitJob(tx, SubjectAppointmentScheduled, j, &dispatchv1.AppointmentScheduled{Job: snapshot(j)}, now); err != nil {
				return nil, err
			}
			ev.ScheduledJobIds = append(ev.ScheduledJobIds, j.GetId())
		}
	default:
		j.Assignment.PlannedArrivalTime = ts(start)
	}
	if err := store.PutJob(tx, old, j); err != nil {
		return nil, err
	}
	s.stageLoad(tx, s.loadChange(old, j))
	return j, nil
}

// planWindow is the appointment window for a planned start: an hour from it, cut at the end
// of the customer's window; ok is false when the appointment rules refuse it (then only the
// planned arrival is recorded).
func (s *Server) planWindow(j *dispatchv1.Job, start, now time.Time) (*dispatchv1.TimeWindow, bool) {
	w := domain.Window{Start: start, End: start.Add(defaultService)}
	if cw := j.GetCustomerWindow(); cw != nil && tm(cw.GetEndTime()).Before(w.End) {
		w.End = tm(cw.GetEndTime())
	}
	if domain.CheckAppointment(w, window(j.GetCustomerWindow()), now) != nil {
		return nil, false
	}
	if j.GetKind() == dispatchv1.JobKind_JOB_KIND_INSTALLATION && domain.CheckInstallationLead(s.policy, w, now) != nil {
		return nil, false
	}
	return &dispatchv1.TimeWindow{StartTime: ts(w.Start), EndTime: ts(w.End)}, true
}

// movePlanned reschedules job j's appointment to the planned start (visit i of a plan).
func (s *Server) movePlanned(tx *bbolt.Tx, i int, j *dispatchv1.Job, start time.Time, ev *dispatchv1.PlanCommitted, now time.Time) (*dispatchv1.Job, error) {
	old := proto.Clone(j).(*dispatchv1.Job)
	touch(j, now)
	s.stamp(tx, j, false)
	if err := transition(j, domain.EventReschedule); err != nil {
		return nil, domain.Preconditionf("visits[%d]: job %s's appointment cannot move: %v", i, j.GetId(), err)
	}
	win := &dispatchv1.TimeWindow{StartTime: ts(start), EndTime: ts(start.Add(defaultService))}
	if err := s.rescheduleTo(tx, j, win, now, "day re-planned", now); err != nil {
		return nil, err
	}
	j.Assignment.PlannedArrivalTime = ts(start)
	if err := store.PutJob(tx, old, j); err != nil {
		return nil, err
	}
	s.stageLoad(tx, s.loadChange(old, j))
	ev.RescheduledJobIds = append(ev.RescheduledJobIds, j.GetId())
	return j, nil
}

// plannedDayReasons adds to each candidate of a dry-run ranking what inserting job j into the
// technician's planned day costs (their open jobs planned on the candidate's arrival day, in
// planned order): the extra driving and the place, or that it does not fit.
func (s *Server) plannedDayReasons(j *dispatchv1.Job, rk *dispatchv1.Ranking) {
	if j.GetSite().GetPoint() == nil {
		return
	}
	for _, c := range rk.GetCandidates() {
		why, err := s.insertionReason(j, c)
		if err != nil {
			s.log.Warn("planned-day insertion not evaluated", zap.String("job_id", j.GetId()),
				zap.String("technician_id", c.GetTechnicianId()), zap.Error(err))
			continue
		}
		if why == "" {
			continue
		}
		if len(c.Reasons) >= 5 {
			c.Reasons = c.Reasons[:4]
		}
		c.Reasons = append(c.Reasons, why)
	}
}

// insertionReason evaluates job j in candidate c's planned day; "" when the day has nothing
// planned.
func (s *Server) insertionReason(j *dispatchv1.Job, c *dispatchv1.Candidate) (string, error) {
	var tp *dispatchv1.Technician
	var held []*dispatchv1.Job
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		t, found, err := store.Technician(tx, c.GetTechnicianId())
		if err != nil || !found {
			return err
		}
		tp = t
		held, _, err = store.ListJobs(tx, store.JobFilter{TechnicianID: t.GetId()}, "", 1000)
		return err
	})
	if err != nil || tp == nil {
		return "", err
	}
	dt, err := techToDomain(tp)
	if err != nil {
		return "", err
	}
	loc, err := time.LoadLocation(tp.GetCalendar().GetTimeZone())
	if err != nil {
		loc = time.UTC
	}
	arr := tm(c.GetArrivalTime()).In(loc)
	midnight := time.Date(arr.Year(), arr.Month(), arr.Day(), 0, 0, 0, 0, loc)
	from, until, ok := workingHours(dt.Calendar, midnight)
	if !ok {
		return "", nil
	}
	var planned []*dispatchv1.Job
	for _, h := range held {
		at := plannedTime(h)
		if h.GetId() == j.GetId() || !domain.State(h.GetState()).Open() || h.GetSite().GetPoint() == nil ||
			at.Before(from) || !at.Before(until) {
			continue
		}
		planned = append(planned, h)
	}
	if len(planned) == 0 {
		return "", nil
	}
	sort.SliceStable(planned, func(a, b int) bool { return plannedTime(planned[a]).Before(plannedTime(planned[b])) })
	day := plan.Day{DefaultService: defaultService, Technicians: []plan.Tech{{ID: dt.ID, Start: dt.Base, End: dt.Base,
		From: from, Until: until, Level: dt.Level, Skills: dt.Skills, Capacity: dt.CapacityPerDay}}}
	route := plan.TechRoute{TechnicianID: dt.ID}
	for _, h := range planned {
		var ap *plan.Appointment
		if w := h.GetAppointment().GetWindow(); w != nil {
			ap = &plan.Appointment{TechnicianID: dt.ID, Start: tm(w.GetStartTime())}
		}
		day.Jobs = append(day.Jobs, dayJob(h, ap))
		route.Visits = append(route.Visits, plan.PlannedVisit{JobID: h.GetId()})
	}
	ins, reason, err := plan.RankInsertions(day, plan.DayPlan{Routes: []plan.TechRoute{route}}, dayJob(j, nil), s.travel())
	if err != nil {
		return "", err
	}
	if len(ins) == 0 {
		return fmt.Sprintf("planned day: does not fit among %d visits (%s)", len(planned), reason), nil
	}
	return fmt.Sprintf("planned day: +%s driving as visit %d of %d, arriving %s", ins[0].ExtraTravel.Round(time.Minute),
		ins[0].Position+1, len(planned)+1, ins[0].Arrival.In(loc).Format("15:04")), nil
}
