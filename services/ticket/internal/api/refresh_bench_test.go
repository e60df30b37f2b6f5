package api

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/bolttest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// BenchmarkRefresh measures the read side of a ticket's clocks (GetTicket's refresh): two
// working-time clocks on the "default" calendar, figures recomputed at now.
func BenchmarkRefresh(b *testing.B) {
	db := bolttest.Open(b, store.Schema())
	now := svctest.Now()
	if err := db.Update(context.Background(), func(tx *bbolt.Tx) error {
		return store.PutCalendar(tx, defaultCalendar(now))
	}); err != nil {
		b.Fatal(err)
	}
	start := now.Add(-30 * time.Hour)
	clock := func(name string, target time.Duration) *ticketv1.SlaClock {
		return &ticketv1.SlaClock{Name: name, Metric: ticketv1.SlaMetric(1), Audience: ticketv1.SlaAudience_SLA_AUDIENCE_CUSTOMER,
			Basis: ticketv1.SlaBasis(2), Target: durationpb.New(target), WarnFraction: 0.8,
			History: []*ticketv1.ClockTransition{{Action: ticketv1.ClockAction(1), Time: timestamppb.New(start)}}}
	}
	tk := &ticketv1.Ticket{Id: "T1", Clocks: []*ticketv1.SlaClock{clock("response", 4*time.Hour), clock("resolution", 40*time.Hour)}}
	s := &Server{}
	b.ReportAllocs()
	b.ResetTimer()
	if err := db.View(func(tx *bbolt.Tx) error {
		for range b.N {
			if err := s.refresh(tx, tk, now, false); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRefreshElapsed is BenchmarkRefresh with two elapsed-time (7×24) clocks.
func BenchmarkRefreshElapsed(b *testing.B) {
	db := bolttest.Open(b, store.Schema())
	now := svctest.Now()
	start := now.Add(-30 * time.Hour)
	clock := func(name string, target time.Duration) *ticketv1.SlaClock {
		return &ticketv1.SlaClock{Name: name, Metric: ticketv1.SlaMetric(1), Audience: ticketv1.SlaAudience_SLA_AUDIENCE_CUSTOMER,
			Basis: ticketv1.SlaBasis(1), Target: durationpb.New(target), WarnFraction: 0.8,
			History: []*ticketv1.ClockTransition{{Action: ticketv1.ClockAction(1), Time: timestamppb.New(start)}}}
	}
	tk := &ticketv1.Ticket{Id: "T1", Clocks: []*ticketv1.SlaClock{clock("response", 4*time.Hour), clock("resolution", 40*time.Hour)}}
	s := &Server{}
	b.ReportAllocs()
	b.ResetTimer()
	if err := db.View(func(tx *bbolt.Tx) error {
		for range b.N {
			if err := s.refresh(tx, tk, now, false); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}
