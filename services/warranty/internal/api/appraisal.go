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
	now := s.p.Clock.Now()
	for _, r := range repairs {
		sw := chargeableSwap(r, ev)
		if sw == nil {
			continue
		}
		sw.ChargeBack = &warrantyv1.ChargeBack{Verdict: ev.GetVerdict().String(),
			ReturnId: ev.GetOldPartReturn().GetId(), ChargeTime: timestamppb.New(now)}
		if err := store.PutRepair(tx, r); err != nil {
			return err
		}
		_, err := outbox.Append(tx, outbox.Event{Subject: SubjectRepairChargedBack, Resource: "units/" + r.GetUnitId(),
			Data: &warrantyv1.RepairChargedBack{Repair: r, PartId: sw.GetPartId(), FaultySerial: sw.GetFaultySerial()}, Time: now})
		tx.OnCommit(s.p.Notify)
		return err
	}
	s.p.Log.Info("appraisal for a job without a matching warranty swap skipped", zap.String("job_id", ev.GetJobId()))
	return nil
}

// chargeableSwap finds the warranty swap of r that the appraisal is about: same part, same
// faulty serial when both know one, not charged back yet.
func chargeableSwap(r *warrantyv1.Repair, ev *inventoryv1.ReturnAppraised) *warrantyv1.PartSwap {
	for _, sw := range r.GetParts() {
		if sw.GetPartId() != ev.GetPartId() || !sw.GetUnderWarranty() || sw.GetChargeBack() != nil {
			continue
		}
		if sw.GetFaultySerial() != "" && ev.GetFaultySerial() != "" && sw.GetFaultySerial() != ev.GetFaultySerial() {
			continue
		}
		return sw
	}
	return nil
}
