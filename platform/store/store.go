// Package store opens a service's bbolt file and holds the typed helpers every service's store
// layer is built from: protobuf values, sortable keys, secondary-index pages and group commit.
package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
)

// Schema declares what a service keeps in its file: the version of its layout and its buckets.
type Schema struct {
	// Version is the layout version this binary writes. Open refuses a file written by a newer
	// layout, so an old binary never misreads a new file after a rollback.
	Version uint64
	// Buckets are created on open if missing.
	Buckets [][]byte
	// Migrate, when set, brings a file written by an older layout (from) to Version, in the
	// transaction that opens it (so a crash leaves the old layout whole). A new file is not
	// migrated.
	Migrate func(tx *bbolt.Tx, from uint64) error
}

// Options tune Open. The zero value is the production default.
type Options struct {
	// LockTimeout bounds the wait for the file lock held by another process (default 2s).
	LockTimeout time.Duration
	// MaxBatchDelay is bbolt's Batch delay, for code that calls Bolt().Batch directly (default
	// 2ms). DB.Update does not wait: it commits as soon as the writer is free.
	MaxBatchDelay time.Duration
	// ReadOnly opens the file for reading only (backups, inspection).
	ReadOnly bool
}

// DB is an open bbolt file.
type DB struct {
	bolt     *bbolt.DB
	log      *zap.Logger
	attached sync.Map // what platform packages keep per file (Attached)

	gmu        sync.Mutex // guards queue and committing (group commit)
	queue      []*call
	committing bool
}

// open maps each bbolt handle opened by Open to its DB, so that code holding only a transaction
// (outbox.Append, timer.Schedule) can reach per-file state such as the relay to wake.
var open sync.Map // *bbolt.DB → *DB

// Of returns the DB that tx belongs to, or nil for a bbolt handle that Open did not open.
func Of(tx *bbolt.Tx) *DB {
	v, _ := open.Load(tx.DB())
	db, _ := v.(*DB)
	return db
}

// Attached returns the value kept on db under key, making it with mk on first use. Platform
// packages keep their per-file state here (the outbox's relay, the timer runner).
func (db *DB) Attached(key any, mk func() any) any {
	if v, ok := db.attached.Load(key); ok {
		return v
	}
	v, _ := db.attached.LoadOrStore(key, mk())
	return v
}

var (
	metaBucket       = []byte("_meta")
	schemaVersionKey = []byte("schema_version")
	// pageSecretKey holds the random key that signs page tokens, made when the file is created.
	pageSecretKey = []byte("page_token_secret")
)

// ErrNewerSchema is returned by Open when the file was written by a newer layout version.
var ErrNewerSchema = errors.New("store was written by a newer schema version")

// Open opens (creating if needed) the bbolt file at path, creates the schema's buckets and
// records its version. It waits at most opts.LockTimeout for another process's lock.
func Open(path string, schema Schema, log *zap.Logger, opts Options) (*DB, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.MaxBatchDelay == 0 {
		opts.MaxBatchDelay = 2 * time.Millisecond
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: opts.LockTimeout,
		// The free-page list is not written on commit (NoFreelistSync): an aged file has a
		// large freelist, and writing it on every commit was most of the CPU of a write. It is
		// rebuilt on open by walking the file's page tree, which costs a read of the tree at
		// start-up. Crash safety is unchanged: a commit is durable once its meta page is
		// synced, and the meta page never points at an unsynced freelist (it records none).
		// The map freelist finds runs of free pages in O(1) instead of scanning an array.
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
		ReadOnly:       opts.ReadOnly,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	b.MaxBatchDelay = opts.MaxBatchDelay
	db := &DB{bolt: b, log: log}
	if opts.ReadOnly {
		open.Store(b, db)
		return db, nil
	}
	if err := b.Update(func(tx *bbolt.Tx) error { return applySchema(tx, schema) }); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	open.Store(b, db)
	return db, nil
}

func applySchema(tx *bbolt.Tx, schema Schema) error {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	var from uint64
	if v := meta.Get(schemaVersionKey); v != nil {
		if from = Uint64(v); from > schema.Version {
			return fmt.Errorf("%w: file has %d, this binary writes %d", ErrNewerSchema, from, schema.Version)
		}
	}
	if meta.Get(pageSecretKey) == nil {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("page token secret: %w", err)
		}
		if err := meta.Put(pageSecretKey, secret); err != nil {
			return err
		}
	}
	for _, name := range schema.Buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
	}
	if from > 0 && from < schema.Version && schema.Migrate != nil {
		if err := schema.Migrate(tx, from); err != nil {
			return fmt.Errorf("migrate layout %d to %d: %w", from, schema.Version, err)
		}
	}
	return meta.Put(schemaVersionKey, U64(schema.Version))
}

