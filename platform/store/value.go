package store

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// ErrNoBucket is returned when a bucket the code expects was never created.
var ErrNoBucket = errors.New("bucket does not exist")

var marshal = proto.MarshalOptions{Deterministic: true}

// Bucket returns the named top-level bucket or ErrNoBucket.
func Bucket(tx *bbolt.Tx, name []byte) (*bbolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoBucket, name)
	}
	return b, nil
}

// GetProto reads key from bucket into m. It reports false when the key is absent.
// The value is copied out of the transaction by unmarshalling.
func GetProto(tx *bbolt.Tx, bucket, key []byte, m proto.Message) (bool, error) {
	b, err := Bucket(tx, bucket)
	if err != nil {
		return false, err
	}
	v := b.Get(key)
	if v == nil {
		return false, nil
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return false, fmt.Errorf("decode %s/%x: %w", bucket, key, err)
	}
	return true, nil
}

// PutProto writes m under key in bucket, deterministically encoded.
func PutProto(tx *bbolt.Tx, bucket, key []byte, m proto.Message) error {
	b, err := Bucket(tx, bucket)
	if err != nil {
		return err
	}
	v, err := marshal.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode %s: %w", bucket, err)
	}
	return b.Put(key, v)
}

// Marshal encodes m deterministically (the same message always gives the same bytes).
func Marshal(m proto.Message) ([]byte, error) { return marshal.Marshal(m) }

// Put writes a raw value.
func Put(tx *bbolt.Tx, bucket, key, value []byte) error {
	b, err := Bucket(tx, bucket)
	if err != nil {
		return err
	}
	return b.Put(key, value)
}

// Delete removes key from bucket; a missing key is not an error.
func Delete(tx *bbolt.Tx, bucket, key []byte) error {
	b, err := Bucket(tx, bucket)
	if err != nil {
		return err
	}
	return b.Delete(key)
}

// Has reports whether key exists in bucket.
func Has(tx *bbolt.Tx, bucket, key []byte) bool {
	b := tx.Bucket(bucket)
	return b != nil && b.Get(key) != nil
}

// Get returns a copy of the raw value under key, or nil.
func Get(tx *bbolt.Tx, bucket, key []byte) []byte {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	v := b.Get(key)
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}
