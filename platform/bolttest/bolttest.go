// Package bolttest opens real bbolt files for tests and checks their consistency afterwards.
package bolttest

import (
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"
	"go.uber.org/zap/zaptest"

	"github.com/sanbao/sanbao/platform/store"
)

// Open opens a new store file in t's temp dir with the schema; at cleanup it closes the file
// after running bbolt's consistency check on it.
func Open(t testing.TB, schema store.Schema) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	db, err := store.Open(path, schema, zaptest.NewLogger(t), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { Close(t, db) })
	return db
}

// Close checks db's consistency and closes it (idempotent with Open's cleanup).
func Close(t testing.TB, db *store.DB) {
	t.Helper()
	b := db.Bolt()
	if b.Path() == "" {
		return
	}
	err := b.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil && err != bbolt.ErrDatabaseNotOpen {
		t.Errorf("bbolt consistency check of %s: %v", filepath.Base(b.Path()), err)
	}
	_ = db.Close()
}
