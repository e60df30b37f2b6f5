package store

import (
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

// Technician returns the technician with id; found is false when there is none.
func Technician(tx *bbolt.Tx, id string) (*dispatchv1.Technician, bool, error) {
	t := &dispatchv1.Technician{}
	found, err := pstore.GetProto(tx, bucketTechnicians, []byte(id), t)
	if err != nil {
		return nil, false, fmt.Errorf("get technician: %w", err)
	}
	return t, found, nil
}

// PutTechnician writes t and its organisation index; old is the stored version (nil when new).
// A code that belongs to another technician is domain.ErrExists.
func PutTechnician(tx *bbolt.Tx, old, t *dispatchv1.Technician) error {
	if code := t.GetCode(); code != "" {
		owner := pstore.Get(tx, bucketTechsByCode, []byte(code))
		if owner != nil && string(owner) != t.GetId() {
			return fmt.Errorf("technician.code: %s belongs to another technician: %w", code, domain.ErrExists)
		}
		if owner == nil {
			if err := pstore.Put(tx, bucketTechsByCode, []byte(code), []byte(t.GetId())); err != nil {
				return fmt.Errorf("put technician: %w", err)
			}
		}
	}
	if old != nil && old.GetOrganisationId() != t.GetOrganisationId() {
		if err := pstore.Delete(tx, bucketTechsByOrg, pstore.Key(old.GetOrganisationId(), old.GetId())); err != nil {
			return fmt.Errorf("put technician: %w", err)
		}
	}
	if err := pstore.Put(tx, bucketTechsByOrg, pstore.Key(t.GetOrganisationId(), t.GetId()), nil); err != nil {
		return fmt.Errorf("put technician: %w", err)
	}
	if err := pstore.PutProto(tx, bucketTechnicians, []byte(t.GetId()), t); err != nil {
		return fmt.Errorf("put technician: %w", err)
	}
	return nil
}

// TechnicianByCode returns the technician with code; found is false when there is none.
func TechnicianByCode(tx *bbolt.Tx, code string) (*dispatchv1.Technician, bool, error) {
	id := pstore.Get(tx, bucketTechsByCode, []byte(code))
	if id == nil {
		return nil, false, nil
	}
	return Technician(tx, string(id))
}

// TechnicianFilter selects technicians in ListTechnicians.
type TechnicianFilter struct {
	OrganisationID string
	ProductLine    string
	ActiveOnly     bool
}

func (f TechnicianFilter) match(t *dispatchv1.Technician) bool {
	if f.ActiveOnly && !t.GetActive() {
		return false
	}
	if f.ProductLine != "" {
		for _, s := range t.GetSkills() {
			if s.GetProductLine() == f.ProductLine {
				return true
			}
		}
		return false
	}
	return true
}

// ListTechnicians returns a page of technicians in id order (organisation index when filtered by
// organisation) and the next page token.
func ListTechnicians(tx *bbolt.Tx, f TechnicianFilter, token string, size int) ([]*dispatchv1.Technician, string, error) {
	var out []*dispatchv1.Technician
	visit := func(id []byte) (bool, error) {
		t := &dispatchv1.Technician{}
		found, err := pstore.GetProto(tx, bucketTechnicians, id, t)
		if err != nil || !found || !f.match(t) {
			return false, err
		}
		out = append(out, t)
		return true, nil
	}
	var next string
	var err error
	if f.OrganisationID != "" {
		prefix := pstore.Prefix(f.OrganisationID)
		next, err = pstore.Scan(tx, bucketTechsByOrg, pstore.Page{Prefix: prefix, Token: token, Size: size},
			func(k, _ []byte) (bool, error) { return visit(k[len(prefix):]) })
	} else {
		next, err = pstore.Scan(tx, bucketTechnicians, pstore.Page{Token: token, Size: size},
			func(k, _ []byte) (bool, error) { return visit(k) })
	}
	if err != nil {
		return nil, "", fmt.Errorf("list technicians: %w", err)
	}
	return out, next, nil
}

// EachTechnician calls fn for every technician (start-up indexing).
func EachTechnician(tx *bbolt.Tx, fn func(*dispatchv1.Technician) error) error {
	b, err := pstore.Bucket(tx, bucketTechnicians)
	if err != nil {
		return err
	}
	return b.ForEach(func(_, v []byte) error {
		t := &dispatchv1.Technician{}
		if err := proto.Unmarshal(v, t); err != nil {
			return fmt.Errorf("decode technician: %w", err)
		}
		return fn(t)
	})
}
