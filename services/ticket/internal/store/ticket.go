package store

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/store"
)

// ErrNotFound is returned for an unknown ticket, calendar or policy.
var ErrNotFound = errors.New("not found")

// NextNumber returns the next sequence number for prefix and year (from 1).
func NextNumber(tx *bbolt.Tx, prefix string, year int) (uint64, error) {
	k := store.Key(prefix, strconv.Itoa(year))
	n := store.Uint64(store.Get(tx, Sequences, k)) + 1
	if err := store.Put(tx, Sequences, k, store.U64(n)); err != nil {
		return 0, fmt.Errorf("next number: %w", err)
	}
	return n, nil
}

// GetTicket reads a ticket by id or by number.
func GetTicket(tx *bbolt.Tx, idOrNumber string) (*ticketv1.Ticket, error) {
	id := idOrNumber
	if v := store.Get(tx, Numbers, []byte(idOrNumber)); v != nil {
		id = string(v)
	}
	t := &ticketv1.Ticket{}
	ok, err := store.GetProto(tx, Tickets, []byte(id), t)
	if err != nil {
		return nil, fmt.Errorf("get ticket: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("ticket %q: %w", idOrNumber, ErrNotFound)
	}
	return t, nil
}

// Index names.
const (
	IndexAll      = "all"
	IndexState    = "state"
	IndexKind     = "kind"
	IndexCustomer = "customer"
	IndexSerial   = "serial"
	IndexOrg      = "org"
	IndexBreached = "breached"
)

// indexValues returns the (index, value) pairs a ticket is listed under.
func indexValues(t *ticketv1.Ticket) [][2]string {
	out := [][2]string{
		{IndexAll, ""},
		{IndexState, strconv.Itoa(int(t.GetState()))},
		{IndexKind, strconv.Itoa(int(t.GetKind()))},
		{IndexBreached, strconv.FormatBool(t.GetBreached())},
	}
	if v := t.GetCustomer().GetCustomerId(); v != "" {
		out = append(out, [2]string{IndexCustomer, v})
	}
	if v := t.GetUnit().GetSerial(); v != "" {
		out = append(out, [2]string{IndexSerial, v})
	}
	if v := t.GetOrganisationId(); v != "" {
		out = append(out, [2]string{IndexOrg, v})
	}
	return out
}

func indexKey(name, value string, t *ticketv1.Ticket) []byte {
	return store.Join(store.Key(name, value), store.TimeKey(t.GetCreateTime().AsTime()), []byte(t.GetId()))
}

// sameTail reports whether old and t share the tail of every index key (create time and id):
// then a key changes exactly when its index value does.
func sameTail(old, t *ticketv1.Ticket) bool {
	return old != nil && old.GetId() == t.GetId() &&
		bytes.Equal(store.TimeKey(old.GetCreateTime().AsTime()), store.TimeKey(t.GetCreateTime().AsTime()))
}

// putIndexKeys keeps t's index keys in step with old's: only the keys whose value changed are
// written or deleted.
func putIndexKeys(tx *bbolt.Tx, old, t *ticketv1.Ticket) error {
	var stale [][2]string
	if old != nil {
		stale = indexValues(old)
	}
	same := sameTail(old, t)
	if !same {
		// A key's tail moved (never in a save, kept for completeness): compare whole keys.
		return putKeys(tx, "ticket index", keysOf(stale, old), keysOf(indexValues(t), t))
	}
	for _, iv := range indexValues(t) {
		if i := indexOf(stale, iv); i >= 0 {
			stale = append(stale[:i], stale[i+1:]...)
			continue
		}
		if err := store.Put(tx, TicketIndex, indexKey(iv[0], iv[1], t), nil); err != nil {
			return fmt.Errorf("put ticket index: %w", err)
		}
	}
	for _, iv := range stale {
		if err := store.Delete(tx, TicketIndex, indexKey(iv[0], iv[1], old)); err != nil {
			return fmt.Errorf("delete ticket index: %w", err)
		}
	}
	return nil
}

func indexOf(ivs [][2]string, iv [2]string) int {
	for i, v := range ivs {
		if v == iv {
			return i
		}
	}
	return -1
}

func keysOf(ivs [][2]string, t *ticketv1.Ticket) [][]byte {
	var out [][]byte
	for _, iv := range ivs {
		out = append(out, indexKey(iv[0], iv[1], t))
	}
	return out
}

// putKeys writes the keys of now not in before and deletes those of before not in now.
func putKeys(tx *bbolt.Tx, what string, before, now [][]byte) error {
	stale := map[string]bool{}
	for _, k := range before {
		stale[string(k)] = true
	}
	for _, k := range now {
		if stale[string(k)] {
			delete(stale, string(k))
			continue
		}
		if err := store.Put(tx, TicketIndex, k, nil); err != nil {
			return fmt.Errorf("put %s: %w", what, err)
		}
	}
	for k := range stale {
		if err := store.Delete(tx, TicketIndex, []byte(k)); err != nil {
			return fmt.Errorf("delete %s: %w", what, err)
		}
	}
	return nil
}

// PutTicket writes t and keeps its indexes, its number and the KPI aggregates in step with
// the previous version old (nil for a new ticket).
func PutTicket(tx *bbolt.Tx, old, t *ticketv1.Ticket, facts FactsFunc) error {
	if err := store.PutProto(tx, Tickets, []byte(t.GetId()), t); err != nil {
		return fmt.Errorf("put ticket: %w", err)
	}
	if old == nil {
		if err := store.Put(tx, Numbers, []byte(t.GetNumber()), []byte(t.GetId())); err != nil {
			return fmt.Errorf("put ticket number: %w", err)
		}
		if n := t.GetComplaint().GetNumber(); n != "" {
			if err := store.Put(tx, Numbers, []byte(n), []byte(t.GetId())); err != nil {
				return fmt.Errorf("put complaint number: %w", err)
			}
		}
	}
	if err := putIndexKeys(tx, old, t); err != nil {
		return err
	}
	if err := putOrderKeys(tx, old, t); err != nil {
		return err
	}
	return updateKPI(tx, old, t, facts)
}

// Filter selects tickets for ListTickets.
type Filter struct {
	State      int32
	Kind       int32
	CustomerID string
	Serial     string
	OrgID      string
	Breached   *bool
	Start, End time.Time // creation time range [Start, End); zero = open
	PageSize   int
	PageToken  string
}

// ErrBadPageToken is returned for a token this list did not issue.
var ErrBadPageToken = store.ErrBadPageToken

// chooseIndex picks the most selective index the filter allows.
func (f Filter) chooseIndex() (string, string) {
	switch {
	case f.Serial != "":
		return IndexSerial, f.Serial
	case f.CustomerID != "":
		return IndexCustomer, f.CustomerID
	case f.OrgID != "":
		return IndexOrg, f.OrgID
	case f.Breached != nil && *f.Breached:
		return IndexBreached, "true"
	case f.State != 0:
		return IndexState, strconv.Itoa(int(f.State))
	case f.Kind != 0:
		return IndexKind, strconv.Itoa(int(f.Kind))
	case f.Breached != nil:
		return IndexBreached, "false"
	default:
		return IndexAll, ""
	}
}

func (f Filter) match(t *ticketv1.Ticket) bool {
	return (f.State == 0 || int32(t.GetState()) == f.State) &&
		(f.Kind == 0 || int32(t.GetKind()) == f.Kind) &&
		(f.CustomerID == "" || t.GetCustomer().GetCustomerId() == f.CustomerID) &&
		(f.Serial == "" || t.GetUnit().GetSerial() == f.Serial) &&
		(f.OrgID == "" || t.GetOrganisationId() == f.OrgID) &&
		(f.Breached == nil || t.GetBreached() == *f.Breached)
}

// ListTickets returns a page of tickets, newest first, from the index the filter selects;
// the creation time range bounds the scan itself. Further filters are applied to the entries
// of the chosen index, at most store.DefaultMaxScan of them per page: a page that reaches the
// bound returns what it found (maybe nothing) and a token, so a page's cost does not grow with
// the number of tickets.
func ListTickets(tx *bbolt.Tx, f Filter) ([]*ticketv1.Ticket, string, error) {
	name, value := f.chooseIndex()
	prefix := append(store.Key(name, value), store.Sep)
	b := tx.Bucket(TicketIndex)
	if b == nil {
		return nil, "", fmt.Errorf("list tickets: %w", store.ErrNoBucket)
	}
	c := b.Cursor()
	// Upper bound: the token (exclusive), else the end time (exclusive), else the prefix end.
	var upper []byte
	if f.PageToken != "" {
		tok, err := store.DecodePageToken(tx, TicketIndex, f.PageToken)
		if err != nil || !bytes.HasPrefix(tok, prefix) {
			return nil, "", ErrBadPageToken
		}
		upper = tok
	} else if !f.End.IsZero() {
		upper = append(bytes.Clone(prefix), store.TimeKey(f.End)...)
	}
	var k []byte
	if upper != nil {
		k, _ = c.Seek(upper)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	} else {
		k = seekPrefixLast(c, prefix)
	}
	var lower []byte
	if !f.Start.IsZero() {
		lower = append(bytes.Clone(prefix), store.TimeKey(f.Start)...)
	}
	size := f.PageSize
	if size <= 0 {
		size = store.DefaultPageSize
	}
	var out []*ticketv1.Ticket
	var last []byte
	scanned := 0
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		if lower != nil && bytes.Compare(k, lower) < 0 {
			return out, "", nil
		}
		// A page reads at most MaxScan index entries: a filter the index does not serve that
		// matches little ends the page early, short (maybe empty), with a token to go on.
		if len(out) == size || scanned == max(store.DefaultMaxScan, size) {
			return out, store.EncodePageToken(tx, TicketIndex, last), nil
		}
		scanned++
		id := k[len(prefix)+9:]
		t := &ticketv1.Ticket{}
		ok, err := store.GetProto(tx, Tickets, id, t)
		if err != nil {
			return nil, "", fmt.Errorf("list tickets: %w", err)
		}
		last = append(last[:0], k...)
		if ok && f.match(t) {
			out = append(out, t)
		}
	}
	return out, "", nil
}

