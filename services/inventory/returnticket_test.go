package inventory_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/events"
)

// TestReturnsCarryTheTicket: an old-part return made by consuming a reservation for a ticket
// names that ticket, and its events carry it as sanbaoticket, so an integrator following the
// ticket finds them.
func TestReturnsCarryTheTicket(t *testing.T) {
	e := start(t)
	pump := e.part("PUMP-T")
	// A van's stock goes out directly (a store's waits for an approved requisition).
	st := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(pump.GetId(), st.GetId(), 2)
	nc, err := nats.Connect(e.run.NATS.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("sanbao.inventory.v1.return.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	res, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: "job-t", TicketId: "ticket-t",
		LocationId: st.GetId(), Lines: []*inventoryv1.ReservationLine{line(pump.GetId(), 1)}})
	if err != nil {
		t.Fatal(err)
	}
	cons, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: res.GetReservation().GetId(),
		Lines: []*inventoryv1.ConsumedLine{{PartId: pump.GetId(), Quantity: 1, UnderWarranty: true}}})
	if err != nil || len(cons.GetMustReturn()) != 1 {
		t.Fatalf("ConsumeReservation = %v, %v", cons, err)
	}
	if got := cons.GetMustReturn()[0].GetTicketId(); got != "ticket-t" {
		t.Errorf("return ticket_id = %q, want ticket-t", got)
	}
	if _, err := e.c.ReturnOldPart(context.Background(), &inventoryv1.ReturnOldPartRequest{RequestId: e.rid(), JobId: "job-t",
		PartId: pump.GetId(), Reason: "seal worn"}); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no return event: %v", err)
	}
	if got := m.Header.Get(events.HeaderTicket); got != "ticket-t" {
		t.Errorf("%s: ce-sanbaoticket = %q, want ticket-t", m.Subject, got)
	}
}
