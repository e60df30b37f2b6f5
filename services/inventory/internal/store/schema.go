// Package store keeps the inventory's records in its bbolt file: parts, locations, the
// append-only movement ledger with its derived balances, reservations, requisitions, old-part
// returns, supplier claims and stocking plans, each with its secondary indexes.
package store

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/events"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// SchemaVersion is the layout version this binary writes.
const SchemaVersion = 1

// Buckets and index buckets. Keys: ids are ULIDs (sort by creation); composite keys are
// pstore.Key parts; sequences and times are big-endian.
var (
	bucketParts         = []byte("parts")                    // part id → Part
	bucketPartsBySKU    = []byte("parts_by_sku")             // sku → part id
	bucketLocations     = []byte("locations")                // location id → Location
	bucketLocsByCode    = []byte("locations_by_code")        // code → location id (coded locations only)
	bucketMovements     = []byte("movements")                // U64(sequence) → Movement (append-only)
	bucketMovesByPart   = []byte("movements_by_part")        // part | U64(seq) → nil
	bucketMovesByLoc    = []byte("movements_by_location")    // location | U64(seq) → nil
	bucketBalances      = []byte("balances")                 // part | location → StockBalance
	bucketBalancesByLoc = []byte("balances_by_location")     // location | part → nil
	bucketDemand        = []byte("demand")                   // part | location | U64(day) → U64(units)
	bucketReservations  = []byte("reservations")             // id → Reservation
	bucketResByJob      = []byte("reservations_by_job")      // job | id → nil
	bucketRequisitions  = []byte("requisitions")             // id → Requisition
	bucketReqByLoc      = []byte("requisitions_by_location") // location | id → nil
	bucketReturns       = []byte("returns")                  // id → OldPartReturn
	bucketReturnsByJob  = []byte("returns_by_job")           // job | id → nil
	bucketAwaitingByDue = []byte("returns_awaiting_by_due")  // TimeKey(due) | id → nil (AWAITING only)
	bucketAwaitingByOrg = []byte("returns_awaiting_by_org")  // org | TimeKey(due) | id → nil (AWAITING only)
	bucketClaims        = []byte("supplier_claims")          // id → SupplierClaim
	bucketClaimsBySupp  = []byte("supplier_claims_by_supp")  // supplier | id → nil
	bucketPlans         = []byte("stocking_plans")           // id → StockingPlan
)

// Schema is the store layout for store.Open.
func Schema() pstore.Schema {
	return pstore.Schema{Version: SchemaVersion, Buckets: [][]byte{
		bucketParts, bucketPartsBySKU, bucketLocations, bucketMovements, bucketMovesByPart,
		bucketMovesByLoc, bucketBalances, bucketBalancesByLoc, bucketDemand, bucketReservations,
		bucketResByJob, bucketRequisitions, bucketReqByLoc, bucketReturns, bucketReturnsByJob,
		bucketAwaitingByDue, bucketAwaitingByOrg, bucketClaims, bucketClaimsBySupp, bucketPlans,
		bucketLocsByCode,
	}}
}

// ErrNotFound: no record with that id.
var ErrNotFound = errors.New("not found")

// ErrAlreadyExists: a record with that natural key exists.
var ErrAlreadyExists = errors.New("already exists")

// NotFoundError names the missing record.
type NotFoundError struct {
	Kind string // "part", "location", ...
	ID   string
}

// Error implements error.
func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Kind, e.ID) }

// Unwrap makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// Store is the inventory's bbolt file.
type Store struct {
	db *pstore.DB
}

// New wraps an open platform store.
func New(db *pstore.DB) *Store { return &Store{db: db} }

// Tx is a transaction of the inventory store.
type Tx struct {
	tx *bbolt.Tx
}

// Bolt returns the underlying transaction, for the platform's idem, outbox and timer helpers.
func (t *Tx) Bolt() *bbolt.Tx { return t.tx }

// Wrap makes a Tx of a transaction opened elsewhere (an event consumer's).
func Wrap(tx *bbolt.Tx) *Tx { return &Tx{tx: tx} }

// Update runs fn in a group-committed read-write transaction. fn may run more than once.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	return s.db.Update(ctx, func(tx *bbolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bbolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// ConsumerHandler adapts fn to the platform's event consumer.
func ConsumerHandler(fn func(*Tx, events.Message) error) events.Handler {
	return func(tx *bbolt.Tx, m events.Message) error { return fn(&Tx{tx: tx}, m) }
}

// service names inventory's own work on a record when no person is behind it (auth.Stamp).
const service = "inventory"
