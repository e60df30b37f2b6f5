//go:build chaos

package e2e_test

// The fault suite `make chaos` runs (build tag chaos; not part of make test). It starts the four
// service binaries and a nats-server as separate processes on loopback with the e2e harness and
// runs, under a mixed load of writes and reads: SIGKILL cycles of every service with a bbolt
// consistency check after each, NATS down for a minute, SIGTERM of every service, duplicate
// request ids across all those restarts, the full malformed-input sweep, and poison and
// oversized events on every consumed subject. It prints one summary table and fails on any lost
// or duplicated write or event, any panic and any INTERNAL.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/sweep"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
)

// envInt reads a tuning knob of the chaos suite from the environment.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// write is one idempotent create: the same request id always sends the same request.
type write struct {
	svc, rid string
	id       string // the created resource's id, once acknowledged
	acked    bool
}

// load drives creates on all four services (and reads of what they created) until stopped.
type load struct {
	c    *demo.Clients
	seed *demo.Seed
	run  string

	mu     sync.Mutex
	writes []*write
	seq    atomic.Int64
	calls  map[string]*[2]atomic.Int64 // per service: calls, failed calls
	stop   chan struct{}
	wg     sync.WaitGroup
	// internal counts INTERNAL/UNKNOWN answers anywhere in the load (never allowed).
	internal atomic.Int64
	lastErr  atomic.Value
}

var createEvent = map[string]struct{ stream, typ string }{
	"ticket":    {"TICKET", "TicketCreated"},
	"warranty":  {"WARRANTY", "UnitRegistered"},
	"dispatch":  {"DISPATCH", "TechnicianCreated"},
	"inventory": {"INVENTORY", "PartCreated"},
}

// do sends the create of w (deterministic in w.rid) with a short deadline.
func (l *load) do(ctx context.Context, w *write) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	n := strings.ReplaceAll(w.rid, ":", "-")
	switch w.svc {
	case "ticket":
		r, err := l.c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: w.rid, Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_NORMAL,
			Customer: &ticketv1.Customer{CustomerId: "cust-chaos"}, Unit: &ticketv1.Unit{Serial: l.seed.Serial, ProductLine: l.seed.ProductLine},
			Fault: &ticketv1.Fault{FaultCode: "CH-01", Symptom: "chaos"}, RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE}})
		return r.GetTicket().GetId(), err
	case "warranty":
		sold := time.Now().AddDate(0, 0, -10)
		day := &typev1.Date{Year: int32(sold.Year()), Month: int32(sold.Month()), Day: int32(sold.Day())}
		r, err := l.c.Warranty.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: w.rid, Unit: &warrantyv1.Unit{
			Serial: "SN-" + n, Model: "TX-904", ProductName: "Tractor", PolicyId: l.seed.PolicyID, DealerId: "dealer-chaos",
			Dates: &warrantyv1.UnitDates{Sale: day, Delivery: day}}})
		return r.GetUnit().GetId(), err
	case "dispatch":
		r, err := l.c.Dispatch.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{RequestId: w.rid, Technician: &dispatchv1.Technician{
			DisplayName: "Chaos " + n, OrganisationId: "station-chaos", OrganisationKind: dispatchv1.OrganisationKind_ORGANISATION_KIND_SERVICE_STATION,
			Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE, Skills: []*dispatchv1.ProductSkills{{ProductLine: "tractor", Skills: []string{"hydraulics"}}},
			HomeBase: &typev1.GeoPoint{Latitude: 36.6, Longitude: 117.0}, ServiceRadiusKm: 50, CapacityPerDay: 4, Calendar: weekdays()}})
		return r.GetTechnician().GetId(), err
	default:
		r, err := l.c.Inventory.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: w.rid, Part: &inventoryv1.Part{
			Sku: "CH-" + n, Name: "Chaos part", Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, UnitOfMeasure: "pcs",
			UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 100}}})
		return r.GetPart().GetId(), err
	}
}

