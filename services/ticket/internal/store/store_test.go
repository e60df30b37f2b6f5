package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func facts(t *ticketv1.Ticket) domain.Facts {
	return domain.Facts{Kind: domain.Kind(t.GetKind()), Resolved: t.GetState() == ticketv1.TicketState_TICKET_STATE_RESOLVED}
}

func mk(i int, state ticketv1.TicketState, customer string) *ticketv1.Ticket {
	return &ticketv1.Ticket{Id: fmt.Sprintf("id-%04d", i), Number: fmt.Sprintf("T-2026-%06d", i), State: state,
		Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Customer: &ticketv1.Customer{CustomerId: customer},
		OrganisationId: "org-1", CreateTime: timestamppb.New(t0.Add(time.Duration(i) * time.Minute))}
}

func ids(ts []*ticketv1.Ticket) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.GetId())
	}
	return out
}

// TestIndexesFollowChanges: a state change moves the ticket between state indexes and the KPI
// aggregate follows (old facts subtracted, new added); pages, time bounds and tokens work.
func TestIndexesFollowChanges(t *testing.T) {
	db := bolttest.Open(t, store.Schema())
	ctx := context.Background()
	err := db.Update(ctx, func(tx *bbolt.Tx) error {
		for i := range 10 {
			if err := store.PutTicket(tx, nil, mk(i, ticketv1.TicketState_TICKET_STATE_RECEIVED, fmt.Sprintf("c%d", i%2)), facts); err != nil {
				return err
			}
		}
		old, err := store.GetTicket(tx, "T-2026-000003")
		if err != nil {
			return err
		}
		nt := proto.Clone(old).(*ticketv1.Ticket)
		nt.State = ticketv1.TicketState_TICKET_STATE_RESOLVED
		return store.PutTicket(tx, old, nt, facts)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bbolt.Tx) error {
		tests := []struct {
			name string
			f    store.Filter
			want string
		}{
			{"resolved", store.Filter{State: int32(ticketv1.TicketState_TICKET_STATE_RESOLVED)}, "[id-0003]"},
			{"received", store.Filter{State: int32(ticketv1.TicketState_TICKET_STATE_RECEIVED), PageSize: 3}, "[id-0009 id-0008 id-0007]"},
			{"customer c1 and resolved", store.Filter{CustomerID: "c1", State: int32(ticketv1.TicketState_TICKET_STATE_RESOLVED)}, "[id-0003]"},
			{"time range", store.Filter{Start: t0.Add(2 * time.Minute), End: t0.Add(5 * time.Minute)}, "[id-0004 id-0003 id-0002]"},
			{"org", store.Filter{OrgID: "org-1", PageSize: 2}, "[id-0009 id-0008]"},
			{"nobody", store.Filter{CustomerID: "zz"}, "[]"},
		}
		for _, tc := range tests {
			got, _, err := store.ListTickets(tx, tc.f)
			if err != nil {
				return err
			}
			if s := fmt.Sprint(ids(got)); s != tc.want {
				t.Errorf("%s: ListTickets = %s, want %s", tc.name, s, tc.want)
			}
		}
		// Pages of 4 over all ten, newest first, then the end.
		var all []string
		tok := ""
		for {
			got, next, err := store.ListTickets(tx, store.Filter{PageSize: 4, PageToken: tok})
			if err != nil {
				return err
			}
			all = append(all, ids(got)...)
			if tok = next; tok == "" {
				break
			}
		}
		if len(all) != 10 || all[0] != "id-0009" || all[9] != "id-0000" {
			t.Errorf("all pages = %v", all)
		}
		// A token from another index is refused.
		_, next, _ := store.ListTickets(tx, store.Filter{PageSize: 1})
		if _, _, err := store.ListTickets(tx, store.Filter{CustomerID: "c1", PageToken: next}); !errors.Is(err, pstore.ErrBadPageToken) {
			t.Errorf("foreign token: err = %v, want ErrBadPageToken", err)
		}
		a, err := store.Aggregate(tx, "org:org-1", t0, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		if a.Tickets != 10 || a.Resolved != 1 {
			t.Errorf("aggregate = %d tickets, %d resolved; want 10, 1", a.Tickets, a.Resolved)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNumbersAndRepairs(t *testing.T) {
	db := bolttest.Open(t, store.Schema())
	err := db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for want := uint64(1); want <= 3; want++ {
			if n, err := store.NextNumber(tx, "T", 2026); err != nil || n != want {
				t.Errorf("NextNumber = %d, %v; want %d", n, err, want)
			}
		}
		if n, _ := store.NextNumber(tx, "T", 2027); n != 1 {
			t.Errorf("NextNumber(2027) = %d, want 1 (per year)", n)
		}
		if prev, _ := store.LastRepair(tx, "SN", "F", t0); !prev.IsZero() {
			t.Errorf("first LastRepair = %v, want zero", prev)
		}
		if prev, _ := store.LastRepair(tx, "SN", "F", t0.Add(time.Hour)); !prev.Equal(t0) {
			t.Errorf("second LastRepair = %v, want %v", prev, t0)
		}
		if _, err := store.GetTicket(tx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetTicket(missing) = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateBuildsOrderIndexes: a file of layout 1 (no order indexes) opened by this binary
// lists every ticket in due and priority order.
func TestMigrateBuildsOrderIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticket.db")
	v1 := store.Schema()
	v1.Version, v1.Migrate = 1, nil
	db, err := pstore.Open(path, v1, zaptest.NewLogger(t), pstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for i := range 7 {
			tk := mk(i, ticketv1.TicketState_TICKET_STATE_RECEIVED, "c")
			tk.Clocks = []*ticketv1.SlaClock{{Name: "x", State: ticketv1.SlaClockState_SLA_CLOCK_STATE_RUNNING,
				Deadline: timestamppb.New(t0.Add(time.Duration(7-i) * time.Hour))}}
			if err := pstore.PutProto(tx, store.Tickets, []byte(tk.GetId()), tk); err != nil { // as layout 1 kept it
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = pstore.Open(path, store.Schema(), zaptest.NewLogger(t), pstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bolttest.Close(t, db)
	err = db.View(func(tx *bbolt.Tx) error {
		got, next, err := store.ListTicketsOrdered(tx, store.Filter{PageSize: 50}, store.SortDue, false)
		if err != nil || next != "" {
			return fmt.Errorf("list: %v, %q", err, next)
		}
		if want := []string{"id-0006", "id-0005", "id-0004", "id-0003", "id-0002", "id-0001", "id-0000"}; fmt.Sprint(ids(got)) != fmt.Sprint(want) {
			return fmt.Errorf("by due after migration: %v, want %v", ids(got), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
