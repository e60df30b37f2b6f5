package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutOldPart records (or updates) a must-return old part under its job.
func PutOldPart(tx *bbolt.Tx, r *inventoryv1.OldPartReturn) error {
	return pstore.PutProto(tx, bucketOldParts, pstore.Key(r.GetJobId(), r.GetId()), r)
}

// GetOldPart returns a recorded old-part return, nil when unknown.
func GetOldPart(tx *bbolt.Tx, jobID, id string) (*inventoryv1.OldPartReturn, error) {
	r := &inventoryv1.OldPartReturn{}
	found, err := pstore.GetProto(tx, bucketOldParts, pstore.Key(jobID, id), r)
	if err != nil || !found {
		return nil, err
	}
	return r, nil
}

// OldPartsOfJob returns a job's must-return old parts.
func OldPartsOfJob(tx *bbolt.Tx, jobID string) ([]*inventoryv1.OldPartReturn, error) {
	var out []*inventoryv1.OldPartReturn
	_, err := pstore.Scan(tx, bucketOldParts, pstore.Page{Prefix: pstore.Prefix(jobID), Size: pstore.MaxPageSize}, func(_, v []byte) (bool, error) {
		r := &inventoryv1.OldPartReturn{}
		if err := proto.Unmarshal(v, r); err != nil {
			return false, err
		}
		out = append(out, r)
		return true, nil
	})
	return out, err
}
