package store

import (
	"bytes"
	"errors"
	"slices"

	"go.etcd.io/bbolt"
)

// MaxSort is how many items a list sorted in memory (an order no index serves) sorts at most.
const MaxSort = 5000

// ErrTooManyToSort is returned by SortedPage when more than MaxSort items match: the caller
// narrows its filters (or uses an indexed order).
var ErrTooManyToSort = errors.New("too many items match to sort them")

// Sorted is one item of a list sorted in memory with its sort key, unique within the list
// (end it with the item's id).
type Sorted[T any] struct {
	Key  []byte
	Item T
}

// SortedPage returns a page of items in Key order (descending when desc) after the position
// the token names, and the token of the next page ("" on the last). The token is signed for
// bucket and holds only for mark (the order and direction it was issued for). The caller
// collects at most MaxSort items (more: ErrTooManyToSort); each page sorts them again, so a
// page costs O(MaxSort) whatever the store's size.
func SortedPage[T any](tx *bbolt.Tx, bucket []byte, mark string, items []Sorted[T], desc bool, token string, size int) ([]T, string, error) {
	if len(items) > MaxSort {
		return nil, "", ErrTooManyToSort
	}
	prefix := append([]byte(mark), Sep)
	var after []byte
	if token != "" {
		k, err := DecodePageToken(tx, bucket, token)
		if err != nil || !bytes.HasPrefix(k, prefix) {
			return nil, "", ErrBadPageToken
		}
		after = k[len(prefix):]
	}
	slices.SortFunc(items, func(a, b Sorted[T]) int {
		if desc {
			return bytes.Compare(b.Key, a.Key)
		}
		return bytes.Compare(a.Key, b.Key)
	})
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(items, after, func(s Sorted[T], k []byte) int {
			if desc {
				return bytes.Compare(k, s.Key)
			}
			return bytes.Compare(s.Key, k)
		})
		if start < len(items) && bytes.Equal(items[start].Key, after) {
			start++
		}
	}
	if size <= 0 {
		size = DefaultPageSize
	}
	end := min(start+size, len(items))
	out := make([]T, 0, end-start)
	for _, s := range items[start:end] {
		out = append(out, s.Item)
	}
	if end == len(items) {
		return out, "", nil
	}
	return out, EncodePageToken(tx, bucket, append(prefix, items[end-1].Key...)), nil
}
