package store

import (
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutDecision records a claim decision with its cost.
func PutDecision(tx *bbolt.Tx, d *warrantyv1.Decision) error {
	return pstore.PutProto(tx, bucketDecisions, []byte(d.GetId()), d)
}

// EachDecision calls fn for every recorded decision of model and batch (all when empty) made
// in [start, end) (unbounded when zero), oldest first.
func EachDecision(tx *bbolt.Tx, model, batch string, start, end time.Time, fn func(*warrantyv1.Decision) error) error {
	return tx.Bucket(bucketDecisions).ForEach(func(_, v []byte) error {
		d := &warrantyv1.Decision{}
		if err := proto.Unmarshal(v, d); err != nil {
			return err
		}
		t := d.GetEvaluateTime().AsTime()
		switch {
		case model != "" && d.GetModel() != model, batch != "" && d.GetBatch() != batch:
			return nil
		case !start.IsZero() && t.Before(start), !end.IsZero() && !t.Before(end):
			return nil
		}
		return fn(d)
	})
}