// Bolt returns the underlying bbolt handle, for packages that need its full API.
func (db *DB) Bolt() *bbolt.DB { return db.bolt }

// Path returns the file's path.
func (db *DB) Path() string { return db.bolt.Path() }

// Close closes the file, waiting for open transactions to finish.
func (db *DB) Close() error {
	open.Delete(db.bolt)
	return db.bolt.Close()
}

// Size returns the size of the file in bytes, as its last committed transaction left it.
func (db *DB) Size() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Update runs fn in a read-write transaction that may share its commit (and fsync) with other
// concurrent calls (group commit). fn may run more than once, and a call whose fn fails is
// retried alone, so fn must compute everything it outputs from the transaction, starting from
// scratch each time (reset response messages at its top). When Update returns nil, the change
// is durable.
//
// The group commit starts a transaction as soon as the writer is free, with every call that
// arrived meanwhile (at most maxBatch): an idle store commits a lone call at once, and a busy
// one commits everything that queued during the previous fsync together. (bbolt's own Batch
// waits MaxBatchDelay for company and lets its batches queue behind each other, small.)
func (db *DB) Update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &call{fn: fn, done: make(chan error, 1)}
	db.gmu.Lock()
	db.queue = append(db.queue, c)
	if !db.committing {
		db.committing = true
		go db.commitLoop()
	}
	db.gmu.Unlock()
	return <-c.done
}

// maxBatch bounds the calls sharing one transaction.
const maxBatch = 1000

type call struct {
	fn   func(tx *bbolt.Tx) error
	done chan error
}

// commitLoop commits the queued calls, a group at a time, until the queue is empty.
func (db *DB) commitLoop() {
	for {
		db.gmu.Lock()
		n := min(len(db.queue), maxBatch)
		if n == 0 {
			db.committing = false
			db.gmu.Unlock()
			return
		}
		group := append([]*call(nil), db.queue[:n]...)
		db.queue = append(db.queue[:0], db.queue[n:]...)
		db.gmu.Unlock()
		db.commit(group)
	}
}

// errGroupCall stops a group transaction whose call failed.
var errGroupCall = errors.New("store: a call of the group failed")

// commit runs group in one transaction. A call whose fn fails is taken out and run alone (its
// own error is its answer), and the others are run again without it.
func (db *DB) commit(group []*call) {
	for len(group) > 0 {
		failed := -1
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			for i, c := range group {
				if err := safely(c.fn, tx); err != nil {
					failed = i
					return errGroupCall
				}
			}
			return nil
		})
		if failed >= 0 {
			c := group[failed]
			group = append(group[:failed:failed], group[failed+1:]...)
			c.done <- db.bolt.Update(func(tx *bbolt.Tx) error { return safely(c.fn, tx) })
			continue
		}
		for _, c := range group {
			c.done <- err
		}
		return
	}
}

// safely runs fn, turning a panic into an error (the transaction is rolled back).
func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a store transaction: %v", p)
		}
	}()
	return fn(tx)
}

// UpdateAlone runs fn in its own read-write transaction with its own commit. Use it where a
// batch must not re-run fn (fn calls out of process) or to measure the cost of batching.
func (db *DB) UpdateAlone(fn func(tx *bbolt.Tx) error) error { return db.bolt.Update(fn) }

// View runs fn in a read-only transaction. Byte slices read inside are valid only inside.
func (db *DB) View(fn func(tx *bbolt.Tx) error) error { return db.bolt.View(fn) }
