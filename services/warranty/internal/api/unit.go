package api

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// unitIn converts what the rules need of a unit.
func unitIn(u *warrantyv1.Unit) domain.Unit {
	d := u.GetDates()
	out := domain.Unit{
		ID: u.GetId(), Serial: u.GetSerial(), Model: u.GetModel(), Batch: u.GetBatch(), PolicyID: u.GetPolicyId(),
		PolicyVersion: int(u.GetPolicyVersion()),
		Dates: domain.UnitDates{Manufacture: dateIn(d.GetManufacture()), Sale: dateIn(d.GetSale()), Delivery: dateIn(d.GetDelivery()),
			Installation: dateIn(d.GetInstallation()), Acceptance: dateIn(d.GetAcceptance()), Commissioning: dateIn(d.GetCommissioning()),
			SeaTrial: dateIn(d.GetSeaTrial())},
		Card: domain.WarrantyCard{Returned: u.GetWarrantyCard().GetReturned(), Received: dateIn(u.GetWarrantyCard().GetReceivedDate()),
			Late: u.GetWarrantyCard().GetLate()},
		RestartDate: dateIn(u.GetWarrantyRestartDate()), RepairCount: int(u.GetRepairCount()),
		PreviousSerials: u.GetPreviousSerials(), RefundDate: dateIn(u.GetRefundDate()),
	}
	for _, p := range u.GetReplacedParts() {
		out.ReplacedParts = append(out.ReplacedParts, domain.ReplacedPart{PartID: p.GetPartId(), Serial: p.GetSerial(),
			ReplacedSerial: p.GetReplacedSerial(), Quantity: p.GetQuantity(), Date: dateIn(p.GetReplacedDate()), RepairID: p.GetRepairId()})
	}
	return out
}

// applyUnit copies the rule-owned fields of d onto the stored unit u.
func applyUnit(u *warrantyv1.Unit, d domain.Unit, now time.Time) {
	u.Serial = d.Serial
	u.WarrantyCard = &warrantyv1.WarrantyCard{Returned: d.Card.Returned, ReceivedDate: dateOut(d.Card.Received), Late: d.Card.Late}
	u.WarrantyRestartDate = dateOut(d.RestartDate)
	u.RepairCount = int32(d.RepairCount)
	u.PreviousSerials = d.PreviousSerials
	u.RefundDate = dateOut(d.RefundDate)
	u.ReplacedParts = nil
	for _, p := range d.ReplacedParts {
		u.ReplacedParts = append(u.ReplacedParts, &warrantyv1.ReplacedPart{PartId: p.PartID, Serial: p.Serial, ReplacedSerial: p.ReplacedSerial,
			Quantity: p.Quantity, ReplacedDate: dateOut(p.Date), RepairId: p.RepairID})
	}
	u.UpdateTime = timestamppb.New(now)
	u.Etag = strconv.FormatInt(now.UnixNano(), 36)
}

// public returns a copy of u without personal data, for events.
func public(u *warrantyv1.Unit) *warrantyv1.Unit {
	c := proto.Clone(u).(*warrantyv1.Unit)
	if c.Customer != nil {
		c.Customer = &warrantyv1.Customer{CustomerId: c.Customer.GetCustomerId()}
	}
	// A unit's histories grow with every repair: the event keeps the latest entries (the
	// max_items of Unit's fields in unit.proto), so no unit's event outgrows the bus.
	c.ReplacedParts = latest(c.ReplacedParts, maxEventReplacedParts)
	c.PreviousSerials = latest(c.PreviousSerials, maxEventPreviousSerials)
	return c
}

// How many of a unit's latest replaced parts and previous serials its events keep.
const (
	maxEventReplacedParts   = 50
	maxEventPreviousSerials = 20
)

