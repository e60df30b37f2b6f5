package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	pstore "github.com/sanbao/sanbao/platform/store"
)

func update(t testing.TB, db *pstore.DB, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyVersions(t *testing.T) {
	db := bolttest.Open(t, Schema)
	update(t, db, func(tx *bbolt.Tx) error {
		for v := int32(1); v <= 3; v++ {
			if err := PutPolicy(tx, &warrantyv1.Policy{Id: "p1", Version: v, Name: "p", Models: []string{"M1"}}); err != nil {
				return err
			}
		}
		return PutPolicy(tx, &warrantyv1.Policy{Id: "p2", Version: 1, Name: "q", Models: []string{"M2"}})
	})
	err := db.View(func(tx *bbolt.Tx) error {
		if v, _ := LatestPolicyVersion(tx, "p1"); v != 3 {
			t.Errorf("LatestPolicyVersion(p1) = %d, want 3", v)
		}
		if v, _ := LatestPolicyVersion(tx, "p"); v != 0 {
			t.Errorf("LatestPolicyVersion(p) = %d, want 0 (no prefix match)", v)
		}
		if p, err := GetPolicy(tx, "p1", 0); err != nil || p.GetVersion() != 3 {
			t.Errorf("GetPolicy(p1, latest) = %v, %v", p, err)
		}
		if _, err := GetPolicy(tx, "p1", 4); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetPolicy(p1, 4) error = %v, want ErrNotFound", err)
		}
		latest, _, err := ListPolicies(tx, "", false, "", 50)
		if err != nil || len(latest) != 2 {
			t.Errorf("ListPolicies(latest) = %d, %v; want 2", len(latest), err)
		}
		m2, _, _ := ListPolicies(tx, "M2", true, "", 50)
		if len(m2) != 1 || m2[0].GetId() != "p2" {
			t.Errorf("ListPolicies(M2) = %v, want p2", m2)
		}
		page, next, _ := ListPolicies(tx, "", true, "", 2)
		rest, last, _ := ListPolicies(tx, "", true, next, 2)
		if len(page) != 2 || len(rest) != 2 || next == "" || last != "" {
			t.Errorf("pages = %d,%d tokens %q,%q; want 2,2 and a last page", len(page), len(rest), next, last)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnitsIndexesAndSerials(t *testing.T) {
	db := bolttest.Open(t, Schema)
	sale := &warrantyv1.UnitDates{Sale: &typev1.Date{Year: 2026, Month: 1, Day: 1}}
	update(t, db, func(tx *bbolt.Tx) error {
		for _, u := range []*warrantyv1.Unit{
			{Id: "u1", Serial: "S1", Model: "M1", Batch: "B1", PolicyId: "p1", DealerId: "d1", Dates: sale},
			{Id: "u2", Serial: "S2", Model: "M1", Batch: "B2", PolicyId: "p1", DealerId: "d2", Dates: sale},
			{Id: "u3", Serial: "S3", Model: "M2", Batch: "B1", PolicyId: "p2", DealerId: "d1", Dates: sale},
		} {
			if err := CreateUnit(tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	err := db.Update(context.Background(), func(tx *bbolt.Tx) error {
		return CreateUnit(tx, &warrantyv1.Unit{Id: "u4", Serial: "S1", Model: "M1"})
	})
	if !errors.Is(err, ErrSerialTaken) {
		t.Fatalf("CreateUnit(duplicate serial) error = %v, want ErrSerialTaken", err)
	}
	// An exchange moves u1 to serial S9; S1 keeps finding it; S2 cannot be taken.
	update(t, db, func(tx *bbolt.Tx) error {
		u, err := GetUnit(tx, "u1")
		if err != nil {
			return err
		}
		u.Serial, u.PreviousSerials = "S9", []string{"S1"}
		return UpdateUnit(tx, u)
	})
	err = db.Update(context.Background(), func(tx *bbolt.Tx) error {
		u, _ := GetUnit(tx, "u3")
		u.Serial = "S2"
		return UpdateUnit(tx, u)
	})
	if !errors.Is(err, ErrSerialTaken) {
		t.Fatalf("UpdateUnit(to another unit's serial) error = %v, want ErrSerialTaken", err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		for _, s := range []string{"S1", "S9"} {
			if u, err := GetUnitBySerial(tx, s); err != nil || u.GetId() != "u1" {
				t.Errorf("GetUnitBySerial(%s) = %v, %v; want u1", s, u, err)
			}
		}
		tests := []struct {
			f    UnitFilter
			want []string
		}{
			{UnitFilter{}, []string{"u1", "u2", "u3"}},
			{UnitFilter{Model: "M1"}, []string{"u1", "u2"}},
			{UnitFilter{PolicyID: "p2"}, []string{"u3"}},
			{UnitFilter{DealerID: "d1"}, []string{"u1", "u3"}},
		}
		for _, tc := range tests {
			us, _, err := ListUnits(tx, tc.f, "", 50)
			var got []string
			for _, u := range us {
				got = append(got, u.GetId())
			}
			if err != nil || len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("ListUnits(%+v) = %v, %v; want %v", tc.f, got, err, tc.want)
			}
		}
		for _, c := range []struct {
			model, batch string
			want         int64
		}{{"", "", 3}, {"M1", "", 2}, {"M1", "B1", 1}, {"", "B1", 2}, {"M3", "", 0}} {
			if n, err := CountUnits(tx, c.model, c.batch); err != nil || n != c.want {
				t.Errorf("CountUnits(%q, %q) = %d, %v; want %d", c.model, c.batch, n, err, c.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRepairsCampaignsDecisions(t *testing.T) {
	db := bolttest.Open(t, Schema)
	update(t, db, func(tx *bbolt.Tx) error {
		for _, r := range []*warrantyv1.Repair{{Id: "r1", UnitId: "u1"}, {Id: "r2", UnitId: "u1"}, {Id: "r3", UnitId: "u10"}} {
			if err := PutRepair(tx, r); err != nil {
				return err
			}
		}
		for _, c := range []*warrantyv1.Campaign{{Id: "c1", Model: "M1"}, {Id: "c2", Model: "M2"}, {Id: "c3", Model: "M1"}} {
			if err := PutCampaign(tx, c); err != nil {
				return err
			}
		}
		for _, d := range []*warrantyv1.Decision{{Id: "d1", Model: "M1", Batch: "B1"}, {Id: "d2", Model: "M1", Batch: "B2"}, {Id: "d3", Model: "M2"}} {
			if err := PutDecision(tx, d); err != nil {
				return err
			}
		}
		return nil
	})
	err := db.View(func(tx *bbolt.Tx) error {
		if rs, _ := Repairs(tx, "u1"); len(rs) != 2 {
			t.Errorf("Repairs(u1) = %d, want 2 (not u10's)", len(rs))
		}
		if cs, _ := CampaignsByModel(tx, "M1"); len(cs) != 2 || cs[0].GetId() != "c1" {
			t.Errorf("CampaignsByModel(M1) = %v, want c1, c3", cs)
		}
		if cs, _, _ := ListCampaigns(tx, "", "", 50); len(cs) != 3 {
			t.Errorf("ListCampaigns() = %d, want 3", len(cs))
		}
		n := 0
		_ = EachDecision(tx, "M1", "B1", timeZero, timeZero, func(*warrantyv1.Decision) error { n++; return nil })
		if n != 1 {
			t.Errorf("EachDecision(M1, B1) = %d, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var timeZero time.Time
