package store

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Page is a list request's paging.
type Page struct {
	Token string
	Size  int
}

func getOne[T proto.Message](t *Tx, bucket []byte, kind, id string, m T) (T, error) {
	ok, err := pstore.GetProto(t.tx, bucket, []byte(id), m)
	if err != nil {
		return m, fmt.Errorf("read %s %s: %w", kind, id, err)
	}
	if !ok {
		return m, &NotFoundError{Kind: kind, ID: id}
	}
	return m, nil
}

// Part returns a part or a NotFoundError.
func (t *Tx) Part(id string) (*inventoryv1.Part, error) {
	return getOne(t, bucketParts, "part", id, &inventoryv1.Part{})
}

// CreatePart stores a new part; a duplicate sku is ErrAlreadyExists.
func (t *Tx) CreatePart(p *inventoryv1.Part) error {
	if pstore.Has(t.tx, bucketPartsBySKU, []byte(p.GetSku())) {
		return fmt.Errorf("part sku %s: %w", p.GetSku(), ErrAlreadyExists)
	}
	if err := pstore.Put(t.tx, bucketPartsBySKU, []byte(p.GetSku()), []byte(p.GetId())); err != nil {
		return err
	}
	auth.Stamp(t.tx, p, service, true)
	return pstore.PutProto(t.tx, bucketParts, []byte(p.GetId()), p)
}

// PartBySKU returns the part with sku, or a NotFoundError.
func (t *Tx) PartBySKU(sku string) (*inventoryv1.Part, error) {
	id := pstore.Get(t.tx, bucketPartsBySKU, []byte(sku))
	if id == nil {
		return nil, &NotFoundError{Kind: "part with sku", ID: sku}
	}
	return t.Part(string(id))
}

// PutPart stores a changed part (its sku never changes).
func (t *Tx) PutPart(p *inventoryv1.Part) error {
	auth.Stamp(t.tx, p, service, false)
	return pstore.PutProto(t.tx, bucketParts, []byte(p.GetId()), p)
}

// ListParts pages through parts in creation order, keeping those keep accepts.
func (t *Tx) ListParts(pg Page, keep func(*inventoryv1.Part) bool) ([]*inventoryv1.Part, string, error) {
	var out []*inventoryv1.Part
	next, err := pstore.Scan(t.tx, bucketParts, pstore.Page{Token: pg.Token, Size: pg.Size}, func(_, v []byte) (bool, error) {
		p := &inventoryv1.Part{}
		if err := proto.Unmarshal(v, p); err != nil {
			return false, err
		}
		if !keep(p) {
			return false, nil
		}
		out = append(out, p)
		return true, nil
	})
	return out, next, err
}

// Location returns a location or a NotFoundError.
func (t *Tx) Location(id string) (*inventoryv1.Location, error) {
	return getOne(t, bucketLocations, "location", id, &inventoryv1.Location{})
}

// CreateLocation stores a new or changed location; a code that belongs to another location is
// ErrAlreadyExists.
func (t *Tx) CreateLocation(l *inventoryv1.Location) error {
	if code := l.GetCode(); code != "" {
		if owner := pstore.Get(t.tx, bucketLocsByCode, []byte(code)); owner != nil && string(owner) != l.GetId() {
			return fmt.Errorf("location code %s: %w", code, ErrAlreadyExists)
		} else if owner == nil {
			if err := pstore.Put(t.tx, bucketLocsByCode, []byte(code), []byte(l.GetId())); err != nil {
				return err
			}
		}
	}
	auth.Stamp(t.tx, l, service, !pstore.Has(t.tx, bucketLocations, []byte(l.GetId())))
	return pstore.PutProto(t.tx, bucketLocations, []byte(l.GetId()), l)
}

// LocationByCode returns the location with code, or a NotFoundError.
func (t *Tx) LocationByCode(code string) (*inventoryv1.Location, error) {
	id := pstore.Get(t.tx, bucketLocsByCode, []byte(code))
	if id == nil {
		return nil, &NotFoundError{Kind: "location with code", ID: code}
	}
	return t.Location(string(id))
}

// ListLocations pages through locations in creation order, keeping those keep accepts.
func (t *Tx) ListLocations(pg Page, keep func(*inventoryv1.Location) bool) ([]*inventoryv1.Location, string, error) {
	var out []*inventoryv1.Location
	next, err := pstore.Scan(t.tx, bucketLocations, pstore.Page{Token: pg.Token, Size: pg.Size}, func(_, v []byte) (bool, error) {
		l := &inventoryv1.Location{}
		if err := proto.Unmarshal(v, l); err != nil {
			return false, err
		}
		if !keep(l) {
			return false, nil
		}
		out = append(out, l)
		return true, nil
	})
	return out, next, err
}
