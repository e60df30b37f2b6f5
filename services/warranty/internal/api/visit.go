package api

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
	"go.uber.org/zap"
)

// unknownFault is the fault code of a visit report whose job named none.
const unknownFault = "UNSPECIFIED"

func visitConsumerConfig(s *Server) events.ConsumerConfig {
	return events.ConsumerConfig{
		Stream:         "DISPATCH",
		Durable:        "warranty-visits",
		FilterSubjects: []string{SubjectVisitCompleted},
		Handle:         s.onVisitCompleted,
	}
}

// onVisitCompleted records a dispatch visit report as a repair of its unit: the job's fault
// code, the completion day, FIXED or NOT_FIXED, and the parts swapped (so the next claim sees
// each part's own warranty). Jobs without a serial, or for a serial not registered here, are
// skipped.
func (s *Server) onVisitCompleted(tx *bbolt.Tx, m events.Message) error {
	v := &dispatchv1.VisitCompleted{}
	if err := m.Decode(v); err != nil {
		return events.Permanent(err)
	}
	job, rep := v.GetJob(), v.GetReport()
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
	if fault == "" {
		fault = unknownFault
	}
	outcome := warrantyv1.RepairOutcome_REPAIR_OUTCOME_NOT_FIXED
	if rep.GetResolved() {
		outcome = warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED
	}
	r := &warrantyv1.Repair{Serial: u.GetSerial(), FaultCode: fault, RepairDate: dateOut(day), Outcome: outcome,
		JobId: job.GetId(), TicketId: job.GetTicketId()}
	for _, p := range rep.GetPartsUsed() {
		q := p.GetQuantity()
		if q < 1 {
			q = 1
		}
		r.Parts = append(r.Parts, &warrantyv1.PartSwap{PartId: p.GetPartId(), Quantity: q, FaultySerial: p.GetFaultySerial(),
			ReplacementSerial: p.GetReplacementSerial(), Reason: p.GetReason(), UnderWarranty: p.GetUnderWarranty()})
	}
	_, _, err = s.recordRepair(tx, r, warrantyv1.RepairSource_REPAIR_SOURCE_DISPATCH, s.p.Clock.Now())
	var ve *domain.ValidationError
	if errors.As(err, &ve) || errors.Is(err, domain.ErrUnitClosed) {
		return events.Permanent(fmt.Errorf("visit of job %s: %w", job.GetId(), err))
	}
	return err // the platform wakes the relay once the consumer's transaction commits
}
