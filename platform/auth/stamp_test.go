package auth_test

import (
	"context"
	"testing"

	"go.etcd.io/bbolt"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/store"
)

// TestStampNamesTheCaller: a record put in a call's transaction names the caller, whatever the
// request said; an update keeps the creator; work with no caller is the service's.
func TestStampNamesTheCaller(t *testing.T) {
	db := bolttest.Open(t, store.Schema{Version: 1})
	as := func(subject string) context.Context {
		return auth.NewContext(context.Background(), &auth.Caller{Kind: auth.KindPerson, Subject: subject})
	}
	p := &inventoryv1.Part{Id: "p1", CreatedBy: "forged", UpdatedBy: "forged"}
	put := func(ctx context.Context, created bool) {
		t.Helper()
		if err := db.Update(ctx, func(tx *bbolt.Tx) error { auth.Stamp(tx, p, "inventory", created); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	put(as("keeper-1"), true)
	if p.GetCreatedBy() != "keeper-1" || p.GetUpdatedBy() != "keeper-1" {
		t.Fatalf("created = %q/%q, want keeper-1 for both (the request's forged values replaced)", p.GetCreatedBy(), p.GetUpdatedBy())
	}
	put(as("keeper-2"), false)
	if p.GetCreatedBy() != "keeper-1" || p.GetUpdatedBy() != "keeper-2" {
		t.Fatalf("updated = %q/%q, want keeper-1 created, keeper-2 updated", p.GetCreatedBy(), p.GetUpdatedBy())
	}
	put(context.Background(), false)
	if p.GetUpdatedBy() != "service:inventory" {
		t.Fatalf("updated by %q with no caller, want service:inventory", p.GetUpdatedBy())
	}
	m := &inventoryv1.Movement{}
	put2 := func() {
		if err := db.Update(as("keeper-3"), func(tx *bbolt.Tx) error { auth.Stamp(tx, m, "inventory", true); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	put2()
	if m.GetCreatedBy() != "keeper-3" {
		t.Fatalf("movement created by %q, want keeper-3 (no updated_by field to set)", m.GetCreatedBy())
	}
}
