package store

import (
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// PutContact stores a contact under its ticket in time order.
func PutContact(tx *bbolt.Tx, c *ticketv1.ContactRecord) error {
	k := store.Join([]byte(c.GetTicketId()), store.TimeKey(c.GetContactTime().AsTime()), []byte(c.GetId()))
	if err := store.PutProto(tx, Contacts, k, c); err != nil {
		return fmt.Errorf("put contact: %w", err)
	}
	return nil
}

// ListContacts returns a page of a ticket's contacts, oldest first.
func ListContacts(tx *bbolt.Tx, ticketID string, size int, token string) ([]*ticketv1.ContactRecord, string, error) {
	var out []*ticketv1.ContactRecord
	next, err := store.Scan(tx, Contacts, store.Page{Prefix: store.Prefix(ticketID), Token: token, Size: size},
		func(_, v []byte) (bool, error) {
			c := &ticketv1.ContactRecord{}
			if err := proto.Unmarshal(v, c); err != nil {
				return false, err
			}
			out = append(out, c)
			return true, nil
		})
	if err != nil {
		return nil, "", fmt.Errorf("list contacts: %w", err)
	}
	return out, next, nil
}
