package api

import (
	"cmp"
	"errors"
	"strconv"
	"time"

	"buf.build/go/protovalidate"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/bulk"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// errNotApplied rolls an import's transaction back: a row was rejected, or validate_only.
var errNotApplied = errors.New("import not applied")

// ImportParts creates or updates the parts of a file in one transaction, or none of them.
func (s *Server) ImportParts(stream inventoryv1.InventoryService_ImportPartsServer) error {
	var rows []*inventoryv1.ImportPartRow
	opts, err := bulk.Receive(stream.Recv, protovalidate.GlobalValidator,
		func(m *inventoryv1.ImportPartsRequest) int { return len(m.GetRows()) },
		func(m *inventoryv1.ImportPartsRequest) { rows = append(rows, m.GetRows()...) })
	if err != nil {
		return err
	}
	var pre bulk.Report
	pre.Received(len(rows))
	valid := make([]bool, len(rows))
	seen := make(map[string]int32, len(rows))
	for i, row := range rows {
		// CreatePart's request rules, row by row.
		if err := rpc.Validate(protovalidate.GlobalValidator, &inventoryv1.CreatePartRequest{Part: row.GetPart()}); err != nil {
			if err := pre.Reject(row.GetLine(), "part.", err); err != nil {
				return err
			}
			continue
		}
		sku := row.GetPart().GetSku()
		if first, dup := seen[sku]; dup {
			pre.Rejectf(row.GetLine(), "sku", "sku %s is also on line %d", sku, first)
			continue
		}
		seen[sku] = row.GetLine()
		valid[i] = true
	}
	var rep bulk.Report
	now := s.p.Clock.Now()
	err = s.p.DB.UpdateAlone(func(btx *bbolt.Tx) error {
		rep = pre
		tx := store.Wrap(btx)
		for i, row := range rows {
			if valid[i] {
				if err := importPart(tx, &rep, row, now); err != nil {
					return err
				}
			}
		}
		if !rep.OK() || opts.GetValidateOnly() {
			return errNotApplied
		}
		return nil
	})
	applied := err == nil
	if err != nil && !errors.Is(err, errNotApplied) {
		return toStatus(err)
	}
	if applied {
		s.p.Log.Info("parts imported", zap.String("actor", auth.Actor(stream.Context(), "")), zap.Int("rows", len(rows)))
	}
	return stream.SendAndClose(&inventoryv1.ImportPartsResponse{Report: rep.Proto(applied)})
}

// importPart applies one valid row: a new sku is created as CreatePart does; a known sku with
// equal fields is unchanged; with other fields it is updated as UpdatePart does, except that its
// kind never changes (a rejected row).
func importPart(tx *store.Tx, rep *bulk.Report, row *inventoryv1.ImportPartRow, now time.Time) error {
	in := proto.Clone(row.GetPart()).(*inventoryv1.Part)
	in.UnitOfMeasure = cmp.Or(in.GetUnitOfMeasure(), "piece")
	old, err := tx.PartBySKU(in.GetSku())
	var nf *store.NotFoundError
	switch {
	case errors.As(err, &nf):
		in.Id = ids.NewAt(now)
		in.CreateTime = timestamppb.New(now)
		in.UpdateTime = in.GetCreateTime()
		in.Etag = "1"
		if err := tx.CreatePart(in); err != nil {
			return err
		}
		rep.Created()
		return emit(tx, SubjectPartCreated, "parts/"+in.GetId(), &inventoryv1.PartCreated{Part: in}, now)
	case err != nil:
		return err
	}
	if old.GetKind() != in.GetKind() {
		rep.Rejectf(row.GetLine(), "kind", "part %s is a %s part; an import does not change a part's kind", in.GetSku(), old.GetKind())
		return nil
	}
	next := proto.Clone(old).(*inventoryv1.Part)
	next.Name, next.UnitOfMeasure, next.UnitCost, next.Price = in.GetName(), in.GetUnitOfMeasure(), in.GetUnitCost(), in.GetPrice()
	next.SupplierId, next.SerialTracked, next.LeadTimeDays, next.MinOrderQuantity = in.GetSupplierId(), in.GetSerialTracked(), in.GetLeadTimeDays(), in.GetMinOrderQuantity()
	if proto.Equal(next, old) {
		rep.Unchanged()
		return nil
	}
	n, err := strconv.Atoi(old.GetEtag())
	if err != nil {
		return err
	}
	next.Etag = strconv.Itoa(n + 1)
	next.UpdateTime = timestamppb.New(now)
	if err := tx.PutPart(next); err != nil {
		return err
	}
	rep.Updated()
	return emit(tx, SubjectPartUpdated, "parts/"+next.GetId(), &inventoryv1.PartUpdated{Part: next}, now)
}
