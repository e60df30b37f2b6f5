package store

import (
	"bytes"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Reservation returns a reservation or a NotFoundError.
func (t *Tx) Reservation(id string) (*inventoryv1.Reservation, error) {
	return getOne(t, bucketReservations, "reservation", id, &inventoryv1.Reservation{})
}

// PutReservation stores a reservation and indexes it by job.
func (t *Tx) PutReservation(r *inventoryv1.Reservation) error {
	if err := pstore.Put(t.tx, bucketResByJob, pstore.Key(r.GetJobId(), r.GetId()), nil); err != nil {
		return err
	}
	auth.Stamp(t.tx, r, service, !pstore.Has(t.tx, bucketReservations, []byte(r.GetId())))
	return pstore.PutProto(t.tx, bucketReservations, []byte(r.GetId()), r)
}

// JobReservationIDs returns the ids of a job's reservations, oldest first.
func (t *Tx) JobReservationIDs(jobID string) []string {
	var out []string
	prefix := pstore.Prefix(jobID)
	c := t.tx.Bucket(bucketResByJob).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out
}

// ListJobReservations pages through a job's reservations, keeping those keep accepts.
func (t *Tx) ListJobReservations(jobID string, pg Page, keep func(*inventoryv1.Reservation) bool) ([]*inventoryv1.Reservation, string, error) {
	var out []*inventoryv1.Reservation
	prefix := pstore.Prefix(jobID)
	next, err := pstore.Scan(t.tx, bucketResByJob, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
		r, err := t.Reservation(string(k[len(prefix):]))
		if err != nil {
			return false, err
		}
		if !keep(r) {
			return false, nil
		}
		out = append(out, r)
		return true, nil
	})
	return out, next, err
}
