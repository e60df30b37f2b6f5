package domain

import "fmt"

// MovementKind is why stock changed. The values match sanbao.inventory.v1.MovementKind.
type MovementKind int

// Movement kinds and their effect on a balance (q > 0, except ADJUST which is signed).
const (
	MovementReceipt     MovementKind = 1 // on_hand +q
	MovementIssue       MovementKind = 2 // on_hand -q (only what is available)
	MovementTransferOut MovementKind = 3 // on_hand -q (only what is available)
	MovementTransferIn  MovementKind = 4 // on_hand +q
	MovementReserve     MovementKind = 5 // reserved +q (only what is available)
	MovementRelease     MovementKind = 6 // reserved -q
	MovementConsume     MovementKind = 7 // on_hand -q, reserved -q
	MovementAdjust      MovementKind = 8 // on_hand ±q (never below reserved)
	MovementOldPartIn   MovementKind = 9 // on_hand +q
)

// MovementKinds lists every movement kind, for exhaustive tests.
func MovementKinds() []MovementKind {
	return []MovementKind{MovementReceipt, MovementIssue, MovementTransferOut, MovementTransferIn,
		MovementReserve, MovementRelease, MovementConsume, MovementAdjust, MovementOldPartIn}
}

// String names the kind.
func (k MovementKind) String() string {
	switch k {
	case MovementReceipt:
		return "receipt"
	case MovementIssue:
		return "issue"
	case MovementTransferOut:
		return "transfer_out"
	case MovementTransferIn:
		return "transfer_in"
	case MovementReserve:
		return "reserve"
	case MovementRelease:
		return "release"
	case MovementConsume:
		return "consume"
	case MovementAdjust:
		return "adjust"
	case MovementOldPartIn:
		return "old_part_in"
	}
	return fmt.Sprintf("movement_kind(%d)", int(k))
}

// Effect returns how a movement of quantity q changes on-hand and reserved. q must be positive,
// except for MovementAdjust where it is the signed change and must not be zero.
func Effect(kind MovementKind, q int64) (onHand, reserved int64, err error) {
	if kind == MovementAdjust {
		if q == 0 {
			return 0, 0, Invalid("delta", "must not be zero")
		}
		return q, 0, nil
	}
	if q <= 0 {
		return 0, 0, Invalid("quantity", "must be positive, got %d", q)
	}
	switch kind {
	case MovementReceipt, MovementTransferIn, MovementOldPartIn:
		return q, 0, nil
	case MovementIssue, MovementTransferOut:
		return -q, 0, nil
	case MovementReserve:
		return 0, q, nil
	case MovementRelease:
		return 0, -q, nil
	case MovementConsume:
		return -q, -q, nil
	}
	return 0, 0, Invalid("kind", "unknown movement kind %d", int(kind))
}

// Key names the stock of one part at one location.
type Key struct {
	PartID     string
	LocationID string
}

// Balance is the stock of one part at one location, derived from the ledger.
type Balance struct {
	OnHand   int64
	Reserved int64
}

// Available is what can still be reserved, issued or transferred.
func (b Balance) Available() int64 { return b.OnHand - b.Reserved }

// Check reports whether the balance keeps the ledger invariants: on-hand and reserved never
// negative, and never more reserved than on hand.
func (b Balance) Check() error {
	if b.OnHand < 0 || b.Reserved < 0 || b.Reserved > b.OnHand {
		return fmt.Errorf("balance on_hand=%d reserved=%d: %w", b.OnHand, b.Reserved, ErrInsufficientStock)
	}
	return nil
}

// Apply returns the balance after a movement of quantity q of the given kind at key, or a
// *ShortageError when the result would break the invariants (the balance is then unchanged).
func Apply(key Key, b Balance, kind MovementKind, q int64) (Balance, error) {
	dOn, dRes, err := Effect(kind, q)
	if err != nil {
		return b, err
	}
	next := Balance{OnHand: b.OnHand + dOn, Reserved: b.Reserved + dRes}
	if next.Check() != nil {
		short := &ShortageError{PartID: key.PartID, LocationID: key.LocationID, Requested: abs(q), Available: b.Available()}
		switch kind {
		case MovementRelease, MovementConsume:
			short.Available = b.Reserved
		}
		return b, short
	}
	return next, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Entry is one movement as the ledger sees it: which balance it changed and by how much.
type Entry struct {
	Sequence      int64
	Key           Key
	Kind          MovementKind
	OnHandDelta   int64
	ReservedDelta int64
}

// Ledger is an in-memory append-only ledger with its derived balances. The store keeps the
// same structure on disk; Ledger is the reference model its tests compare against.
type Ledger struct {
	entries  []Entry
	balances map[Key]Balance
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{balances: map[Key]Balance{}} }

// Post appends a movement if the resulting balance keeps the invariants; otherwise it returns
// the error and changes nothing.
func (l *Ledger) Post(key Key, kind MovementKind, q int64) (Entry, error) {
	b := l.balances[key]
	next, err := Apply(key, b, kind, q)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Sequence: int64(len(l.entries)) + 1, Key: key, Kind: kind,
		OnHandDelta: next.OnHand - b.OnHand, ReservedDelta: next.Reserved - b.Reserved}
	l.entries = append(l.entries, e)
	l.balances[key] = next
	return e, nil
}

// Balance returns the derived balance at key.
func (l *Ledger) Balance(key Key) Balance { return l.balances[key] }

// Balances returns a copy of every derived balance.
func (l *Ledger) Balances() map[Key]Balance {
	out := make(map[Key]Balance, len(l.balances))
	for k, v := range l.balances {
		out[k] = v
	}
	return out
}

// Entries returns a copy of the movements in sequence order.
func (l *Ledger) Entries() []Entry { return append([]Entry(nil), l.entries...) }

// Replay recomputes balances from movements in sequence order, checking that sequences
// increase, that every entry's deltas match its kind, and that no balance breaks the
// invariants at any step. It is how a store proves 帐物一致 (book and shelf agree).
func Replay(entries []Entry) (map[Key]Balance, error) {
	out := map[Key]Balance{}
	var last int64
	for _, e := range entries {
		if e.Sequence <= last {
			return nil, fmt.Errorf("movement %d after %d: sequence does not increase", e.Sequence, last)
		}
		last = e.Sequence
		q := e.OnHandDelta
		switch e.Kind {
		case MovementReserve, MovementRelease:
			q = e.ReservedDelta
		}
		if e.Kind != MovementAdjust {
			q = abs(q)
		}
		dOn, dRes, err := Effect(e.Kind, q)
		if err != nil || dOn != e.OnHandDelta || dRes != e.ReservedDelta {
			return nil, fmt.Errorf("movement %d (%s): deltas %d/%d do not match its kind", e.Sequence, e.Kind, e.OnHandDelta, e.ReservedDelta)
		}
		b := out[e.Key]
		b.OnHand += e.OnHandDelta
		b.Reserved += e.ReservedDelta
		if err := b.Check(); err != nil {
			return nil, fmt.Errorf("movement %d: %w", e.Sequence, err)
		}
		out[e.Key] = b
	}
	return out, nil
}
