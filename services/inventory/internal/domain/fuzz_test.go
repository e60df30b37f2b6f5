package domain

import (
	"testing"
	"time"
)

// FuzzLedger drives the ledger with arbitrary bytes: every byte triple is a movement. Whatever
// the input, balances equal the replayed ledger and never break the invariants.
func FuzzLedger(f *testing.F) {
	f.Add([]byte{0, 0, 5, 4, 0, 3, 6, 0, 2, 7, 0, 1})
	f.Add([]byte{7, 1, 9, 2, 2, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		l := NewLedger()
		kinds := MovementKinds()
		keys := []Key{{"p", "a"}, {"p", "b"}, {"q", "a"}}
		for i := 0; i+2 < len(data); i += 3 {
			kind := kinds[int(data[i])%len(kinds)]
			q := int64(int8(data[i+2]))
			if kind != MovementAdjust && q < 0 {
				q = -q
			}
			_, _ = l.Post(keys[int(data[i+1])%len(keys)], kind, q)
		}
		replayed, err := Replay(l.Entries())
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		for k, b := range l.Balances() {
			if replayed[k] != b || b.Check() != nil {
				t.Fatalf("balance %v = %+v, replayed %+v", k, b, replayed[k])
			}
		}
	})
}

// FuzzSettle: a settlement either fails or splits every reserved unit into consumed plus
// released, never more than was reserved.
func FuzzSettle(f *testing.F) {
	f.Add(int64(3), int64(2), int64(1), int64(0), false, "s1")
	f.Add(int64(1), int64(1), int64(-1), int64(5), true, "")
	f.Fuzz(func(t *testing.T, resA, resB, useA, useB int64, warranty bool, serial string) {
		if resA <= 0 || resB <= 0 {
			return
		}
		reserved := []Line{{"a", resA}, {"b", resB}}
		var serials []string
		if serial != "" {
			serials = []string{serial}
		}
		used := []Used{{PartID: "a", Quantity: useA, Serials: serials, UnderWarranty: warranty}, {PartID: "b", Quantity: useB}}
		st, err := Settle(reserved, used, func(string) bool { return false })
		if err != nil {
			return
		}
		for i, s := range st {
			if s.Consume < 0 || s.Release < 0 || s.Consume+s.Release != reserved[i].Quantity {
				t.Fatalf("settlement %+v of %+v", s, reserved[i])
			}
		}
		if n := len(MustReturn(used, time.Unix(0, 0), DefaultPolicy())); warranty && int64(n) != useA || !warranty && n != 0 {
			t.Fatalf("MustReturn = %d obligations for %d units (warranty %v)", n, useA, warranty)
		}
	})
}
