package domain

import (
	"errors"
	"math/rand"
	"testing"
	"testing/quick"
)

func TestApply(t *testing.T) {
	key := Key{PartID: "p", LocationID: "l"}
	tests := []struct {
		name    string
		start   Balance
		kind    MovementKind
		q       int64
		want    Balance
		wantErr error
	}{
		{"receipt", Balance{}, MovementReceipt, 5, Balance{OnHand: 5}, nil},
		{"transfer in", Balance{OnHand: 1}, MovementTransferIn, 2, Balance{OnHand: 3}, nil},
		{"old part in", Balance{}, MovementOldPartIn, 1, Balance{OnHand: 1}, nil},
		{"issue all available", Balance{OnHand: 5, Reserved: 2}, MovementIssue, 3, Balance{OnHand: 2, Reserved: 2}, nil},
		{"issue one more than available", Balance{OnHand: 5, Reserved: 2}, MovementIssue, 4, Balance{OnHand: 5, Reserved: 2}, ErrInsufficientStock},
		{"transfer out all", Balance{OnHand: 3}, MovementTransferOut, 3, Balance{}, nil},
		{"transfer out reserved stock", Balance{OnHand: 3, Reserved: 1}, MovementTransferOut, 3, Balance{OnHand: 3, Reserved: 1}, ErrInsufficientStock},
		{"reserve all available", Balance{OnHand: 3, Reserved: 1}, MovementReserve, 2, Balance{OnHand: 3, Reserved: 3}, nil},
		{"reserve one more than available", Balance{OnHand: 3, Reserved: 1}, MovementReserve, 3, Balance{OnHand: 3, Reserved: 1}, ErrInsufficientStock},
		{"reserve from empty", Balance{}, MovementReserve, 1, Balance{}, ErrInsufficientStock},
		{"release all", Balance{OnHand: 3, Reserved: 2}, MovementRelease, 2, Balance{OnHand: 3}, nil},
		{"release more than reserved", Balance{OnHand: 3, Reserved: 2}, MovementRelease, 3, Balance{OnHand: 3, Reserved: 2}, ErrInsufficientStock},
		{"consume reserved", Balance{OnHand: 3, Reserved: 2}, MovementConsume, 2, Balance{OnHand: 1}, nil},
		{"consume more than reserved", Balance{OnHand: 3, Reserved: 2}, MovementConsume, 3, Balance{OnHand: 3, Reserved: 2}, ErrInsufficientStock},
		{"adjust up", Balance{OnHand: 1}, MovementAdjust, 4, Balance{OnHand: 5}, nil},
		{"adjust down to reserved", Balance{OnHand: 5, Reserved: 2}, MovementAdjust, -3, Balance{OnHand: 2, Reserved: 2}, nil},
		{"adjust below reserved", Balance{OnHand: 5, Reserved: 2}, MovementAdjust, -4, Balance{OnHand: 5, Reserved: 2}, ErrInsufficientStock},
		{"adjust zero", Balance{OnHand: 5}, MovementAdjust, 0, Balance{OnHand: 5}, ErrInvalid},
		{"zero quantity", Balance{OnHand: 5}, MovementReceipt, 0, Balance{OnHand: 5}, ErrInvalid},
		{"negative quantity", Balance{OnHand: 5}, MovementIssue, -1, Balance{OnHand: 5}, ErrInvalid},
		{"unknown kind", Balance{OnHand: 5}, MovementKind(42), 1, Balance{OnHand: 5}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(key, tt.start, tt.kind, tt.q)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("Apply(%+v, %s, %d) = %+v, %v; want %+v, %v", tt.start, tt.kind, tt.q, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestShortageErrorNamesPartAndLocation(t *testing.T) {
	_, err := Apply(Key{PartID: "P1", LocationID: "L1"}, Balance{OnHand: 2}, MovementReserve, 3)
	var short *ShortageError
	if !errors.As(err, &short) {
		t.Fatalf("Apply() error = %v, want *ShortageError", err)
	}
	if short.PartID != "P1" || short.LocationID != "L1" || short.Requested != 3 || short.Available != 2 {
		t.Fatalf("shortage = %+v", short)
	}
}

// randomOp posts a random movement; about half of them are meant to fail.
func randomOp(r *rand.Rand, l *Ledger, keys []Key) {
	k := keys[r.Intn(len(keys))]
	kinds := MovementKinds()
	kind := kinds[r.Intn(len(kinds))]
	q := int64(r.Intn(8)) + 1
	if kind == MovementAdjust && r.Intn(2) == 0 {
		q = -q
	}
	before := l.Balances()
	n := len(l.Entries())
	if _, err := l.Post(k, kind, q); err != nil {
		// A refused movement changes nothing.
		if len(l.Entries()) != n {
			panic("refused movement appended an entry")
		}
		for kk, b := range l.Balances() {
			if before[kk] != b {
				panic("refused movement changed a balance")
			}
		}
	}
}

func checkLedger(t *testing.T, l *Ledger) {
	t.Helper()
	replayed, err := Replay(l.Entries())
	if err != nil {
		t.Fatalf("Replay() = %v", err)
	}
	for k, b := range l.Balances() {
		if replayed[k] != b {
			t.Fatalf("balance %v = %+v, ledger sums to %+v", k, b, replayed[k])
		}
		if b.Check() != nil {
			t.Fatalf("balance %v = %+v breaks the invariants", k, b)
		}
	}
}

// TestLedgerPropertyRandomSequences: random movement sequences never break "balances equal the
// sum of the ledger" and "never negative".
func TestLedgerPropertyRandomSequences(t *testing.T) {
	r := rand.New(rand.NewSource(20261123))
	keys := []Key{{"p1", "l1"}, {"p1", "l2"}, {"p2", "l1"}, {"p2", "l2"}}
	for run := 0; run < 200; run++ {
		l := NewLedger()
		for i := 0; i < 300; i++ {
			randomOp(r, l, keys)
		}
		checkLedger(t, l)
	}
}

func TestLedgerPropertyQuick(t *testing.T) {
	keys := []Key{{"p", "a"}, {"p", "b"}}
	prop := func(seed int64, steps uint8) bool {
		r := rand.New(rand.NewSource(seed))
		l := NewLedger()
		for i := 0; i < int(steps); i++ {
			randomOp(r, l, keys)
		}
		replayed, err := Replay(l.Entries())
		if err != nil {
			return false
		}
		for k, b := range l.Balances() {
			if replayed[k] != b || b.Check() != nil {
				return false
			}
		}
		return true
	}
	cfg := &quick.Config{MaxCount: 300, Rand: rand.New(rand.NewSource(7))}
	if err := quick.Check(prop, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestReplayRejectsBrokenLedgers(t *testing.T) {
	k := Key{"p", "l"}
	tests := []struct {
		name    string
		entries []Entry
	}{
		{"negative on hand", []Entry{{Sequence: 1, Key: k, Kind: MovementIssue, OnHandDelta: -1}}},
		{"reserved above on hand", []Entry{{Sequence: 1, Key: k, Kind: MovementReserve, ReservedDelta: 1}}},
		{"sequence goes back", []Entry{
			{Sequence: 2, Key: k, Kind: MovementReceipt, OnHandDelta: 1},
			{Sequence: 1, Key: k, Kind: MovementReceipt, OnHandDelta: 1}}},
		{"deltas do not match kind", []Entry{{Sequence: 1, Key: k, Kind: MovementReceipt, OnHandDelta: 1, ReservedDelta: 1}}},
		{"receipt with negative delta", []Entry{
			{Sequence: 1, Key: k, Kind: MovementReceipt, OnHandDelta: 5},
			{Sequence: 2, Key: k, Kind: MovementReceipt, OnHandDelta: -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Replay(tt.entries); err == nil {
				t.Fatalf("Replay(%+v) = nil error, want one", tt.entries)
			}
		})
	}
}
