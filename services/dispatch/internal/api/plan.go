package api

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

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

// Travel sources a day plan reports (DayPlan.travel_source).
const (
	travelStraightLine = "straight_line"
	travelRoads        = "road_network"
)

// dayTravel is the travel model of a day: the road network's matrix of the day's points when
// Options.Roads is set and answers, else straight lines (logged, and said in the source).
func (s *Server) dayTravel(ctx context.Context, day plan.Day) (plan.Travel, string) {
	if s.opts.Roads == nil {
		return s.travel(), travelStraightLine
	}
	m, err := s.opts.Roads.Table(ctx, day.Points())
	if err != nil {
		s.log.Warn("road network unavailable; planning the day on straight lines", zap.Error(err))
		return s.travel(), travelStraightLine + " (road network: " + truncate(err.Error(), 150) + ")"
	}
	return wholeSeconds{m}, travelRoads
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
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
	return cal.FirstStretch(from, from.Add(24*time.Hour))
}

// dayInputs is what a PlanDay reads from the store: the day to solve, the jobs left out before
// solving (no site point), and what the parts picture needs (dayParts).
type dayInputs struct {
	day   plan.Day
	left  []plan.LeftOut
	techs map[string]domain.Technician
	parts []*dispatchv1.Job // the planned jobs with likely parts
}

