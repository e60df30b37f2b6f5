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

// PutRepair stores a repair under its unit, by time, and under its dispatch job when it has
// one.
func PutRepair(tx *bbolt.Tx, r *warrantyv1.Repair) error {
	old := &warrantyv1.Repair{}
	found, err := pstore.GetProto(tx, bucketRepairs, pstore.Key(r.GetUnitId(), r.GetId()), old)
	if err != nil {
		return err
	}
	if found {
		if err := pstore.Delete(tx, bucketRepairsByTime, repairTimeKey(old)); err != nil {
			return err
		}
	}
	if err := pstore.Put(tx, bucketRepairsByTime, repairTimeKey(r), nil); err != nil {
		return err
	}
	if r.GetJobId() != "" {
		if err := pstore.Put(tx, bucketRepairsByJob, pstore.Key(r.GetJobId(), r.GetUnitId(), r.GetId()), nil); err != nil {
			return err
		}
	}
	return pstore.PutProto(tx, bucketRepairs, pstore.Key(r.GetUnitId(), r.GetId()), r)
}

// RepairsOfJob returns the repairs recorded for a dispatch job.
func RepairsOfJob(tx *bbolt.Tx, jobID string) ([]*warrantyv1.Repair, error) {
	var out []*warrantyv1.Repair
	_, err := pstore.Scan(tx, bucketRepairsByJob, pstore.Page{Prefix: pstore.Prefix(jobID), Size: pstore.MaxPageSize}, func(k, _ []byte) (bool, error) {
		parts := bytes.Split(k[len(jobID)+1:], []byte{pstore.Sep})
		if len(parts) != 2 {
			return false, fmt.Errorf("repairs_by_job key %q", k)
		}
		r := &warrantyv1.Repair{}
		found, err := pstore.GetProto(tx, bucketRepairs, pstore.Key(string(parts[0]), string(parts[1])), r)
		if err != nil || !found {
			return false, err
		}
		out = append(out, r)
		return true, nil
	})
	return out, err
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

// UnitsRepairedIn calls fn once for each unit with a repair recorded in [start, end)
// (unbounded when zero), in the order of their first repair in range.
func UnitsRepairedIn(tx *bbolt.Tx, start, end time.Time, fn func(unitID string) error) error {
	from, to := timeRange(start, end)
	seen := map[string]bool{}
	return eachInRange(tx, bucketRepairsByTime, nil, from, to, func(rest []byte) error {
		unit, _, ok := bytes.Cut(rest, []byte{pstore.Sep})
		if !ok {
			return fmt.Errorf("repairs_by_time key %q: no unit", rest)
		}
		id := string(unit)
		if seen[id] {
			return nil
		}
		seen[id] = true
		return fn(id)
	})
}
