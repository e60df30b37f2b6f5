package store_test

import (
	"fmt"
	"slices"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/store"
)

// TestSortedPage: pages of a sorted list, followed by their tokens, are the whole list in
// order, either way; a token is for its own order; too many items are refused.
func TestSortedPage(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{[]byte("b")}})
	var items []store.Sorted[int]
	for i := range 53 {
		items = append(items, store.Sorted[int]{Key: []byte(fmt.Sprintf("%03d/%d", (i*37)%53, i)), Item: (i * 37) % 53})
	}
	err := db.View(func(tx *bbolt.Tx) error {
		for _, desc := range []bool{false, true} {
			var got []int
			token := ""
			for range 100 {
				page, next, err := store.SortedPage(tx, []byte("b"), "x", slices.Clone(items), desc, token, 7)
				if err != nil {
					return err
				}
				got = append(got, page...)
				if token = next; token == "" {
					break
				}
			}
			want := make([]int, 53)
			for i := range want {
				want[i] = i
			}
			if desc {
				slices.Reverse(want)
			}
			if !slices.Equal(got, want) {
				return fmt.Errorf("desc %v: %v", desc, got)
			}
		}
		_, next, _ := store.SortedPage(tx, []byte("b"), "x", slices.Clone(items), false, "", 7)
		if _, _, err := store.SortedPage(tx, []byte("b"), "y", slices.Clone(items), false, next, 7); err != store.ErrBadPageToken {
			return fmt.Errorf("token of another order: %v", err)
		}
		if _, _, err := store.SortedPage(tx, []byte("b"), "x", make([]store.Sorted[int], store.MaxSort+1), false, "", 7); err != store.ErrTooManyToSort {
			return fmt.Errorf("too many: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
