// Package store opens a service's bbolt file and holds the typed helpers every service's store
// layer is built from: protobuf values, sortable keys, secondary-index pages and group commit.
package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
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
	// Upgrades bring a file written by an older layout up to Version: on open, each upgrade
	// whose Version is above the file's runs, in ascending order, in the transaction that
	// creates the buckets and records the new version (a crash leaves the file as it was). A
	// new file takes none: its indexes start empty with its data.
	Upgrades []Upgrade
}

// Upgrade is one step of a file's layout: what it takes to reach Version from Version-1
// (typically filling a new index from the data already there).
type Upgrade struct {
	Version uint64
	// Name says what the step does, for the log.
	Name  string
	Apply func(tx *bbolt.Tx) error
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

	running atomic.Pointer[running] // the call whose fn runs in the write transaction now
}

// running is the write transaction and the context of the call whose work runs in it.
type running struct {
	tx  *bbolt.Tx
	ctx context.Context
}

// Context returns the context of the call whose work is running in tx now: the ctx given to
// DB.Update for the fn being run (a group transaction runs several, one at a time), or the one
// set by WithContext. Code that holds only the transaction (outbox.Append, timer.Schedule)
// takes the trace context and the caller from it. Without one it is context.Background.
func Context(tx *bbolt.Tx) context.Context {
	if db := Of(tx); db != nil {
		if r := db.running.Load(); r != nil && r.tx == tx {
			return r.ctx
		}
	}
	return context.Background()
}

// WithContext runs fn with ctx as tx's Context, then restores the previous one: a consumer
// applying several events in one transaction gives each event's work its own context.
func WithContext(tx *bbolt.Tx, ctx context.Context, fn func() error) error {
	db := Of(tx)
	if db == nil {
		return fn()
	}
	prev := db.running.Swap(&running{tx: tx, ctx: ctx})
	defer db.running.Store(prev)
	return fn()
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
	var upgraded []string
	if err := b.Update(func(tx *bbolt.Tx) error {
		var err error
		upgraded, err = applySchema(tx, schema)
		return err
	}); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	for _, u := range upgraded {
		log.Info("store layout upgraded", zap.String("path", path), zap.String("upgrade", u))
	}
	open.Store(b, db)
	return db, nil
}

// applySchema creates the buckets, runs the upgrades the file needs and records the version;
// it returns the upgrades applied.
func applySchema(tx *bbolt.Tx, schema Schema) ([]string, error) {
	meta, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return nil, err
	}
	have, fresh := uint64(0), true
	if v := meta.Get(schemaVersionKey); v != nil {
		have, fresh = Uint64(v), false
		if have > schema.Version {
			return nil, fmt.Errorf("%w: file has %d, this binary writes %d", ErrNewerSchema, have, schema.Version)
		}
	}
	if meta.Get(pageSecretKey) == nil {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("page token secret: %w", err)
		}
		if err := meta.Put(pageSecretKey, secret); err != nil {
			return nil, err
		}
	}
	for _, name := range schema.Buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return nil, fmt.Errorf("create bucket %q: %w", name, err)
		}
	}
	var applied []string
	if !fresh {
		ups := slices.Clone(schema.Upgrades)
		slices.SortFunc(ups, func(a, b Upgrade) int { return cmp.Compare(a.Version, b.Version) })
		for _, u := range ups {
			if u.Version <= have || u.Version > schema.Version {
				continue
			}
			if err := u.Apply(tx); err != nil {
				return nil, fmt.Errorf("upgrade to layout %d (%s): %w", u.Version, u.Name, err)
			}
			applied = append(applied, fmt.Sprintf("%d: %s", u.Version, u.Name))
		}
	}
	return applied, meta.Put(schemaVersionKey, U64(schema.Version))
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
	c := &call{ctx: ctx, fn: fn, done: make(chan error, 1)}
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
	ctx  context.Context
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
				if err := db.safely(c, tx); err != nil {
					failed = i
					return errGroupCall
				}
			}
			return nil
		})
		if failed >= 0 {
			c := group[failed]
			group = append(group[:failed:failed], group[failed+1:]...)
			c.done <- db.bolt.Update(func(tx *bbolt.Tx) error { return db.safely(c, tx) })
			continue
		}
		for _, c := range group {
			c.done <- err
		}
		return
	}
}

// safely runs c's fn with c's context as tx's Context, turning a panic into an error (the
// transaction is rolled back).
func (db *DB) safely(c *call, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in a store transaction: %v", p)
		}
	}()
	return WithContext(tx, c.ctx, func() error { return c.fn(tx) })
}

// UpdateAlone runs fn in its own read-write transaction with its own commit. Use it where a
// batch must not re-run fn (fn calls out of process) or to measure the cost of batching.
func (db *DB) UpdateAlone(fn func(tx *bbolt.Tx) error) error { return db.bolt.Update(fn) }

// View runs fn in a read-only transaction. Byte slices read inside are valid only inside.
func (db *DB) View(fn func(tx *bbolt.Tx) error) error { return db.bolt.View(fn) }
