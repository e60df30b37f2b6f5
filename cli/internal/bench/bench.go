// Package bench is `sanbao bench suite`: it starts the whole suite on loopback in this process
// (embedded JetStream on file with every write synced, four services with their bbolt files)
// and measures, in one run, each figure of the event-backbone table beside its ceiling on the
// same machine, and the ratio (rows run in this order, the lifecycle first on a fresh suite):
//
//	lifecycle                whole lifecycles/s (intake → survey) with many walkers in flight (4× duration),
//	                         p50, and CPU per lifecycle (process CPU, client included)
//	create_ticket            CreateTicket/s, 64 writers        vs raw bbolt DB.Batch 1 KB puts/s, 64 writers
//	create_ticket_p99        CreateTicket p99 at 2,000/s offered (open loop), and the rate reached
//	evaluate_claim_recorded  recorded EvaluateClaim/s           vs gRPC health checks/s, same server
//	outbox_relay             relay events/s while writers run    vs JetStream async publish/s (same
//	                         size, Nats-Msg-Id dedup, file storage), and the relay's worst lag
//	create_job_p99           CreateJob (assignment) p99 with T technicians and J open jobs
//
// Output format (stable; compare runs across commits): a header line
// "sanbao-bench-suite v1 cores=<n> gomaxprocs=<n> go=<version> duration=<d>", then one line per
// row, whitespace-separated columns:
//
//	row figure value unit ceiling ceiling_value ceiling_unit ratio goal
//
// "-" fills a column that does not apply. Extra facts of a row follow on lines starting with
// "  # ". Ratios are value/ceiling (for latency rows goal/value: above 1 meets the goal). The
// run ends with "  # bound <name>=<value>/s (...)" lines: what the ceilings of this run allow
// the lifecycle and the recorded claim at most (CPU, JetStream's synced publishes, calls).
package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/suite"
	"github.com/sanbao/sanbao/platform/rpc"
)

// Options are the knobs of a run.
type Options struct {
	Duration   time.Duration // per throughput row (default 5s)
	Writers    int           // concurrent writers of create_ticket and its ceiling (64)
	Offered    int           // create_ticket_p99 offered rate per second (2000)
	Walkers    int           // lifecycles in flight (128)
	Techs      int           // create_job_p99 technicians (1000)
	OpenJobs   int           // create_job_p99 open jobs before measuring (10000)
	JobCalls   int           // create_job_p99 measured CreateJob calls (500)
	CPUProfile string        // write a CPU profile of the rows run here
	DataDir    string        // keep the suite's files here (default a temporary directory, removed)
	Rows       string        // comma-separated rows to run (default all)
}

