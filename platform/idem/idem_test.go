package idem_test

import (
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
