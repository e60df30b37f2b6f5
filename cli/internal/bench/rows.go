package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/demo"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
)

// createTicket: CreateTicket/s with o.Writers writers vs raw bbolt Batch puts of 1 KB.
func (e *env) createTicket(ctx context.Context) error {
	ceiling, err := e.bboltBatch(ctx)
	if err != nil {
		return err
	}
	run := runID()
	lag := e.watchTicketLag(ctx)
	cpu0 := cpuTime()
	rate, lat, err := closed(ctx, e.o.Writers, e.o.Duration, func(ctx context.Context, i int64) error {
		_, err := e.c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("bench-%s-%d", run, i),
			Ticket: consultation(fmt.Sprintf("c%d", i%100))})
		return err
	})
	cpu := cpuTime() - cpu0
	maxLag, maxDepth := lag()
	if err != nil {
		return err
	}
	e.createCPU = ms(cpu) / max(float64(len(lat)), 1)
	e.row("create_ticket", "creates/s", rate, "1/s", "bbolt_batch_put_1k", ceiling, "1/s", rate/ceiling, ">=0.5,>=3000/s")
	e.note("create_ticket writers=%d p50_ms=%.1f p99_ms=%.1f ticket_outbox_max_lag_ms=%.0f ticket_outbox_max_depth=%.0f cpu_ms_per_create=%.2f (process CPU while the row ran, incl. relaying and triage)",
		e.o.Writers, ms(pct(lat, .5)), ms(pct(lat, .99)), maxLag*1000, maxDepth, e.createCPU)
	return nil
}

func consultation(customer string) *ticketv1.Ticket {
	return &ticketv1.Ticket{Kind: ticketv1.TicketKind_TICKET_KIND_CONSULTATION, Channel: ticketv1.Channel_CHANNEL_WEB,
		Customer: &ticketv1.Customer{CustomerId: customer}, Unit: &ticketv1.Unit{ProductLine: "instrument"}}
}

// bboltBatch is the ceiling: 1 KB puts through bbolt's Batch from o.Writers goroutines, on a
// file opened with the services' options, in the same data directory.
func (e *env) bboltBatch(ctx context.Context) (float64, error) {
	bucket := []byte("b")
	db, err := store.Open(filepath.Join(e.dir, "ceiling.db"), store.Schema{Version: 1, Buckets: [][]byte{bucket}}, zap.NewNop(), store.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	val := make([]byte, 1024)
	rate, _, err := closed(ctx, e.o.Writers, e.o.Duration, func(_ context.Context, i int64) error {
		return db.Bolt().Batch(func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put(store.U64(uint64(i)), val) })
	})
	return rate, err
}

// watchTicketLag samples the ticket service's outbox lag from its /metrics until the returned
// function is called, which reports the largest age (seconds) and depth seen.
func (e *env) watchTicketLag(ctx context.Context) func() (float64, float64) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var maxAge, maxDepth float64
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := scrape(ctx, "http://"+e.addrs["ticket-metrics"]+"/metrics"); err == nil {
				maxAge = max(maxAge, m["sanbao_outbox_oldest_age_seconds"])
				maxDepth = max(maxDepth, m["sanbao_outbox_depth"])
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64) { close(stop); wg.Wait(); return maxAge, maxDepth }
}