// dayInput reads the technicians and open jobs of a PlanDay request.
func (s *Server) dayInput(req *dispatchv1.PlanDayRequest) (dayInputs, error) {
	from := tm(req.GetDayStart()).Truncate(time.Second)
	to := from.Add(24 * time.Hour)
	var day plan.Day
	var left []plan.LeftOut
	techsByID := map[string]domain.Technician{}
	var withParts []*dispatchv1.Job
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
			dt, err := techToDomain(t, s.policy.Qualification)
			if err != nil {
				continue // not indexed either: fixed by UpdateTechnician
			}
			start, end, ok := workingHours(dt.Calendar, from)
			at := dt.Base
			if now := s.p.Clock.Now().Truncate(time.Second); ok && now.After(start) {
				// The day has started: plan from where they are now, once free.
				pos, free, err := whereNow(tx, dt, start, now)
				if err != nil {
					return err
				}
				at, start, ok = pos, free, free.Before(end)
			}
			if !ok {
				continue
			}
			day.Technicians = append(day.Technicians, plan.Tech{ID: dt.ID, Start: at, End: dt.Base,
				From: start, Until: end, Level: dt.Level, Skills: s.qualifiedSkills(dt, start), Capacity: dt.CapacityPerDay})
			planned[dt.ID] = true
			techsByID[dt.ID] = dt
			reach = append(reach, dt)
		}
		if len(day.Technicians) == 0 {
			return domain.Preconditionf("technician_ids: no active technician works on that day")
		}
		if len(day.Technicians) > maxPlanTechnicians {
			return domain.Invalidf("organisation_id: %d technicians work that day, at most %d are planned at once; give technician_ids",
				len(day.Technicians), maxPlanTechnicians)
		}
		// A team job occupies its members too (domain.Crew): the day's team jobs another leads
		// take from each member's capacity, so the plan does not book them twice.
		taken := map[string]int{}
		for _, st := range store.OpenStates() {
			if err := store.EachJobInState(tx, st, func(j *dispatchv1.Job) error {
				a := j.GetAssignment()
				if at := plannedTime(j); len(a.GetMemberIds()) == 0 || at.Before(from) || !at.Before(to) {
					return nil
				}
				for _, id := range domain.Crew(a.GetTechnicianId(), a.GetMemberIds())[1:] {
					if planned[id] {
						taken[id]++
					}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		for i := range day.Technicians {
			day.Technicians[i].Taken = taken[day.Technicians[i].ID]
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
				if len(j.GetLikelyParts()) > 0 {
					withParts = append(withParts, j)
				}
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
		kept := map[string]bool{}
		for _, j := range day.Jobs {
			kept[j.ID] = true
		}
		withParts = slices.DeleteFunc(withParts, func(j *dispatchv1.Job) bool { return !kept[j.GetId()] })
	}
	return dayInputs{day: day, left: left, techs: techsByID, parts: withParts}, err
}

// recentJobs is how many of a technician's newest jobs whereNow looks through for the day's
// check-ins: far more than anyone visits in a day.
const recentJobs = 50

// whereNow is where technician t is at now on a day whose working hours began at dayFrom, and
// when they are free: at the site of their latest check-in of the day (the check-in's point,
// else the job's site), free at now — or, while still on site, an hour after checking in —;
// at their base, free now, when they have not checked in anywhere that day.
func whereNow(tx *bbolt.Tx, t domain.Technician, dayFrom, now time.Time) (domain.Point, time.Time, error) {
	pos, free := t.Base, now
	var latest time.Time
	err := store.RecentJobsOf(tx, t.ID, recentJobs, func(j *dispatchv1.Job) bool {
		ci := j.GetCheckIn()
		at := tm(ci.GetCheckInTime())
		if ci == nil || at.Before(dayFrom) || at.After(now) || !at.After(latest) {
			return true
		}
		p := ci.GetPoint()
		if p == nil {
			p = j.GetSite().GetPoint()
		}
		if p == nil {
			return true
		}
		latest, pos, free = at, point(p), now
		if j.GetState() == dispatchv1.JobState_JOB_STATE_ON_SITE {
			if busy := at.Add(defaultService); busy.After(now) {
				free = busy
			}
		}
		return true
	})
	return pos, free.Truncate(time.Second), err
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
	in, err := s.dayInput(req)
	if err != nil {
		return nil, toStatus(err)
	}
	day, left := in.day, in.left
	depots := s.dayParts(ctx, &day, in.parts, in.techs)
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
	travel, source := s.dayTravel(ctx, day)
	dp, err := plan.PlanDay(ctx, day, travel, opts)
	if err != nil {
		return nil, toStatus(err)
	}
	moved := map[string]bool{}
	if req.GetMoveLateAppointments() {
		moved = releaseLate(&day, dp)
		if len(moved) > 0 {
			if dp, err = plan.PlanDay(ctx, day, travel, opts); err != nil {
				return nil, toStatus(err)
			}
		}
	}
	dp.LeftOut = append(dp.LeftOut, left...)
	out := dayPlanToProto(dp, depots)
	out.TravelSource = source
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

// dayPlanToProto converts a plan; depots names the depot each technician would collect at.
func dayPlanToProto(dp plan.DayPlan, depots map[string]string) *dispatchv1.DayPlan {
	out := &dispatchv1.DayPlan{Late: int32(dp.Late), Travel: dur(dp.Travel), Km: dp.Km, Iterations: int64(dp.Iterations)}
	for _, r := range dp.Routes {
		pr := &dispatchv1.PlannedRoute{TechnicianId: r.TechnicianID, DepartureTime: ts(r.Departure),
			ReturnTime: ts(r.Return), Travel: dur(r.Travel), Km: r.Km}
		if r.DepotArrival != nil {
			pr.DepotLocationId, pr.DepotArrivalTime = depots[r.TechnicianID], ts(*r.DepotArrival)
		}
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
	if q := tc.Quals[j.GetProductLine()]; holder != tc.ID && s.policy.Qualification.Required && !q.Qualified(now) {
		return nil, &domain.ReasonError{Reason: domain.ReasonNotQualified,
			Msg: fmt.Sprintf("visits[%d].technician_id: technician %s is %s (job %s)", i, tc.ID, domain.NotQualifiedFor(j.GetProductLine(), q, now), j.GetId())}
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
		if err := s.assign(tx, j, tc.ID, tc.OrganisationID, nil, dispatchv1.AssignmentSource_ASSIGNMENT_SOURCE_MANUAL,
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

// byPlannedDay re-costs the candidates of rk who have a planned day on their arrival day by
// the cheapest place for job j in it (see domain.Matcher.InPlannedDay), drops those whose
// planned day cannot take it (ReasonPlannedDay), and sorts and explains the ranking again. tx
// may be nil (a dry run reads its own snapshot); inside a write it sees the uncommitted
// assignments. A planned day that cannot be evaluated keeps the candidate as ranked.
func (s *Server) byPlannedDay(tx *bbolt.Tx, j *dispatchv1.Job, rk *domain.Ranking, now time.Time) {
	if j.GetSite().GetPoint() == nil || len(rk.Candidates) == 0 {
		return
	}
	deadline := s.matcher.Deadline(jobSpec(j), now)
	kept := rk.Candidates[:0]
	changed := false
	for _, c := range rk.Candidates {
		s.mu.RLock()
		t, ok := s.roster.Technician(c.TechnicianID)
		var tc domain.Technician
		if ok {
			tc = *t
		}
		s.mu.RUnlock()
		if !ok || c.Load == 0 {
			kept = append(kept, c) // nothing planned on the arrival day
			continue
		}
		slot, arrival, fits, err := s.plannedSlot(tx, j, &tc, c.Arrival)
		switch {
		case err != nil:
			s.log.Warn("planned-day insertion not evaluated", zap.String("job_id", j.GetId()),
				zap.String("technician_id", c.TechnicianID), zap.Error(err))
		case slot == nil:
			// nothing planned that day: the drive from the base is the insertion cost
		case !fits:
			changed = true
			if !s.laterDay(tx, j, &tc, &c, deadline) {
				rk.Exclusions[domain.ReasonPlannedDay]++
				continue
			}
		default:
			s.matcher.InPlannedDay(&tc, &c, *slot, arrival, deadline)
			changed = true
		}
		kept = append(kept, c)
	}
	rk.Candidates = kept
	if changed {
		domain.Sort(rk.Candidates)
		for i := range rk.Candidates {
			domain.Explain(&rk.Candidates[i])
		}
	}
}

// laterDays bounds how far ahead laterDay looks for a day that can take a job.
const laterDays = 7

// laterDay looks, when the arrival day's plan cannot take job j, for technician t's next
// working day before the job's deadline that can: a day with nothing planned costs the drive
// from the base c was ranked by, arriving at the day's start plus that drive (not before the
// customer's window, not after its end); a planned day the cheapest insertion into it. It
// re-costs c for that day and reports whether there is one, at most laterDays ahead.
func (s *Server) laterDay(tx *bbolt.Tx, j *dispatchv1.Job, t *domain.Technician, c *domain.Candidate, deadline time.Time) bool {
	spec := jobSpec(j)
	loc := t.Calendar.Location()
	arr := c.Arrival.In(loc)
	day := time.Date(arr.Year(), arr.Month(), arr.Day(), 0, 0, 0, 0, loc)
	for range laterDays {
		day = day.AddDate(0, 0, 1)
		from, _, ok := workingHours(t.Calendar, day)
		if !ok {
			continue
		}
		if !from.Before(deadline) {
			return false
		}
		slot, arrival, fits, err := s.plannedSlot(tx, j, t, from)
		switch {
		case err != nil:
			return false
		case slot == nil:
			arrival = from.Add(c.Travel)
			if arrival.Before(spec.WindowStart) {
				arrival = spec.WindowStart
			}
			if arrival.After(deadline) || (!spec.WindowEnd.IsZero() && !arrival.Before(spec.WindowEnd)) {
				return false
			}
			s.matcher.OnLaterDay(t, c, arrival, deadline)
			return true
		case fits:
			s.matcher.InPlannedDay(t, c, *slot, arrival, deadline)
			return true
		}
	}
	return false
}

// plannedSlot finds the cheapest place for job j in technician t's planned day on the day of
// arrival: their open jobs with a site planned that day, in planned order. slot is nil when
// nothing is planned that day; fits is false when the day cannot take the job without
// breaking an appointment, a window or the working hours, or making a visit late.
func (s *Server) plannedSlot(tx *bbolt.Tx, j *dispatchv1.Job, t *domain.Technician, arrival time.Time) (*domain.Slot, time.Time, bool, error) {
	loc := t.Calendar.Location()
	arr := arrival.In(loc)
	midnight := time.Date(arr.Year(), arr.Month(), arr.Day(), 0, 0, 0, 0, loc)
	from, until, ok := workingHours(t.Calendar, midnight)
	if !ok {
		return nil, time.Time{}, false, nil
	}
	// The technician's open jobs planned that day, read as summaries (what planning reads of
	// a job: not its ranking or history).
	var planned []*dispatchv1.Job
	read := func(tx *bbolt.Tx) error {
		return store.OpenJobSummariesOf(tx, t.ID, func(h *dispatchv1.Job) error {
			at := plannedTime(h)
			if h.GetId() == j.GetId() || !domain.State(h.GetState()).Open() || h.GetSite().GetPoint() == nil ||
				at.Before(from) || !at.Before(until) {
				return nil
			}
			planned = append(planned, h)
			return nil
		})
	}
	var err error
	if tx != nil {
		err = read(tx)
	} else {
		err = s.p.DB.View(read)
	}
	if err != nil {
		return nil, time.Time{}, false, err
	}
	if len(planned) == 0 {
		return nil, time.Time{}, false, nil
	}
	sort.SliceStable(planned, func(a, b int) bool { return plannedTime(planned[a]).Before(plannedTime(planned[b])) })
	if now := s.p.Clock.Now().Truncate(time.Second); now.After(from) {
		from = now // the day has started: plan the rest of it from now
	}
	day := plan.Day{DefaultService: defaultService, Technicians: []plan.Tech{{ID: t.ID, Start: t.Base, End: t.Base,
		From: from, Until: until, Level: t.Level, Skills: t.Skills, Capacity: t.CapacityPerDay}}}
	route := plan.TechRoute{TechnicianID: t.ID}
	for _, h := range planned {
		var ap *plan.Appointment
		if w := h.GetAppointment().GetWindow(); w != nil {
			ap = &plan.Appointment{TechnicianID: t.ID, Start: tm(w.GetStartTime())}
		}
		day.Jobs = append(day.Jobs, dayJob(h, ap))
		route.Visits = append(route.Visits, plan.PlannedVisit{JobID: h.GetId()})
	}
	ins, _, err := plan.RankInsertions(day, plan.DayPlan{Routes: []plan.TechRoute{route}}, dayJob(j, nil), s.travel())
	if err != nil {
		return nil, time.Time{}, false, err
	}
	slot := &domain.Slot{Of: len(planned)}
	if len(ins) == 0 || ins[0].LateAdded > 0 {
		return slot, time.Time{}, false, nil
	}
	slot.Position, slot.ExtraTravel = ins[0].Position, ins[0].ExtraTravel
	return slot, ins[0].Arrival, true, nil
}

// qualifiedSkills is the technician's skills the solver may use on a day starting at t: when
// the policy requires qualifications, only the product lines they are qualified for at t.
func (s *Server) qualifiedSkills(t domain.Technician, at time.Time) map[string]map[string]bool {
	if !s.policy.Qualification.Required {
		return t.Skills
	}
	out := make(map[string]map[string]bool, len(t.Skills))
	for line, set := range t.Skills {
		if t.Quals[line].Qualified(at) {
			out[line] = set
		}
	}
	return out
}
