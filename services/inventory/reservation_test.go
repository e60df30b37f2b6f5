package inventory_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
)

func TestReserveConsumePartially(t *testing.T) {
	e := start(t)
	filter := e.part("FLT-1")
	belt := e.part("BLT-1")
	van := e.location("van1", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(filter.GetId(), van.GetId(), 10)
	e.receive(belt.GetId(), van.GetId(), 4)

	r := e.reserve("job-1", van.GetId(), line(filter.GetId(), 3), line(belt.GetId(), 2))
	if r.GetState() != inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE || !r.GetExpireTime().AsTime().Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("ReserveParts = %v, want ACTIVE expiring after the 72h default hold", r)
	}
	e.wantBalance(filter.GetId(), van.GetId(), 10, 3)
	e.wantBalance(belt.GetId(), van.GetId(), 4, 2)

	consume := &inventoryv1.ConsumeReservationRequest{RequestId: "visit-1:consume", ReservationId: r.GetId(),
		Lines: []*inventoryv1.ConsumedLine{{PartId: filter.GetId(), Quantity: 1, UnderWarranty: true}}}
	resp, err := e.c.ConsumeReservation(e.ctx, consume)
	if err != nil {
		t.Fatalf("ConsumeReservation: %v", err)
	}
	retry, err := e.c.ConsumeReservation(e.ctx, consume) // a retry answers the same and consumes once
	if err != nil || retry.GetMustReturn()[0].GetId() != resp.GetMustReturn()[0].GetId() {
		t.Fatalf("ConsumeReservation retry = %v, %v; want the first answer", retry, err)
	}
	if resp.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_CONSUMED {
		t.Fatalf("state = %s, want CONSUMED", resp.GetReservation().GetState())
	}
	if len(resp.GetMustReturn()) != 1 || resp.GetMustReturn()[0].GetState() != inventoryv1.ReturnState_RETURN_STATE_AWAITING_RETURN {
		t.Fatalf("must return = %v, want one AWAITING_RETURN", resp.GetMustReturn())
	}
	// 1 filter consumed, 2 filters and both belts released.
	e.wantBalance(filter.GetId(), van.GetId(), 9, 0)
	e.wantBalance(belt.GetId(), van.GetId(), 4, 0)
	// receipts 2 + reserves 2 + consume 1 + release 2.
	if n := e.verify(); n != 7 {
		t.Fatalf("ledger has %d movements, want 7", n)
	}

	_, err = e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId()})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{RequestId: e.rid(), ReservationId: r.GetId()})
	wantCode(t, err, codes.FailedPrecondition)
}

func TestConsumeRules(t *testing.T) {
	e := start(t)
	a := e.part("A")
	tracked := e.part("S", func(p *inventoryv1.Part) { p.SerialTracked = true })
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 5)
	if _, err := e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{RequestId: e.rid(), PartId: tracked.GetId(), LocationId: van.GetId(),
		Quantity: 2, ReceivingNote: "RN", Serials: []string{"s1", "s2"}}); err != nil {
		t.Fatalf("ReceiveStock: %v", err)
	}
	r := e.reserve("job", van.GetId(), line(a.GetId(), 2), line(tracked.GetId(), 1))
	tests := []struct {
		name  string
		lines []*inventoryv1.ConsumedLine
		code  codes.Code
		msg   string
	}{
		{"more than reserved", []*inventoryv1.ConsumedLine{{PartId: a.GetId(), Quantity: 3}}, codes.FailedPrecondition, "only 2 reserved"},
		{"part not reserved", []*inventoryv1.ConsumedLine{{PartId: "nope", Quantity: 1}}, codes.FailedPrecondition, "not on the reservation"},
		{"serial missing", []*inventoryv1.ConsumedLine{{PartId: tracked.GetId(), Quantity: 1}}, codes.InvalidArgument, "lines[0].serials"},
		{"negative", []*inventoryv1.ConsumedLine{{PartId: a.GetId(), Quantity: -1}}, codes.InvalidArgument, "lines[0].quantity"},
		{"twice", []*inventoryv1.ConsumedLine{{PartId: a.GetId(), Quantity: 1}, {PartId: a.GetId(), Quantity: 1}}, codes.InvalidArgument, "listed twice"},
	}
	before := e.movementCount()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId(), Lines: tt.lines})
			wantCode(t, err, tt.code)
			if !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Fatalf("message %q does not mention %q", status.Convert(err).Message(), tt.msg)
			}
		})
	}
	if after := e.movementCount(); after != before {
		t.Fatalf("refused consumptions booked %d movements", after-before)
	}
	resp, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId(),
		Lines: []*inventoryv1.ConsumedLine{{PartId: tracked.GetId(), Quantity: 1, Serials: []string{"s2"}, UnderWarranty: true}}})
	if err != nil {
		t.Fatalf("ConsumeReservation: %v", err)
	}
	if got := resp.GetMustReturn()[0].GetReplacementSerial(); got != "s2" {
		t.Fatalf("replacement serial = %q, want s2", got)
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 0)
	e.wantBalance(tracked.GetId(), van.GetId(), 1, 0)
	e.verify()
}