func seekPrefixLast(c *bbolt.Cursor, prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			end = end[:i+1]
			k, _ := c.Seek(end)
			if k == nil {
				k, _ = c.Last()
				return k
			}
			k, _ = c.Prev()
			return k
		}
	}
	k, _ := c.Last()
	return k
}

// LastRepair returns when the unit's fault was last resolved (zero if never) and records
// resolved as the new last resolution when it is not zero.
func LastRepair(tx *bbolt.Tx, serial, faultCode string, resolved time.Time) (time.Time, error) {
	if serial == "" {
		return time.Time{}, nil
	}
	k := store.Key(serial, faultCode)
	var prev time.Time
	if v := store.Get(tx, Repairs, k); v != nil {
		prev = store.KeyTime(v)
	}
	if !resolved.IsZero() {
		if err := store.Put(tx, Repairs, k, store.TimeKey(resolved)); err != nil {
			return prev, fmt.Errorf("record repair: %w", err)
		}
	}
	return prev, nil
}

// Sort orders of ListTickets besides the default (create time, newest first).
const (
	SortCreate   = "create_time"
	SortDue      = "due_time"
	SortPriority = "priority"
)

// orderKeys are the keys a ticket has in the order indexes (in TicketIndex under "by"): the
// sort value, then the create time and the id, so that ties keep create time order and every
// key is unique.
func orderKeys(t *ticketv1.Ticket) [][]byte {
	tail := store.Join(store.TimeKey(t.GetCreateTime().AsTime()), []byte(t.GetId()))
	return [][]byte{
		append(append(orderPrefix(SortDue), dueKey(t)...), tail...),
		append(append(orderPrefix(SortPriority), byte(t.GetPriority())), tail...),
	}
}

