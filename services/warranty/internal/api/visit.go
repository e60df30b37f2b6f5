package api

import (
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

func visitConsumerConfig(s *Server) events.ConsumerConfig {
	return events.ConsumerConfig{
		Stream:         "DISPATCH",
		Durable:        "warranty-visits",
		FilterSubjects: []string{SubjectVisitCompleted, SubjectJobFailed},
		Handle:         s.onVisit,
	}
}

// visitKinds maps dispatch's job kinds to the kinds of a unit's history.
var visitKinds = map[dispatchv1.JobKind]warrantyv1.VisitKind{
	dispatchv1.JobKind_JOB_KIND_REPAIR:       warrantyv1.VisitKind_VISIT_KIND_REPAIR,
	dispatchv1.JobKind_JOB_KIND_INSTALLATION: warrantyv1.VisitKind_VISIT_KIND_INSTALLATION,
	dispatchv1.JobKind_JOB_KIND_MAINTENANCE:  warrantyv1.VisitKind_VISIT_KIND_MAINTENANCE,
	dispatchv1.JobKind_JOB_KIND_INSPECTION:   warrantyv1.VisitKind_VISIT_KIND_INSPECTION,
}

// CauseCode reads a cause as the other services write it ("misuse", "LIGHTNING",
// "CAUSE_MISUSE"); false when it names no cause.
func CauseCode(s string) (warrantyv1.Cause, bool) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(name, "CAUSE_") {
		name = "CAUSE_" + name
	}
	v, ok := warrantyv1.Cause_value[name]
	if !ok || v == 0 {
		return 0, false
	}
	return warrantyv1.Cause(v), true
}

// findingOf reads the technician's finding from a signed report: nil when the report says
// nothing about scope, opening, causes or responsibility. A customer's responsibility without
// causes is misuse; unknown cause words are left out (and logged by the caller).
func findingOf(job *dispatchv1.Job, rep *dispatchv1.ServiceReport) (f *warrantyv1.SiteFinding, unknown []string) {
	resp := rep.GetResponsibility()
	if !rep.GetOutOfScope() && !rep.GetPartOpened() && len(rep.GetCauses()) == 0 && resp == dispatchv1.Responsibility_RESPONSIBILITY_UNSPECIFIED {
		return nil, nil
	}
	f = &warrantyv1.SiteFinding{OutOfScope: rep.GetOutOfScope(), PartOpened: rep.GetPartOpened(), JobId: job.GetId()}
	for _, c := range rep.GetCauses() {
		code, ok := CauseCode(c)
		if !ok {
			unknown = append(unknown, c)
			continue
		}
		f.Causes = append(f.Causes, code)
	}
	if len(f.Causes) == 0 && resp == dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER {
		f.Causes = append(f.Causes, warrantyv1.Cause_CAUSE_MISUSE)
	}
	return f, unknown
}

// validVisit checks an event's job and report as strictly as the API checks a request.
func validVisit(job *dispatchv1.Job, rep *dispatchv1.ServiceReport) error {
	switch {
	case job.GetId() == "":
		return errors.New("job.id is empty")
	case len(job.GetUnitSerial()) > 100:
		return errors.New("job.unit_serial is longer than 100")
	case len(rep.GetPartsUsed()) > 100:
		return fmt.Errorf("report.parts_used has %d parts, at most 100", len(rep.GetPartsUsed()))
	case rep.GetTravelKm() < 0 || rep.GetTravelKm() > 100_000:
		return fmt.Errorf("report.travel_km %v is outside 0..100000", rep.GetTravelKm())
	case rep.GetTimeSpent().AsDuration() < 0:
		return fmt.Errorf("report.time_spent %s is negative", rep.GetTimeSpent().AsDuration())
	}
	return nil
}

