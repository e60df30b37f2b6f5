package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// costFixture writes three units (two of batch B1, one of B2; models M1, M1, M2), a decision
// a day for four days per unit, and a repair on day 1 of u1 and day 3 of u3.
func costFixture(t *testing.T, tx *bbolt.Tx, t0 time.Time) {
	t.Helper()
	units := []*warrantyv1.Unit{{Id: "u1", Serial: "S1", Model: "M1", Batch: "B1"}, {Id: "u2", Serial: "S2", Model: "M1", Batch: "B1"},
		{Id: "u3", Serial: "S3", Model: "M2", Batch: "B2"}}
	for _, u := range units {
		if err := CreateUnit(tx, u); err != nil {
			t.Fatal(err)
		}
		for d := range 4 {
			if err := PutDecision(tx, &warrantyv1.Decision{Id: fmt.Sprintf("d-%s-%d", u.GetId(), d), Model: u.GetModel(), Batch: u.GetBatch(),
				EvaluateTime: timestamppb.New(t0.Add(time.Duration(d) * 24 * time.Hour))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, r := range []*warrantyv1.Repair{{Id: "r1", UnitId: "u1", CreateTime: timestamppb.New(t0.Add(24 * time.Hour))},
		{Id: "r3", UnitId: "u3", CreateTime: timestamppb.New(t0.Add(72 * time.Hour))}} {
		if err := PutRepair(tx, r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCostIndexes(t *testing.T) {
	db := bolttest.Open(t, Schema)
	t0 := time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC) // any instant: nothing here reads a clock
	update(t, db, func(tx *bbolt.Tx) error { costFixture(t, tx, t0); return nil })
	day := func(n int) time.Time { return t0.Add(time.Duration(n) * 24 * time.Hour) }
	err := db.View(func(tx *bbolt.Tx) error {
		decisions := func(model, batch string, from, to time.Time) []string {
			var ids []string
			if err := EachDecision(tx, model, batch, from, to, func(d *warrantyv1.Decision) error { ids = append(ids, d.GetId()); return nil }); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		if got := decisions("", "", day(1), day(2)); len(got) != 3 {
			t.Errorf("decisions on day 1 = %v, want one per unit", got)
		}
		if got := decisions("M1", "", time.Time{}, day(1)); !slices.Equal(got, []string{"d-u1-0", "d-u2-0"}) && !slices.Equal(got, []string{"d-u2-0", "d-u1-0"}) {
			t.Errorf("M1 decisions before day 1 = %v, want d-u1-0 and d-u2-0", got)
		}
		if got := decisions("M1", "B2", time.Time{}, time.Time{}); len(got) != 0 {
			t.Errorf("M1 of batch B2 = %v, want none", got)
		}
		if got := decisions("", "", time.Time{}, time.Time{}); len(got) != 12 {
			t.Errorf("all decisions = %d, want 12", len(got))
		}
		for _, c := range []struct {
			model, batch string
			want         int64
		}{{"", "", 3}, {"M1", "", 2}, {"", "B1", 2}, {"M1", "B1", 2}, {"M2", "B1", 0}, {"M2", "B2", 1}} {
			if n, err := CountUnits(tx, c.model, c.batch); err != nil || n != c.want {
				t.Errorf("CountUnits(%q, %q) = %d, %v; want %d", c.model, c.batch, n, err, c.want)
			}
		}
		var units []string
		if err := UnitsRepairedIn(tx, day(1), day(3), func(id string) error { units = append(units, id); return nil }); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(units, []string{"u1"}) {
			t.Errorf("units repaired on days 1–2 = %v, want [u1]", units)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayout1FileGetsTheCostIndexes: a file written before the cost indexes is indexed when
// this binary opens it.
func TestLayout1FileGetsTheCostIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "warranty.db")
	v1 := Schema
	v1.Version, v1.Upgrades = 1, nil
	db, err := pstore.Open(path, v1, zap.NewNop(), pstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)
	update(t, db, func(tx *bbolt.Tx) error {
		costFixture(t, tx, t0)
		for _, b := range [][]byte{bucketDecisionsByTime, bucketDecisionsByModel, bucketRepairsByTime, bucketUnitsByBatch} {
			if err := tx.DeleteBucket(b); err != nil { // as layout 1 left it
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	db, err = pstore.Open(path, Schema, zap.NewNop(), pstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		n := 0
		if err := EachDecision(tx, "M2", "B2", time.Time{}, time.Time{}, func(*warrantyv1.Decision) error { n++; return nil }); err != nil {
			return err
		}
		units, err := CountUnits(tx, "", "B1")
		if n != 4 || units != 2 || err != nil {
			t.Fatalf("after the upgrade: %d M2 decisions, %d B1 units (%v); want 4, 2", n, units, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkEachDecisionDay reads one day's decisions out of 100 days' 50,000: through the time
// index it reads the day's 500, not the history (compare BenchmarkEachDecisionAll).
func BenchmarkEachDecisionDay(b *testing.B) { benchDecisions(b, 1) }

// BenchmarkEachDecisionAll reads all 100 days' 50,000 decisions.
func BenchmarkEachDecisionAll(b *testing.B) { benchDecisions(b, 100) }

func benchDecisions(b *testing.B, days int) {
	db := bolttest.Open(b, Schema)
	t0 := time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)
	for d := range 100 {
		update(b, db, func(tx *bbolt.Tx) error {
			for i := range 500 {
				if err := PutDecision(tx, &warrantyv1.Decision{Id: fmt.Sprintf("d-%03d-%03d", d, i), Model: "M1",
					EvaluateTime: timestamppb.New(t0.Add(time.Duration(d)*24*time.Hour + time.Duration(i)*time.Minute))}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	from := t0.Add(time.Duration(100-days) * 24 * time.Hour)
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := db.View(func(tx *bbolt.Tx) error {
			return EachDecision(tx, "M1", "", from, time.Time{}, func(*warrantyv1.Decision) error { n++; return nil })
		}); err != nil {
			b.Fatal(err)
		}
		if n != days*500 {
			b.Fatalf("read %d decisions, want %d", n, days*500)
		}
	}
}
