package idem_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/store"
)

func TestLookupAndSave(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1})
	req := &typev1.Date{Year: 2026, Month: 1, Day: 31}
	resp := &typev1.Money{CurrencyCode: "CNY", AmountMinor: 1200}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		found, err := idem.Lookup(tx, "Create", "r1", req, &typev1.Money{})
		if found || err != nil {
			t.Fatalf("Lookup(new id) = %v, %v; want false, nil", found, err)
		}
		return idem.Save(tx, "Create", "r1", req, resp, now)
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		method    string
		id        string
		req       proto.Message
		wantFound bool
		wantErr   error
	}{
		{"same request", "Create", "r1", &typev1.Date{Year: 2026, Month: 1, Day: 31}, true, nil},
		{"different request", "Create", "r1", &typev1.Date{Year: 2026, Month: 2, Day: 1}, false, idem.ErrMismatch},
		{"other method", "Update", "r1", req, false, nil},
		{"empty id", "Create", "", req, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = db.View(func(tx *bbolt.Tx) error {
				got := &typev1.Money{}
				found, err := idem.Lookup(tx, tt.method, tt.id, tt.req, got)
				if found != tt.wantFound || !errors.Is(err, tt.wantErr) {
					t.Fatalf("Lookup = %v, %v; want %v, %v", found, err, tt.wantFound, tt.wantErr)
				}
				if found && !proto.Equal(got, resp) {
					t.Errorf("Lookup response = %v, want %v", got, resp)
				}
				return nil
			})
		})
	}
	if err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		if n, err := idem.Prune(tx, now, 10); n != 0 || err != nil {
			t.Errorf("Prune(cutoff = saved time) = %d, %v; want 0", n, err)
		}
		if n, err := idem.Prune(tx, now.Add(time.Second), 10); n != 1 || err != nil {
			t.Errorf("Prune(after) = %d, %v; want 1", n, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// dated is a request: a Date with a request_id.
type dated struct {
	*typev1.Date
	id string
}

func (d dated) GetRequestId() string { return d.id }

func TestUpdateDoesTheWorkOncePerRequestID(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1, Buckets: [][]byte{[]byte("n")}})
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	runs := 0
	call := func(req dated) (*typev1.Money, error) {
		resp := &typev1.Money{}
		err := idem.Update(context.Background(), db, "Bump", req, resp, now, func(tx *bbolt.Tx) error {
			b := tx.Bucket([]byte("n"))
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			runs++
			resp.AmountMinor = int64(seq)
			return b.Put(store.U64(seq), nil)
		})
		return resp, err
	}
	jan1 := &typev1.Date{Year: 2026, Month: 1, Day: 1}
	tests := []struct {
		name     string
		req      dated
		want     int64
		wantRuns int
		wantErr  error
	}{
		{"first call does the work", dated{jan1, "r1"}, 1, 1, nil},
		{"retry returns the first response", dated{jan1, "r1"}, 1, 1, nil},
		{"same id, other request", dated{&typev1.Date{Year: 2026, Month: 1, Day: 2}, "r1"}, 0, 1, idem.ErrMismatch},
		{"new id does the work again", dated{jan1, "r2"}, 2, 2, nil},
		{"no id is never deduplicated", dated{jan1, ""}, 3, 3, nil},
	}
	for _, tt := range tests {
		got, err := call(tt.req)
		if !errors.Is(err, tt.wantErr) || got.GetAmountMinor() != tt.want || runs != tt.wantRuns {
			t.Errorf("%s: Update = %d, %v after %d runs; want %d, %v after %d", tt.name, got.GetAmountMinor(), err, runs, tt.want, tt.wantErr, tt.wantRuns)
		}
	}
}
