package store

import (
	"fmt"

	"go.etcd.io/bbolt"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// GetProgramme reads a unit programme.
func GetProgramme(tx *bbolt.Tx, id string) (*ticketv1.Programme, error) {
	p := &ticketv1.Programme{}
	ok, err := store.GetProto(tx, Programmes, []byte(id), p)
	if err != nil {
		return nil, fmt.Errorf("get programme: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("programme %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// PutProgramme writes a unit programme.
func PutProgramme(tx *bbolt.Tx, p *ticketv1.Programme) error {
	if err := store.PutProto(tx, Programmes, []byte(p.GetId()), p); err != nil {
		return fmt.Errorf("put programme: %w", err)
	}
	return nil
}
