package store

import (
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// MaxAttachmentsPerTicket bounds a ticket's attachments (and so ListAttachments' answer).
const MaxAttachmentsPerTicket = 200

// PutAttachment stores an attachment record and its ticket index entry.
func PutAttachment(tx *bbolt.Tx, a *ticketv1.Attachment) error {
	if err := store.PutProto(tx, Attachments, []byte(a.GetId()), a); err != nil {
		return fmt.Errorf("put attachment: %w", err)
	}
	if err := store.Put(tx, AttachmentIndex, store.Key(a.GetTicketId(), a.GetId()), nil); err != nil {
		return fmt.Errorf("put attachment index: %w", err)
	}
	return nil
}

// GetAttachment reads an attachment record; ErrNotFound when there is none.
func GetAttachment(tx *bbolt.Tx, id string) (*ticketv1.Attachment, error) {
	a := &ticketv1.Attachment{}
	ok, err := store.GetProto(tx, Attachments, []byte(id), a)
	if err != nil {
		return nil, fmt.Errorf("get attachment: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("attachment %q: %w", id, ErrNotFound)
	}
	return a, nil
}

// HasAttachment reports whether a record with id exists (the sweeper's question).
func HasAttachment(tx *bbolt.Tx, id string) bool { return store.Has(tx, Attachments, []byte(id)) }

// DeleteAttachment removes an attachment record and its index entry.
func DeleteAttachment(tx *bbolt.Tx, a *ticketv1.Attachment) error {
	if err := store.Delete(tx, Attachments, []byte(a.GetId())); err != nil {
		return fmt.Errorf("delete attachment: %w", err)
	}
	if err := store.Delete(tx, AttachmentIndex, store.Key(a.GetTicketId(), a.GetId())); err != nil {
		return fmt.Errorf("delete attachment index: %w", err)
	}
	return nil
}

// ListAttachments returns a ticket's attachments, oldest first (ids are time-ordered), at most
// MaxAttachmentsPerTicket.
func ListAttachments(tx *bbolt.Tx, ticketID string) ([]*ticketv1.Attachment, error) {
	var out []*ticketv1.Attachment
	_, err := store.Scan(tx, AttachmentIndex, store.Page{Prefix: store.Prefix(ticketID), Size: MaxAttachmentsPerTicket, MaxScan: MaxAttachmentsPerTicket},
		func(k, _ []byte) (bool, error) {
			id := string(k[len(store.Prefix(ticketID)):])
			a := &ticketv1.Attachment{}
			ok, err := store.GetProto(tx, Attachments, []byte(id), a)
			if err != nil || !ok {
				return false, err
			}
			out = append(out, proto.Clone(a).(*ticketv1.Attachment))
			return true, nil
		})
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	return out, nil
}