func TestReserveAllOrNothing(t *testing.T) {
	e := start(t)
	a, b := e.part("A"), e.part("B")
	st := e.location("station", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil)
	e.receive(a.GetId(), st.GetId(), 5)
	e.receive(b.GetId(), st.GetId(), 1)
	before := e.movementCount()
	_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: "j", LocationId: st.GetId(),
		Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 5), line(b.GetId(), 2)}})
	wantCode(t, err, codes.FailedPrecondition)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "insufficient stock") || !strings.Contains(msg, b.GetId()) {
		t.Fatalf("message %q should name the short part", msg)
	}
	e.wantBalance(a.GetId(), st.GetId(), 5, 0)
	e.wantBalance(b.GetId(), st.GetId(), 1, 0)
	if after := e.movementCount(); after != before {
		t.Fatalf("refused reservation booked %d movements", after-before)
	}
	list, err := e.c.ListReservations(e.ctx, &inventoryv1.ListReservationsRequest{JobId: "j"})
	if err != nil || len(list.GetReservations()) != 0 {
		t.Fatalf("ListReservations = %v, %v; want none", list, err)
	}
}

func TestReserveIsIdempotent(t *testing.T) {
	e := start(t)
	a := e.part("A")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 5)
	req := &inventoryv1.ReservePartsRequest{RequestId: "dispatch:job-7:reserve", JobId: "job-7", LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 2)}}
	first, err := e.c.ReserveParts(e.ctx, req)
	if err != nil {
		t.Fatalf("ReserveParts: %v", err)
	}
	e.clock.Advance(time.Minute)
	again, err := e.c.ReserveParts(e.ctx, req)
	if err != nil {
		t.Fatalf("ReserveParts retry: %v", err)
	}
	if again.GetReservation().GetId() != first.GetReservation().GetId() {
		t.Fatalf("retry made reservation %s, first was %s", again.GetReservation().GetId(), first.GetReservation().GetId())
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 2)
	req.Lines[0].Quantity = 3
	_, err = e.c.ReserveParts(e.ctx, req)
	wantCode(t, err, codes.InvalidArgument)
	if !strings.Contains(status.Convert(err).Message(), "request_id") {
		t.Fatalf("message %q should name request_id", status.Convert(err).Message())
	}
	// Releasing by job twice with the same request releases once and answers the same.
	rel := &inventoryv1.ReleaseReservationRequest{RequestId: "rel-1", JobId: "job-7"}
	r1, err := e.c.ReleaseReservation(e.ctx, rel)
	if err != nil || len(r1.GetReservations()) != 1 {
		t.Fatalf("ReleaseReservation = %v, %v; want one released", r1, err)
	}
	r2, err := e.c.ReleaseReservation(e.ctx, rel)
	if err != nil || len(r2.GetReservations()) != 1 {
		t.Fatalf("ReleaseReservation retry = %v, %v; want the first answer", r2, err)
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 0)
	e.verify()
}

func TestReservationExpiry(t *testing.T) {
	e := start(t)
	a := e.part("A")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 5)
	short, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: "j1", LocationId: van.GetId(),
		Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}, ExpireTime: timestamppb.New(t0.Add(time.Hour))})
	if err != nil {
		t.Fatalf("ReserveParts: %v", err)
	}
	long := e.reserve("j2", van.GetId(), line(a.GetId(), 2)) // default hold 72h
	e.wantBalance(a.GetId(), van.GetId(), 5, 3)

	e.clock.Set(t0.Add(time.Hour - time.Second))
	if _, err := e.run.Platform.Timers.FireDue(e.ctx); err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 3)

	e.clock.Set(t0.Add(time.Hour))
	if _, err := e.run.Platform.Timers.FireDue(e.ctx); err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	got, err := e.c.GetReservation(e.ctx, &inventoryv1.GetReservationRequest{ReservationId: short.GetReservation().GetId()})
	if err != nil || got.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_EXPIRED {
		t.Fatalf("GetReservation = %v, %v; want EXPIRED", got, err)
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 2)
	// Releasing an expired reservation is a no-op: its stock is already back.
	rel, err := e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{RequestId: e.rid(), ReservationId: short.GetReservation().GetId()})
	if err != nil || len(rel.GetReservations()) != 0 {
		t.Fatalf("ReleaseReservation(expired) = %v, %v; want a no-op", rel, err)
	}
	e.wantBalance(a.GetId(), van.GetId(), 5, 2)

	// A consumed reservation does not expire later.
	if _, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: long.GetId(),
		Lines: []*inventoryv1.ConsumedLine{{PartId: a.GetId(), Quantity: 2}}}); err != nil {
		t.Fatalf("ConsumeReservation: %v", err)
	}
	e.clock.Set(t0.Add(73 * time.Hour))
	if _, err := e.run.Platform.Timers.FireDue(e.ctx); err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	got, _ = e.c.GetReservation(e.ctx, &inventoryv1.GetReservationRequest{ReservationId: long.GetId()})
	if got.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_CONSUMED {
		t.Fatalf("state = %s, want CONSUMED", got.GetReservation().GetState())
	}
	e.wantBalance(a.GetId(), van.GetId(), 3, 0)
	e.verify()

	// Expiry bounds.
	for _, exp := range []time.Time{t0.Add(73 * time.Hour), t0.Add(73*time.Hour + 31*24*time.Hour)} {
		_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: "j3", LocationId: van.GetId(),
			Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}, ExpireTime: timestamppb.New(exp)})
		wantCode(t, err, codes.InvalidArgument)
	}
}