func scrape(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if f := strings.Fields(line); len(f) == 2 {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	return out, sc.Err()
}

// createTicketP99: CreateTicket offered at o.Offered per second (open loop), p99 and the rate
// reached.
func (e *env) createTicketP99(ctx context.Context) error {
	run := runID()
	total := int(float64(e.o.Offered) * e.o.Duration.Seconds())
	interval := time.Second / time.Duration(e.o.Offered)
	var mu sync.Mutex
	lat := make([]time.Duration, 0, total)
	var failed, shed atomic.Int64
	sem := make(chan struct{}, 4096)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		select {
		case sem <- struct{}{}:
		default:
			shed.Add(1) // more than 4,096 in flight: the server is not keeping up
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			_, err := e.c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("p99-%s-%d", run, i),
				Ticket: consultation(fmt.Sprintf("c%d", i%100))})
			d := time.Since(t0)
			if err != nil {
				failed.Add(1)
				return
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sortDur(lat)
	p99 := ms(pct(lat, .99))
	e.row("create_ticket_p99", "p99_at_offered", p99, "ms", "goal", 20, "ms", 20/max(p99, 0.001), "<=20ms")
	e.note("create_ticket_p99 offered=%d/s reached=%.0f/s p50_ms=%.1f failed=%d shed=%d", e.o.Offered,
		float64(len(lat))/elapsed.Seconds(), ms(pct(lat, .5)), failed.Load(), shed.Load())
	return nil
}

// evaluateClaim: recorded EvaluateClaim/s vs gRPC health checks/s on the warranty server.
func (e *env) evaluateClaim(ctx context.Context) error {
	seed, err := (&demo.Walk{C: e.c, Run: runID()}).Seed(ctx)
	if err != nil {
		return err
	}
	conn, err := rpc.Dial(e.addrs["warranty"], rpc.ClientOptions{})
	if err != nil {
		return err
	}
	defer conn.Close()
	hc := grpc_health_v1.NewHealthClient(conn)
	cpu0 := cpuTime()
	ceiling, hlat, err := closed(ctx, e.o.Writers, e.o.Duration, func(ctx context.Context, _ int64) error {
		_, err := hc.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
		return err
	})
	if err != nil {
		return err
	}
	e.healthCPU = ms(cpuTime()-cpu0) / max(float64(len(hlat)), 1)
	run := runID()
	before, err := e.work(ctx)
	if err != nil {
		return err
	}
	cpu0 = cpuTime()
	rate, lat, err := closed(ctx, e.o.Writers, e.o.Duration, func(ctx context.Context, i int64) error {
		_, err := e.c.Warranty.EvaluateClaim(ctx, &warrantyv1.EvaluateClaimRequest{RequestId: fmt.Sprintf("claim-%s-%d", run, i),
			Serial: seed.Serial, FaultCode: "F1", ReportedTime: timestamppb.Now()})
		return err
	})
	if err != nil {
		return err
	}
	e.claimCPU = ms(cpuTime()-cpu0) / max(float64(len(lat)), 1)
	// Events the claims made: counted once the relay has published what they appended.
	var events float64
	for range 100 {
		after, err := e.work(ctx)
		if err != nil {
			return err
		}
		if d := after.minus(before); d.published >= float64(len(lat)) || ctx.Err() != nil {
			events = d.published
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.health, e.claimEvents = ceiling, events/max(float64(len(lat)), 1)
	e.row("evaluate_claim_recorded", "claims/s", rate, "1/s", "grpc_health_check", ceiling, "1/s", rate/ceiling, ">=0.5")
	e.note("evaluate_claim_recorded callers=%d p50_ms=%.1f p99_ms=%.1f events_per_claim=%.2f cpu_ms_per_claim=%.3f cpu_ms_per_health_check=%.3f",
		e.o.Writers, ms(pct(lat, .5)), ms(pct(lat, .99)), e.claimEvents, e.claimCPU, e.healthCPU)
	return nil
}

// lifecycle: whole ticket lives per second with o.Walkers in flight, and CPU per lifecycle.
func (e *env) lifecycle(ctx context.Context) error {
	seeds := make([]*demo.Seed, e.o.Walkers)
	for i := range seeds {
		var err error
		if seeds[i], err = (&demo.Walk{C: e.c, Run: runID(), Capacity: 100, Stock: 100000}).Seed(ctx); err != nil {
			return err
		}
	}
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	failed := 0
	var elapsed, cpu time.Duration
	nc, err := nats.Connect(e.natsURL, nats.Name("sanbao-bench-walkers"))
	if err != nil {
		return err
	}
	defer nc.Close()
	changes, err := demo.WatchChanges(nc) // walkers read their ticket at its events, not by polling
	if err != nil {
		return err
	}
	defer changes.Close()
	before, err := e.work(ctx)
	if err != nil {
		return err
	}
	err = func() error {
		// A lifecycle takes seconds: run four durations (20s at least) so that the ramp-up and
		// the walkers finishing their last lifecycle weigh little.
		cpu0, start := cpuTime(), time.Now()
		stop := start.Add(max(4*e.o.Duration, 20*time.Second))
		var wg sync.WaitGroup
		for _, seed := range seeds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) && ctx.Err() == nil {
					// The walkers read their ticket when one of its events is published (a read
					// a second as a safety net), so that their load is the lifecycle's own.
					w := &demo.Walk{C: e.c, Run: runID(), Changes: changes, Every: time.Second, Poll: 2 * time.Minute}
					t0 := time.Now()
					if _, err := w.Repair(ctx, seed, demo.RepairOptions{}); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						failed++
						mu.Unlock()
						continue
					}
					n.Add(1)
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed, cpu = time.Since(start), cpuTime()-cpu0
		if n.Load() == 0 {
			return firstErr
		}
		return nil
	}()
	if err != nil {
		return err
	}
	after, err := e.work(ctx)
	if err != nil {
		return err
	}
	sortDur(lat)
	count := float64(n.Load())
	rate := count / elapsed.Seconds()
	e.row("lifecycle", "lifecycles/s", rate, "1/s", "goal", 1000, "1/s", rate/1000, ">=1000/s")
	if failed > 0 {
		e.note("lifecycle failed=%d first_error=%q", failed, firstErr.Error())
	}
	e.lifeRate, e.lifeCPU = rate, ms(cpu)/max(count, 1)
	e.note("lifecycle walkers=%d done=%.0f p50_ms=%.0f p99_ms=%.0f cpu_ms_per_lifecycle=%.1f (process CPU incl. the walkers' client side) cores=%d",
		e.o.Walkers, count, ms(pct(lat, .5)), ms(pct(lat, .99)), e.lifeCPU, numCPU())
	if count > 0 {
		e.perLifecycle = after.minus(before).per(count)
		p := e.perLifecycle
		e.note("lifecycle per_lifecycle rpcs=%.1f (walker reads %.1f) events_published=%.1f events_consumed=%.1f",
			p.rpcs, p.reads, p.published, p.consumed)
	}
	return nil
}

// counts is work the services did, summed over the four: RPCs handled (and of them the
// walkers' GetTicket reads), events published by the relays and events handled by consumers.
type counts struct{ rpcs, reads, published, consumed float64 }

func (c counts) minus(o counts) counts {
	return counts{c.rpcs - o.rpcs, c.reads - o.reads, c.published - o.published, c.consumed - o.consumed}
}

func (c counts) per(n float64) counts {
	return counts{c.rpcs / n, c.reads / n, c.published / n, c.consumed / n}
}

// work reads the counters of every service's /metrics.
func (e *env) work(ctx context.Context) (counts, error) {
	var c counts
	for _, svc := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		m, err := scrape(ctx, "http://"+e.addrs[svc+"-metrics"]+"/metrics")
		if err != nil {
			return c, fmt.Errorf("metrics of %s: %w", svc, err)
		}
		for k, v := range m {
			switch name, _, _ := strings.Cut(k, "{"); name {
			case "grpc_server_handled_total":
				c.rpcs += v
				if strings.Contains(k, `grpc_method="GetTicket"`) {
					c.reads += v
				}
			case "sanbao_outbox_published_total":
				c.published += v
			case "sanbao_consumer_handled_total":
				c.consumed += v
			}
		}
	}
	return c, nil
}

// outboxRelay: the relay's events/s draining a backlog while writers append, vs JetStream async
// publishes of the same messages (same size, Nats-Msg-Id, file storage, same window: the issue's
// ceiling, as `nats bench js pub async`), and a note with the atomic batch ceiling (batches of
// the relay's size, as many in flight as its window holds), measured in the same run.
func (e *env) outboxRelay(ctx context.Context) error {
	nc, err := nats.Connect(e.natsURL, nats.Name("sanbao-bench"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		return err
	}
	body := &typev1.Contact{Name: strings.Repeat("x", 900)}
	data, err := protojson.Marshal(body)
	if err != nil {
		return err
	}
	// Ceiling.
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: "benchpub"}); err != nil {
		return err
	}
	start := time.Now()
	stop := start.Add(e.o.Duration)
	sent := 0
	for time.Now().Before(stop) {
		id := ids.New()
		msg := events.NewMsg("sanbao.benchpub.v1.thing.changed", events.Message{ID: id, Source: "/sanbao/bench",
			Type: "sanbao.type.v1.Contact", Resource: "things/" + strconv.Itoa(sent%1000), Time: time.Now(), Data: data})
		if _, err := js.PublishMsgAsync(msg); err != nil {
			if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				continue
			}
			return err
		}
		sent++
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		return errors.New("async publishes not acknowledged")
	}
	ceiling := float64(sent) / time.Since(start).Seconds()
	batchCeiling, err := e.batchCeiling(ctx, nc, js, data)
	if err != nil {
		return fmt.Errorf("batch ceiling: %w", err)
	}
	e.jsPublish, e.jsBatch = ceiling, batchCeiling

	// The relay, from a store of its own, with writers appending while it drains a backlog.
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: "benchrelay"}); err != nil {
		return err
	}
	db, err := store.Open(filepath.Join(e.dir, "relay.db"), store.Schema{Version: 1}, zap.NewNop(), store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	appendN := func(tx *bbolt.Tx, n, base int) error {
		for i := range n {
			if _, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.benchrelay.v1.thing.changed",
				Resource: "things/" + strconv.Itoa((base+i)%1000), Data: body}); err != nil {
				return err
			}
		}
		return nil
	}
	backlog := int(max(ceiling, batchCeiling) * e.o.Duration.Seconds() * 1.5) // more than the relay can drain in the row
	for done := 0; done < backlog; done += 5000 {
		if err := db.UpdateAlone(func(tx *bbolt.Tx) error { return appendN(tx, min(5000, backlog-done), done) }); err != nil {
			return err
		}
	}
	relay := outbox.NewRelay(db, js, zap.NewNop(), outbox.RelayOptions{Source: "/sanbao/bench"})
	rctx, cancel := context.WithCancel(ctx)
	rdone := make(chan error, 1)
	go func() { rdone <- relay.Run(rctx) }()
	var written atomic.Int64
	_, _, werr := closed(ctx, 16, e.o.Duration, func(ctx context.Context, i int64) error {
		written.Add(1)
		return db.Update(ctx, func(tx *bbolt.Tx) error { return appendN(tx, 1, int(i)) })
	})
	published := relay.Published()
	elapsed := e.o.Duration
	cancel()
	<-rdone
	if werr != nil {
		return werr
	}
	rate := float64(published) / elapsed.Seconds()
	e.row("outbox_relay", "events/s", rate, "1/s", "js_async_publish", ceiling, "1/s", rate/ceiling, ">=0.8")
	e.note("outbox_relay body_bytes=%d backlog=%d written_meanwhile=%d window=%d", len(data), backlog, written.Load(), relayWindow)
	e.note("outbox_relay js_atomic_batch_publish=%.1f/s batch=%d in_flight=%d ratio_to_it=%.3f relay_batches=%d",
		batchCeiling, relayBatch, relayWindow/relayBatch, rate/batchCeiling, relay.Batches())
	return nil
}

