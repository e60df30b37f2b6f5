package inventory_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
)

// BenchmarkReserveParts measures reservations per second over gRPC, each call reserving one
// unit: from many concurrent callers (16 per CPU) on one hot part and spread over 64 parts, and
// from a single caller (no group commit to share) for comparison.
func BenchmarkReserveParts(b *testing.B) {
	for _, bc := range []struct {
		name        string
		nParts      int
		parallelism int
	}{
		{"hot_part", 1, 16},
		{"64_parts", 64, 16},
		{"hot_part_1_caller", 1, 0},
	} {
		nParts := bc.nParts
		b.Run(bc.name, func(b *testing.B) {
			e := start(b)
			van := e.location("van", inventoryv1.LocationKind_LOCATION_KIND_VAN, nil)
			parts := make([]string, nParts)
			for i := range parts {
				parts[i] = e.part(fmt.Sprintf("P%d", i)).GetId()
				e.receive(parts[i], van.GetId(), 1_000_000)
			}
			var n atomic.Int64
			reserve := func() error {
				i := n.Add(1)
				_, err := e.c.ReserveParts(e.ctx, &inventoryv1.ReservePartsRequest{
					RequestId: fmt.Sprintf("bench-%d", i), JobId: fmt.Sprintf("job-%d", i%1000), LocationId: van.GetId(),
					Lines: []*inventoryv1.ReservationLine{line(parts[int(i)%nParts], 1)},
				})
				return err
			}
			b.ResetTimer()
			if bc.parallelism == 0 {
				for i := 0; i < b.N; i++ {
					if err := reserve(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
				return
			}
			b.SetParallelism(bc.parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := reserve(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
		})
	}
}
