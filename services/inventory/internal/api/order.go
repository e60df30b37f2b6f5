package api

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// Sort orders of the lists a console sorts.
const (
	sortCreate = "create_time"
	sortDue    = "due_time"
	sortExpire = "expire_time"
)

// collect follows list's pages (their own index order) until the last, for an in-memory sort:
// at most pstore.MaxSort items (ErrTooManyToSort beyond).
func collect[T any](list func(pg store.Page) ([]T, string, error)) ([]T, error) {
	var all []T
	pg := store.Page{Size: pstore.MaxPageSize}
	for {
		items, next, err := list(pg)
		if err != nil {
			return nil, err
		}
		if all = append(all, items...); len(all) > pstore.MaxSort {
			return nil, pstore.ErrTooManyToSort
		}
		if next == "" {
			return all, nil
		}
		pg.Token = next
	}
}

// timeSortKey orders by ts (nil after every time), then by create time and id, so keys are
// unique and ties keep creation order.
func timeSortKey(ts, created *timestamppb.Timestamp, id string) []byte {
	v := append([]byte{1}, make([]byte, 8)...)
	if ts != nil {
		v = append([]byte{0}, pstore.TimeKey(ts.AsTime())...)
	}
	return pstore.Join(append(v, pstore.TimeKey(created.AsTime())...), []byte(id))
}

// sortedPage sorts items by key in the order's direction and returns the page the token
// names; the token holds for this list (name), order and filter (scope) only.
func sortedPage[T any](tx *bbolt.Tx, name, scope string, o order, items []T, key func(T) []byte, token string, size int) ([]T, string, error) {
	sorted := make([]pstore.Sorted[T], len(items))
	for i, it := range items {
		sorted[i] = pstore.Sorted[T]{Key: key(it), Item: it}
	}
	dir := "a"
	if o.desc {
		dir = "d"
	}
	return pstore.SortedPage(tx, []byte("sorted:"+name), o.field+":"+dir+":"+scope, sorted, o.desc, token, size)
}

// order is a parsed order_by.
type order struct {
	field string
	desc  bool
}
