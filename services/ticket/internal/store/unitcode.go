package store

import (
	"fmt"

	"go.etcd.io/bbolt"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// PutUnitCode stores a unit's code and its serial index.
func PutUnitCode(tx *bbolt.Tx, c *ticketv1.UnitCode) error {
	if err := store.PutProto(tx, UnitCodes, []byte(c.GetCode()), c); err != nil {
		return fmt.Errorf("put unit code: %w", err)
	}
	if err := store.Put(tx, UnitCodeBySerial, []byte(c.GetUnitSerial()), []byte(c.GetCode())); err != nil {
		return fmt.Errorf("put unit code index: %w", err)
	}
	return nil
}

// UnitCode reads a code; ErrNotFound when there is none.
func UnitCode(tx *bbolt.Tx, code string) (*ticketv1.UnitCode, error) {
	c := &ticketv1.UnitCode{}
	ok, err := store.GetProto(tx, UnitCodes, []byte(code), c)
	if err != nil {
		return nil, fmt.Errorf("get unit code: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("unit code: %w", ErrNotFound)
	}
	return c, nil
}

// UnitCodeOf returns the code of a unit serial, "" when it has none.
func UnitCodeOf(tx *bbolt.Tx, serial string) string {
	return string(store.Get(tx, UnitCodeBySerial, []byte(serial)))
}
