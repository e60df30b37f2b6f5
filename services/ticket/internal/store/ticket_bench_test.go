package store_test

import (
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// BenchmarkPutTicketUpdate measures the save of a ticket whose indexed fields and KPI facts did
// not change (a note, a clock figure, a job's progress): the common save in a lifecycle.
func BenchmarkPutTicketUpdate(b *testing.B) {
	db := bolttest.Open(b, store.Schema())
	old := mk(1, ticketv1.TicketState_TICKET_STATE_RECEIVED, "c1")
	old.Unit = &ticketv1.Unit{Serial: "SN1", ProductLine: "washer"}
	old.Customer.Address = &typev1.Address{Region: "east"}
	b.ReportAllocs()
	if err := db.Bolt().Update(func(tx *bbolt.Tx) error {
		if err := store.PutTicket(tx, nil, old, facts); err != nil {
			return err
		}
		b.ResetTimer()
		for i := range b.N {
			nt := proto.Clone(old).(*ticketv1.Ticket)
			nt.UpdateTime = timestamppb.New(t0.Add(timeStep(i)))
			if err := store.PutTicket(tx, old, nt, facts); err != nil {
				return err
			}
			old = nt
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

func timeStep(i int) time.Duration { return time.Duration(i) * time.Second }
