package store

import (
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

func addKPI(tx *bbolt.Tx, t *ticketv1.Ticket, f domain.Facts, sign int64) error {
	for _, s := range slices(t) {
		k := kpiKey(s, t.GetCreateTime().AsTime())
		var a domain.Aggregate
		if v := store.Get(tx, KPI, k); v != nil {
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("read kpi aggregate: %w", err)
			}
		}
		a.Add(f, sign)
		v, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode kpi aggregate: %w", err)
		}
		if err := store.Put(tx, KPI, k, v); err != nil {
			return fmt.Errorf("put kpi aggregate: %w", err)
		}
	}
	return nil
}

func updateKPI(tx *bbolt.Tx, old, t *ticketv1.Ticket, facts FactsFunc) error {
	if facts == nil {
		return nil
	}
	if old != nil {
		if err := addKPI(tx, old, facts(old), -1); err != nil {
			return err
		}
	}
	return addKPI(tx, t, facts(t), 1)
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