// The relay's defaults (outbox.RelayOptions), which the batch ceiling publishes as.
const (
	relayWindow = 1000
	relayBatch  = 250
)

// batchCeiling: events/s of atomic batches of relayBatch messages, relayWindow/relayBatch in
// flight, into a stream of their own, for o.Duration.
func (e *env) batchCeiling(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, data []byte) (float64, error) {
	if _, err := events.EnsureStream(ctx, js, events.StreamConfig{Service: "benchbatch"}); err != nil {
		return 0, err
	}
	bp, err := events.NewBatchPublisher(nc)
	if err != nil {
		return 0, err
	}
	defer bp.Close()
	var queue []<-chan events.BatchAck
	wait := func() error {
		select {
		case a := <-queue[0]:
			queue = queue[1:]
			if a.Err != nil || !a.Batched {
				return fmt.Errorf("atomic batch not committed: %+v", a)
			}
			return nil
		case <-time.After(30 * time.Second):
			return errors.New("atomic batch not acknowledged")
		}
	}
	start := time.Now()
	stop := start.Add(e.o.Duration)
	sent := 0
	for time.Now().Before(stop) {
		msgs := make([]*nats.Msg, relayBatch)
		for i := range msgs {
			msgs[i] = events.NewMsg("sanbao.benchbatch.v1.thing.changed", events.Message{ID: ids.New(), Source: "/sanbao/bench",
				Type: "sanbao.type.v1.Contact", Resource: "things/" + strconv.Itoa((sent+i)%1000), Time: time.Now(), Data: data})
		}
		if len(queue) == relayWindow/relayBatch {
			if err := wait(); err != nil {
				return 0, err
			}
		}
		ch, _, err := bp.Publish(msgs, false, 0)
		if err != nil {
			return 0, err
		}
		queue = append(queue, ch)
		sent += len(msgs)
	}
	for len(queue) > 0 {
		if err := wait(); err != nil {
			return 0, err
		}
	}
	return float64(sent) / time.Since(start).Seconds(), nil
}

