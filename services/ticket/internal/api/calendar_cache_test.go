package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// TestCalendarCache: a compiled calendar is reused while its stored version holds, a changed
// calendar is seen by the next reader, a change rolled back is not, an unknown one is not found.
func TestCalendarCache(t *testing.T) {
	db := bolttest.Open(t, store.Schema())
	now := svctest.Now()
	nineToFive := defaultCalendar(now)
	allDay := defaultCalendar(now)
	for _, h := range allDay.Hours {
		h.StartMinute, h.EndMinute = 0, 24*60
	}
	put := func(c *ticketv1.BusinessCalendar) {
		t.Helper()
		if err := db.Update(context.Background(), func(tx *bbolt.Tx) error { return store.PutCalendar(tx, c) }); err != nil {
			t.Fatal(err)
		}
	}
	var s Server
	get := func() *calendar.Calendar {
		t.Helper()
		var cal *calendar.Calendar
		if err := db.View(func(tx *bbolt.Tx) error {
			var err error
			cal, err = s.calendar(tx, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return cal
	}
	// Monday of the week after now, 08:00 Shanghai: closed on 09:00-17:00, open all day.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	d := now.In(loc)
	d = time.Date(d.Year(), d.Month(), d.Day()+7-int(d.Weekday())+1, 8, 0, 0, 0, loc)

	put(nineToFive)
	first := get()
	if get() != first {
		t.Error("an unchanged calendar was compiled again")
	}
	if first.IsOpen(d) {
		t.Errorf("09:00-17:00 open at %v", d)
	}
	put(allDay)
	if !get().IsOpen(d) {
		t.Errorf("changed calendar not seen: closed at %v", d)
	}
	rollback := errors.New("rolled back")
	err := db.Update(context.Background(), func(tx *bbolt.Tx) error {
		if err := store.PutCalendar(tx, nineToFive); err != nil {
			return err
		}
		if cal, err := s.calendar(tx, ""); err != nil || cal.IsOpen(d) {
			t.Errorf("inside its transaction the change is not seen: %v", err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if !get().IsOpen(d) {
		t.Error("a rolled-back change is served")
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		_, err := s.calendar(tx, "nope")
		return err
	}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown calendar: %v, want not found", err)
	}
}
