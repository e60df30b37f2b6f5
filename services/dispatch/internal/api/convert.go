package api

import (
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/inventory"
)

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// tm converts a timestamp; nil is the zero time.
func tm(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func point(p *typev1.GeoPoint) domain.Point {
	return domain.Point{Lat: p.GetLatitude(), Lon: p.GetLongitude()}
}

// techToDomain converts a stored or requested technician for matching; it fails with
// domain.ErrInvalid on a calendar the domain does not accept.
func techToDomain(t *dispatchv1.Technician, qp domain.QualificationPolicy) (domain.Technician, error) {
	cal, err := calendars.of(t.GetCalendar())
	if err != nil {
		return domain.Technician{}, err
	}
	skills := make(map[string]map[string]bool, len(t.GetSkills()))
	for _, ps := range t.GetSkills() {
		set := skills[ps.GetProductLine()]
		if set == nil {
			set = map[string]bool{}
			skills[ps.GetProductLine()] = set
		}
		for _, s := range ps.GetSkills() {
			set[s] = true
		}
	}
	return domain.Technician{
		ID:             t.GetId(),
		OrganisationID: t.GetOrganisationId(),
		Kind:           domain.OrgKind(t.GetOrganisationKind()),
		Level:          domain.Level(t.GetLevel()),
		Skills:         skills,
		Base:           point(t.GetHomeBase()),
		RadiusKm:       t.GetServiceRadiusKm(),
		Calendar:       cal,
		CapacityPerDay: int(t.GetCapacityPerDay()),
		Active:         t.GetActive(),
		VanLocationID:  t.GetVanLocationId(),
		Quals:          domain.FoldQualifications(qp, qualRecords(t.GetQualificationRecords())),
	}, nil
}

// qualRecords converts stored qualification records.
func qualRecords(rs []*dispatchv1.QualificationRecord) []domain.QualRecord {
	out := make([]domain.QualRecord, 0, len(rs))
	for _, r := range rs {
		out = append(out, domain.QualRecord{
			Line: r.GetProductLine(), Kind: domain.RecordKind(r.GetKind()),
			Start: tm(r.GetStartTime()), End: tm(r.GetEndTime()), At: tm(r.GetAssessedTime()), Passed: r.GetPassed(),
		})
	}
	return out
}

// qualificationToProto is q as of now.
func qualificationToProto(q domain.Qualification, now time.Time) *dispatchv1.Qualification {
	return &dispatchv1.Qualification{
		ProductLine: q.Line, State: dispatchv1.QualificationState(q.State(now)),
		QualifiedUntil: ts(q.Until), Trainee: q.Trainee(now), AssessableTime: ts(q.Assessable),
	}
}

func jobSpec(j *dispatchv1.Job) domain.JobSpec {
	return domain.JobSpec{
		ProductLine: j.GetProductLine(),
		Skills:      j.GetRequiredSkills(),
		Level:       domain.Level(j.GetLevel()),
		Site:        point(j.GetSite().GetPoint()),
		ArriveBy:    tm(j.GetArriveBy()),
		WindowStart: tm(j.GetCustomerWindow().GetStartTime()),
		WindowEnd:   tm(j.GetCustomerWindow().GetEndTime()),
		NeedsParts:  len(j.GetLikelyParts()) > 0,
	}
}

func partLines(j *dispatchv1.Job) []inventory.Line {
	var out []inventory.Line
	for _, p := range j.GetLikelyParts() {
		out = append(out, inventory.Line{PartID: p.GetPartId(), Quantity: p.GetQuantity()})
	}
	return out
}

func rankingToProto(r domain.Ranking) *dispatchv1.Ranking {
	out := &dispatchv1.Ranking{RankedTime: ts(r.At), Considered: int32(r.Considered)}
	for _, c := range r.Candidates {
		out.Candidates = append(out.Candidates, &dispatchv1.Candidate{
			TechnicianId:      c.TechnicianID,
			OrganisationId:    c.OrganisationID,
			Score:             c.Score,
			DistanceKm:        c.DistanceKm,
			TravelTime:        durationpb.New(c.Travel),
			ArrivalTime:       ts(c.Arrival),
			SlaSlack:          durationpb.New(c.Slack),
			Load:              int32(c.Load),
			Parts:             dispatchv1.PartsReadiness(c.Parts),
			CollectLocationId: c.CollectLocationID,
			Reasons:           c.Reasons,
		})
	}
	for _, reason := range []string{domain.ReasonInactive, domain.ReasonSkills, domain.ReasonLevel,
		domain.ReasonCapacity, domain.ReasonRadius, domain.ReasonCalendar, domain.ReasonDeadline,
		domain.ReasonWindow, domain.ReasonDeclined, domain.ReasonPlannedDay, domain.ReasonQualification} {
		if n := r.Exclusions[reason]; n > 0 {
			text := reason
			if reason == domain.ReasonQualification {
				text += " for " + r.Line
			}
			out.Exclusions = append(out.Exclusions, &dispatchv1.Exclusion{Reason: text, Count: int32(n)})
		}
	}
	return out
}

// snapshot is the job as events carry it: personal data removed (the site keeps region and
// city; the check-in loses its position; sign-offs lose the signer's name).
func snapshot(j *dispatchv1.Job) *dispatchv1.Job {
	c := proto.Clone(j).(*dispatchv1.Job)
	if s := c.GetSite(); s != nil {
		c.Site = &typev1.Address{Region: s.GetRegion(), City: s.GetCity()}
	}
	if ci := c.GetCheckIn(); ci != nil {
		ci.Point = nil // the technician's position on site is the customer's
	}
	c.Report = scrubReport(c.GetReport())
	// The summary job events carry (events.proto): rankings and the amendment history are left
	// out and the histories keep their latest entries, so no job's event outgrows the bus.
	c.LastRanking = nil
	if a := c.GetAssignment(); a != nil {
		a.Ranking = nil
	}
	c.Amendments = nil
	c.PreviousAssignments = latest(c.PreviousAssignments, maxSnapshotAssignments)
	for _, a := range c.PreviousAssignments {
		a.Ranking = nil
	}
	c.Escalations = latest(c.Escalations, maxSnapshotEscalations)
	if ap := c.GetAppointment(); ap != nil {
		ap.Reschedules = latest(ap.Reschedules, maxSnapshotReschedules)
	}
	return c
}

// How many of a job's latest history entries its event snapshot keeps (the max_items of Job's
// fields in job.proto).
const (
	maxSnapshotAssignments = 10
	maxSnapshotEscalations = 20
	maxSnapshotReschedules = 20
)

// latest returns the last n entries of s.
func latest[T any](s []T, n int) []T {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func scrubReport(r *dispatchv1.ServiceReport) *dispatchv1.ServiceReport {
	if r == nil {
		return nil
	}
	r = proto.Clone(r).(*dispatchv1.ServiceReport)
	if r.GetSignOff() != nil {
		r.SignOff.SignerName = ""
	}
	return r
}

// calendars holds the technicians' compiled working calendars, one per distinct calendar:
// technicians on the same hours share one, so a ranking asks it once (domain.Matcher).
var calendars calendarSet

// maxCalendars bounds calendarSet; past it the set starts over.
const maxCalendars = 4096

// calendarSet compiles each distinct working calendar once. Safe for concurrent use.
type calendarSet struct {
	mu sync.Mutex
	m  map[string]domain.Calendar
}

// of returns c compiled; it fails with domain.ErrInvalid on a calendar the domain does not accept.
func (cs *calendarSet) of(c *dispatchv1.WorkingCalendar) (domain.Calendar, error) {
	key, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return domain.Calendar{}, fmt.Errorf("calendar key: %w", err)
	}
	cs.mu.Lock()
	cal, ok := cs.m[string(key)]
	cs.mu.Unlock()
	if ok {
		return cal, nil
	}
	var hours []domain.WeeklyHours
	for _, h := range c.GetHours() {
		hours = append(hours, domain.WeeklyHours{Weekday: int(h.GetWeekday()), StartMin: int(h.GetStartMinute()), EndMin: int(h.GetEndMinute())})
	}
	var off []domain.Day
	for _, d := range c.GetDaysOff() {
		off = append(off, domain.Day{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())})
	}
	cal, err = domain.NewCalendar(c.GetTimeZone(), hours, off)
	if err != nil {
		return domain.Calendar{}, err
	}
	cs.mu.Lock()
	if cs.m == nil || len(cs.m) >= maxCalendars {
		cs.m = map[string]domain.Calendar{}
	}
	cs.m[string(key)] = cal
	cs.mu.Unlock()
	return cal, nil
}