// read fetches what an acknowledged write created.
func (l *load) read(ctx context.Context, w *write) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var err error
	switch w.svc {
	case "ticket":
		_, err = l.c.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: w.id})
	case "warranty":
		_, err = l.c.Warranty.GetUnit(ctx, &warrantyv1.GetUnitRequest{Id: w.id})
	case "dispatch":
		_, err = l.c.Dispatch.GetTechnician(ctx, &dispatchv1.GetTechnicianRequest{TechnicianId: w.id})
	default:
		_, err = l.c.Inventory.GetPart(ctx, &inventoryv1.GetPartRequest{PartId: w.id})
	}
	return err
}

func (l *load) note(svc string, err error) {
	c := l.calls[svc]
	c[0].Add(1)
	if err != nil {
		c[1].Add(1)
		if code := status.Code(err); code == codes.Internal || code == codes.Unknown || code == codes.DataLoss {
			l.internal.Add(1)
			l.lastErr.Store(fmt.Sprintf("%s: %v", svc, err))
		}
	}
}

func (l *load) start(workers int) {
	l.stop = make(chan struct{})
	for i := range workers {
		svc := services[i%len(services)]
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				w := &write{svc: svc, rid: fmt.Sprintf("chaos-%s-%s-%d", l.run, svc, l.seq.Add(1))}
				l.mu.Lock()
				l.writes = append(l.writes, w)
				l.mu.Unlock()
				id, err := l.do(context.Background(), w)
				l.note(svc, err)
				if err == nil {
					l.mu.Lock()
					w.id, w.acked = id, true
					l.mu.Unlock()
					l.note(svc, l.read(context.Background(), w))
				} else {
					time.Sleep(20 * time.Millisecond) // a failing service is not hammered in a loop
				}
			}
		}()
	}
}

func (l *load) halt() { close(l.stop); l.wg.Wait() }

// row is one line of the summary table.
type row struct {
	scenario, figures, verdict string
}

// bboltCheck runs bbolt's consistency check on a service's file (the service is down).
func bboltCheck(path string) error {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// streamEvents counts the events of each type per resource on a stream, and the duplicates of
// any ce-id.
func (s *suite) streamEvents(t *testing.T, stream string) (map[string]map[string]int, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, info, done := s.openStream(ctx, t, stream)
	defer done()
	out := map[string]map[string]int{}
	seen := map[string]bool{}
	dups := 0
	if info.State.Msgs == 0 {
		return out, 0
	}
	// An ordered consumer reads the stream in batches: one request per thousand events.
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for read := uint64(0); read < info.State.Msgs; {
		batch, err := oc.Fetch(int(min(1000, info.State.Msgs-read)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for raw := range batch.Messages() {
			got++
			read++
			m, err := events.Parse(raw.Subject(), raw.Headers(), raw.Data())
			if err != nil {
				continue // the poison this suite publishes itself
			}
			if seen[m.ID] {
				dups++
			}
			seen[m.ID] = true
			typ := m.Type[strings.LastIndexByte(m.Type, '.')+1:]
			if out[m.Resource] == nil {
				out[m.Resource] = map[string]int{}
			}
			out[m.Resource][typ]++
		}
		if got == 0 {
			break
		}
	}
	return out, dups
}

// verify retries every unacknowledged write with its request id, re-sends every acknowledged
// one (a duplicate request id must answer the same resource), reads each back, and counts each
// one's creation event (exactly one). It returns the numbers lost, duplicated and mismatched.
func (s *suite) verify(t *testing.T, l *load) (writes, acked, lost, dupEvents, mismatched int, drain time.Duration) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	work := make(chan *write)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				var id string
				var err error
				for attempt := 0; attempt < 20; attempt++ {
					if id, err = l.do(ctx, w); err == nil {
						break
					}
					time.Sleep(250 * time.Millisecond)
				}
				mu.Lock()
				switch {
				case err != nil:
					t.Errorf("write %s: retry with its request id = %v", w.rid, err)
					lost++
				case w.acked && id != w.id:
					t.Errorf("write %s: duplicate request id answered %s, first answer %s", w.rid, id, w.id)
					mismatched++
				default:
					w.id, w.acked = id, true
				}
				ok := w.acked
				mu.Unlock()
				if err := l.read(ctx, w); err != nil && ok {
					t.Errorf("write %s (%s): read back = %v", w.rid, w.id, err)
					mu.Lock()
					lost++
					mu.Unlock()
				}
			}
		}()
	}
	for _, w := range l.writes {
		if w.acked {
			acked++
		}
		work <- w
	}
	close(work)
	wg.Wait()
	began := time.Now()
	var counts map[string]map[string]map[string]int
	sameID := 0
	natstest.Eventually(t, 3*time.Minute, func() error {
		counts = map[string]map[string]map[string]int{}
		missing := 0
		sameID = 0
		for svc, ce := range createEvent {
			c, d := s.streamEvents(t, ce.stream)
			counts[svc] = c
			sameID += d
			for _, w := range l.writes {
				if w.svc == svc && w.acked && countFor(c, w.id, ce.typ) == 0 {
					missing++
				}
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d creation events not yet published", missing)
		}
		return nil
	})
	drain = time.Since(began)
	if sameID > 0 {
		t.Errorf("%d events published twice under the same ce-id", sameID)
		dupEvents += sameID
	}
	for _, w := range l.writes {
		if n := countFor(counts[w.svc], w.id, createEvent[w.svc].typ); n != 1 {
			t.Errorf("write %s (%s): %d %s events, want exactly 1", w.rid, w.id, n, createEvent[w.svc].typ)
			if n > 1 {
				dupEvents++
			} else {
				lost++
			}
		}
	}
	return len(l.writes), acked, lost, dupEvents, mismatched, drain
}

