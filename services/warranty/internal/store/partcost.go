package store

import (
	"go.etcd.io/bbolt"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutPartCost records parts-inventory's unit cost of a part.
func PutPartCost(tx *bbolt.Tx, partID string, cost *typev1.Money) error {
	return pstore.PutProto(tx, bucketPartCosts, []byte(partID), cost)
}

// PartCost returns the unit cost of a part, nil when unknown.
func PartCost(tx *bbolt.Tx, partID string) (*typev1.Money, error) {
	m := &typev1.Money{}
	found, err := pstore.GetProto(tx, bucketPartCosts, []byte(partID), m)
	if err != nil || !found {
		return nil, err
	}
	return m, nil
}
