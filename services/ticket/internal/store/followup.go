package store

import (
	"errors"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// Follow-up index names.
const (
	FollowUpIndexAll    = "all"
	FollowUpIndexState  = "state"
	FollowUpIndexSerial = "serial"
	FollowUpIndexTicket = "ticket"
)

func dateKey(d *typev1.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func followUpIndexKeys(f *ticketv1.FollowUp) [][]byte {
	due, id := dateKey(f.GetDueDate()), f.GetId()
	out := [][]byte{
		store.Key(FollowUpIndexAll, "", due, id),
		store.Key(FollowUpIndexState, strconv.Itoa(int(f.GetState())), due, id),
	}
	if v := f.GetUnitSerial(); v != "" {
		out = append(out, store.Key(FollowUpIndexSerial, v, due, id))
	}
	if v := f.GetTicketId(); v != "" {
		out = append(out, store.Key(FollowUpIndexTicket, v, due, id))
	}
	return out
}

// GetFollowUp reads a follow-up.
func GetFollowUp(tx *bbolt.Tx, id string) (*ticketv1.FollowUp, error) {
	f := &ticketv1.FollowUp{}
	ok, err := store.GetProto(tx, FollowUps, []byte(id), f)
	if err != nil {
		return nil, fmt.Errorf("get follow-up: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("follow-up %q: %w", id, ErrNotFound)
	}
	return f, nil
}

// PutFollowUp writes f and keeps its index entries in step with the previous version old
// (nil for a new follow-up).
func PutFollowUp(tx *bbolt.Tx, old, f *ticketv1.FollowUp) error {
	if err := store.PutProto(tx, FollowUps, []byte(f.GetId()), f); err != nil {
		return fmt.Errorf("put follow-up: %w", err)
	}
	stale := map[string]bool{}
	if old != nil {
		for _, k := range followUpIndexKeys(old) {
			stale[string(k)] = true
		}
	}
	for _, k := range followUpIndexKeys(f) {
		if stale[string(k)] {
			delete(stale, string(k))
			continue
		}
		if err := store.Put(tx, FollowUpIndex, k, []byte(f.GetId())); err != nil {
			return fmt.Errorf("put follow-up index: %w", err)
		}
	}
	for k := range stale {
		if err := store.Delete(tx, FollowUpIndex, []byte(k)); err != nil {
			return fmt.Errorf("delete follow-up index: %w", err)
		}
	}
	return nil
}

// FollowUpSource returns the id of the follow-up made of source (empty when none yet).
func FollowUpSource(tx *bbolt.Tx, source ...string) string {
	return string(store.Get(tx, FollowUpSources, store.Key(source...)))
}

// PutFollowUpSource records that source's follow-up is id.
func PutFollowUpSource(tx *bbolt.Tx, id string, source ...string) error {
	if err := store.Put(tx, FollowUpSources, store.Key(source...), []byte(id)); err != nil {
		return fmt.Errorf("put follow-up source: %w", err)
	}
	return nil
}

// FollowUpFilter selects follow-ups for ListFollowUps.
type FollowUpFilter struct {
	State     int32
	Serial    string
	TicketID  string
	DueBy     *typev1.Date // only due on or before it
	PageSize  int
	PageToken string
}

// errPastDueBy ends a scan at the first follow-up due after the filter's DueBy.
var errPastDueBy = errors.New("past due_by")

// ListFollowUps returns a page of follow-ups in due-date order from the index the filter
// selects; further filters are applied to at most store.DefaultMaxScan entries a page; a page
// ends (without a token) at the first follow-up due after DueBy.
func ListFollowUps(tx *bbolt.Tx, f FollowUpFilter) ([]*ticketv1.FollowUp, string, error) {
	name, value := FollowUpIndexAll, ""
	switch {
	case f.TicketID != "":
		name, value = FollowUpIndexTicket, f.TicketID
	case f.Serial != "":
		name, value = FollowUpIndexSerial, f.Serial
	case f.State != 0:
		name, value = FollowUpIndexState, strconv.Itoa(int(f.State))
	}
	var out []*ticketv1.FollowUp
	next, err := store.Scan(tx, FollowUpIndex, store.Page{Prefix: store.Prefix(name, value), Token: f.PageToken, Size: f.PageSize},
		func(_, v []byte) (bool, error) {
			fu := &ticketv1.FollowUp{}
			ok, err := store.GetProto(tx, FollowUps, v, fu)
			if err != nil || !ok {
				return false, err
			}
			if f.DueBy != nil && dateKey(fu.GetDueDate()) > dateKey(f.DueBy) {
				return false, errPastDueBy
			}
			if (f.State != 0 && int32(fu.GetState()) != f.State) || (f.Serial != "" && fu.GetUnitSerial() != f.Serial) ||
				(f.TicketID != "" && fu.GetTicketId() != f.TicketID) {
				return false, nil
			}
			out = append(out, proto.Clone(fu).(*ticketv1.FollowUp))
			return true, nil
		})
	if errors.Is(err, errPastDueBy) {
		return out, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("list follow-ups: %w", err)
	}
	return out, next, nil
}
