package inventory_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
)

// BenchmarkReserveParts measures reservations per second over gRPC from many concurrent
// callers (16 per CPU), each reserving one unit: all on one hot part, and spread over 64 parts.
func BenchmarkReserveParts(b *testing.B) {
	for _, nParts := range []int{1, 64} {
		name := "hot_part"
		if nParts > 1 {
			name = fmt.Sprintf("%d_parts", nParts)
		}
		b.Run(name, func(b *testing.B) {
			e := start(b)
			van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
			parts := make([]string, nParts)
			for i := range parts {
				parts[i] = e.part(fmt.Sprintf("P%d", i)).GetId()
				e.receive(parts[i], van.GetId(), 1_000_000)
			}
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{
						RequestId: fmt.Sprintf("bench-%d", i), JobId: fmt.Sprintf("job-%d", i%1000), LocationId: van.GetId(),
						Lines: []*inventoryv1.ReservationLine{line(parts[int(i)%nParts], 1)},
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
		})
	}
}
