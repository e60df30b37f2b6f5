package api

import (
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// SubjectReturnAppraised is parts-inventory's event: a returned old part was appraised.
const SubjectReturnAppraised = "sanbao.inventory.v1.return.appraised"

func appraisalConsumerConfig(s *Server) events.ConsumerConfig {
	return events.ConsumerConfig{
		Stream:         "INVENTORY",
		Durable:        "warranty-appraisals",
		FilterSubjects: []string{SubjectReturnAppraised},
		Handle:         s.onReturnAppraised,
	}
}

// onReturnAppraised closes the old-part loop: when the technical department finds that a part
// replaced under warranty had no fault, or was misused, the swap recorded from the job's visit
// is marked charged back and a repair.charged_back event tells finance and the dealer. A
// confirmed fault changes nothing; an appraisal for a job this service never saw is skipped.
func (s *Server) onReturnAppraised(tx *bbolt.Tx, m events.Message) error {
	ev := &inventoryv1.ReturnAppraised{}
	if err := m.Decode(ev); err != nil {
		return events.Permanent(err)
	}
	if r := ev.GetOldPartReturn(); r.GetId() != "" {
		r := proto.Clone(r).(*inventoryv1.OldPartReturn)
		if r.JobId == "" {
			r.JobId = ev.GetJobId()
		}
		if r.PartId == "" {
			r.PartId, r.FaultySerial = ev.GetPartId(), ev.GetFaultySerial()
		}
		if r.Verdict == inventoryv1.Verdict_VERDICT_UNSPECIFIED {
			r.Verdict = ev.GetVerdict()
		}
		if r.State < inventoryv1.ReturnState_RETURN_STATE_APPRAISED {
			r.State = inventoryv1.ReturnState_RETURN_STATE_APPRAISED
		}
		if r.GetJobId() != "" {
			if err := s.keepOldPart(tx, r); err != nil {
				return err
			}
		}
	}
	switch ev.GetVerdict() {
	case inventoryv1.Verdict_VERDICT_MISUSE, inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND:
	default:
		return nil
	}
	repairs, err := store.RepairsOfJob(tx, ev.GetJobId())
	if err != nil {
		return err
	}
	for _, r := range repairs {
		if done, err := s.chargeBack(tx, r, ev.GetPartId(), ev.GetFaultySerial(), ev.GetVerdict(), ev.GetOldPartReturn().GetId()); done || err != nil {
			return err
		}
	}
	// The visit may not be recorded yet (its event comes on another stream): the appraisal is
	// kept with the job's old parts and applied when the visit is recorded.
	s.p.Log.Info("appraisal for a job without a matching warranty swap kept for its visit", zap.String("job_id", ev.GetJobId()))
	return nil
}

// chargeBack marks the warranty swap of r that an appraisal is about charged back and appends
// repair.charged_back; false when r has no such swap.
func (s *Server) chargeBack(tx *bbolt.Tx, r *warrantyv1.Repair, partID, faultySerial string, v inventoryv1.Verdict, returnID string) (bool, error) {
	sw := chargeableSwap(r, partID, faultySerial)
	if sw == nil {
		return false, nil
	}
	now := s.p.Clock.Now()
	sw.ChargeBack = &warrantyv1.ChargeBack{Verdict: v.String(), ReturnId: returnID, ChargeTime: timestamppb.New(now)}
	if err := store.PutRepair(tx, r); err != nil {
		return true, err
	}
	_, err := outbox.Append(tx, outbox.Event{Subject: SubjectRepairChargedBack, Resource: "units/" + r.GetUnitId(),
		Data: &warrantyv1.RepairChargedBack{Repair: r, PartId: sw.GetPartId(), FaultySerial: sw.GetFaultySerial()}, Time: now})
	tx.OnCommit(s.p.Notify)
	return true, err
}

// applyKeptAppraisals charges back the swaps of a newly recorded visit r whose old parts were
// appraised (misuse or no fault) before the visit reached this service.
func (s *Server) applyKeptAppraisals(tx *bbolt.Tx, r *warrantyv1.Repair) error {
	if r.GetJobId() == "" {
		return nil
	}
	olds, err := store.OldPartsOfJob(tx, r.GetJobId())
	if err != nil {
		return err
	}
	for _, o := range olds {
		if o.GetVerdict() != inventoryv1.Verdict_VERDICT_MISUSE && o.GetVerdict() != inventoryv1.Verdict_VERDICT_NO_FAULT_FOUND {
			continue
		}
		if _, err := s.chargeBack(tx, r, o.GetPartId(), o.GetFaultySerial(), o.GetVerdict(), o.GetId()); err != nil {
			return err
		}
	}
	return nil
}

// chargeableSwap finds the warranty swap of r that an appraisal is about: same part, same
// faulty serial when both know one, not charged back yet.
func chargeableSwap(r *warrantyv1.Repair, partID, faultySerial string) *warrantyv1.PartSwap {
	for _, sw := range r.GetParts() {
		if sw.GetPartId() != partID || !sw.GetUnderWarranty() || sw.GetChargeBack() != nil {
			continue
		}
		if sw.GetFaultySerial() != "" && faultySerial != "" && sw.GetFaultySerial() != faultySerial {
			continue
		}
		return sw
	}
	return nil
}