// Main parses args and runs the suite bench, printing to out.
func Main(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench suite", flag.ContinueOnError)
	var o Options
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "how long each throughput row runs")
	fs.IntVar(&o.Writers, "writers", 64, "concurrent writers (create_ticket and the bbolt ceiling)")
	fs.IntVar(&o.Offered, "offered", 2000, "offered CreateTicket rate of create_ticket_p99, per second")
	fs.IntVar(&o.Walkers, "walkers", 128, "lifecycles in flight")
	fs.IntVar(&o.Techs, "techs", 1000, "technicians of create_job_p99")
	fs.IntVar(&o.OpenJobs, "open-jobs", 10000, "open jobs created before create_job_p99 is measured")
	fs.IntVar(&o.JobCalls, "job-calls", 500, "CreateJob calls measured by create_job_p99")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the rows run to this file (-rows lifecycle for the lifecycle's)")
	fs.StringVar(&o.DataDir, "data-dir", "", "keep the suite's data here (default: a temporary directory, removed)")
	fs.StringVar(&o.Rows, "rows", "", "comma-separated rows to run (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return Run(ctx, o, out)
}

// env is the running suite.
type env struct {
	o       Options
	dir     string
	natsURL string
	addrs   map[string]string
	c       *demo.Clients
	out     io.Writer
	// Figures later rows and the bounds read (zero when their row did not run).
	perLifecycle counts  // work one lifecycle does, from the services' metrics
	lifeCPU      float64 // CPU ms per lifecycle
	lifeRate     float64 // lifecycles/s
	health       float64 // gRPC health checks/s
	claimEvents  float64 // events per recorded claim
	claimCPU     float64 // CPU ms per recorded claim
	healthCPU    float64 // CPU ms per health check
	createCPU    float64 // CPU ms per CreateTicket
	jsPublish    float64 // JetStream async publishes/s
	jsBatch      float64 // JetStream events/s in atomic batches
}

// Run runs the bench.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	dir := o.DataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "sanbao-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	e := &env{o: o, dir: dir, addrs: map[string]string{}, out: out}
	lis := map[string]net.Listener{}
	for _, n := range []string{"ticket", "warranty", "dispatch", "inventory", "ticket-metrics", "warranty-metrics",
		"dispatch-metrics", "inventory-metrics", "nats"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lis[n], e.addrs[n] = l, l.Addr().String()
	}
	natsPort := lis["nats"].Addr().(*net.TCPAddr).Port
	_ = lis["nats"].Close()
	delete(lis, "nats")
	e.natsURL = fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	ready := &readyWriter{ch: make(chan struct{})}
	go func() {
		done <- suite.Run(sctx, suite.Config{DataDir: filepath.Join(dir, "suite"), NATSPort: natsPort, Listeners: lis, Insecure: true}, zap.NewNop(), ready)
	}()
	defer func() { cancel(); <-done }()
	select {
	case <-ready.ch:
	case err := <-done:
		return fmt.Errorf("suite: %w", err)
	case <-time.After(2 * time.Minute):
		return errors.New("suite not ready within 2 minutes")
	}
	c, err := demo.Dial(demo.Addrs{Ticket: e.addrs["ticket"], Warranty: e.addrs["warranty"], Dispatch: e.addrs["dispatch"], Inventory: e.addrs["inventory"]}, rpc.ClientOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	e.c = c
	fmt.Fprintf(out, "sanbao-bench-suite v1 cores=%d gomaxprocs=%d go=%s duration=%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), o.Duration)
	fmt.Fprintf(out, "%-24s %-22s %10s %-8s %-22s %10s %-8s %7s %s\n", "row", "figure", "value", "unit", "ceiling", "ceiling_value", "unit", "ratio", "goal")
	rows := []struct {
		name string
		fn   func(context.Context) error
	}{
		// The lifecycle runs first, on a fresh suite: the load rows leave work behind (thousands
		// of triage timers, events to relay) that later lifecycles would queue behind.
		{"lifecycle", e.lifecycle},
		{"evaluate_claim_recorded", e.evaluateClaim},
		{"create_job_p99", e.createJobP99},
		{"outbox_relay", e.outboxRelay},
		{"create_ticket", e.createTicket},
		{"create_ticket_p99", e.createTicketP99},
	}
	want := map[string]bool{}
	for _, r := range strings.Split(o.Rows, ",") {
		if r = strings.TrimSpace(r); r != "" {
			want[r] = true
		}
	}
	return profile(o.CPUProfile, func() error {
		for _, r := range rows {
			if len(want) > 0 && !want[r.name] {
				continue
			}
			if err := r.fn(ctx); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
		}
		e.bounds()
		return nil
	})
}

// row prints one result line.
func (e *env) row(name, figure string, value float64, unit, ceiling string, ceilingValue float64, ceilingUnit string, ratio float64, goal string) {
	cv, r := "-", "-"
	if ceiling != "-" {
		cv = fmt.Sprintf("%.1f", ceilingValue)
	}
	if ratio > 0 {
		r = fmt.Sprintf("%.3f", ratio)
	}
	fmt.Fprintf(e.out, "%-24s %-22s %10.1f %-8s %-22s %10s %-8s %7s %s\n", name, figure, value, unit, ceiling, cv, ceilingUnit, r, goal)
}

func (e *env) note(format string, args ...any) { fmt.Fprintf(e.out, "  # "+format+"\n", args...) }

// closed runs fn from n goroutines for d and returns the calls per second and the latencies.
func closed(ctx context.Context, n int, d time.Duration, fn func(ctx context.Context, i int64) error) (float64, []time.Duration, error) {
	var count atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for time.Now().Before(stop) && ctx.Err() == nil {
				i := count.Add(1)
				t0 := time.Now()
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return float64(len(lat)) / elapsed.Seconds(), lat, firstErr
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(int(float64(len(lat))*p), len(lat)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// readyWriter closes ch at the suite's first output (its "running" table).
type readyWriter struct {
	once sync.Once
	ch   chan struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ch) })
	return len(p), nil
}

// profile runs fn under a CPU profile written to path (when set).
func profile(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	err = fn()
	pprof.StopCPUProfile()
	return err
}

func sortDur(d []time.Duration) { slices.Sort(d) }

func numCPU() int { return runtime.NumCPU() }
