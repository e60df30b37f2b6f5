package api

import (
	"bytes"
	"fmt"
	"sync"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// maxCachedCalendars bounds the compiled calendars kept; past it the cache starts over.
const maxCachedCalendars = 1024

// calendarCache keeps each business calendar compiled once, beside the stored encoding it was
// compiled from. A lookup compares that encoding with the one in the reading transaction, so a
// calendar changed (or a change rolled back) is never served stale, with no invalidation
// to forget: every reader sees the calendar of its own transaction. Safe for concurrent use;
// the zero value is ready.
type calendarCache struct {
	mu sync.RWMutex
	m  map[string]cachedCalendar
}

type cachedCalendar struct {
	raw []byte
	cal *calendar.Calendar
}

// get returns calendar id as stored in tx, compiled.
func (cc *calendarCache) get(tx *bbolt.Tx, id string) (*calendar.Calendar, error) {
	raw := store.CalendarEncoding(tx, id)
	if raw == nil {
		// Not stored: the store's error, as an uncached read gives it.
		_, err := store.GetCalendar(tx, id)
		if err == nil {
			err = fmt.Errorf("calendar %q: %w", id, store.ErrNotFound)
		}
		return nil, err
	}
	cc.mu.RLock()
	e, ok := cc.m[id]
	cc.mu.RUnlock()
	if ok && bytes.Equal(e.raw, raw) {
		return e.cal, nil
	}
	c := &ticketv1.BusinessCalendar{}
	if err := proto.Unmarshal(raw, c); err != nil {
		return nil, fmt.Errorf("get calendar: decode %q: %w", id, err)
	}
	cal, err := calendarFromProto(c)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if cc.m == nil || len(cc.m) >= maxCachedCalendars {
		cc.m = map[string]cachedCalendar{}
	}
	cc.m[id] = cachedCalendar{raw: bytes.Clone(raw), cal: cal}
	cc.mu.Unlock()
	return cal, nil
}
