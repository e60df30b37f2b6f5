package inventory_test

import (
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
)

// TestConcurrentLedgerProperty runs random movements from concurrent gRPC callers and then
// checks that the balances equal the sums of the ledger and that nothing was ever negative:
// once by replaying the ledger in the store, once by summing ListMovements against GetStock.
func TestConcurrentLedgerProperty(t *testing.T) {
	e := start(t)
	var parts, locs []string
	for i := 0; i < 3; i++ {
		parts = append(parts, e.part(fmt.Sprintf("P%d", i)).GetId())
	}
	for i := 0; i < 3; i++ {
		locs = append(locs, e.location(fmt.Sprintf("v%d", i), inventoryv1.LocationKind_LOCATION_KIND_VAN, nil).GetId())
	}
	const workers, ops = 8, 120
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(1000 + w)))
			var mine []string // this worker's reservations
			for i := 0; i < ops; i++ {
				p, l := parts[r.Intn(len(parts))], locs[r.Intn(len(locs))]
				q := int64(r.Intn(4) + 1)
				rid := fmt.Sprintf("w%d-%d", w, i)
				var err error
				switch op := r.Intn(7); op {
				case 0:
					_, err = e.c.ReceiveStock(e.ctx, &inventoryv1.ReceiveStockRequest{RequestId: rid, PartId: p, LocationId: l, Quantity: q, ReceivingNote: "RN"})
				case 1, 2:
					lines := []*inventoryv1.ReservationLine{line(p, q)}
					if p2 := parts[r.Intn(len(parts))]; p2 != p {
						lines = append(lines, line(p2, 1))
					}
					var resp *inventoryv1.ReservePartsResponse
					resp, err = e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: rid, JobId: fmt.Sprintf("job-%d", w), LocationId: l, Lines: lines})
					if err == nil {
						mine = append(mine, resp.GetReservation().GetId())
					}
				case 3:
					if len(mine) > 0 {
						id := mine[0]
						mine = mine[1:]
						_, err = e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{RequestId: rid, ReservationId: id})
					}
				case 4:
					if len(mine) > 0 {
						id := mine[0]
						mine = mine[1:]
						var got *inventoryv1.GetReservationResponse
						if got, err = e.c.GetReservation(e.ctx, &inventoryv1.GetReservationRequest{ReservationId: id}); err == nil {
							first := got.GetReservation().GetLines()[0]
							_, err = e.c.ConsumeReservation(e.ctx, &inventoryv1.ConsumeReservationRequest{RequestId: rid, ReservationId: id,
								Lines: []*inventoryv1.ConsumedLine{{PartId: first.GetPartId(), Quantity: r.Int63n(first.GetQuantity() + 1), UnderWarranty: r.Intn(2) == 0}}})
						}
					}
				case 5:
					to := locs[r.Intn(len(locs))]
					if to != l {
						_, err = e.c.TransferStock(e.ctx, &inventoryv1.TransferStockRequest{RequestId: rid, PartId: p, FromLocationId: l, ToLocationId: to, Quantity: q})
					}
				case 6:
					d := q
					if r.Intn(2) == 0 {
						d = -q
					}
					_, err = e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{RequestId: rid, PartId: p, LocationId: l, Delta: d, Reason: inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_COUNT_CORRECTION})
				}
				if c := status.Code(err); c != codes.OK && c != codes.FailedPrecondition {
					errs <- fmt.Errorf("worker %d op %d: %v", w, i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := e.verify()
	if n == 0 {
		t.Fatal("no movements booked")
	}

	// The same property through the API.
	type key struct{ p, l string }
	sums := map[key][2]int64{}
	token := ""
	var last int64
	for {
		resp, err := e.c.ListMovements(e.ctx, &inventoryv1.ListMovementsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatalf("ListMovements: %v", err)
		}
		for _, m := range resp.GetMovements() {
			if m.GetSequence() <= last {
				t.Fatalf("sequence %d after %d", m.GetSequence(), last)
			}
			last = m.GetSequence()
			k := key{m.GetPartId(), m.GetLocationId()}
			s := sums[k]
			s[0] += m.GetOnHandDelta()
			s[1] += m.GetReservedDelta()
			if s[0] < 0 || s[1] < 0 || s[1] > s[0] || s[0] != m.GetOnHandAfter() || s[1] != m.GetReservedAfter() {
				t.Fatalf("after movement %d: running sums %v, movement says %d/%d", m.GetSequence(), s, m.GetOnHandAfter(), m.GetReservedAfter())
			}
			sums[k] = s
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	for _, p := range parts {
		for _, l := range locs {
			on, res := e.balance(p, l)
			if s := sums[key{p, l}]; s[0] != on || s[1] != res {
				t.Fatalf("balance %s/%s = %d/%d, ledger sums to %d/%d", p, l, on, res, s[0], s[1])
			}
		}
	}
	t.Logf("%d movements from %d concurrent callers", n, workers)
}

// TestConcurrentReservationsNeverOversell: 100 callers race for 50 units of one part; exactly
// 50 win, the others get FAILED_PRECONDITION, and concurrent retries of one request_id reserve
// once.
func TestConcurrentReservationsNeverOversell(t *testing.T) {
	e := start(t)
	a := e.part("HOT")
	van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
	e.receive(a.GetId(), van.GetId(), 50)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codesSeen := map[codes.Code]int{}
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: fmt.Sprintf("race-%d", i), JobId: fmt.Sprintf("job-%d", i),
				LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 1)}})
			mu.Lock()
			codesSeen[status.Code(err)]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if codesSeen[codes.OK] != 50 || codesSeen[codes.FailedPrecondition] != 50 {
		t.Fatalf("outcomes = %v, want 50 OK and 50 FAILED_PRECONDITION", codesSeen)
	}
	e.wantBalance(a.GetId(), van.GetId(), 50, 50)

	// Free 10 units, then retry one request 20 times at once: one reservation.
	if _, err := e.c.ReleaseReservation(e.ctx, &inventoryv1.ReleaseReservationRequest{RequestId: e.rid(), JobId: "job-0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.AdjustStock(e.ctx, &inventoryv1.AdjustStockRequest{RequestId: e.rid(), PartId: a.GetId(), LocationId: van.GetId(), Delta: 10, Reason: inventoryv1.AdjustmentReason_ADJUSTMENT_REASON_FOUND}); err != nil {
		t.Fatal(err)
	}
	_, resBefore := e.balance(a.GetId(), van.GetId())
	ids := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{RequestId: "retried", JobId: "job-r",
				LocationId: van.GetId(), Lines: []*inventoryv1.ReservationLine{line(a.GetId(), 3)}})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- resp.GetReservation().GetId()
		}()
	}
	wg.Wait()
	close(ids)
	distinct := map[string]bool{}
	for id := range ids {
		distinct[id] = true
	}
	if len(distinct) != 1 {
		t.Fatalf("20 concurrent retries made %d reservations, want 1", len(distinct))
	}
	if _, res := e.balance(a.GetId(), van.GetId()); res != resBefore+3 {
		t.Fatalf("reserved = %d, want %d", res, resBefore+3)
	}
	e.verify()
}