// latest returns the last n entries of s.
func latest[T any](s []T, n int) []T {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// RegisterUnit registers a sold unit.
func (s *Server) RegisterUnit(ctx context.Context, req *warrantyv1.RegisterUnitRequest) (*warrantyv1.RegisterUnitResponse, error) {
	in := req.GetUnit()
	if err := domain.ValidateUnit(unitIn(in)); err != nil {
		return nil, toStatus(prefix(err, "unit"))
	}
	resp := &warrantyv1.RegisterUnitResponse{}
	err := s.p.Update(ctx, "RegisterUnit", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		pol, err := store.GetPolicy(tx, in.GetPolicyId(), in.GetPolicyVersion())
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("unit.policy_id: %s version %d: %w", in.GetPolicyId(), in.GetPolicyVersion(), errPolicyUnknown)
		} else if err != nil {
			return err
		}
		u := proto.Clone(in).(*warrantyv1.Unit)
		u.Id = ids.New()
		u.PolicyVersion = pol.GetVersion()
		u.WarrantyCard, u.WarrantyRestartDate, u.RefundDate = nil, nil, nil
		u.ReplacedParts, u.PreviousSerials, u.RepairCount = nil, nil, 0
		u.CreateTime, u.UpdateTime = timestamppb.New(now), timestamppb.New(now)
		u.Etag = strconv.FormatInt(now.UnixNano(), 36)
		if err := store.CreateUnit(tx, u); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectUnitRegistered, Resource: "units/" + u.GetId(),
			Data: &warrantyv1.UnitRegistered{Unit: public(u)}, Time: now}); err != nil {
			return err
		}
		resp.Unit = u
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

func prefix(err error, p string) error {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		return ve.Prefix(p)
	}
	return err
}

