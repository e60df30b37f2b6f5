package api

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/bulk"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// ImportUnits registers the units of a file in one transaction, or none of them.
func (s *Server) ImportUnits(stream warrantyv1.WarrantyService_ImportUnitsServer) error {
	var rows []*warrantyv1.ImportUnitRow
	opts, err := bulk.Receive(stream.Recv, s.validator,
		func(m *warrantyv1.ImportUnitsRequest) int { return len(m.GetRows()) },
		func(m *warrantyv1.ImportUnitsRequest) { rows = append(rows, m.GetRows()...) })
	if err != nil {
		return err
	}
	// Each row as RegisterUnit would see it: the API's rules, not a second copy.
	seen := make(map[string]int32, len(rows))
	check := func(rep *bulk.Report, row *warrantyv1.ImportUnitRow) (bool, error) {
		if err := s.checkUnit(row.GetUnit()); err != nil {
			return false, rep.Reject(row.GetLine(), "unit.", err)
		}
		if first, dup := seen[row.GetUnit().GetSerial()]; dup {
			rep.Rejectf(row.GetLine(), "serial", "serial %s is also on line %d", row.GetUnit().GetSerial(), first)
			return false, nil
		}
		seen[row.GetUnit().GetSerial()] = row.GetLine()
		return true, nil
	}
	now := s.p.Clock.Now()
	rep, applied, err := bulk.Apply(stream.Context(), s.p.DB, rows, opts, check, func(tx *bbolt.Tx, rep *bulk.Report, row *warrantyv1.ImportUnitRow) error {
		return s.importUnit(tx, rep, row, now)
	})
	if err != nil {
		return toStatus(err)
	}
	if applied {
		s.p.Log.Info("units imported", zap.String("actor", auth.Actor(stream.Context(), "")), zap.Int("rows", len(rows)))
	}
	return stream.SendAndClose(&warrantyv1.ImportUnitsResponse{Report: rep})
}

// checkUnit applies RegisterUnit's request and domain rules to one unit.
func (s *Server) checkUnit(u *warrantyv1.Unit) error {
	if err := rpc.Validate(s.validator, &warrantyv1.RegisterUnitRequest{Unit: u}); err != nil {
		return err
	}
	if u == nil {
		return rpc.FieldError("unit", "value is required")
	}
	if err := domain.ValidateUnit(unitIn(u)); err != nil {
		return toStatus(prefix(err, "unit"))
	}
	return nil
}

// importUnit registers one valid row in tx: a new serial is created with its event; a serial
// registered with equal data is unchanged; one registered with other data is rejected (an
// import never changes a unit).
func (s *Server) importUnit(tx *bbolt.Tx, rep *bulk.Report, row *warrantyv1.ImportUnitRow, now time.Time) error {
	in := row.GetUnit()
	pol, err := store.GetPolicy(tx, in.GetPolicyId(), in.GetPolicyVersion())
	if errors.Is(err, store.ErrNotFound) {
		if in.GetPolicyVersion() == 0 {
			rep.Rejectf(row.GetLine(), "policy_id", "policy %s is not known", in.GetPolicyId())
		} else {
			rep.Rejectf(row.GetLine(), "policy_version", "policy %s version %d is not known", in.GetPolicyId(), in.GetPolicyVersion())
		}
		return nil
	} else if err != nil {
		return err
	}
	old, err := store.GetUnitBySerial(tx, in.GetSerial())
	switch {
	case err == nil:
		if field := unitDiffers(old, in); field != "" {
			rep.Rejectf(row.GetLine(), field, "serial %s is registered with another %s; an import does not change a registered unit", in.GetSerial(), field)
		} else {
			rep.Unchanged()
		}
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	u := proto.Clone(in).(*warrantyv1.Unit)
	u.Id = ids.NewAt(now)
	u.PolicyVersion = pol.GetVersion()
	u.WarrantyCard, u.WarrantyRestartDate, u.RefundDate = nil, nil, nil
	u.ReplacedParts, u.PreviousSerials, u.RepairCount = nil, nil, 0
	u.CreateTime, u.UpdateTime = timestamppb.New(now), timestamppb.New(now)
	u.Etag = strconv.FormatInt(now.UnixNano(), 36)
	if err := store.CreateUnit(tx, u); err != nil {
		return fmt.Errorf("import unit %s: %w", u.GetSerial(), err)
	}
	if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectUnitRegistered, Resource: "units/" + u.GetId(),
		Data: &warrantyv1.UnitRegistered{Unit: public(u)}, Time: now}); err != nil {
		return err
	}
	rep.Created()
	return nil
}

// unitDiffers names the first field an import row sets differently from the stored unit ("" if
// none). A row's policy_version 0 (the latest) matches any version.
func unitDiffers(old, in *warrantyv1.Unit) string {
	switch {
	case old.GetSerial() != in.GetSerial():
		return "serial" // the row names a serial the unit had before an exchange
	case old.GetModel() != in.GetModel():
		return "model"
	case old.GetProductName() != in.GetProductName():
		return "product_name"
	case old.GetBatch() != in.GetBatch():
		return "batch"
	case old.GetPolicyId() != in.GetPolicyId():
		return "policy_id"
	case in.GetPolicyVersion() != 0 && old.GetPolicyVersion() != in.GetPolicyVersion():
		return "policy_version"
	case old.GetDealerId() != in.GetDealerId():
		return "dealer_id"
	case !proto.Equal(old.GetCustomer(), in.GetCustomer()):
		return "customer"
	case !proto.Equal(old.GetDates(), in.GetDates()):
		return "dates"
	}
	return ""
}