// onVisit records a dispatch visit report (job.visit_completed, or job.failed: a failed visit
// is a handling of the fault too) in its unit's history: the visit's kind (repair, maintenance,
// inspection, installation), the job's fault code ("UNSPECIFIED" when none), the completion day,
// FIXED or NOT_FIXED, the parts swapped (each with its own warranty from that day, also on a
// failed visit), the technician's finding, and what the visit cost (parts at cost, labour and
// travel at the policy's fee schedule). Jobs without a serial, or for a serial not registered
// here, are skipped.
func (s *Server) onVisit(tx *bbolt.Tx, m events.Message) error {
	var job *dispatchv1.Job
	var rep *dispatchv1.ServiceReport
	switch m.Subject {
	case SubjectJobFailed:
		v := &dispatchv1.JobFailed{}
		if err := m.Decode(v); err != nil {
			return events.Permanent(err)
		}
		job, rep = v.GetJob(), v.GetReport()
	default:
		v := &dispatchv1.VisitCompleted{}
		if err := m.Decode(v); err != nil {
			return events.Permanent(err)
		}
		job, rep = v.GetJob(), v.GetReport()
	}
	if err := validVisit(job, rep); err != nil {
		return events.Permanent(fmt.Errorf("visit event %s: %w", m.ID, err))
	}
	if job.GetUnitSerial() == "" {
		return nil
	}
	u, err := store.GetUnitBySerial(tx, job.GetUnitSerial())
	if errors.Is(err, store.ErrNotFound) {
		s.p.Log.Info("visit for an unregistered serial skipped", zap.String("job_id", job.GetId()))
		return nil
	} else if err != nil {
		return err
	}
	pol, err := s.compiled(tx, u.GetPolicyId(), u.GetPolicyVersion())
	if err != nil {
		return err
	}
	done := m.Time
	if rep.GetCompletedTime() != nil {
		done = rep.GetCompletedTime().AsTime()
	}
	day := calendar.DateOf(done, pol.Location())
	if sale := dateIn(u.GetDates().GetSale()); day.Before(sale) {
		day = sale
	}
	fault := job.GetFaultCode()
	if fault == "" || len(fault) > 64 {
		fault = domain.NoFaultCode
	}
	outcome := warrantyv1.RepairOutcome_REPAIR_OUTCOME_NOT_FIXED
	if rep.GetResolved() && m.Subject != SubjectJobFailed {
		outcome = warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED
	}
	kind, ok := visitKinds[job.GetKind()]
	if !ok {
		kind = warrantyv1.VisitKind_VISIT_KIND_REPAIR
	}
	finding, unknown := findingOf(job, rep)
	if len(unknown) > 0 {
		s.p.Log.Warn("visit report names unknown causes; left out of the finding", zap.String("job_id", job.GetId()), zap.Strings("causes", unknown))
	}
	r := &warrantyv1.Repair{Serial: u.GetSerial(), FaultCode: fault, RepairDate: dateOut(day), Outcome: outcome,
		JobId: job.GetId(), TicketId: job.GetTicketId(), Kind: kind, Finding: finding, Paid: job.GetPaid()}
	var partsAtCost int64
	cur := pol.Currency()
	for _, p := range rep.GetPartsUsed() {
		q := p.GetQuantity()
		if q < 1 {
			q = 1
		}
		sw := &warrantyv1.PartSwap{PartId: p.GetPartId(), Quantity: q, FaultySerial: p.GetFaultySerial(),
			ReplacementSerial: p.GetReplacementSerial(), Reason: p.GetReason(), UnderWarranty: p.GetUnderWarranty()}
		c, err := store.PartCost(tx, p.GetPartId())
		if err != nil {
			return err
		}
		if c != nil && (c.GetCurrencyCode() == "" || c.GetCurrencyCode() == cur) {
			sw.UnitCost = money(c.GetAmountMinor(), cur)
			partsAtCost += q * c.GetAmountMinor()
		}
		r.Parts = append(r.Parts, sw)
	}
	cost := domain.VisitCostOf(pol, rep.GetTimeSpent().AsDuration(), rep.GetTravelKm(), partsAtCost)
	r.Cost = &warrantyv1.VisitCost{LabourTime: durationpb.New(rep.GetTimeSpent().AsDuration()), TravelKm: rep.GetTravelKm(),
		Parts: money(cost.Parts, cur), Labour: money(cost.Labour, cur), Travel: money(cost.Travel, cur), Total: money(cost.Total(), cur)}
	rec, _, err := s.recordRepair(tx, r, warrantyv1.RepairSource_REPAIR_SOURCE_DISPATCH, s.p.Clock.Now())
	if err == nil {
		err = s.applyKeptAppraisals(tx, rec)
	}
	var ve *domain.ValidationError
	if errors.As(err, &ve) || errors.Is(err, domain.ErrUnitClosed) {
		return events.Permanent(fmt.Errorf("visit of job %s: %w", job.GetId(), err))
	}
	return err // the platform wakes the relay once the consumer's transaction commits
}