func countFor(c map[string]map[string]int, id, typ string) int {
	n := 0
	for res, types := range c {
		if strings.HasSuffix(res, "/"+id) {
			n += types[typ]
		}
	}
	return n
}

func (s *suite) restartNATS(t *testing.T) {
	t.Helper()
	s.nats = s.spawn("nats-server", s.bins["nats-server"], []string{"-c", filepath.Join(s.dir, "nats.conf")}, nil)
}

func TestChaos(t *testing.T) {
	began := time.Now()
	s := start(t, nil)
	c := s.clients(t)
	ctx := context.Background()
	w := &demo.Walk{C: c, Run: demo.RunID()}
	seed, err := w.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l := &load{c: c, seed: seed, run: w.Run, calls: map[string]*[2]atomic.Int64{}}
	for _, svc := range services {
		l.calls[svc] = &[2]atomic.Int64{}
	}
	var rows []row
	verdict := func(bad bool, why string) string {
		if bad {
			t.Errorf("chaos: %s", why) // the run exits non-zero, after the summary table
			return "FAIL " + why
		}
		return "ok"
	}

	// 1. SIGKILL cycles under mixed load, bbolt check after each.
	cycles := envInt("SANBAO_CHAOS_KILLS", 52)
	l.start(8)
	checkFailed := 0
	var restart time.Duration
	for i := range cycles {
		name := services[i%len(services)]
		time.Sleep(time.Duration(100+(i*37)%400) * time.Millisecond) // let load build up
		s.kill(name)
		if err := bboltCheck(filepath.Join(s.dir, "data", name, name+".db")); err != nil {
			checkFailed++
			t.Errorf("bbolt check of %s after SIGKILL %d: %v", name, i, err)
		}
		t0 := time.Now()
		s.startService(name, nil)
		restart += time.Since(t0)
	}
	l.halt()
	n, acked, lost, dups, mism, drain := s.verify(t, l)
	rows = append(rows, row{"SIGKILL cycles under load", fmt.Sprintf("%d kills (%d per service), %d writes (%d acked before retry), bbolt check failed %d, mean restart %v, events drained in %v, lost %d, duplicate events %d, id mismatches %d",
		cycles, cycles/len(services), n, acked, checkFailed, (restart / time.Duration(cycles)).Round(time.Millisecond), drain.Round(time.Millisecond), lost, dups, mism),
		verdict(lost+dups+mism+checkFailed > 0, "loss/duplicate/corruption")})

	// 2. NATS down under load: writes wait in the outbox; drain time once it is back.
	l.writes = nil
	down := time.Duration(envInt("SANBAO_CHAOS_NATS_DOWN_SECONDS", 60)) * time.Second
	l.start(8)
	time.Sleep(time.Second)
	ackedBefore := l.ackedCount()
	s.stopProc(s.nats)
	natsStopped := time.Now()
	time.Sleep(down)
	l.halt()
	ackedWhileDown := l.ackedCount() - ackedBefore
	depth := s.outboxDepth(t)
	s.restartNATS(t)
	downFor := time.Since(natsStopped)
	back := time.Now()
	natstest.Eventually(t, 5*time.Minute, func() error {
		if d := s.outboxDepth(t); d > 0 {
			return fmt.Errorf("%d events still in the outboxes", d)
		}
		return nil
	})
	outboxDrain := time.Since(back)
	n, acked, lost, dups, mism, _ = s.verify(t, l)
	rows = append(rows, row{"NATS down under load", fmt.Sprintf("down %v, %d writes (%d acked while NATS was down), %d events waiting in the outboxes, drained %v after NATS came back, lost %d, duplicate events %d",
		downFor.Round(time.Second), n, ackedWhileDown, depth, outboxDrain.Round(time.Millisecond), lost, dups),
		verdict(lost+dups+mism > 0 || ackedWhileDown == 0, "loss/duplicate or no writes accepted while NATS was down")})

	// 3. SIGTERM under load: in-flight calls that failed, time to exit.
	l.writes = nil
	l.start(8)
	var termFigures []string
	for _, name := range services {
		time.Sleep(500 * time.Millisecond)
		before := l.calls[name][1].Load()
		p := s.svcs[name]
		t0 := time.Now()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(40 * time.Second):
			t.Errorf("%s did not exit within 40s of SIGTERM", name)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		exit := time.Since(t0)
		s.startService(name, nil)
		termFigures = append(termFigures, fmt.Sprintf("%s exit %v, failed calls %d", name, exit.Round(time.Millisecond), l.calls[name][1].Load()-before))
	}
	l.halt()
	n, acked, lost, dups, mism, _ = s.verify(t, l)
	rows = append(rows, row{"SIGTERM under load", fmt.Sprintf("%s; %d writes (%d acked), lost %d, duplicate events %d", strings.Join(termFigures, "; "), n, acked, lost, dups),
		verdict(lost+dups+mism > 0, "loss/duplicate")})

	// 4. Duplicate request ids across restarts: every write of every phase was re-sent by verify
	// with its request id after the restarts; count them here.
	rows = append(rows, row{"duplicate request ids across restarts", "every write above re-sent with its request id after the kills, NATS outage and SIGTERMs: same resource, one event (see the rows above)", "ok"})

	// 5. The full malformed-input sweep against the processes.
	targets := []sweep.Target{
		{Service: ticketv1.File_sanbao_ticket_v1_ticket_service_proto.Services().Get(0), Conn: s.dialT(t, s.addrs["ticket"])},
		{Service: warrantyv1.File_sanbao_warranty_v1_warranty_service_proto.Services().Get(0), Conn: s.dialT(t, s.addrs["warranty"])},
		{Service: dispatchv1.File_sanbao_dispatch_v1_dispatch_service_proto.Services().Get(0), Conn: s.dialT(t, s.addrs["dispatch"])},
		{Service: inventoryv1.File_sanbao_inventory_v1_inventory_service_proto.Services().Get(0), Conn: s.dialT(t, s.addrs["inventory"])},
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	t0 := time.Now()
	rep := sweep.Run(sctx, targets, sweep.Options{Depth: 3, Full: true, PerCall: 20 * time.Second, Workers: 4})
	cancel()
	for _, line := range rep.Lines() {
		t.Log(line)
	}
	for _, f := range rep.Failures {
		t.Error(f)
	}
	rows = append(rows, row{"malformed-input sweep (full)", fmt.Sprintf("%d calls in %v, codes %v, failures %d", rep.Calls, time.Since(t0).Round(time.Second), codeTotals(rep.Totals()), len(rep.Failures)),
		verdict(rep.Failed(), "INTERNAL or hang")})

	// 6. Poison and oversized events on every consumed subject.
	rows = append(rows, s.poison(t)...)

	// Panics and INTERNAL anywhere.
	panics := 0
	for _, name := range services {
		b, _ := os.ReadFile(s.svcs[name].log)
		panics += strings.Count(string(b), "panic")
	}
	if panics > 0 {
		t.Errorf("%d log lines mention a panic", panics)
	}
	if n := l.internal.Load(); n > 0 {
		t.Errorf("%d INTERNAL answers under load, last %v", n, l.lastErr.Load())
	}
	rows = append(rows, row{"panics and INTERNAL under load", fmt.Sprintf("%d panic log lines, %d INTERNAL answers", panics, l.internal.Load()), verdict(panics > 0 || l.internal.Load() > 0, "panic/INTERNAL")})

	var b strings.Builder
	fmt.Fprintf(&b, "\nmake chaos summary (%d cores, %v)\n", runtime.NumCPU(), time.Since(began).Round(time.Second))
	fmt.Fprintf(&b, "| scenario | figures | verdict |\n| --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.scenario, r.figures, r.verdict)
	}
	fmt.Println(b.String())
	if err := os.MkdirAll(filepath.Join(repoRoot(t), ".build"), 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(repoRoot(t), ".build", "chaos-summary.md"), []byte(b.String()), 0o644)
	}
}

