package store

import (
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Plan returns a stocking plan or a NotFoundError.
func (t *Tx) Plan(id string) (*inventoryv1.StockingPlan, error) {
	return getOne(t, bucketPlans, "stocking plan", id, &inventoryv1.StockingPlan{})
}

// PutPlan stores a stocking plan.
func (t *Tx) PutPlan(p *inventoryv1.StockingPlan) error {
	return pstore.PutProto(t.tx, bucketPlans, []byte(p.GetId()), p)
}
