package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

// TestExpirySurvivesRestart: the expiry timer is durable; a reservation made before a restart
// expires after it.
func TestExpirySurvivesRestart(t *testing.T) {
	e := start(t)
	a := e.part("A")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 5)
	r := e.reserve("job", van.GetId(), line(a.GetId(), 2))
	e.restart()
	e.wantBalance(a.GetId(), van.GetId(), 5, 2)
	e.clock.Advance(72 * time.Hour)
	if _, err := e.run.Platform.Timers.FireDue(e.ctx); err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	got, err := e.c.GetReservation(e.ctx, &inventoryv1.GetReservationRequest{ReservationId: r.GetId()})
	if err != nil || got.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_EXPIRED {
		t.Fatalf("GetReservation after restart and expiry = %v, %v; want EXPIRED", got, err)
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 0)
	e.verify()
}

// TestNATSDownDoesNotFailCalls: with NATS away a reservation still commits, and its event is
// published once NATS is back (transactional outbox).
func TestNATSDownDoesNotFailCalls(t *testing.T) {
	e := start(t)
	a := e.part("A")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 5)
	e.run.NATS.Shutdown()
	r := e.reserve("job-offline", van.GetId(), line(a.GetId(), 1))
	e.wantBalance(a.GetId(), van.GetId(), 5, 1)
	e.run.NATS.Restart()

	nc, err := nats.Connect(e.run.NATS.URL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 20*time.Second, func() error {
		e.run.Platform.Notify()
		s, err := js.Stream(context.Background(), "INVENTORY")
		if err != nil {
			return err
		}
		m, err := s.GetLastMsgForSubject(context.Background(), "sanbao.inventory.v1.reservation.created")
		if err != nil {
			return err
		}
		if got := m.Header.Get("ce-subject"); got != "reservations/"+r.GetId() {
			t.Fatalf("ce-subject = %q, want reservations/%s", got, r.GetId())
		}
		return nil
	})
}
