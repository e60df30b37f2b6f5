package api

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"time"

	"buf.build/go/protovalidate"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/bulk"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

func opts(validateOnly bool) *typev1.ImportOptions {
	return &typev1.ImportOptions{ValidateOnly: validateOnly}
}

// receive reads an import stream's rows.
func receive[M bulk.Request, R any](recv func() (M, error), rows func(M) []R) ([]R, bool, error) {
	var out []R
	opts, err := bulk.Receive(recv, protovalidate.GlobalValidator, func(m M) int { return len(rows(m)) }, func(m M) { out = append(out, rows(m)...) })
	return out, opts.GetValidateOnly(), err
}

// once rejects a key seen on an earlier line.
type once map[string]int32

func (o once) first(rep *bulk.Report, line int32, field, what, key string) bool {
	if prev, dup := o[key]; dup {
		rep.Rejectf(line, field, "%s %s is also on line %d", what, key, prev)
		return false
	}
	o[key] = line
	return true
}

func (s *Server) logImport(stream interface{ Context() context.Context }, what string, n int) {
	s.p.Log.Info(what+" imported", zap.String("actor", auth.Actor(stream.Context(), "")), zap.Int("rows", n))
}

// ImportParts creates or updates the parts of a file in one transaction, or none of them.
func (s *Server) ImportParts(stream inventoryv1.InventoryService_ImportPartsServer) error {
	rows, validateOnly, err := receive(stream.Recv, (*inventoryv1.ImportPartsRequest).GetRows)
	if err != nil {
		return err
	}
	seen := once{}
	now := s.p.Clock.Now()
	rep, applied, err := bulk.Apply(stream.Context(), s.p.DB, rows, opts(validateOnly), func(rep *bulk.Report, row *inventoryv1.ImportPartRow) (bool, error) {
		// CreatePart's request rules, row by row.
		if err := rpc.Validate(protovalidate.GlobalValidator, &inventoryv1.CreatePartRequest{Part: row.GetPart()}); err != nil {
			return false, rep.Reject(row.GetLine(), "part.", err)
		}
		return seen.first(rep, row.GetLine(), "sku", "sku", row.GetPart().GetSku()), nil
	}, func(tx *bbolt.Tx, rep *bulk.Report, row *inventoryv1.ImportPartRow) error {
		return importPart(store.Wrap(tx), rep, row, now)
	})
	if err != nil {
		return toStatus(err)
	}
	if applied {
		s.logImport(stream, "parts", len(rows))
	}
	return stream.SendAndClose(&inventoryv1.ImportPartsResponse{Report: rep})
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
	etag, err := bump(old.GetEtag())
	if err != nil {
		return err
	}
	next.Etag, next.UpdateTime = etag, timestamppb.New(now)
	if err := tx.PutPart(next); err != nil {
		return err
	}
	rep.Updated()
	return emit(tx, SubjectPartUpdated, "parts/"+next.GetId(), &inventoryv1.PartUpdated{Part: next}, now)
}

func bump(etag string) (string, error) {
	n, err := strconv.Atoi(etag)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(n + 1), nil
}

// ImportLocations creates or updates the locations of a file, keyed by code, in one
// transaction, or none of them.
func (s *Server) ImportLocations(stream inventoryv1.InventoryService_ImportLocationsServer) error {
	rows, validateOnly, err := receive(stream.Recv, (*inventoryv1.ImportLocationsRequest).GetRows)
	if err != nil {
		return err
	}
	seen := once{}
	now := s.p.Clock.Now()
	rep, applied, err := bulk.Apply(stream.Context(), s.p.DB, rows, opts(validateOnly), func(rep *bulk.Report, row *inventoryv1.ImportLocationRow) (bool, error) {
		l := row.GetLocation()
		ok := true
		if l.GetCode() == "" {
			rep.Rejectf(row.GetLine(), "code", "is required: an import finds locations by their code")
			ok = false
		}
		// CreateLocation's request and domain rules.
		if err := rpc.Validate(protovalidate.GlobalValidator, &inventoryv1.CreateLocationRequest{Location: l}); err != nil {
			return false, rep.Reject(row.GetLine(), "location.", err)
		}
		if err := domain.CheckLocation(domain.LocationKind(l.GetKind()), l.GetTechnicianId()); err != nil {
			return false, rep.Reject(row.GetLine(), "location.", toStatus(err))
		}
		return ok && seen.first(rep, row.GetLine(), "code", "location code", l.GetCode()), nil
	}, func(tx *bbolt.Tx, rep *bulk.Report, row *inventoryv1.ImportLocationRow) error {
		return importLocation(store.Wrap(tx), rep, row, now)
	})
	if err != nil {
		return toStatus(err)
	}
	if applied {
		s.logImport(stream, "locations", len(rows))
	}
	return stream.SendAndClose(&inventoryv1.ImportLocationsResponse{Report: rep})
}

