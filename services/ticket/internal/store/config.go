package store

import (
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// GetCalendar reads a business calendar.
func GetCalendar(tx *bbolt.Tx, id string) (*ticketv1.BusinessCalendar, error) {
	c := &ticketv1.BusinessCalendar{}
	ok, err := store.GetProto(tx, Calendars, []byte(id), c)
	if err != nil {
		return nil, fmt.Errorf("get calendar: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("calendar %q: %w", id, ErrNotFound)
	}
	return c, nil
}

// CalendarEncoding returns the stored encoding of calendar id (nil when there is none), to
// tell whether a calendar compiled earlier is still current without decoding it. The slice
// is valid only while tx is open.
func CalendarEncoding(tx *bbolt.Tx, id string) []byte {
	b := tx.Bucket(Calendars)
	if b == nil {
		return nil
	}
	return b.Get([]byte(id))
}

// PutCalendar writes a business calendar.
func PutCalendar(tx *bbolt.Tx, c *ticketv1.BusinessCalendar) error {
	return store.PutProto(tx, Calendars, []byte(c.GetId()), c)
}

// GetPolicy reads a service policy.
func GetPolicy(tx *bbolt.Tx, id string) (*ticketv1.ServicePolicy, error) {
	p := &ticketv1.ServicePolicy{}
	ok, err := store.GetProto(tx, Policies, []byte(id), p)
	if err != nil {
		return nil, fmt.Errorf("get policy: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("service policy %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// PutPolicy writes a service policy.
func PutPolicy(tx *bbolt.Tx, p *ticketv1.ServicePolicy) error {
	return store.PutProto(tx, Policies, []byte(p.GetId()), p)
}

// List pages through calendars or policies by id.
func List[M proto.Message](tx *bbolt.Tx, bucket []byte, size int, token string, newM func() M) ([]M, string, error) {
	var out []M
	next, err := store.Scan(tx, bucket, store.Page{Token: token, Size: size}, func(_, v []byte) (bool, error) {
		m := newM()
		if err := proto.Unmarshal(v, m); err != nil {
			return false, err
		}
		out = append(out, m)
		return true, nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list %s: %w", bucket, err)
	}
	return out, next, nil
}
