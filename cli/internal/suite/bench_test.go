package suite_test

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/suite"
	"github.com/sanbao/sanbao/platform/natstest"
)

// BenchmarkLifecycle measures whole ticket lives per second across the four services (run in
// one process over loopback gRPC and an embedded JetStream, every write synced): intake,
// warranty triage, dispatch with parts reserved, accept, travel, check-in, work, signed visit,
// parts consumed, resolution, confirmation, closure and survey. Concurrent walkers share one
// technician and van; latency is from CreateTicket to the survey.
func BenchmarkLifecycle(b *testing.B) {
	addrs := map[string]string{}
	lis := map[string]net.Listener{}
	for _, n := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		lis[n], addrs[n] = l, l.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	dataDir := b.TempDir()
	go func() {
		done <- suite.Run(ctx, suite.Config{DataDir: dataDir, NATSPort: -1, Listeners: lis}, zap.NewNop(), out)
	}()
	defer func() { cancel(); <-done }()
	natstest.Eventually(b, 60*time.Second, func() error {
		if len(out.String()) == 0 {
			return fmt.Errorf("suite not ready")
		}
		return nil
	})
	copts, err := suite.ClientOptions(dataDir, "operator")
	if err != nil {
		b.Fatal(err)
	}
	c, err := demo.Dial(demo.Addrs{Ticket: addrs["ticket"], Warranty: addrs["warranty"], Dispatch: addrs["dispatch"], Inventory: addrs["inventory"]}, copts)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	// Each walker has its own unit, technician (100 jobs a day at most) and van.
	const walkers = 16
	seeds := make([]*demo.Seed, walkers)
	for i := range seeds {
		if seeds[i], err = (&demo.Walk{C: c, Run: demo.RunID(), Capacity: 100, Stock: 1000}).Seed(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if b.N > walkers*100 {
		b.Fatalf("at most %d lifecycles (technicians' daily capacity); use -benchtime=%dx", walkers*100, walkers*100)
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	var wg sync.WaitGroup
	next := make(chan struct{})
	for _, seed := range seeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				w := &demo.Walk{C: c, Run: demo.RunID(), Every: 2 * time.Millisecond}
				start := time.Now()
				if _, err := w.Repair(ctx, seed, demo.RepairOptions{}); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
			}
		}()
	}
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "lifecycles/s")
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	}
}
