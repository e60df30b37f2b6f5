package store

import (
	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Requisition returns a requisition or a NotFoundError.
func (t *Tx) Requisition(id string) (*inventoryv1.Requisition, error) {
	return getOne(t, bucketRequisitions, "requisition", id, &inventoryv1.Requisition{})
}

// PutRequisition stores a requisition and indexes it by location.
func (t *Tx) PutRequisition(r *inventoryv1.Requisition) error {
	if err := pstore.Put(t.tx, bucketReqByLoc, pstore.Key(r.GetLocationId(), r.GetId()), nil); err != nil {
		return err
	}
	auth.Stamp(t.tx, r, service, !pstore.Has(t.tx, bucketRequisitions, []byte(r.GetId())))
	return pstore.PutProto(t.tx, bucketRequisitions, []byte(r.GetId()), r)
}

// ListRequisitions pages through requisitions (of one location when locationID is set),
// keeping those keep accepts.
func (t *Tx) ListRequisitions(locationID string, pg Page, keep func(*inventoryv1.Requisition) bool) ([]*inventoryv1.Requisition, string, error) {
	var out []*inventoryv1.Requisition
	add := func(r *inventoryv1.Requisition) bool {
		if !keep(r) {
			return false
		}
		out = append(out, r)
		return true
	}
	if locationID == "" {
		next, err := pstore.Scan(t.tx, bucketRequisitions, pstore.Page{Token: pg.Token, Size: pg.Size}, func(_, v []byte) (bool, error) {
			r := &inventoryv1.Requisition{}
			if err := proto.Unmarshal(v, r); err != nil {
				return false, err
			}
			return add(r), nil
		})
		return out, next, err
	}
	prefix := pstore.Prefix(locationID)
	next, err := pstore.Scan(t.tx, bucketReqByLoc, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
		r, err := t.Requisition(string(k[len(prefix):]))
		if err != nil {
			return false, err
		}
		return add(r), nil
	})
	return out, next, err
}
