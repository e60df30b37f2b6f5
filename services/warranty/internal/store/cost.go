package store

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// The cost report's indexes, so that a report costs what its range holds, not the whole
// history: decisions by time (and by model, then time), repairs by time, units by batch.

// indexDecision writes d's time indexes.
func indexDecision(tx *bbolt.Tx, d *warrantyv1.Decision) error {
	at := pstore.TimeKey(d.GetEvaluateTime().AsTime())
	if err := pstore.Put(tx, bucketDecisionsByTime, pstore.Join(at, []byte(d.GetId())), nil); err != nil {
		return err
	}
	if d.GetModel() == "" {
		return nil
	}
	return pstore.Put(tx, bucketDecisionsByModel, pstore.Join(pstore.Key(d.GetModel()), at, []byte(d.GetId())), nil)
}

// unindexDecision removes d's time indexes.
func unindexDecision(tx *bbolt.Tx, d *warrantyv1.Decision) error {
	at := pstore.TimeKey(d.GetEvaluateTime().AsTime())
	if err := pstore.Delete(tx, bucketDecisionsByTime, pstore.Join(at, []byte(d.GetId()))); err != nil {
		return err
	}
	if d.GetModel() == "" {
		return nil
	}
	return pstore.Delete(tx, bucketDecisionsByModel, pstore.Join(pstore.Key(d.GetModel()), at, []byte(d.GetId())))
}

// repairTimeKey is r's key in repairs_by_time.
func repairTimeKey(r *warrantyv1.Repair) []byte {
	return pstore.Join(pstore.TimeKey(r.GetCreateTime().AsTime()), pstore.Key(r.GetUnitId(), r.GetId()))
}

// timeRange is [start, end) as time keys; zero times leave that end open.
func timeRange(start, end time.Time) (from, to []byte) {
	if !start.IsZero() {
		from = pstore.TimeKey(start)
	}
	if !end.IsZero() {
		to = pstore.TimeKey(end)
	}
	return from, to
}

// eachInRange walks the keys of bucket under prefix whose next 8 bytes (a time key) are in
// [from, to) (nil: open), calling fn with the rest of the key after the time and its separator.
func eachInRange(tx *bbolt.Tx, bucket, prefix, from, to []byte, fn func(rest []byte) error) error {
	b, err := pstore.Bucket(tx, bucket)
	if err != nil {
		return err
	}
	c := b.Cursor()
	seek := append(bytes.Clone(prefix), from...)
	for k, _ := c.Seek(seek); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		rest := k[len(prefix):]
		if len(rest) < 9 {
			return fmt.Errorf("%s key %q: no time", bucket, k)
		}
		if to != nil && bytes.Compare(rest[:8], to) >= 0 {
			return nil
		}
		if err := fn(rest[9:]); err != nil {
			return err
		}
	}
	return nil
}

// indexForCost fills the cost report's indexes from a layout-1 file (the upgrade to layout 2).
func indexForCost(tx *bbolt.Tx) error {
	if err := tx.Bucket(bucketDecisions).ForEach(func(_, v []byte) error {
		d := &warrantyv1.Decision{}
		if err := proto.Unmarshal(v, d); err != nil {
			return err
		}
		return indexDecision(tx, d)
	}); err != nil {
		return fmt.Errorf("index decisions: %w", err)
	}
	if err := tx.Bucket(bucketRepairs).ForEach(func(_, v []byte) error {
		r := &warrantyv1.Repair{}
		if err := proto.Unmarshal(v, r); err != nil {
			return err
		}
		return pstore.Put(tx, bucketRepairsByTime, repairTimeKey(r), nil)
	}); err != nil {
		return fmt.Errorf("index repairs: %w", err)
	}
	return tx.Bucket(bucketUnits).ForEach(func(_, v []byte) error {
		u := &warrantyv1.Unit{}
		if err := proto.Unmarshal(v, u); err != nil {
			return err
		}
		if u.GetBatch() == "" {
			return nil
		}
		return pstore.Put(tx, bucketUnitsByBatch, pstore.Key(u.GetBatch(), u.GetModel(), u.GetId()), nil)
	})
}
