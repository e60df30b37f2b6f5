package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckLines(t *testing.T) {
	tests := []struct {
		name    string
		lines   []Line
		wantErr string
	}{
		{"one line", []Line{{"a", 1}}, ""},
		{"two parts", []Line{{"a", 1}, {"b", 2}}, ""},
		{"empty", nil, "lines: at least one line is required"},
		{"zero quantity", []Line{{"a", 0}}, "lines[0].quantity: must be positive, got 0"},
		{"negative quantity", []Line{{"a", 1}, {"b", -2}}, "lines[1].quantity: must be positive, got -2"},
		{"missing part", []Line{{"", 1}}, "lines[0].part_id: required"},
		{"duplicate part", []Line{{"a", 1}, {"a", 2}}, "lines[1].part_id: part a is already on line 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckLines("lines", tt.lines)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckLines(%v) = %v, want nil", tt.lines, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalid) {
				t.Fatalf("CheckLines(%v) = %v, want %q", tt.lines, err, tt.wantErr)
			}
		})
	}
}

func TestExpireTime(t *testing.T) {
	p := DefaultPolicy()
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		requested time.Time
		want      time.Time
		wantErr   bool
	}{
		{"default hold 72h", time.Time{}, now.Add(72 * time.Hour), false},
		{"one second ahead", now.Add(time.Second), now.Add(time.Second), false},
		{"exactly max hold", now.Add(30 * 24 * time.Hour), now.Add(30 * 24 * time.Hour), false},
		{"beyond max hold", now.Add(30*24*time.Hour + time.Second), time.Time{}, true},
		{"now", now, time.Time{}, true},
		{"past", now.Add(-time.Hour), time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ExpireTime(now, tt.requested, p)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Fatalf("ExpireTime(%v) = %v, %v; want %v, err=%v", tt.requested, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("ExpireTime(%v) error %v is not ErrInvalid", tt.requested, err)
			}
		})
	}
}

func TestSettle(t *testing.T) {
	reserved := []Line{{"a", 3}, {"b", 2}}
	tracked := func(id string) bool { return id == "b" }
	tests := []struct {
		name    string
		used    []Used
		want    []Settlement
		wantErr error
	}{
		{"nothing used releases all", nil, []Settlement{{"a", 0, 3}, {"b", 0, 2}}, nil},
		{"partial use", []Used{{PartID: "a", Quantity: 1}}, []Settlement{{"a", 1, 2}, {"b", 0, 2}}, nil},
		{"all used", []Used{{PartID: "a", Quantity: 3}, {PartID: "b", Quantity: 2, Serials: []string{"s1", "s2"}}},
			[]Settlement{{"a", 3, 0}, {"b", 2, 0}}, nil},
		{"zero line", []Used{{PartID: "a", Quantity: 0}}, []Settlement{{"a", 0, 3}, {"b", 0, 2}}, nil},
		{"more than reserved", []Used{{PartID: "a", Quantity: 4}}, nil, ErrPrecondition},
		{"part not reserved", []Used{{PartID: "c", Quantity: 1}}, nil, ErrPrecondition},
		{"duplicate part", []Used{{PartID: "a", Quantity: 1}, {PartID: "a", Quantity: 1}}, nil, ErrInvalid},
		{"negative", []Used{{PartID: "a", Quantity: -1}}, nil, ErrInvalid},
		{"tracked part without serials", []Used{{PartID: "b", Quantity: 1}}, nil, ErrInvalid},
		{"serial count differs", []Used{{PartID: "a", Quantity: 2, Serials: []string{"x"}}}, nil, ErrInvalid},
		{"duplicate serial", []Used{{PartID: "b", Quantity: 2, Serials: []string{"x", "x"}}}, nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Settle(reserved, tt.used, tracked)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Settle(%v) error = %v, want %v", tt.used, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Settle(%v) mismatch (-want +got):\n%s", tt.used, diff)
			}
		})
	}
}

func TestMustReturn(t *testing.T) {
	p := DefaultPolicy()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	due := at.Add(30 * 24 * time.Hour)
	got := MustReturn([]Used{
		{PartID: "a", Quantity: 2, Serials: []string{"r1", "r2"}, UnderWarranty: true},
		{PartID: "b", Quantity: 5},
		{PartID: "c", Quantity: 1, UnderWarranty: true},
		{PartID: "d", Quantity: 0, UnderWarranty: true},
	}, at, p)
	want := []Obligation{{"a", "r1", due}, {"a", "r2", due}, {"c", "", due}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("MustReturn mismatch (-want +got):\n%s", diff)
	}
	p.ReturnDays = 7
	if got := MustReturn([]Used{{PartID: "a", Quantity: 1, UnderWarranty: true}}, at, p); !got[0].Due.Equal(at.AddDate(0, 0, 7)) {
		t.Fatalf("MustReturn with ReturnDays=7 due = %v", got[0].Due)
	}
}

func TestCheckApprover(t *testing.T) {
	p := DefaultPolicy()
	if err := CheckApprover("u1", "u1", p); !errors.Is(err, ErrSelfApproval) {
		t.Fatalf("CheckApprover(same) = %v, want ErrSelfApproval", err)
	}
	if err := CheckApprover("u1", "u2", p); err != nil {
		t.Fatalf("CheckApprover(distinct) = %v", err)
	}
	p.DistinctApprover = false
	if err := CheckApprover("u1", "u1", p); err != nil {
		t.Fatalf("CheckApprover(same, not required) = %v", err)
	}
}

func TestCheckLocation(t *testing.T) {
	tests := []struct {
		kind    LocationKind
		tech    string
		wantErr bool
	}{
		{LocationVan, "t1", false},
		{LocationVan, "", true},
		{LocationCentral, "", false},
		{LocationStation, "t1", true},
		{LocationInTransit, "", false},
		{LocationKind(0), "", true},
		{LocationKind(8), "", true},
	}
	for _, tt := range tests {
		if err := CheckLocation(tt.kind, tt.tech); (err != nil) != tt.wantErr {
			t.Errorf("CheckLocation(%d, %q) = %v, wantErr %v", tt.kind, tt.tech, err, tt.wantErr)
		}
	}
	if Reservable(LocationScrap) || Reservable(LocationInTransit) || !Reservable(LocationVan) || Usable(LocationScrap) || !Usable(LocationReusable) {
		t.Error("Reservable/Usable table is wrong")
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate() = %v", err)
	}
	breakers := map[string]func(*Policy){
		"default hold": func(p *Policy) { p.DefaultHold = 0 },
		"max hold":     func(p *Policy) { p.MaxHold = time.Hour },
		"return days":  func(p *Policy) { p.ReturnDays = 0 },
		"window":       func(p *Policy) { p.ReorderWindowDays = 0 },
		"safety days":  func(p *Policy) { p.SafetyDays = -1 },
		"cover days":   func(p *Policy) { p.CoverDays = -1 },
		"lead time":    func(p *Policy) { p.DefaultLeadTimeDays = -1 },
		"plan lead":    func(p *Policy) { p.PlanLeadDays = -1 },
		"missing zone": func(p *Policy) { p.TimeZone = nil },
	}
	for name, br := range breakers {
		p := DefaultPolicy()
		br(&p)
		if p.Validate() == nil {
			t.Errorf("Validate() with broken %s = nil", name)
		}
	}
}
