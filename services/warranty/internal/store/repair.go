package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutRepair stores a repair under its unit.
func PutRepair(tx *bbolt.Tx, r *warrantyv1.Repair) error {
	return pstore.PutProto(tx, bucketRepairs, pstore.Key(r.GetUnitId(), r.GetId()), r)
}

// Repairs returns every repair of a unit, oldest first.
func Repairs(tx *bbolt.Tx, unitID string) ([]*warrantyv1.Repair, error) {
	var out []*warrantyv1.Repair
	prefix := pstore.Prefix(unitID)
	c := tx.Bucket(bucketRepairs).Cursor()
	for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
		r := &warrantyv1.Repair{}
		if err := proto.Unmarshal(v, r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ListRepairs returns a page of a unit's repairs, oldest first.
func ListRepairs(tx *bbolt.Tx, unitID, token string, size int) ([]*warrantyv1.Repair, string, error) {
	var out []*warrantyv1.Repair
	next, err := pstore.Scan(tx, bucketRepairs, pstore.Page{Prefix: pstore.Prefix(unitID), Token: token, Size: size}, func(_, v []byte) (bool, error) {
		r := &warrantyv1.Repair{}
		if err := proto.Unmarshal(v, r); err != nil {
			return false, err
		}
		out = append(out, r)
		return true, nil
	})
	return out, next, err
}
