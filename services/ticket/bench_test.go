package ticket_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
)

// BenchmarkCreateTicket measures CreateTicket over a real gRPC connection with many concurrent
// clients (16 per GOMAXPROCS), each call durable (group-committed bbolt) with its triage task,
// indexes, KPI aggregates and outbox event. It reports tickets/s and the p50/p99 latency.
func BenchmarkCreateTicket(b *testing.B) {
	e := start(b)
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(16)
	b.ResetTimer()
	begin := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			i := n.Add(1)
			t0 := time.Now()
			_, err := e.c.CreateTicket(context.Background(), &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("bench-%d", i),
				Ticket: consultation(fmt.Sprintf("c%d", i%100))})
			if err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(begin)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "tickets/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}
