package store

import (
	"context"
	"errors"
	"math/rand"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func open(t *testing.T) *Store {
	t.Helper()
	return New(bolttest.Open(t, Schema()))
}

func TestPostKeepsBalancesWithLedger(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r := rand.New(rand.NewSource(42))
	parts, locs := []string{"p1", "p2"}, []string{"l1", "l2", "l3"}
	model := domain.NewLedger()
	refused := 0
	for i := 0; i < 400; i++ {
		kinds := domain.MovementKinds()
		p := Posting{Kind: kinds[r.Intn(len(kinds))], PartID: parts[r.Intn(2)], LocationID: locs[r.Intn(3)], Quantity: int64(r.Intn(6) + 1), Time: t0}
		if p.Kind == domain.MovementAdjust && r.Intn(2) == 0 {
			p.Quantity = -p.Quantity
		}
		err := s.Update(ctx, func(tx *Tx) error {
			_, err := tx.Post(p)
			return err
		})
		_, merr := model.Post(domain.Key{PartID: p.PartID, LocationID: p.LocationID}, p.Kind, p.Quantity)
		if (err == nil) != (merr == nil) {
			t.Fatalf("posting %d %+v: store says %v, model says %v", i, p, err, merr)
		}
		if err != nil {
			refused++
			if !errors.Is(err, domain.ErrInsufficientStock) {
				t.Fatalf("posting %d: %v, want ErrInsufficientStock", i, err)
			}
		}
	}
	if refused == 0 || refused == 400 {
		t.Fatalf("%d of 400 postings refused; the sequence does not exercise both paths", refused)
	}
	err := s.View(func(tx *Tx) error {
		n, err := tx.Verify()
		if err != nil {
			return err
		}
		if n != len(model.Entries()) {
			t.Errorf("store has %d movements, model %d", n, len(model.Entries()))
		}
		for k, want := range model.Balances() {
			b, err := tx.Balance(k.PartID, k.LocationID)
			if err != nil {
				return err
			}
			if b.GetOnHand() != want.OnHand || b.GetReserved() != want.Reserved {
				t.Errorf("balance %v = %d/%d, model %d/%d", k, b.GetOnHand(), b.GetReserved(), want.OnHand, want.Reserved)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if err := s.Update(ctx, func(tx *Tx) error {
		_, err := tx.Post(Posting{Kind: domain.MovementReceipt, PartID: "p", LocationID: "l", Quantity: 5, Time: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		return pstore.PutProto(tx.Bolt(), bucketBalances, pstore.Key("p", "l"), &inventoryv1.StockBalance{PartId: "p", LocationId: "l", OnHand: 6, Available: 6})
	}); err != nil {
		t.Fatal(err)
	}
	err := s.View(func(tx *Tx) error { _, err := tx.Verify(); return err })
	if err == nil {
		t.Fatal("Verify() of a balance that disagrees with the ledger = nil")
	}
}

func TestWindowDemand(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	day := 24 * time.Hour
	err := s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Post(Posting{Kind: domain.MovementReceipt, PartID: "p", LocationID: "l", Quantity: 100, Time: t0}); err != nil {
			return err
		}
		for i, q := range []int64{3, 4, 5} {
			if _, err := tx.Post(Posting{Kind: domain.MovementIssue, PartID: "p", LocationID: "l", Quantity: q, Time: t0.Add(time.Duration(i*10) * day)}); err != nil {
				return err
			}
		}
		// Not demand: transfers and adjustments.
		if _, err := tx.Post(Posting{Kind: domain.MovementTransferOut, PartID: "p", LocationID: "l", Quantity: 7, Time: t0}); err != nil {
			return err
		}
		_, err := tx.Post(Posting{Kind: domain.MovementIssue, PartID: "p", LocationID: "other", Quantity: 1, Time: t0})
		if !errors.Is(err, domain.ErrInsufficientStock) {
			t.Errorf("issue from an empty location = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		start, end time.Time
		want       int64
	}{
		{"all", t0, t0.Add(20 * day), 12},
		{"first day only", t0, t0, 3},
		{"from day 10", t0.Add(10 * day), t0.Add(90 * day), 9},
		{"before", t0.Add(-5 * day), t0.Add(-day), 0},
	}
	_ = s.View(func(tx *Tx) error {
		for _, tt := range tests {
			if got := tx.WindowDemand("p", "l", tt.start, tt.end); got != tt.want {
				t.Errorf("%s: WindowDemand = %d, want %d", tt.name, got, tt.want)
			}
		}
		return nil
	})
}

func TestOutstandingIndexes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	mk := func(id, job, org string, due time.Time) *inventoryv1.OldPartReturn {
		return &inventoryv1.OldPartReturn{Id: id, JobId: job, PartId: "p", OrganisationId: org,
			State: inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN, DueTime: timestamppb.New(due)}
	}
	rs := []*inventoryv1.OldPartReturn{
		mk("r1", "j1", "o1", t0.Add(time.Hour)),
		mk("r2", "j1", "o2", t0.Add(2*time.Hour)),
		mk("r3", "j2", "o1", t0.Add(3*time.Hour)),
	}
	if err := s.Update(ctx, func(tx *Tx) error {
		for _, r := range rs {
			if err := tx.PutReturn(r, nil); err != nil {
				return err
			}
		}
		// r2 comes back: it leaves the awaiting indexes.
		prev, err := tx.Return("r2")
		if err != nil {
			return err
		}
		next := mk("r2", "j1", "o2", t0.Add(2*time.Hour))
		next.State = inventoryv1.ReturnState_RETURN_STATE_PENDING_APPRAISAL
		return tx.PutReturn(next, prev)
	}); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []*inventoryv1.OldPartReturn) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.GetId())
		}
		return out
	}
	tests := []struct {
		name     string
		job, org string
		now      time.Time
		want     []string
	}{
		{"none due yet", "", "", t0.Add(time.Hour), nil},
		{"all overdue", "", "", t0.Add(4 * time.Hour), []string{"r1", "r3"}},
		{"by org", "", "o1", t0.Add(4 * time.Hour), []string{"r1", "r3"}},
		{"by org, one due", "", "o1", t0.Add(2 * time.Hour), []string{"r1"}},
		{"returned one's org", "", "o2", t0.Add(4 * time.Hour), nil},
		{"by job", "j1", "", t0.Add(4 * time.Hour), []string{"r1"}},
		{"by job and org", "j2", "o2", t0.Add(4 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = s.View(func(tx *Tx) error {
				got, _, err := tx.ListOutstanding(tt.job, tt.org, tt.now, Page{Size: 10})
				if err != nil {
					t.Fatal(err)
				}
				g := ids(got)
				if len(g) != len(tt.want) {
					t.Fatalf("ListOutstanding(%q, %q, %v) = %v, want %v", tt.job, tt.org, tt.now, g, tt.want)
				}
				for i := range g {
					if g[i] != tt.want[i] {
						t.Fatalf("ListOutstanding(%q, %q, %v) = %v, want %v", tt.job, tt.org, tt.now, g, tt.want)
					}
				}
				return nil
			})
		})
	}
	// Paging one at a time visits both.
	_ = s.View(func(tx *Tx) error {
		first, tok, err := tx.ListOutstanding("", "", t0.Add(4*time.Hour), Page{Size: 1})
		if err != nil || len(first) != 1 || tok == "" {
			t.Fatalf("page 1 = %v, %q, %v", ids(first), tok, err)
		}
		second, _, err := tx.ListOutstanding("", "", t0.Add(4*time.Hour), Page{Size: 1, Token: tok})
		if err != nil || len(second) != 1 || second[0].GetId() != "r3" {
			t.Fatalf("page 2 = %v, %v", ids(second), err)
		}
		return nil
	})
}

func TestNotFoundAndDuplicates(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.CreatePart(&inventoryv1.Part{Id: "p1", Sku: "SKU"}); err != nil {
			return err
		}
		if err := tx.CreatePart(&inventoryv1.Part{Id: "p2", Sku: "SKU"}); !errors.Is(err, ErrAlreadyExists) {
			t.Errorf("duplicate sku = %v, want ErrAlreadyExists", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.View(func(tx *Tx) error {
		var nf *NotFoundError
		for _, get := range []func() error{
			func() error { _, err := tx.Part("x"); return err },
			func() error { _, err := tx.Location("x"); return err },
			func() error { _, err := tx.Reservation("x"); return err },
			func() error { _, err := tx.Requisition("x"); return err },
			func() error { _, err := tx.Return("x"); return err },
			func() error { _, err := tx.Claim("x"); return err },
			func() error { _, err := tx.Plan("x"); return err },
		} {
			if err := get(); !errors.As(err, &nf) || nf.ID != "x" {
				t.Errorf("get unknown = %v, want NotFoundError", err)
			}
		}
		return nil
	})
}