func TestJobCancelledReleasesReservations(t *testing.T) {
	e := start(t)
	a := e.part("A")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 5)
	r1 := e.reserve("job-c", van.GetId(), line(a.GetId(), 1))
	r2 := e.reserve("job-c", van.GetId(), line(a.GetId(), 2))
	other := e.reserve("job-other", van.GetId(), line(a.GetId(), 1))
	e.wantBalance(a.GetId(), van.GetId(), 5, 4)

	js := e.run.Platform.JS
	body, err := protojson.Marshal(&dispatchv1.JobCancelled{Job: &dispatchv1.Job{Id: "job-c"}, Reason: "customer fixed it"})
	if err != nil {
		t.Fatal(err)
	}
	msg := events.NewMsg("sanbao.dispatch.v1.job.cancelled", events.Message{ID: "ev-1", Source: "/sanbao/dispatch",
		Type: "sanbao.dispatch.v1.JobCancelled", Resource: "jobs/job-c", Time: t0, Data: body})
	for i := 0; i < 2; i++ { // a duplicate delivery changes nothing
		if _, err := js.PublishMsg(context.Background(), msg); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		for _, id := range []string{r1.GetId(), r2.GetId()} {
			got, err := e.c.GetReservation(e.ctx, &inventoryv1.GetReservationRequest{ReservationId: id})
			if err != nil {
				return err
			}
			if got.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_RELEASED {
				return status.Errorf(codes.Unknown, "reservation %s is %s", id, got.GetReservation().GetState())
			}
		}
		return nil
	})
	e.wantBalance(a.GetId(), van.GetId(), 5, 1)
	got, _ := e.c.GetReservation(e.ctx, &inventoryv1.GetReservationRequest{ReservationId: other.GetId()})
	if got.GetReservation().GetState() != inventoryv1.ReservationState_RESERVATION_STATE_ACTIVE {
		t.Fatalf("other job's reservation is %s, want ACTIVE", got.GetReservation().GetState())
	}
	e.verify()
}

// TestNULInJobIDCannotReachAnotherJob: "JOBA\x00victim" once wrote index keys under job JOBA's
// prefix, so JOBA's reservations could no longer be listed or released by job.
func TestNULInJobIDCannotReachAnotherJob(t *testing.T) {
	e := start(t)
	a := e.part("A")
	st := e.location("station", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil)
	e.receive(a.GetId(), st.GetId(), 5)
	e.reserve("JOBA", st.GetId(), line(a.GetId(), 1))
	_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: "JOBA\x00victim", LocationId: st.GetId(),
		Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}})
	wantCode(t, err, codes.InvalidArgument)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "job_id") {
		t.Fatalf("ReserveParts(job_id with NUL) message %q should name job_id", msg)
	}
	for _, id := range []string{"JOBA\x00victim", "JOBA\x00", "JOBA\n"} {
		_, err := e.c.ListReservations(e.ctx, &inventoryv1.ListReservationsRequest{JobId: id})
		wantCode(t, err, codes.InvalidArgument)
		_, err = e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{RequestId: e.rid(), JobId: id})
		wantCode(t, err, codes.InvalidArgument)
	}
	list, err := e.c.ListReservations(e.ctx, &inventoryv1.ListReservationsRequest{JobId: "JOBA"})
	if err != nil || len(list.GetReservations()) != 1 {
		t.Fatalf("ListReservations(JOBA) = %v, %v; want its one reservation", list, err)
	}
	if _, err := e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{RequestId: e.rid(), JobId: "JOBA"}); err != nil {
		t.Fatalf("ReleaseReservation(JOBA) = %v", err)
	}
	e.wantBalance(a.GetId(), st.GetId(), 5, 0)
	e.verify()
}
