// Package idem makes state-changing calls idempotent on their client request_id: the first call's
// response is stored in the same bbolt transaction as its change, and a retry gets it back.
package idem

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/sanbao/sanbao/platform/store"
)

var bucket = []byte("_idem")

// ErrMismatch is returned when a request_id is reused for a different request.
var ErrMismatch = errors.New("request_id was already used for a different request")

// record layout: sha256 fingerprint (32) | saved at, unix seconds (8) | response bytes.
const headerLen = sha256.Size + 8

// Lookup looks up a previous call of method with requestID. If there was one with the same
// request, it decodes that call's response into resp and reports true. If the id was used for a
// different request, it returns ErrMismatch. An empty requestID is never found.
func Lookup(tx *bbolt.Tx, method, requestID string, req, resp proto.Message) (bool, error) {
	if requestID == "" {
		return false, nil
	}
	b := tx.Bucket(bucket)
	if b == nil {
		return false, nil
	}
	v := b.Get(store.Key(method, requestID))
	if v == nil {
		return false, nil
	}
	if len(v) < headerLen {
		return false, fmt.Errorf("idem record %s/%s: truncated", method, requestID)
	}
	fp, err := fingerprint(method, req)
	if err != nil {
		return false, err
	}
	if !bytes.Equal(v[:sha256.Size], fp) {
		return false, fmt.Errorf("%w (method %s)", ErrMismatch, method)
	}
	proto.Reset(resp)
	if err := proto.Unmarshal(v[headerLen:], resp); err != nil {
		return false, fmt.Errorf("idem record %s/%s: %w", method, requestID, err)
	}
	return true, nil
}

// Save records resp as the response of method's call with requestID and request req, in tx.
// An empty requestID records nothing.
func Save(tx *bbolt.Tx, method, requestID string, req, resp proto.Message, now time.Time) error {
	if requestID == "" {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return err
	}
	fp, err := fingerprint(method, req)
	if err != nil {
		return err
	}
	body, err := store.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	v := make([]byte, 0, headerLen+len(body))
	v = append(v, fp...)
	v = append(v, store.U64(uint64(now.Unix()))...)
	v = append(v, body...)
	return b.Put(store.Key(method, requestID), v)
}

// Prune deletes records saved before cutoff, at most limit of them, and reports how many it
// deleted. A retry older than the retention is then treated as a new call.
func Prune(tx *bbolt.Tx, cutoff time.Time, limit int) (int, error) {
	b := tx.Bucket(bucket)
	if b == nil {
		return 0, nil
	}
	var old [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(old) < limit; k, v = c.Next() {
		if len(v) >= headerLen && int64(store.Uint64(v[sha256.Size:headerLen])) < cutoff.Unix() {
			old = append(old, append([]byte(nil), k...))
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

func fingerprint(method string, req proto.Message) ([]byte, error) {
	body, err := store.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("fingerprint request: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil), nil
}

// Request is a state-changing request: a message with the client's request_id.
type Request interface {
	proto.Message
	GetRequestId() string
}

// Update runs fn in a group-committed transaction of db once per request_id: a retry of the same
// request gets the first call's response in resp and fn does not run; the same id with another
// request is ErrMismatch. fn fills resp, which is reset before each run (a batched transaction
// may run it more than once). now is when the record is saved.
func Update(ctx context.Context, db *store.DB, method string, req Request, resp proto.Message, now time.Time, fn func(tx *bbolt.Tx) error) error {
	return db.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := Lookup(tx, method, req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return Save(tx, method, req.GetRequestId(), req, resp, now)
	})
}
