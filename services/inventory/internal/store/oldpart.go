package store

import (
	"bytes"
	"time"

	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Return returns an old-part return or a NotFoundError.
func (t *Tx) Return(id string) (*inventoryv1.OldPartReturn, error) {
	return getOne(t, bucketReturns, "return", id, &inventoryv1.OldPartReturn{})
}

func awaitingKeys(r *inventoryv1.OldPartReturn) (byDue, byOrg []byte) {
	due := pstore.TimeKey(r.GetDueTime().AsTime())
	byDue = pstore.Join(due, []byte(r.GetId()))
	byOrg = pstore.Join([]byte(r.GetOrganisationId()), due, []byte(r.GetId()))
	return byDue, byOrg
}

// PutReturn stores a return, indexes it by job, and keeps the awaiting-return indexes in step
// with its state. prev is the stored version (nil for a new record).
func (t *Tx) PutReturn(r, prev *inventoryv1.OldPartReturn) error {
	auth.Stamp(t.tx, r, service, prev == nil)
	if prev != nil && prev.GetState() == inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN {
		d, o := awaitingKeys(prev)
		if err := pstore.Delete(t.tx, bucketAwaitingByDue, d); err != nil {
			return err
		}
		if err := pstore.Delete(t.tx, bucketAwaitingByOrg, o); err != nil {
			return err
		}
	}
	if r.GetState() == inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN {
		d, o := awaitingKeys(r)
		if err := pstore.Put(t.tx, bucketAwaitingByDue, d, nil); err != nil {
			return err
		}
		if err := pstore.Put(t.tx, bucketAwaitingByOrg, o, nil); err != nil {
			return err
		}
	}
	if err := pstore.Put(t.tx, bucketReturnsByJob, pstore.Key(r.GetJobId(), r.GetId()), nil); err != nil {
		return err
	}
	return pstore.PutProto(t.tx, bucketReturns, []byte(r.GetId()), r)
}

// FirstAwaiting returns the oldest AWAITING_RETURN return of a job and part, or nil.
func (t *Tx) FirstAwaiting(jobID, partID string) (*inventoryv1.OldPartReturn, error) {
	prefix := pstore.Prefix(jobID)
	c := t.tx.Bucket(bucketReturnsByJob).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		r, err := t.Return(string(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		if r.GetPartId() == partID && r.GetState() == inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN {
			return r, nil
		}
	}
	return nil, nil
}

// ListOutstanding pages through must-return old parts still awaited after their due time
// (due < now), by job, by organisation, or all; oldest due first (job: creation order).
func (t *Tx) ListOutstanding(jobID, orgID string, now time.Time, pg Page) ([]*inventoryv1.OldPartReturn, string, error) {
	var out []*inventoryv1.OldPartReturn
	nowKey := pstore.TimeKey(now)
	add := func(id string) (bool, error) {
		r, err := t.Return(id)
		if err != nil {
			return false, err
		}
		if r.GetState() != inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN || !now.After(r.GetDueTime().AsTime()) {
			return false, nil
		}
		if orgID != "" && r.GetOrganisationId() != orgID {
			return false, nil
		}
		out = append(out, r)
		return true, nil
	}
	switch {
	case jobID != "":
		prefix := pstore.Prefix(jobID)
		next, err := pstore.Scan(t.tx, bucketReturnsByJob, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
			return add(string(k[len(prefix):]))
		})
		return out, next, err
	case orgID != "":
		prefix := pstore.Prefix(orgID)
		next, err := pstore.Scan(t.tx, bucketAwaitingByOrg, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
			rest := k[len(prefix):]
			if bytes.Compare(rest[:8], nowKey) >= 0 {
				return false, nil
			}
			return add(string(rest[9:]))
		})
		return out, next, err
	default:
		next, err := pstore.Scan(t.tx, bucketAwaitingByDue, pstore.Page{Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
			if bytes.Compare(k[:8], nowKey) >= 0 {
				return false, nil
			}
			return add(string(k[9:]))
		})
		return out, next, err
	}
}

// Claim returns a supplier claim or a NotFoundError.
func (t *Tx) Claim(id string) (*inventoryv1.SupplierClaim, error) {
	return getOne(t, bucketClaims, "supplier claim", id, &inventoryv1.SupplierClaim{})
}

// PutClaim stores a supplier claim and indexes it by supplier.
func (t *Tx) PutClaim(c *inventoryv1.SupplierClaim) error {
	if err := pstore.Put(t.tx, bucketClaimsBySupp, pstore.Key(c.GetSupplierId(), c.GetId()), nil); err != nil {
		return err
	}
	return pstore.PutProto(t.tx, bucketClaims, []byte(c.GetId()), c)
}

// ListClaims pages through claims (of one supplier when supplierID is set), keeping those keep
// accepts.
func (t *Tx) ListClaims(supplierID string, pg Page, keep func(*inventoryv1.SupplierClaim) bool) ([]*inventoryv1.SupplierClaim, string, error) {
	var out []*inventoryv1.SupplierClaim
	add := func(c *inventoryv1.SupplierClaim) bool {
		if !keep(c) {
			return false
		}
		out = append(out, c)
		return true
	}
	if supplierID == "" {
		next, err := pstore.Scan(t.tx, bucketClaims, pstore.Page{Token: pg.Token, Size: pg.Size}, func(_, v []byte) (bool, error) {
			c := &inventoryv1.SupplierClaim{}
			if err := proto.Unmarshal(v, c); err != nil {
				return false, err
			}
			return add(c), nil
		})
		return out, next, err
	}
	prefix := pstore.Prefix(supplierID)
	next, err := pstore.Scan(t.tx, bucketClaimsBySupp, pstore.Page{Prefix: prefix, Token: pg.Token, Size: pg.Size}, func(k, _ []byte) (bool, error) {
		c, err := t.Claim(string(k[len(prefix):]))
		if err != nil {
			return false, err
		}
		return add(c), nil
	})
	return out, next, err
}
