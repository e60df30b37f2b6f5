package store

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
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

// PutOTP stores the pending one-time code of a unit code (replacing any).
func PutOTP(tx *bbolt.Tx, code string, o domain.OTP) error {
	v, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("put otp: %w", err)
	}
	return store.Put(tx, CustomerOTPs, []byte(code), v)
}

// OTP reads the pending one-time code of a unit code.
func OTP(tx *bbolt.Tx, code string) (domain.OTP, bool, error) {
	v := store.Get(tx, CustomerOTPs, []byte(code))
	if v == nil {
		return domain.OTP{}, false, nil
	}
	var o domain.OTP
	if err := json.Unmarshal(v, &o); err != nil {
		return domain.OTP{}, false, fmt.Errorf("get otp: %w", err)
	}
	return o, true, nil
}