func codeTotals(m map[codes.Code]int) string {
	var parts []string
	for c, n := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// poison publishes, on every subject another service consumes, an event that is not a
// CloudEvent, one whose data is not the event's message, and one 900 KB large that breaks the
// event's field bounds; then it waits for every consumer to be drained (the events acknowledged
// or parked, not redelivered for ever) and checks the services still serve.
func (s *suite) poison(t *testing.T) []row {
	t.Helper()
	// Poison comes from the owning service's own NATS user (as a compromised or buggy producer
	// would send it): nobody else may publish on its subjects.
	jsOf := map[string]jetstream.JetStream{}
	for _, stream := range []string{"DISPATCH", "INVENTORY"} {
		nc, err := s.natsConnectAs(strings.ToLower(stream))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		jsOf[stream], _ = jetstream.New(nc)
	}
	ctx := context.Background()
	big := strings.Repeat("x", 900_000)
	targets := []struct {
		stream, subject, typ string
		oversized            []byte
		durables             []string
	}{
		{"DISPATCH", "sanbao.dispatch.v1.job.cancelled", "sanbao.dispatch.v1.JobCancelled",
			mustJSON(&dispatchv1.JobCancelled{Job: &dispatchv1.Job{Id: ids.New(), TicketId: ids.New(), FaultCode: big}, Reason: big[:5000]}),
			[]string{"inventory-job-cancelled", "ticket-jobs"}},
		{"DISPATCH", "sanbao.dispatch.v1.job.visit_completed", "sanbao.dispatch.v1.VisitCompleted",
			mustJSON(&dispatchv1.VisitCompleted{Job: &dispatchv1.Job{Id: ids.New(), TicketId: ids.New(), UnitSerial: big}}),
			[]string{"warranty-visits", "ticket-jobs"}},
		{"DISPATCH", "sanbao.dispatch.v1.job.assigned", "sanbao.dispatch.v1.JobAssigned",
			mustJSON(&dispatchv1.JobAssigned{Job: &dispatchv1.Job{Id: ids.New(), TicketId: ids.New(), FaultCode: big}}),
			[]string{"ticket-jobs"}},
		{"INVENTORY", "sanbao.inventory.v1.return.appraised", "sanbao.inventory.v1.ReturnAppraised",
			mustJSON(&inventoryv1.ReturnAppraised{JobId: ids.New(), PartId: big}),
			[]string{"warranty-appraisals"}},
	}
	// Dead letters (parked events) as the services count them, where they do.
	deadLetters := func() map[string]float64 {
		out := map[string]float64{}
		for _, name := range services {
			for _, line := range strings.Split(s.scrape(name), "\n") {
				// The counter of letters ever parked, by kind (the gauge beside it would count them twice).
				if !strings.HasPrefix(line, "sanbao_dead_letters_total") {
					continue
				}
				if f := strings.Fields(line); len(f) == 2 {
					v, _ := strconv.ParseFloat(f[1], 64)
					out[name] += v
				}
			}
		}
		return out
	}
	before := deadLetters()
	hasDeadLetters := false
	for _, name := range services {
		if strings.Contains(s.scrape(name), "sanbao_dead_letters") { // the gauge is always there
			hasDeadLetters = true
		}
	}
	published := 0
	for _, tg := range targets {
		msgs := []*nats.Msg{
			{Subject: tg.subject, Data: []byte("not a cloud event"), Header: nats.Header{}},
			events.NewMsg(tg.subject, events.Message{ID: ids.New(), Source: "/sanbao/" + strings.ToLower(tg.stream), Type: tg.typ, Resource: "jobs/poison", Time: time.Now(), Data: []byte(`{"job": 17, "\u0000": [}`)}),
			events.NewMsg(tg.subject, events.Message{ID: ids.New(), Source: "/sanbao/" + strings.ToLower(tg.stream), Type: tg.typ, Resource: "jobs/oversized", Time: time.Now(), Data: tg.oversized}),
		}
		for _, m := range msgs {
			if _, err := jsOf[tg.stream].PublishMsg(ctx, m); err != nil {
				t.Errorf("publish poison on %s: %v", tg.subject, err)
				continue
			}
			published++
		}
	}
	var rows []row
	deadline := 60 * time.Second
	for _, tg := range targets {
		for _, d := range tg.durables {
			// A durable is read by its own service's user (ticket-jobs is ticket's).
			owner, _, _ := strings.Cut(d, "-")
			onc, err := s.natsConnectAs(owner)
			if err != nil {
				t.Fatal(err)
			}
			js, _ := jetstream.New(onc)
			began := time.Now()
			var info *jetstream.ConsumerInfo
			drained := false
			for time.Since(began) < deadline {
				cons, err := js.Consumer(ctx, tg.stream, d)
				if err == nil {
					info, err = cons.Info(ctx)
				}
				if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
					drained = true
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			onc.Close()
			fig := fmt.Sprintf("%s on %s: ", d, tg.subject)
			v := "ok"
			if drained {
				fig += fmt.Sprintf("3 bad events drained in %v, consumer not wedged", time.Since(began).Round(time.Millisecond))
				if !hasDeadLetters {
					v = "needs dead letters (drained, not parked)"
				}
			} else {
				pending, redelivered := 0, 0
				if info != nil {
					pending, redelivered = info.NumAckPending, info.NumRedelivered
				}
				fig += fmt.Sprintf("still redelivering after %v (ack pending %d, redelivered %d)", deadline, pending, redelivered)
				v = "needs dead letters"
			}
			rows = append(rows, row{"poison/oversized events", fig, v})
		}
	}
	for _, name := range services {
		s.waitServing(name)
	}
	if hasDeadLetters {
		after := deadLetters()
		var parts []string
		parked := 0.0
		for _, name := range services {
			parts = append(parts, fmt.Sprintf("%s +%.0f", name, after[name]-before[name]))
			parked += after[name] - before[name]
		}
		v := "ok"
		if parked == 0 {
			v = "FAIL: nothing parked" // the bad events vanished instead of being kept for operators
			t.Errorf("chaos: %d bad events published, none parked as a dead letter", published)
		}
		rows = append(rows, row{"poison/oversized events parked", fmt.Sprintf("%d bad events published; dead letters: %s", published, strings.Join(parts, ", ")), v})
	}
	return rows
}

func mustJSON(m proto.Message) []byte {
	b, err := protojson.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func (s *suite) dialT(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	o := s.copts
	o.Attempts = 1
	conn, err := rpc.Dial(addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// weekdays is a Monday-to-Friday 8:00-18:00 working calendar.
func weekdays() *dispatchv1.WorkingCalendar {
	c := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for d := int32(1); d <= 5; d++ {
		c.Hours = append(c.Hours, &dispatchv1.WorkingHours{Weekday: d, StartMinute: 8 * 60, EndMinute: 18 * 60})
	}
	return c
}

// outboxDepth is the sum of the services' sanbao_outbox_depth gauges.
func (s *suite) outboxDepth(t *testing.T) int {
	t.Helper()
	total := 0
	for _, name := range services {
		for _, line := range strings.Split(s.scrape(name), "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "sanbao_outbox_depth" {
				v, _ := strconv.ParseFloat(f[1], 64)
				total += int(v)
			}
		}
	}
	return total
}

func (l *load) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.writes {
		if w.acked {
			n++
		}
	}
	return n
}