// createJobP99: CreateJob latency (assignment over o.Techs technicians with o.OpenJobs open jobs).
func (e *env) createJobP99(ctx context.Context) error {
	run := runID()
	site := func(i int) *typev1.GeoPoint {
		return &typev1.GeoPoint{Latitude: 34.65 + float64(i%97)/97*4, Longitude: 115.12 + float64(i%89)/89*4}
	}
	cal := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for d := int32(1); d <= 7; d++ {
		cal.Hours = append(cal.Hours, &dispatchv1.WorkingHours{Weekday: d, StartMinute: 0, EndMinute: 24 * 60})
	}
	t0 := time.Now()
	if err := parallel(ctx, 16, e.o.Techs, func(ctx context.Context, i int) error {
		r, err := e.c.Dispatch.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{RequestId: fmt.Sprintf("bt-%s-%d", run, i),
			Technician: &dispatchv1.Technician{DisplayName: fmt.Sprintf("bench %d", i), OrganisationId: "station-bench",
				OrganisationKind: dispatchv1.OrganisationKind_ORGANISATION_KIND_SERVICE_STATION,
				Level:            dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_EXPERT,
				Skills:           []*dispatchv1.ProductSkills{{ProductLine: fmt.Sprintf("line-%d", i%5), Skills: []string{"fuel-system"}}},
				HomeBase:         site(i), ServiceRadiusKm: 300, CapacityPerDay: 20, Active: true, Calendar: cal}})
		if err != nil {
			return err
		}
		return e.c.Qualify(ctx, r.GetTechnician(), fmt.Sprintf("bq-%s-%d", run, i))
	}); err != nil {
		return err
	}
	job := func(i int) *dispatchv1.CreateJobRequest {
		return &dispatchv1.CreateJobRequest{RequestId: fmt.Sprintf("bj-%s-%d", run, i), Job: &dispatchv1.Job{
			TicketId: fmt.Sprintf("bench-%s-%d", run, i), Kind: dispatchv1.JobKind_JOB_KIND_REPAIR,
			Site:        &typev1.Address{Line: "1 Jingshi Road", Region: "Shandong", City: "Jinan", Point: site(i * 7)},
			ProductLine: fmt.Sprintf("line-%d", i%5), UnitSerial: "SN-BENCH", FaultCode: "F-INJ",
			RequiredSkills: []string{"fuel-system"}, Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE,
			Priority: dispatchv1.Priority_PRIORITY_NORMAL, ArriveBy: timestamppb.New(time.Now().Add(time.Duration(24+i%96) * time.Hour))}}
	}
	if err := parallel(ctx, 16, e.o.OpenJobs, func(ctx context.Context, i int) error {
		_, err := e.c.Dispatch.CreateJob(ctx, job(i))
		return err
	}); err != nil {
		return err
	}
	seeded := time.Since(t0)
	// The seeding leaves work behind (its events to relay and apply): measure the calls once
	// it is done, not the queue behind it.
	settled := e.settle(ctx, 2*time.Minute)
	lat := make([]time.Duration, 0, e.o.JobCalls)
	for i := range e.o.JobCalls {
		t := time.Now()
		if _, err := e.c.Dispatch.CreateJob(ctx, job(e.o.OpenJobs+i)); err != nil {
			return err
		}
		lat = append(lat, time.Since(t))
	}
	sortDur(lat)
	p99 := ms(pct(lat, .99))
	e.row("create_job_p99", "p99_one_caller", p99, "ms", "goal", 10, "ms", 10/max(p99, 0.001), "<=10ms")
	e.note("create_job_p99 techs=%d open_jobs=%d calls=%d p50_ms=%.1f p90_ms=%.1f max_ms=%.1f seeded_in=%s settled_in=%s",
		e.o.Techs, e.o.OpenJobs, e.o.JobCalls, ms(pct(lat, .5)), ms(pct(lat, .9)), ms(lat[len(lat)-1]), seeded.Round(time.Second), settled.Round(time.Second))
	return nil
}

