package inventory_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// TestOrderBy: a job's reservations by expire time and the outstanding returns by due and
// create time, read in small pages, are the whole lists sorted; a bad order_by is refused.
func TestOrderBy(t *testing.T) {
	e := start(t)
	pump := e.part("PUMP-1", func(p *inventoryv1.Part) {
		p.UnitCost = &typev1.Money{CurrencyCode: "CNY", AmountMinor: 100}
	})
	dealer := e.location("dealer", inventoryv1.LocationKind_LOCATION_KIND_DEALER, nil, func(l *inventoryv1.Location) { l.OrganisationId = "dealer-7" })
	e.receive(pump.GetId(), dealer.GetId(), 100)

	// Reservations of job-1, expiring in an order unlike their creation.
	var byExpire []string
	expires := map[string]time.Time{}
	for i := range 7 {
		exp := t0.Add(time.Duration(48+((i*5)%7)*3) * time.Hour)
		resp, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: e.rid(), JobId: "job-1", LocationId: dealer.GetId(),
			Lines: []*inventoryv1.ReservationLine{line(pump.GetId(), 1)}, ExpireTime: tsAt(exp)})
		if err != nil {
			t.Fatalf("ReserveParts: %v", err)
		}
		expires[resp.GetReservation().GetId()] = resp.GetReservation().GetExpireTime().AsTime()
		byExpire = append(byExpire, resp.GetReservation().GetId())
		e.clock.Advance(time.Minute)
	}
	slices.SortStableFunc(byExpire, func(a, b string) int { return expires[a].Compare(expires[b]) })
	listRes := func(orderBy string) []string {
		var out []string
		req := &inventoryv1.ListReservationsRequest{JobId: "job-1", PageSize: 2, OrderBy: orderBy}
		for range 100 {
			resp, err := e.c.ListReservations(e.ctx, req)
			if err != nil {
				t.Fatalf("ListReservations(%q): %v", orderBy, err)
			}
			for _, r := range resp.GetReservations() {
				out = append(out, r.GetId())
			}
			if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		return out
	}
	if got := listRes("expire_time"); !slices.Equal(got, byExpire) {
		t.Errorf("reservations by expire_time:\n got %v\nwant %v", got, byExpire)
	}
	created := listRes("")
	if got := listRes("create_time desc"); !slices.Equal(got, reversed(created)) {
		t.Errorf("reservations by create_time desc:\n got %v\nwant %v", got, reversed(created))
	}

	// Must-return old parts consumed at different times become outstanding.
	var returns []*inventoryv1.OldPartReturn
	for i := range 5 {
		r := e.reserve(fmt.Sprintf("job-r%d", i), dealer.GetId(), line(pump.GetId(), 1))
		cons, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId(),
			Lines: []*inventoryv1.ConsumedLine{{PartId: pump.GetId(), Quantity: 1, UnderWarranty: true}}})
		if err != nil || len(cons.GetMustReturn()) != 1 {
			t.Fatalf("ConsumeReservation = %v, %v", cons, err)
		}
		returns = append(returns, cons.GetMustReturn()[0])
		e.clock.Advance(time.Duration(5-i) * time.Hour)
	}
	e.clock.Advance(60 * 24 * time.Hour) // all overdue
	listRet := func(orderBy string) []string {
		var out []string
		req := &inventoryv1.ListOutstandingReturnsRequest{PageSize: 2, OrderBy: orderBy}
		for range 100 {
			resp, err := e.c.ListOutstandingReturns(e.ctx, req)
			if err != nil {
				t.Fatalf("ListOutstandingReturns(%q): %v", orderBy, err)
			}
			for _, r := range resp.GetReturns() {
				out = append(out, r.GetId())
			}
			if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		return out
	}
	var byDue []string
	for _, r := range returns {
		byDue = append(byDue, r.GetId())
	}
	if got := listRet(""); !slices.Equal(got, byDue) {
		t.Errorf("outstanding (due first):\n got %v\nwant %v", got, byDue)
	}
	if got := listRet("due_time desc"); !slices.Equal(got, reversed(slices.Clone(byDue))) {
		t.Errorf("outstanding by due_time desc:\n got %v\nwant %v", got, reversed(slices.Clone(byDue)))
	}
	if got := listRet("create_time"); !slices.Equal(got, byDue) {
		t.Errorf("outstanding by create_time:\n got %v\nwant %v", got, byDue)
	}

	for _, bad := range []string{"serial", "due_time sideways"} {
		_, err := e.c.ListOutstandingReturns(e.ctx, &inventoryv1.ListOutstandingReturnsRequest{OrderBy: bad})
		wantCode(t, err, codes.InvalidArgument)
		_, err = e.c.ListReservations(e.ctx, &inventoryv1.ListReservationsRequest{JobId: "job-1", OrderBy: bad})
		wantCode(t, err, codes.InvalidArgument)
	}
}

func reversed[T any](s []T) []T {
	s = slices.Clone(s)
	slices.Reverse(s)
	return s
}
