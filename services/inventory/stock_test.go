package inventory_test

import (
	"google.golang.org/protobuf/proto"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

func TestGetStockNearestFirst(t *testing.T) {
	e := start(t)
	a := e.part("A")
	jinan := &typev1.GeoPoint{Latitude: 36.6512, Longitude: 117.1201}
	qingdao := e.location("qingdao", inventoryv1.LocationKind_LOCATION_KIND_STATION, &typev1.GeoPoint{Latitude: 36.0671, Longitude: 120.3826})
	zibo := e.location("zibo", inventoryv1.LocationKind_LOCATION_KIND_VAN, &typev1.GeoPoint{Latitude: 36.8131, Longitude: 118.0549})
	beijing := e.location("beijing", inventoryv1.LocationKind_LOCATION_KIND_CENTRAL, &typev1.GeoPoint{Latitude: 39.9042, Longitude: 116.4074})
	nowhere := e.location("nowhere", inventoryv1.LocationKind_LOCATION_KIND_DEALER, nil)
	e.location("empty", inventoryv1.LocationKind_LOCATION_KIND_STATION, jinan)
	for _, l := range []*inventoryv1.Location{qingdao, zibo, beijing, nowhere} {
		e.receive(a.GetId(), l.GetId(), 3)
	}
	e.reserve("j", zibo.GetId(), line(a.GetId(), 3))

	tests := []struct {
		name string
		req  *inventoryv1.GetStockRequest
		want []string
	}{
		{"nearest first, no point last", &inventoryv1.GetStockRequest{Near: jinan}, []string{"zibo", "qingdao", "beijing", "nowhere"}},
		{"only available", &inventoryv1.GetStockRequest{Near: jinan, MinAvailable: 1}, []string{"qingdao", "beijing", "nowhere"}},
		{"within 100 km", &inventoryv1.GetStockRequest{Near: jinan, MaxDistanceKm: 100}, []string{"zibo"}},
		{"kinds", &inventoryv1.GetStockRequest{Near: jinan, LocationKinds: []inventoryv1.LocationKind{inventoryv1.LocationKind_LOCATION_KIND_CENTRAL, inventoryv1.LocationKind_LOCATION_KIND_STATION}}, []string{"qingdao", "beijing"}},
		{"limit", &inventoryv1.GetStockRequest{Near: jinan, Limit: 2}, []string{"zibo", "qingdao"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.PartId = a.GetId()
			resp, err := e.c.GetStock(e.ctx, tt.req)
			if err != nil {
				t.Fatalf("GetStock: %v", err)
			}
			var got []string
			for _, l := range resp.GetLevels() {
				got = append(got, l.GetLocation().GetName())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("GetStock(%v) = %v, want %v", tt.req, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("GetStock(%v) = %v, want %v", tt.req, got, tt.want)
				}
			}
			if resp.GetTotalOnHand() != 12 || resp.GetTotalReserved() != 3 || resp.GetTotalAvailable() != 9 {
				t.Fatalf("totals = %d/%d/%d, want 12/3/9", resp.GetTotalOnHand(), resp.GetTotalReserved(), resp.GetTotalAvailable())
			}
		})
	}
	resp, _ := e.c.GetStock(e.ctx, &inventoryv1.GetStockRequest{PartId: a.GetId(), Near: jinan})
	if d := resp.GetLevels()[0].GetDistanceKm(); d < 70 || d > 90 {
		t.Fatalf("Jinan–Zibo distance = %.1f km, want about 84", d)
	}
	if d := resp.GetLevels()[3].GetDistanceKm(); d != -1 {
		t.Fatalf("distance of a location without a point = %v, want -1", d)
	}
	_, err := e.c.GetStock(e.ctx, &inventoryv1.GetStockRequest{PartId: "nope"})
	wantCode(t, err, codes.NotFound)
}

func TestRequisitions(t *testing.T) {
	e := start(t)
	a, b := e.part("A"), e.part("B")
	st := e.location("station", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil)
	e.receive(a.GetId(), st.GetId(), 5)
	e.receive(b.GetId(), st.GetId(), 1)
	create := func(lines ...*inventoryv1.RequisitionLine) *inventoryv1.Requisition {
		t.Helper()
		resp, err := e.c.CreateRequisition(e.ctx, &inventoryv1.CreateRequisitionRequest{RequestId: e.rid(), LocationId: st.GetId(), Lines: lines, Purpose: "workshop", RequesterId: "u1"})
		if err != nil {
			t.Fatalf("CreateRequisition: %v", err)
		}
		return resp.GetRequisition()
	}
	issue := func(id string) error {
		_, err := e.c.IssueRequisition(e.ctx, &inventoryv1.IssueRequisitionRequest{RequestId: e.rid(), RequisitionId: id})
		return err
	}
	r := create(&inventoryv1.RequisitionLine{PartId: a.GetId(), Quantity: 2}, &inventoryv1.RequisitionLine{PartId: b.GetId(), Quantity: 1})
	wantCode(t, issue(r.GetId()), codes.FailedPrecondition) // not approved yet
	_, err := e.c.ApproveRequisition(e.ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: e.rid(), RequisitionId: r.GetId(), ApproverId: "u1"})
	wantCode(t, err, codes.PermissionDenied) // own requisition
	ap, err := e.c.ApproveRequisition(e.ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: e.rid(), RequisitionId: r.GetId(), ApproverId: "mgr"})
	if err != nil || ap.GetRequisition().GetState() != inventoryv1.RequisitionState_REQUISITION_STATE_APPROVED {
		t.Fatalf("ApproveRequisition = %v, %v", ap, err)
	}
	if err := issue(r.GetId()); err != nil {
		t.Fatalf("IssueRequisition: %v", err)
	}
	e.wantBalance(a.GetId(), st.GetId(), 3, 0)
	e.wantBalance(b.GetId(), st.GetId(), 0, 0)
	wantCode(t, issue(r.GetId()), codes.FailedPrecondition) // already issued

	// Short at issue time: nothing is issued and the requisition stays APPROVED.
	short := create(&inventoryv1.RequisitionLine{PartId: a.GetId(), Quantity: 1}, &inventoryv1.RequisitionLine{PartId: b.GetId(), Quantity: 1})
	if _, err := e.c.ApproveRequisition(e.ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: e.rid(), RequisitionId: short.GetId(), ApproverId: "mgr"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, issue(short.GetId()), codes.FailedPrecondition)
	e.wantBalance(a.GetId(), st.GetId(), 3, 0)
	got, _ := e.c.GetRequisition(e.ctx, &inventoryv1.GetRequisitionRequest{RequisitionId: short.GetId()})
	if got.GetRequisition().GetState() != inventoryv1.RequisitionState_REQUISITION_STATE_APPROVED {
		t.Fatalf("state after a short issue = %s, want APPROVED", got.GetRequisition().GetState())
	}

	rej := create(&inventoryv1.RequisitionLine{PartId: a.GetId(), Quantity: 1})
	if _, err := e.c.RejectRequisition(e.ctx, &inventoryv1.RejectRequisitionRequest{RequestId: e.rid(), RequisitionId: rej.GetId(), ApproverId: "mgr", Note: "use the reusable store"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.c.ApproveRequisition(e.ctx, &inventoryv1.ApproveRequisitionRequest{RequestId: e.rid(), RequisitionId: rej.GetId(), ApproverId: "mgr"})
	wantCode(t, err, codes.FailedPrecondition)
	wantCode(t, issue(rej.GetId()), codes.FailedPrecondition)

	list, err := e.c.ListRequisitions(e.ctx, &inventoryv1.ListRequisitionsRequest{LocationId: st.GetId(), State: inventoryv1.RequisitionState_REQUISITION_STATE_APPROVED})
	if err != nil || len(list.GetRequisitions()) != 1 || list.GetRequisitions()[0].GetId() != short.GetId() {
		t.Fatalf("ListRequisitions(APPROVED) = %v, %v", list, err)
	}
	e.verify()
}

func TestSuggestReorders(t *testing.T) {
	e := start(t)
	evs := e.collect()
	a := e.part("A")
	slow := e.part("SLOW", func(p *inventoryv1.Part) { p.LeadTimeDays = 14; p.MinOrderQuantity = 25 })
	st := e.location("station", inventoryv1.LocationKind_LOCATION_KIND_STATION, nil)
	e.receive(a.GetId(), st.GetId(), 104)
	e.receive(slow.GetId(), st.GetId(), 50)
	// 90 units of A used over the window (one a day) through jobs; 2 units of SLOW.
	for day := 0; day < 90; day++ {
		e.clock.Set(t0.Add(time.Duration(day) * 24 * time.Hour))
		r := e.reserve("job", st.GetId(), line(a.GetId(), 1))
		if _, err := e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: e.rid(), ReservationId: r.GetId(),
			Lines: []*inventoryv1.ConsumedLine{{PartId: a.GetId(), Quantity: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Set(t0.Add(89*24*time.Hour + time.Hour))
	// a=1/day: SS=7, ROP=7+7=14; available 14 → below; Q = 14+30-14 = 30.
	resp, err := e.c.SuggestReorders(e.ctx, &inventoryv1.SuggestReordersRequest{LocationId: st.GetId(), IncludeAll: true})
	if err != nil {
		t.Fatalf("SuggestReorders: %v", err)
	}
	byPart := map[string]*inventoryv1.ReorderSuggestion{}
	for _, s := range resp.GetSuggestions() {
		byPart[s.GetPartId()] = s
	}
	sa := byPart[a.GetId()]
	if sa.GetWindowDemand() != 90 || sa.GetReorderPoint() != 14 || sa.GetSafetyStock() != 7 || sa.GetOrderQuantity() != 30 || !sa.GetBelowReorderPoint() || sa.GetAvailable() != 14 {
		t.Fatalf("suggestion for A = %v", sa)
	}
	if ss := byPart[slow.GetId()]; ss.GetBelowReorderPoint() || ss.GetOrderQuantity() != 0 || ss.GetLeadTimeDays() != 14 {
		t.Fatalf("suggestion for SLOW = %v", ss)
	}
	only, err := e.c.SuggestReorders(e.ctx, &inventoryv1.SuggestReordersRequest{})
	if err != nil || len(only.GetSuggestions()) != 1 || only.GetSuggestions()[0].GetPartId() != a.GetId() {
		t.Fatalf("SuggestReorders() = %v, %v; want only A", only, err)
	}
	// Crossing the reorder point was published once (the later movements stayed below it).
	evs.wait(t, "sanbao.inventory.v1.reservation.consumed", 90)
	below := evs.wait(t, "sanbao.inventory.v1.stock.below_reorder_point", 1)
	if len(below) != 1 {
		t.Fatalf("%d below-reorder-point events, want 1", len(below))
	}
	ev := &inventoryv1.BelowReorderPoint{}
	if err := below[0].Decode(ev); err != nil || ev.GetSuggestion().GetPartId() != a.GetId() {
		t.Fatalf("BelowReorderPoint = %v, %v", ev, err)
	}
	// Demand older than the window no longer counts.
	later, err := e.c.SuggestReorders(e.ctx, &inventoryv1.SuggestReordersRequest{PartId: a.GetId(), IncludeAll: true, AsOfTime: tsAt(t0.Add(200 * 24 * time.Hour))})
	if err != nil || later.GetSuggestions()[0].GetWindowDemand() != 0 || later.GetSuggestions()[0].GetBelowReorderPoint() {
		t.Fatalf("SuggestReorders(200 days later) = %v, %v", later, err)
	}
	e.verify()
}

func TestStockingPlans(t *testing.T) {
	e := start(t)
	a, b := e.part("A"), e.part("B")
	dealer := e.location("dealer", inventoryv1.LocationKind_LOCATION_KIND_DEALER, nil)
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), dealer.GetId(), 8)
	e.receive(b.GetId(), dealer.GetId(), 20)
	plan := func(loc string, season *typev1.Date) (*inventoryv1.StockingPlan, error) {
		resp, err := e.c.SubmitStockingPlan(e.ctx, &inventoryv1.SubmitStockingPlanRequest{RequestId: e.rid(), Plan: &inventoryv1.StockingPlan{
			LocationId: loc, Season: "spring ploughing", SeasonStart: season,
			Lines: []*inventoryv1.StockingPlanLine{{PartId: a.GetId(), Quantity: 10}, {PartId: b.GetId(), Quantity: 15}},
		}})
		return resp.GetPlan(), err
	}
	// t0 is 09:00 in UTC+8: a season starting 30 days after its date is exactly 30 days ahead.
	onTime, err := plan(dealer.GetId(), day(30))
	if err != nil || onTime.GetLate() || !proto.Equal(onTime.GetDueDate(), day(0)) {
		t.Fatalf("plan 30 days ahead = %v, %v; want on time, due %v", onTime, err, day(0))
	}
	late, err := plan(dealer.GetId(), day(29))
	if err != nil || !late.GetLate() {
		t.Fatalf("plan 29 days ahead = %v, %v; want late", late, err)
	}
	_, err = plan(van.GetId(), day(98))
	wantCode(t, err, codes.FailedPrecondition)
	_, err = plan(dealer.GetId(), &typev1.Date{Year: 2027, Month: 2, Day: 30})
	wantCode(t, err, codes.InvalidArgument)

	cmp, err := e.c.CompareStockingPlan(e.ctx, &inventoryv1.CompareStockingPlanRequest{PlanId: onTime.GetId()})
	if err != nil {
		t.Fatalf("CompareStockingPlan: %v", err)
	}
	if cmp.GetTotalShortfall() != 2 || cmp.GetLines()[0].GetShortfall() != 2 || cmp.GetLines()[1].GetShortfall() != 0 || cmp.GetLines()[1].GetOnHand() != 20 {
		t.Fatalf("CompareStockingPlan = %v", cmp)
	}
}