// parallel runs fn for 0..n-1 from k goroutines.
func parallel(ctx context.Context, k, n int, fn func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// bounds prints, after the rows, what the ceilings measured in this run allow the lifecycle and
// the recorded claim at most: every event is one synced JetStream write, every call at least a
// health check's cost, and the CPU a lifecycle takes of the cores there are. A figure is only
// printed when the rows it needs ran.
func (e *env) bounds() {
	p := e.perLifecycle
	if e.lifeRate > 0 && e.lifeCPU > 0 {
		e.note("bound lifecycle_by_cpu=%.0f/s (%d cores x 1000 ms / %.1f ms per lifecycle) reached=%.2f",
			float64(numCPU())*1000/e.lifeCPU, numCPU(), e.lifeCPU, e.lifeRate/(float64(numCPU())*1000/e.lifeCPU))
	}
	if e.lifeRate > 0 && e.jsPublish > 0 && p.published > 0 {
		e.note("bound lifecycle_by_jetstream=%.0f/s one event a publish, %.0f/s in atomic batches (js_async_publish %.0f/s, js_atomic_batch_publish %.0f/s / %.1f events per lifecycle)",
			e.jsPublish/p.published, e.jsBatch/p.published, e.jsPublish, e.jsBatch, p.published)
	}
	if e.lifeRate > 0 && e.health > 0 && p.rpcs > 0 {
		e.note("bound lifecycle_by_rpc=%.0f/s (grpc_health_check %.0f/s / %.1f calls per lifecycle)",
			e.health/p.rpcs, e.health, p.rpcs)
	}
	if e.claimCPU > 0 && e.healthCPU > 0 {
		e.note("bound evaluate_claim_recorded_ratio_by_cpu=%.3f (a health check takes %.3f ms of CPU, a recorded claim %.3f ms)",
			e.healthCPU/e.claimCPU, e.healthCPU, e.claimCPU)
	}
	if e.createCPU > 0 {
		e.note("bound create_ticket_by_cpu=%.0f/s (%d cores x 1000 ms / %.2f ms per create)", float64(numCPU())*1000/e.createCPU, numCPU(), e.createCPU)
	}
	if e.health > 0 && e.jsPublish > 0 && e.claimEvents > 0 {
		e.note("bound evaluate_claim_recorded_ratio_by_jetstream=%.3f one event a publish, %.3f in atomic batches (%.2f events per claim, health %.0f/s)",
			e.jsPublish/e.claimEvents/e.health, e.jsBatch/e.claimEvents/e.health, e.claimEvents, e.health)
	}
}

// settle waits (at most bound) until every service's outbox is empty and its consumers have
// nothing pending, and says how long that took.
func (e *env) settle(ctx context.Context, bound time.Duration) time.Duration {
	t0 := time.Now()
	for time.Since(t0) < bound && ctx.Err() == nil {
		busy := false
		for _, svc := range []string{"ticket", "warranty", "dispatch", "inventory"} {
			m, err := scrape(ctx, "http://"+e.addrs[svc+"-metrics"]+"/metrics")
			if err != nil {
				busy = true
				break
			}
			for k, v := range m {
				name, _, _ := strings.Cut(k, "{")
				if (name == "sanbao_outbox_depth" || name == "sanbao_consumer_lag_messages") && v > 0 {
					busy = true
				}
			}
		}
		if !busy {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(t0)
}
