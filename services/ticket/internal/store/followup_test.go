package store_test

import (
	"context"
	"fmt"
	"testing"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

func followUpIDs(fs []*ticketv1.FollowUp) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.GetId())
	}
	return out
}

// TestFollowUpIndexes: follow-ups list in due-date order per state, serial and ticket; a state
// change moves one between state indexes; pages carry a token; a source is made once.
func TestFollowUpIndexes(t *testing.T) {
	db := bolttest.Open(t, store.Schema())
	ctx := context.Background()
	due := []int32{20, 5, 12}
	due0 := func(i int) *typev1.Date { return &typev1.Date{Year: int32(t0.Year()), Month: 12, Day: due[i]} }
	var fs []*ticketv1.FollowUp
	if err := db.Update(ctx, func(tx *bbolt.Tx) error {
		fs = nil
		for i := range due {
			f := &ticketv1.FollowUp{Id: fmt.Sprintf("fu-%d", i), State: ticketv1.FollowUpState_FOLLOW_UP_STATE_DUE, DueDate: due0(i),
				UnitSerial: "SN-1", TicketId: fmt.Sprintf("t-%d", i)}
			if err := store.PutFollowUp(tx, nil, f); err != nil {
				return err
			}
			if err := store.PutFollowUpSource(tx, f.GetId(), "closed", f.GetTicketId(), "0"); err != nil {
				return err
			}
			fs = append(fs, f)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	list := func(f store.FollowUpFilter) ([]string, string) {
		t.Helper()
		var got []*ticketv1.FollowUp
		var next string
		if err := db.View(func(tx *bbolt.Tx) (err error) {
			got, next, err = store.ListFollowUps(tx, f)
			return err
		}); err != nil {
			t.Fatalf("ListFollowUps(%+v): %v", f, err)
		}
		return followUpIDs(got), next
	}
	due1 := int32(ticketv1.FollowUpState_FOLLOW_UP_STATE_DUE)
	if got, _ := list(store.FollowUpFilter{State: due1}); fmt.Sprint(got) != "[fu-1 fu-2 fu-0]" {
		t.Errorf("DUE = %v, want by due date [fu-1 fu-2 fu-0]", got)
	}
	page, next := list(store.FollowUpFilter{Serial: "SN-1", PageSize: 2})
	rest, last := list(store.FollowUpFilter{Serial: "SN-1", PageSize: 2, PageToken: next})
	if fmt.Sprint(page) != "[fu-1 fu-2]" || next == "" || fmt.Sprint(rest) != "[fu-0]" || last != "" {
		t.Errorf("pages = %v %q, %v %q", page, next, rest, last)
	}
	if err := db.Update(ctx, func(tx *bbolt.Tx) error {
		old := proto.Clone(fs[1]).(*ticketv1.FollowUp)
		done := proto.Clone(fs[1]).(*ticketv1.FollowUp)
		done.State = ticketv1.FollowUpState_FOLLOW_UP_STATE_DONE
		return store.PutFollowUp(tx, old, done)
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := list(store.FollowUpFilter{State: due1}); fmt.Sprint(got) != "[fu-2 fu-0]" {
		t.Errorf("DUE after a call = %v, want [fu-2 fu-0]", got)
	}
	if got, _ := list(store.FollowUpFilter{State: int32(ticketv1.FollowUpState_FOLLOW_UP_STATE_DONE)}); fmt.Sprint(got) != "[fu-1]" {
		t.Errorf("DONE = %v, want [fu-1]", got)
	}
	if got, next := list(store.FollowUpFilter{State: due1, DueBy: due0(2)}); fmt.Sprint(got) != "[fu-2]" || next != "" {
		t.Errorf("DUE by the 12th = %v %q, want [fu-2] and no token", got, next)
	}
	if got, _ := list(store.FollowUpFilter{TicketID: "t-2"}); fmt.Sprint(got) != "[fu-2]" {
		t.Errorf("ticket t-2 = %v, want [fu-2]", got)
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		if id := store.FollowUpSource(tx, "closed", "t-0", "0"); id != "fu-0" {
			t.Errorf("source = %q, want fu-0", id)
		}
		if id := store.FollowUpSource(tx, "closed", "t-0", "1"); id != "" {
			t.Errorf("second closure's source = %q, want none", id)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