// importLocation applies one valid row: a new code is created; a known code with equal fields
// is unchanged; with another name, technician, organisation or point it is updated as
// UpdateLocation does; another kind is rejected.
func importLocation(tx *store.Tx, rep *bulk.Report, row *inventoryv1.ImportLocationRow, now time.Time) error {
	in := proto.Clone(row.GetLocation()).(*inventoryv1.Location)
	old, err := tx.LocationByCode(in.GetCode())
	var nf *store.NotFoundError
	switch {
	case errors.As(err, &nf):
		in.Id = ids.NewAt(now)
		in.CreateTime = timestamppb.New(now)
		in.UpdateTime = in.GetCreateTime()
		in.Etag = "1"
		if err := tx.CreateLocation(in); err != nil {
			return err
		}
		rep.Created()
		return emit(tx, SubjectLocationCreated, "locations/"+in.GetId(), &inventoryv1.LocationCreated{Location: in}, now)
	case err != nil:
		return err
	}
	if old.GetKind() != in.GetKind() {
		rep.Rejectf(row.GetLine(), "kind", "location %s is a %s location; an import does not change a location's kind", in.GetCode(), old.GetKind())
		return nil
	}
	next := proto.Clone(old).(*inventoryv1.Location)
	next.Name, next.TechnicianId, next.OrganisationId, next.Point = in.GetName(), in.GetTechnicianId(), in.GetOrganisationId(), in.GetPoint()
	if proto.Equal(next, old) {
		rep.Unchanged()
		return nil
	}
	etag, err := bump(old.GetEtag())
	if err != nil {
		return err
	}
	next.Etag, next.UpdateTime = etag, timestamppb.New(now)
	if err := tx.CreateLocation(next); err != nil {
		return err
	}
	rep.Updated()
	return emit(tx, SubjectLocationUpdated, "locations/"+next.GetId(), &inventoryv1.LocationUpdated{Location: next}, now)
}

// ImportStock posts the opening stock of a file, one RECEIPT per location and part, in one
// transaction, or none of it.
func (s *Server) ImportStock(stream inventoryv1.InventoryService_ImportStockServer) error {
	rows, validateOnly, err := receive(stream.Recv, (*inventoryv1.ImportStockRequest).GetRows)
	if err != nil {
		return err
	}
	seen := once{}
	now := s.p.Clock.Now()
	var moves []*inventoryv1.Movement
	rep, applied, err := bulk.Apply(stream.Context(), s.p.DB, rows, opts(validateOnly), func(rep *bulk.Report, row *inventoryv1.ImportStockRow) (bool, error) {
		// ReceiveStock's request rules, with the row's keys in the ids' places.
		req := &inventoryv1.ReceiveStockRequest{PartId: row.GetSku(), LocationId: row.GetLocationCode(), Quantity: row.GetQuantity(),
			ReceivingNote: cmp.Or(row.GetReceivingNote(), openingNote)}
		if err := rpc.Validate(protovalidate.GlobalValidator, req); err != nil {
			return false, rep.RejectAs(row.GetLine(), stockField, err)
		}
		return seen.first(rep, row.GetLine(), "sku", "location and sku", row.GetLocationCode()+" "+row.GetSku()), nil
	}, func(tx *bbolt.Tx, rep *bulk.Report, row *inventoryv1.ImportStockRow) error {
		m, err := s.importStock(store.Wrap(tx), rep, row, now)
		if m != nil {
			moves = append(moves, m)
		}
		return err
	})
	if err != nil {
		return toStatus(err)
	}
	resp := &inventoryv1.ImportStockResponse{Report: rep}
	if applied {
		s.logImport(stream, "opening stock", len(rows))
		resp.Movements = moves
	}
	return stream.SendAndClose(resp)
}

// openingNote is the receiving note of an opening balance that names none.
const openingNote = "opening stock"

// stockField names ReceiveStock's fields as a stock row does.
func stockField(f string) string {
	switch f {
	case "part_id":
		return "sku"
	case "location_id":
		return "location_code"
	}
	return f
}

// importStock posts one valid row: a RECEIPT when the part has no stock at the location yet;
// unchanged when it holds exactly the quantity; rejected when it holds another quantity or the
// part is serial-tracked.
func (s *Server) importStock(tx *store.Tx, rep *bulk.Report, row *inventoryv1.ImportStockRow, now time.Time) (*inventoryv1.Movement, error) {
	var nf *store.NotFoundError
	l, err := tx.LocationByCode(row.GetLocationCode())
	if errors.As(err, &nf) {
		rep.Rejectf(row.GetLine(), "location_code", "no location has code %s", row.GetLocationCode())
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	p, err := tx.PartBySKU(row.GetSku())
	if errors.As(err, &nf) {
		rep.Rejectf(row.GetLine(), "sku", "no part has sku %s", row.GetSku())
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if p.GetSerialTracked() {
		rep.Rejectf(row.GetLine(), "sku", "part %s is serial-tracked: receive it with its serials (ReceiveStock)", row.GetSku())
		return nil, nil
	}
	b, err := tx.Balance(p.GetId(), l.GetId())
	if err != nil {
		return nil, err
	}
	switch {
	case b.GetOnHand() == row.GetQuantity():
		rep.Unchanged()
		return nil, nil
	case b.GetOnHand() != 0 || b.GetLastSequence() != 0:
		rep.Rejectf(row.GetLine(), "quantity", "location %s already holds %d of %s; opening stock only sets stock that was never booked (correct it with AdjustStock)",
			row.GetLocationCode(), b.GetOnHand(), row.GetSku())
		return nil, nil
	}
	ps, err := s.post(tx, store.Posting{Kind: domain.MovementReceipt, PartID: p.GetId(), LocationID: l.GetId(), Quantity: row.GetQuantity(),
		Document: cmp.Or(row.GetReceivingNote(), openingNote), Reference: "receipts/" + ids.NewAt(now), Time: now})
	if err != nil {
		return nil, err
	}
	rep.Created()
	return ps.Movement, emit(tx, SubjectStockReceived, "parts/"+p.GetId(), &inventoryv1.StockReceived{Movement: ps.Movement}, now)
}
