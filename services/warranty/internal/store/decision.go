package store

import (
	"time"

	"go.etcd.io/bbolt"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutDecision records a claim decision with its cost, indexed by time (and model).
func PutDecision(tx *bbolt.Tx, d *warrantyv1.Decision) error {
	old := &warrantyv1.Decision{}
	found, err := pstore.GetProto(tx, bucketDecisions, []byte(d.GetId()), old)
	if err != nil {
		return err
	}
	if found {
		if err := unindexDecision(tx, old); err != nil {
			return err
		}
	}
	if err := indexDecision(tx, d); err != nil {
		return err
	}
	return pstore.PutProto(tx, bucketDecisions, []byte(d.GetId()), d)
}

// EachDecision calls fn for every recorded decision of model and batch (all when empty) made
// in [start, end) (unbounded when zero), oldest first. It reads only the decisions in range
// (of the model, when given).
func EachDecision(tx *bbolt.Tx, model, batch string, start, end time.Time, fn func(*warrantyv1.Decision) error) error {
	from, to := timeRange(start, end)
	bucket, prefix := bucketDecisionsByTime, []byte(nil)
	if model != "" {
		bucket, prefix = bucketDecisionsByModel, pstore.Prefix(model)
	}
	return eachInRange(tx, bucket, prefix, from, to, func(id []byte) error {
		d := &warrantyv1.Decision{}
		found, err := pstore.GetProto(tx, bucketDecisions, id, d)
		if err != nil || !found || (batch != "" && d.GetBatch() != batch) {
			return err
		}
		return fn(d)
	})
}