// GetUnit returns a unit by id or serial.
func (s *Server) GetUnit(_ context.Context, req *warrantyv1.GetUnitRequest) (*warrantyv1.GetUnitResponse, error) {
	if (req.GetId() == "") == (req.GetSerial() == "") {
		return nil, toStatus(&domain.ValidationError{Violations: []domain.Violation{{Field: "id", Rule: "exactly one of id and serial must be set"}}})
	}
	resp := &warrantyv1.GetUnitResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var err error
		if req.GetId() != "" {
			resp.Unit, err = store.GetUnit(tx, req.GetId())
		} else {
			resp.Unit, err = store.GetUnitBySerial(tx, req.GetSerial())
		}
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListUnits lists units.
func (s *Server) ListUnits(_ context.Context, req *warrantyv1.ListUnitsRequest) (*warrantyv1.ListUnitsResponse, error) {
	n := 0
	for _, f := range []string{req.GetModel(), req.GetPolicyId(), req.GetDealerId()} {
		if f != "" {
			n++
		}
	}
	if n > 1 {
		return nil, toStatus(&domain.ValidationError{Violations: []domain.Violation{{Field: "model", Rule: "at most one of model, policy_id and dealer_id may be set"}}})
	}
	resp := &warrantyv1.ListUnitsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var err error
		resp.Units, resp.NextPageToken, err = store.ListUnits(tx, store.UnitFilter{Model: req.GetModel(), PolicyID: req.GetPolicyId(), DealerID: req.GetDealerId()},
			req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ReturnWarrantyCard records a received warranty card.
func (s *Server) ReturnWarrantyCard(ctx context.Context, req *warrantyv1.ReturnWarrantyCardRequest) (*warrantyv1.ReturnWarrantyCardResponse, error) {
	resp := &warrantyv1.ReturnWarrantyCardResponse{}
	err := s.p.Update(ctx, "ReturnWarrantyCard", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		u, err := store.GetUnitBySerial(tx, req.GetSerial())
		if err != nil {
			return err
		}
		pol, err := s.compiled(tx, u.GetPolicyId(), u.GetPolicyVersion())
		if err != nil {
			return err
		}
		day := dateIn(req.GetReceivedDate())
		if req.GetReceivedDate() == nil {
			day = calendar.DateOf(now, pol.Location())
		}
		d, err := domain.ReturnCard(pol, unitIn(u), day)
		if err != nil {
			return err
		}
		applyUnit(u, d, now)
		if err := store.UpdateUnit(tx, u); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectCardReturned, Resource: "units/" + u.GetId(),
			Data: &warrantyv1.WarrantyCardReturned{Unit: public(u), Late: d.Card.Late}, Time: now}); err != nil {
			return err
		}
		resp.Unit = u
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

func repairIn(r *warrantyv1.Repair) domain.Repair {
	out := domain.Repair{ID: r.GetId(), Kind: domain.VisitKind(r.GetKind()), Serial: r.GetSerial(), FaultCode: r.GetFaultCode(),
		Date: dateIn(r.GetRepairDate()), Outcome: domain.RepairOutcome(r.GetOutcome()), NewSerial: r.GetNewSerial(), JobID: r.GetJobId(),
		TicketID: r.GetTicketId(), Paid: r.GetPaid(), Recorded: r.GetCreateTime().AsTime()}
	if r.GetCreateTime() == nil {
		out.Recorded = time.Time{}
	}
	for _, p := range r.GetParts() {
		out.Parts = append(out.Parts, domain.PartSwap{PartID: p.GetPartId(), Quantity: p.GetQuantity(), FaultySerial: p.GetFaultySerial(),
			ReplacementSerial: p.GetReplacementSerial(), Reason: p.GetReason(), UnderWarranty: p.GetUnderWarranty()})
	}
	return out
}

// recordRepair applies repair r to its unit in tx and appends the events; the API and the
// visit consumer share it. r.Serial names the unit.
func (s *Server) recordRepair(tx *bbolt.Tx, in *warrantyv1.Repair, source warrantyv1.RepairSource, now time.Time) (*warrantyv1.Repair, *warrantyv1.Unit, error) {
	if err := domain.ValidateRepair(repairIn(in)); err != nil {
		return nil, nil, prefix(err, "repair")
	}
	u, err := store.GetUnitBySerial(tx, in.GetSerial())
	if err != nil {
		return nil, nil, err
	}
	pol, err := s.compiled(tx, u.GetPolicyId(), u.GetPolicyVersion())
	if err != nil {
		return nil, nil, err
	}
	r := proto.Clone(in).(*warrantyv1.Repair)
	r.Id, r.UnitId, r.Serial, r.Source, r.CreateTime = ids.New(), u.GetId(), u.GetSerial(), source, timestamppb.New(now)
	d, err := domain.ApplyRepair(pol, unitIn(u), repairIn(r))
	if err != nil {
		return nil, nil, prefix(err, "repair")
	}
	applyUnit(u, d, now)
	if err := store.UpdateUnit(tx, u); err != nil {
		return nil, nil, err
	}
	if err := store.PutRepair(tx, r); err != nil {
		return nil, nil, err
	}
	if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectRepairRecorded, Resource: "units/" + u.GetId(),
		Data: &warrantyv1.RepairRecorded{Unit: public(u), Repair: r}, Time: now}); err != nil {
		return nil, nil, err
	}
	if r.GetOutcome() == warrantyv1.RepairOutcome_REPAIR_OUTCOME_EXCHANGED {
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectUnitExchanged, Resource: "units/" + u.GetId(),
			Data: &warrantyv1.UnitExchanged{Unit: public(u), Repair: r}, Time: now}); err != nil {
			return nil, nil, err
		}
	}
	return r, u, nil
}

// RecordRepair records a repair on a unit.
func (s *Server) RecordRepair(ctx context.Context, req *warrantyv1.RecordRepairRequest) (*warrantyv1.RecordRepairResponse, error) {
	resp := &warrantyv1.RecordRepairResponse{}
	err := s.p.Update(ctx, "RecordRepair", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		in := proto.Clone(req.GetRepair()).(*warrantyv1.Repair)
		in.Cost = nil // output only: priced from dispatch's signed reports
		for _, p := range in.GetParts() {
			p.UnitCost = nil
		}
		r, u, err := s.recordRepair(tx, in, warrantyv1.RepairSource_REPAIR_SOURCE_API, now)
		if err != nil {
			return err
		}
		resp.Repair, resp.Unit = r, u
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListRepairs lists a unit's repairs.
func (s *Server) ListRepairs(_ context.Context, req *warrantyv1.ListRepairsRequest) (*warrantyv1.ListRepairsResponse, error) {
	resp := &warrantyv1.ListRepairsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		id, err := store.UnitIDBySerial(tx, req.GetSerial())
		if err != nil {
			return err
		}
		resp.Repairs, resp.NextPageToken, err = store.ListRepairs(tx, id, req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}
