package api

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// Parts-inventory's events the cost report reads.
const (
	SubjectPartCreated           = "sanbao.inventory.v1.part.created"
	SubjectPartUpdated           = "sanbao.inventory.v1.part.updated"
	SubjectReservationConsumed   = "sanbao.inventory.v1.reservation.consumed"
	SubjectReturnReceived        = "sanbao.inventory.v1.return.received"
	SubjectSupplierClaimResolved = "sanbao.inventory.v1.supplier_claim.resolved"
)

func inventoryConsumerConfig(s *Server) events.ConsumerConfig {
	return events.ConsumerConfig{
		Stream:  "INVENTORY",
		Durable: "warranty-inventory",
		FilterSubjects: []string{SubjectPartCreated, SubjectPartUpdated, SubjectReservationConsumed,
			SubjectReturnReceived, SubjectSupplierClaimResolved},
		Handle: s.onInventory,
	}
}

// onInventory keeps what the cost report needs of parts-inventory: each part's unit cost (parts
// fitted on a visit are costed at it), the must-return old parts of each job with their due
// time and state (an overdue one blocks the job's cost write-off), and resolved supplier claims
// (what they recovered is subtracted).
func (s *Server) onInventory(tx *bbolt.Tx, m events.Message) error {
	switch m.Subject {
	case SubjectPartCreated, SubjectPartUpdated:
		ev := &inventoryv1.PartCreated{} // PartUpdated has the same shape: Part part = 1
		if err := m.Decode(ev); err != nil {
			return events.Permanent(err)
		}
		p := ev.GetPart()
		if p.GetId() == "" || p.GetUnitCost().GetAmountMinor() < 0 {
			return events.Permanent(fmt.Errorf("part event %s: part id empty or unit cost negative", m.ID))
		}
		if p.GetUnitCost() == nil {
			return nil
		}
		return store.PutPartCost(tx, p.GetId(), p.GetUnitCost())
	case SubjectReservationConsumed:
		ev := &inventoryv1.ReservationConsumed{}
		if err := m.Decode(ev); err != nil {
			return events.Permanent(err)
		}
		for _, r := range ev.GetMustReturn() {
			if err := s.keepOldPart(tx, r); err != nil {
				return err
			}
		}
		return nil
	case SubjectReturnReceived:
		ev := &inventoryv1.OldPartReturned{}
		if err := m.Decode(ev); err != nil {
			return events.Permanent(err)
		}
		return s.keepOldPart(tx, ev.GetOldPartReturn())
	case SubjectSupplierClaimResolved:
		ev := &inventoryv1.SupplierClaimResolved{}
		if err := m.Decode(ev); err != nil {
			return events.Permanent(err)
		}
		c := ev.GetClaim()
		if c.GetId() == "" || c.GetJobId() == "" || c.GetRecoveredAmount().GetAmountMinor() < 0 {
			return events.Permanent(fmt.Errorf("supplier claim event %s: id or job id empty, or recovered amount negative", m.ID))
		}
		return store.PutSupplierClaim(tx, c)
	}
	return nil
}

// errOldPart: an old-part record in an event without its ids.
var errOldPart = errors.New("old-part return without id or job id")

// keepOldPart records an old-part return's latest state; a record never goes back to an
// earlier state (events of one return can arrive out of order across subjects).
func (s *Server) keepOldPart(tx *bbolt.Tx, r *inventoryv1.OldPartReturn) error {
	if r == nil {
		return nil
	}
	if r.GetId() == "" || r.GetJobId() == "" {
		return events.Permanent(errOldPart)
	}
	cur, err := store.GetOldPart(tx, r.GetJobId(), r.GetId())
	if err != nil {
		return err
	}
	if cur != nil && cur.GetState() > r.GetState() {
		return nil
	}
	return store.PutOldPart(tx, r)
}
