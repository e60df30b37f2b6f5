package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutSupplierClaim records a resolved supplier claim under its job.
func PutSupplierClaim(tx *bbolt.Tx, c *inventoryv1.SupplierClaim) error {
	return pstore.PutProto(tx, bucketSupplierClaims, pstore.Key(c.GetJobId(), c.GetId()), c)
}

// SupplierClaimsOfJob returns the resolved supplier claims of a job.
func SupplierClaimsOfJob(tx *bbolt.Tx, jobID string) ([]*inventoryv1.SupplierClaim, error) {
	var out []*inventoryv1.SupplierClaim
	_, err := pstore.Scan(tx, bucketSupplierClaims, pstore.Page{Prefix: pstore.Prefix(jobID), Size: pstore.MaxPageSize}, func(_, v []byte) (bool, error) {
		c := &inventoryv1.SupplierClaim{}
		if err := proto.Unmarshal(v, c); err != nil {
			return false, err
		}
		out = append(out, c)
		return true, nil
	})
	return out, err
}
