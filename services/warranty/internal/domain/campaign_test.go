package domain

import (
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// TestCampaignMatches: which registered units a campaign is about (serial ranges compared as
// text, previous serials, batches, the date kind with its fallback).
func TestCampaignMatches(t *testing.T) {
	day := func(y, m, d int) calendar.Date { return calendar.Date{Year: y, Month: time.Month(m), Day: d} }
	unit := func(serial, batch string, made, sold calendar.Date) Unit {
		return Unit{ID: serial, Serial: serial, Model: "TX-904", Batch: batch, Dates: UnitDates{Manufacture: made, Sale: sold}}
	}
	made := day(2026, 3, 10)
	sold := day(2026, 5, 1)
	cases := []struct {
		name string
		c    Campaign
		u    Unit
		want bool
	}{
		{name: "model only", c: Campaign{Model: "TX-904"}, u: unit("SN-100", "B1", made, sold), want: true},
		{name: "other model", c: Campaign{Model: "TX-905"}, u: unit("SN-100", "B1", made, sold)},
		{name: "serial inside the range", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199"}, u: unit("SN-150", "", made, sold), want: true},
		{name: "serial at the lower bound", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199"}, u: unit("SN-100", "", made, sold), want: true},
		{name: "serial at the upper bound", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199"}, u: unit("SN-199", "", made, sold), want: true},
		{name: "serial above the range", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199"}, u: unit("SN-200", "", made, sold)},
		{name: "serials compare as text", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199"}, u: unit("SN-1000", "", made, sold), want: true},
		{name: "open lower bound", c: Campaign{Model: "TX-904", SerialTo: "SN-199"}, u: unit("SN-001", "", made, sold), want: true},
		{name: "a previous serial in the range (exchanged unit)", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199"},
			u: func() Unit { u := unit("SN-900", "", made, sold); u.PreviousSerials = []string{"SN-120"}; return u }(), want: true},
		{name: "batch listed", c: Campaign{Model: "TX-904", Batches: []string{"B1", "B3"}}, u: unit("SN-1", "B3", made, sold), want: true},
		{name: "batch not listed", c: Campaign{Model: "TX-904", Batches: []string{"B1", "B3"}}, u: unit("SN-1", "B2", made, sold)},
		{name: "no batch on the unit", c: Campaign{Model: "TX-904", Batches: []string{"B1"}}, u: unit("SN-1", "", made, sold)},
		{name: "made inside the dates", c: Campaign{Model: "TX-904", DateFrom: day(2026, 3, 1), DateTo: day(2026, 3, 31)}, u: unit("SN-1", "", made, sold), want: true},
		{name: "made on the last day", c: Campaign{Model: "TX-904", DateFrom: day(2026, 3, 1), DateTo: day(2026, 3, 10)}, u: unit("SN-1", "", made, sold), want: true},
		{name: "made after the dates", c: Campaign{Model: "TX-904", DateTo: day(2026, 3, 9)}, u: unit("SN-1", "", made, sold)},
		{name: "no manufacture date: the sale date", c: Campaign{Model: "TX-904", DateFrom: day(2026, 4, 1), DateTo: day(2026, 5, 31)},
			u: unit("SN-1", "", calendar.Date{}, sold), want: true},
		{name: "by sale date", c: Campaign{Model: "TX-904", DateKind: DateSale, DateFrom: day(2026, 5, 1)}, u: unit("SN-1", "", made, sold), want: true},
		{name: "by delivery date, none recorded", c: Campaign{Model: "TX-904", DateKind: DateDelivery, DateFrom: day(2026, 1, 1)}, u: unit("SN-1", "", made, sold)},
		{name: "everything at once", c: Campaign{Model: "TX-904", SerialFrom: "SN-100", SerialTo: "SN-199", Batches: []string{"B1"},
			DateFrom: day(2026, 3, 1), DateTo: day(2026, 3, 31)}, u: unit("SN-150", "B1", made, sold), want: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Matches(c.u); got != c.want {
				t.Fatalf("Matches(%+v) = %v, want %v", c.u, got, c.want)
			}
		})
	}
}
