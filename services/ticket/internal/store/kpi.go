package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
)

// FactsFunc turns a stored ticket into what it contributes to the KPIs.
type FactsFunc func(t *ticketv1.Ticket) domain.Facts

// Slice names for the KPI aggregates.
func slices(t *ticketv1.Ticket) []string {
	out := []string{"all"}
	if v := t.GetOrganisationId(); v != "" {
		out = append(out, "org:"+v)
	}
	if v := t.GetCustomer().GetAddress().GetRegion(); v != "" {
		out = append(out, "region:"+v)
	}
	if v := t.GetUnit().GetProductLine(); v != "" {
		out = append(out, "product_line:"+v)
	}
	return out
}

// SliceKey names a KPI slice: "all", or "org:<id>", "region:<name>", "product_line:<name>".
func SliceKey(org, region, productLine string) string {
	switch {
	case org != "":
		return "org:" + org
	case region != "":
		return "region:" + region
	case productLine != "":
		return "product_line:" + productLine
	}
	return "all"
}

func kpiKey(slice string, created time.Time) []byte {
	return store.Join([]byte(slice), store.TimeKey(created.UTC().Truncate(time.Hour)))
}

// updateKPI moves t's contribution to the KPI aggregates from what old (nil for a new ticket)
// contributed: one delta per aggregate, and an aggregate whose delta is zero (a save that
// changed no fact, the common case) is neither read nor written.
func updateKPI(tx *bbolt.Tx, old, t *ticketv1.Ticket, facts FactsFunc) error {
	if facts == nil {
		return nil
	}
	type delta struct {
		key []byte
		a   domain.Aggregate
	}
	var deltas []delta
	add := func(t *ticketv1.Ticket, f domain.Facts, sign int64) {
		for _, s := range slices(t) {
			k := kpiKey(s, t.GetCreateTime().AsTime())
			i := 0
			for i < len(deltas) && !bytes.Equal(deltas[i].key, k) {
				i++
			}
			if i == len(deltas) {
				deltas = append(deltas, delta{key: k})
			}
			deltas[i].a.Add(f, sign)
		}
	}
	if old != nil {
		add(old, facts(old), -1)
	}
	add(t, facts(t), 1)
	for _, d := range deltas {
		if d.a == (domain.Aggregate{}) {
			continue
		}
		var a domain.Aggregate
		if v := store.Get(tx, KPI, d.key); v != nil {
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("read kpi aggregate: %w", err)
			}
		}
		a.Merge(d.a)
		v, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode kpi aggregate: %w", err)
		}
		if err := store.Put(tx, KPI, d.key, v); err != nil {
			return fmt.Errorf("put kpi aggregate: %w", err)
		}
	}
	return nil
}

// Aggregate sums the KPI aggregates of a slice over tickets created in [start, end), by hour:
// the period is widened to whole UTC hours. Its cost grows with the hours of the period, not
// with the number of tickets.
func Aggregate(tx *bbolt.Tx, slice string, start, end time.Time) (domain.Aggregate, error) {
	var sum domain.Aggregate
	c := tx.Bucket(KPI).Cursor()
	from := kpiKey(slice, start)
	to := kpiKey(slice, end.Add(time.Hour-1))
	for k, v := c.Seek(from); k != nil && string(k) < string(to); k, v = c.Next() {
		var a domain.Aggregate
		if err := json.Unmarshal(v, &a); err != nil {
			return sum, fmt.Errorf("read kpi aggregate: %w", err)
		}
		sum.Merge(a)
	}
	return sum, nil
}
