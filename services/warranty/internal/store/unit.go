package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// ErrSerialTaken is returned when a serial already belongs to another unit.
var ErrSerialTaken = fmt.Errorf("serial already registered")

// UnitIDBySerial returns the id of the unit with serial (current or previous).
func UnitIDBySerial(tx *bbolt.Tx, serial string) (string, error) {
	v := pstore.Get(tx, bucketUnitsBySerial, []byte(serial))
	if v == nil {
		return "", fmt.Errorf("unit with serial %s: %w", serial, ErrNotFound)
	}
	return string(v), nil
}

// GetUnit returns unit id.
func GetUnit(tx *bbolt.Tx, id string) (*warrantyv1.Unit, error) {
	u := &warrantyv1.Unit{}
	ok, err := pstore.GetProto(tx, bucketUnits, []byte(id), u)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("unit %s: %w", id, ErrNotFound)
	}
	return u, nil
}

// GetUnitBySerial returns the unit with serial (current or previous).
func GetUnitBySerial(tx *bbolt.Tx, serial string) (*warrantyv1.Unit, error) {
	id, err := UnitIDBySerial(tx, serial)
	if err != nil {
		return nil, err
	}
	return GetUnit(tx, id)
}

// CreateUnit stores a new unit and its indexes; a serial in use is ErrSerialTaken.
func CreateUnit(tx *bbolt.Tx, u *warrantyv1.Unit) error {
	if pstore.Has(tx, bucketUnitsBySerial, []byte(u.GetSerial())) {
		return fmt.Errorf("serial %s: %w", u.GetSerial(), ErrSerialTaken)
	}
	if err := pstore.Put(tx, bucketUnitsBySerial, []byte(u.GetSerial()), []byte(u.GetId())); err != nil {
		return err
	}
	idx := []struct {
		bucket []byte
		part   string
	}{{bucketUnitsByModel, u.GetModel()}, {bucketUnitsByPolicy, u.GetPolicyId()}, {bucketUnitsByDealer, u.GetDealerId()}}
	for _, i := range idx {
		if i.part == "" {
			continue
		}
		if err := pstore.Put(tx, i.bucket, pstore.Key(i.part, u.GetId()), []byte{}); err != nil {
			return err
		}
	}
	if u.GetBatch() != "" {
		if err := pstore.Put(tx, bucketUnitsByBatch, pstore.Key(u.GetBatch(), u.GetModel(), u.GetId()), nil); err != nil {
			return err
		}
	}
	auth.Stamp(tx, u, service, true)
	return pstore.PutProto(tx, bucketUnits, []byte(u.GetId()), u)
}

// UpdateUnit stores a changed unit; a new serial (after an exchange) is indexed too, and must
// not belong to another unit. Model, policy and dealer never change.
func UpdateUnit(tx *bbolt.Tx, u *warrantyv1.Unit) error {
	if owner := pstore.Get(tx, bucketUnitsBySerial, []byte(u.GetSerial())); owner == nil {
		if err := pstore.Put(tx, bucketUnitsBySerial, []byte(u.GetSerial()), []byte(u.GetId())); err != nil {
			return err
		}
	} else if string(owner) != u.GetId() {
		return fmt.Errorf("serial %s: %w", u.GetSerial(), ErrSerialTaken)
	}
	auth.Stamp(tx, u, service, false)
	return pstore.PutProto(tx, bucketUnits, []byte(u.GetId()), u)
}

// UnitFilter selects units; at most one field is used, in this order.
type UnitFilter struct {
	Model    string
	PolicyID string
	DealerID string
}

// ListUnits returns a page of units in registration order, through an index when filtered.
func ListUnits(tx *bbolt.Tx, f UnitFilter, token string, size int) ([]*warrantyv1.Unit, string, error) {
	var out []*warrantyv1.Unit
	bucket, prefix := bucketUnits, []byte(nil)
	switch {
	case f.Model != "":
		bucket, prefix = bucketUnitsByModel, pstore.Prefix(f.Model)
	case f.PolicyID != "":
		bucket, prefix = bucketUnitsByPolicy, pstore.Prefix(f.PolicyID)
	case f.DealerID != "":
		bucket, prefix = bucketUnitsByDealer, pstore.Prefix(f.DealerID)
	}
	next, err := pstore.Scan(tx, bucket, pstore.Page{Prefix: prefix, Token: token, Size: size}, func(k, v []byte) (bool, error) {
		if prefix == nil {
			u := &warrantyv1.Unit{}
			if err := proto.Unmarshal(v, u); err != nil {
				return false, err
			}
			out = append(out, u)
			return true, nil
		}
		u, err := GetUnit(tx, string(k[len(prefix):]))
		if err != nil {
			return false, err
		}
		out = append(out, u)
		return true, nil
	})
	return out, next, err
}

// CountUnits counts the units of model (all when empty) whose batch is batch (any when empty),
// from the indexes' keys: no unit is read.
func CountUnits(tx *bbolt.Tx, model, batch string) (int64, error) {
	bucket, prefix := bucketUnitsByModel, pstore.Prefix(model)
	switch {
	case batch != "" && model != "":
		bucket, prefix = bucketUnitsByBatch, pstore.Prefix(batch, model)
	case batch != "":
		bucket, prefix = bucketUnitsByBatch, pstore.Prefix(batch)
	case model == "":
		return int64(tx.Bucket(bucketUnits).Stats().KeyN), nil
	}
	b, err := pstore.Bucket(tx, bucket)
	if err != nil {
		return 0, err
	}
	var n int64
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n, nil
}

// EachUnit calls fn for every unit of model and batch (all when empty), by model index when
// model is set, else over every unit.
func EachUnit(tx *bbolt.Tx, model, batch string, fn func(*warrantyv1.Unit) error) error {
	visit := func(u *warrantyv1.Unit) error {
		if batch != "" && u.GetBatch() != batch {
			return nil
		}
		return fn(u)
	}
	if model != "" {
		prefix := pstore.Prefix(model)
		c := tx.Bucket(bucketUnitsByModel).Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			u, err := GetUnit(tx, string(k[len(prefix):]))
			if err != nil {
				return err
			}
			if err := visit(u); err != nil {
				return err
			}
		}
		return nil
	}
	return tx.Bucket(bucketUnits).ForEach(func(_, v []byte) error {
		u := &warrantyv1.Unit{}
		if err := proto.Unmarshal(v, u); err != nil {
			return err
		}
		return visit(u)
	})
}