func orderPrefix(sort string) []byte { return append(store.Key("by", sort), store.Sep) }

// sortLen is the length of each order index's sort value.
var sortLen = map[string]int{SortDue: 9, SortPriority: 1}

// Due is when the ticket is next due: the earliest deadline of its running or paused SLA
// clocks; false when none has one.
func Due(t *ticketv1.Ticket) (time.Time, bool) {
	var due time.Time
	for _, c := range t.GetClocks() {
		switch c.GetState() {
		case ticketv1.SlaClockState_SLA_CLOCK_STATE_RUNNING, ticketv1.SlaClockState_SLA_CLOCK_STATE_PAUSED:
		default:
			continue
		}
		if c.GetDeadline() == nil {
			continue
		}
		if d := c.GetDeadline().AsTime(); due.IsZero() || d.Before(due) {
			due = d
		}
	}
	return due, !due.IsZero()
}

// dueKey sorts tickets by due time, those without one after all others.
func dueKey(t *ticketv1.Ticket) []byte {
	if due, ok := Due(t); ok {
		return append([]byte{0}, store.TimeKey(due)...)
	}
	return append([]byte{1}, make([]byte, 8)...)
}

// putOrderKeys keeps t's order index keys in step with old's: a save that moved neither the
// due time nor the priority writes none.
func putOrderKeys(tx *bbolt.Tx, old, t *ticketv1.Ticket) error {
	if sameTail(old, t) && old.GetPriority() == t.GetPriority() && bytes.Equal(dueKey(old), dueKey(t)) {
		return nil
	}
	var before [][]byte
	if old != nil {
		before = orderKeys(old)
	}
	return putKeys(tx, "ticket order", before, orderKeys(t))
}

// orderIndexes brings a file of layout 1 to 2 (a store.Upgrade): the order indexes of every ticket.
func orderIndexes(tx *bbolt.Tx) error {
	b := tx.Bucket(Tickets)
	if b == nil {
		return nil
	}
	return b.ForEach(func(_, v []byte) error {
		t := &ticketv1.Ticket{}
		if err := proto.Unmarshal(v, t); err != nil {
			return fmt.Errorf("ticket order index: %w", err)
		}
		return putOrderKeys(tx, nil, t)
	})
}

// ListTicketsOrdered returns a page of tickets in sort order (SortCreate, SortDue,
// SortPriority), ascending unless desc, from the order index (create time: the filter's index);
// the filters are applied to the index's entries, at most store.DefaultMaxScan per page, as in
// ListTickets. A token holds only for the order and direction it was issued for.
func ListTicketsOrdered(tx *bbolt.Tx, f Filter, sort string, desc bool) ([]*ticketv1.Ticket, string, error) {
	var prefix []byte
	skip := 0 // bytes between the prefix and the id
	switch sort {
	case SortCreate:
		name, value := f.chooseIndex()
		prefix, skip = append(store.Key(name, value), store.Sep), 9
	case SortDue, SortPriority:
		prefix, skip = orderPrefix(sort), sortLen[sort]+9
	default:
		return nil, "", fmt.Errorf("list tickets: unknown order %q", sort)
	}
	dir := byte('a')
	if desc {
		dir = 'd'
	}
	mark := append([]byte{dir}, sort...)
	var after []byte
	if f.PageToken != "" {
		tok, err := store.DecodePageToken(tx, TicketIndex, f.PageToken)
		if err != nil || !bytes.HasPrefix(tok, append(bytes.Clone(mark), store.Sep)) || !bytes.HasPrefix(tok[len(mark)+1:], prefix) {
			return nil, "", ErrBadPageToken
		}
		after = tok[len(mark)+1:]
	}
	size := f.PageSize
	if size <= 0 {
		size = store.DefaultPageSize
	}
	var out []*ticketv1.Ticket
	last, scanned := []byte(nil), 0
	next, err := scanIndex(tx, prefix, after, desc, func(k []byte) (bool, error) {
		if len(out) == size || scanned == max(store.DefaultMaxScan, size) {
			return false, nil
		}
		scanned++
		last = append(last[:0], k...)
		t := &ticketv1.Ticket{}
		ok, err := store.GetProto(tx, Tickets, k[len(prefix)+skip:], t)
		if err != nil {
			return false, fmt.Errorf("list tickets: %w", err)
		}
		created := t.GetCreateTime().AsTime()
		if ok && f.match(t) && (f.Start.IsZero() || !created.Before(f.Start)) && (f.End.IsZero() || created.Before(f.End)) {
			out = append(out, t)
		}
		return true, nil
	})
	if err != nil || !next {
		return out, "", err
	}
	return out, store.EncodePageToken(tx, TicketIndex, store.Join(mark, last)), nil
}

// scanIndex calls fn for the keys under prefix in TicketIndex after the key after (exclusive),
// ascending or descending, until fn returns false; it reports whether keys were left.
func scanIndex(tx *bbolt.Tx, prefix, after []byte, desc bool, fn func(k []byte) (bool, error)) (bool, error) {
	b := tx.Bucket(TicketIndex)
	if b == nil {
		return false, fmt.Errorf("list tickets: %w", store.ErrNoBucket)
	}
	c := b.Cursor()
	var k []byte
	switch {
	case !desc && after == nil:
		k, _ = c.Seek(prefix)
	case !desc:
		k, _ = c.Seek(after)
		if bytes.Equal(k, after) {
			k, _ = c.Next()
		}
	case after == nil:
		k = seekPrefixLast(c, prefix)
	default:
		if k, _ = c.Seek(after); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	}
	step := c.Next
	if desc {
		step = c.Prev
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = step() {
		more, err := fn(k)
		if err != nil {
			return false, err
		}
		if !more {
			return true, nil
		}
	}
	return false, nil
}
