package suite_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/suite"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/tracing"
)

// TestOneTicketOneTrace walks one repair ticket through the secured all-in-one (the four
// services, TLS and tokens on) inside one client span, with every service recording into one
// in-memory exporter, and checks that ONE trace covers the gRPC calls of all four services,
// the outbox publishes, the consumers' applies and the timer hops, each span linked to its
// parent in the trace: the trace context crosses gRPC (otelgrpc), events (ce-traceparent) and
// timers (stored with the timer).
//
// It also checks who did it: every event of the walk, in every service's stream, names the
// caller (the local operator's token subject) as its actor (ce-sanbaoactor), including the
// changes made by a timer, by a consumer or by one service calling another for the caller.
func TestOneTicketOneTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	providers := map[string]*sdktrace.TracerProvider{}
	for _, n := range []string{"ticket", "warranty", "dispatch", "inventory", "client"} {
		providers[n] = tracing.NewProvider(n, tracing.Config{}, sdktrace.WithSpanProcessor(rec))
	}
	lis := map[string]net.Listener{}
	addrs := map[string]string{}
	for _, n := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lis[n], addrs[n] = l, l.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	dataDir := t.TempDir()
	go func() {
		done <- suite.Run(ctx, suite.Config{DataDir: dataDir, NATSPort: -1, Listeners: lis,
			Tracer: func(name string) trace.TracerProvider { return providers[name] }},
			zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), out)
	}()
	defer func() { cancel(); <-done }()
	natstest.Eventually(t, 60*time.Second, func() error {
		if !strings.Contains(out.String(), "Sanbao is running") {
			return fmt.Errorf("suite not ready")
		}
		return nil
	})
	copts, err := suite.ClientOptions(dataDir, "operator")
	if err != nil {
		t.Fatal(err)
	}
	c, err := demo.Dial(demo.Addrs{Ticket: addrs["ticket"], Warranty: addrs["warranty"], Dispatch: addrs["dispatch"], Inventory: addrs["inventory"]}, copts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Every event of the run, as the local integrator sees them.
	cf := creds.Flags{CA: filepath.Join(suite.AuthDir(dataDir), "ca.pem"), NATSCert: filepath.Join(suite.AuthDir(dataDir), "integrator.pem"),
		NATSKey: filepath.Join(suite.AuthDir(dataDir), "integrator-key.pem")}
	nurl := strings.Fields(out.String()[strings.Index(out.String(), "nats "):])[1]
	nopts, err := cf.NATS(nurl)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(nurl, nopts...)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	evs := make(chan *nats.Msg, 4096)
	sub, err := nc.ChanSubscribe("sanbao.>", evs)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	seed, err := (&demo.Walk{C: c, Run: demo.RunID()}).Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The ticket's life, as one client operation.
	lctx, life := providers["client"].Tracer("test").Start(ctx, "ticket life")
	tk, err := (&demo.Walk{C: c, Run: demo.RunID(), Every: 5 * time.Millisecond}).Repair(lctx, seed, demo.RepairOptions{})
	life.End()
	if err != nil {
		t.Fatalf("Repair: %v", err)
	}
	id := life.SpanContext().TraceID()

	// The events of its last steps are published and applied after the last call returned, and
	// a server span ends once its answer is sent: wait until the trace is whole. Every span of
	// it hangs off another of the trace: nothing started a trace of its own on the way (an
	// event or a timer that lost its context would).
	var spans []sdktrace.ReadOnlySpan
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	natstest.Eventually(t, 30*time.Second, func() error {
		spans = spans[:0]
		clear(byID)
		for _, s := range rec.Ended() {
			if s.SpanContext().TraceID() == id {
				spans = append(spans, s)
				byID[s.SpanContext().SpanID()] = s
			}
		}
		if err := covers(spans); err != nil {
			return err
		}
		for _, s := range spans {
			if s.SpanContext().SpanID() == life.SpanContext().SpanID() {
				continue
			}
			if _, ok := byID[s.Parent().SpanID()]; !ok {
				return fmt.Errorf("span %q of %s: parent %s is not in the trace", s.Name(), service(s), s.Parent().SpanID())
			}
		}
		return nil
	})
	t.Logf("ticket %s: one trace of %d spans", tk.GetId(), len(spans))

	// An event hop and a timer hop in one chain: a consumer's apply whose ancestors include
	// another service's publish, that service's server call, and a timer of the caller.
	chained := false
	for _, s := range spans {
		if s.SpanKind() != trace.SpanKindConsumer {
			continue
		}
		var kinds []string
		for p, ok := byID[s.Parent().SpanID()]; ok; p, ok = byID[p.Parent().SpanID()] {
			kinds = append(kinds, kind(p)+"@"+service(p))
		}
		chain := strings.Join(kinds, " < ")
		if strings.Contains(chain, "publish@") && strings.Contains(chain, "server@") && strings.Contains(chain, "timer@") {
			t.Logf("%s@%s < %s", s.Name(), service(s), chain)
			chained = true
			break
		}
	}
	if !chained {
		t.Error("no consumer span descends from a publish, a server call and a timer")
	}

	// Who did it: the operator, on every event of every service.
	const operator = "local-operator"
	seen := map[string]int{}
	for len(evs) > 0 {
		m := <-evs
		if m.Header.Get(events.HeaderSpecVersion) == "" {
			continue
		}
		seen[m.Subject]++
		if got := m.Header.Get(events.HeaderActor); got != operator {
			t.Errorf("%s %s: actor %q, want the caller %q", m.Subject, m.Header.Get(events.HeaderSubject), got, operator)
		}
	}
	for _, svc := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		n := 0
		for subj, k := range seen {
			if strings.HasPrefix(subj, "sanbao."+svc+".") {
				n += k
			}
		}
		if n == 0 {
			t.Errorf("no event of %s seen (%v)", svc, seen)
		}
	}
	t.Logf("%d subjects, every event's actor %s", len(seen), operator)
	// ... and on the records: the ticket, and its jobs, which the ticket service created from
	// a timer, calling dispatch for the operator.
	if tk.GetCreatedBy() != operator || tk.GetUpdatedBy() != operator {
		t.Errorf("ticket created_by, updated_by = %q, %q; want %s", tk.GetCreatedBy(), tk.GetUpdatedBy(), operator)
	}
	jobs, err := c.Dispatch.ListJobs(ctx, &dispatchv1.ListJobsRequest{TicketId: tk.GetId()})
	if err != nil || len(jobs.GetJobs()) == 0 {
		t.Fatalf("ListJobs(ticket) = %v, %v", jobs.GetJobs(), err)
	}
	for _, j := range jobs.GetJobs() {
		if j.GetCreatedBy() != operator || j.GetUpdatedBy() != operator {
			t.Errorf("job %s created_by, updated_by = %q, %q; want %s", j.GetId(), j.GetCreatedBy(), j.GetUpdatedBy(), operator)
		}
	}

	// The mutating methods of the policy table the walk made, whose events were checked above;
	// the others are listed in unwalked, so a new method must join the walk or the list.
	walked := map[string]bool{}
	for _, sp := range rec.Ended() {
		if sp.SpanKind() == trace.SpanKindServer {
			walked["/"+sp.Name()] = true
		}
	}
	var missing []string
	for _, m := range auth.Methods() {
		if !mutating(m) {
			continue
		}
		name := m[strings.LastIndexByte(m, '/')+1:]
		switch _, listed := unwalked[name]; {
		case walked[m] && listed:
			t.Errorf("%s is walked now: take it off unwalked", name)
		case !walked[m] && !listed:
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("mutating methods neither walked nor listed in unwalked (their actor is unchecked): %q", missing)
	}
}

// mutating reports whether a method of the policy table changes something (by its name: reads
// are Get, List, Compare, Suggest, Rank, Quote, PlanDay and Download).
func mutating(full string) bool {
	name := full[strings.LastIndexByte(full, '/')+1:]
	for _, p := range []string{"Get", "List", "Compare", "Suggest", "Rank", "Quote", "PlanDay", "Download"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// unwalked are the mutating methods the repair walk does not make, and why; their events name
// their actor by the same path (outbox.Append takes it from the call), which the platform's
// TestAppendTakesTheCallersActorAndTrace checks.
var unwalked = map[string]string{
	"UpdateTechnician":       "reference data, not part of a ticket's life",
	"UpdateLocation":         "reference data, not part of a ticket's life",
	"UpdatePart":             "reference data, not part of a ticket's life",
	"CreateBusinessCalendar": "reference data, not part of a ticket's life",
	"UpdateBusinessCalendar": "reference data, not part of a ticket's life",
	"CreateServicePolicy":    "reference data, not part of a ticket's life",
	"UpdateServicePolicy":    "reference data, not part of a ticket's life",
	"CreateCampaign":         "reference data, not part of a ticket's life",
	"SubmitStockingPlan":     "reference data, not part of a ticket's life",
	"AmendReport":            "a job that goes otherwise",
	"ApproveJob":             "a job that goes otherwise",
	"AssignJob":              "a job that goes otherwise",
	"CancelJob":              "a job that goes otherwise",
	"CommitPlan":             "a job that goes otherwise",
	"DeclineJob":             "a job that goes otherwise",
	"EscalateJob":            "a job that goes otherwise",
	"RescheduleAppointment":  "a job that goes otherwise",
	"ScheduleAppointment":    "a job that goes otherwise",
	"AdjustStock":            "stock work beside the ticket",
	"TransferStock":          "stock work beside the ticket",
	"ReleaseReservation":     "stock work beside the ticket",
	"CreateRequisition":      "stock work beside the ticket",
	"ApproveRequisition":     "stock work beside the ticket",
	"RejectRequisition":      "stock work beside the ticket",
	"IssueRequisition":       "stock work beside the ticket",
	"ResolveSupplierClaim":   "stock work beside the ticket",
	"ReturnOldPart":          "the old part's way back",
	"AppraiseReturn":         "the old part's way back",
	"AnswerComplaint":        "a ticket that goes otherwise",
	"VerifyComplaint":        "a ticket that goes otherwise",
	"CancelTicket":           "a ticket that goes otherwise",
	"DispatchTicket":         "a ticket that goes otherwise",
	"EscalateTicket":         "a ticket that goes otherwise",
	"HoldTicket":             "a ticket that goes otherwise",
	"ResumeTicket":           "a ticket that goes otherwise",
	"ReopenTicket":           "a ticket that goes otherwise",
	"ResolveTicket":          "a ticket that goes otherwise",
	"RecordContact":          "a ticket that goes otherwise",
	"RecordRepair":           "the walk's repairs are recorded from dispatch's visit events",
	"CreateProgramme":        "the desk's programmes, beside a ticket's life",
	"RecordFollowUpOutcome":  "the desk's programmes, beside a ticket's life",
	"CompleteCampaignUnit":   "a campaign's unit, completed by a visit of its own",
	"ImportPolicies":         "reference data in bulk, not part of a ticket's life",
	"ImportUnits":            "reference data in bulk, not part of a ticket's life",
	"ImportParts":            "reference data in bulk, not part of a ticket's life",
	"ImportLocations":        "reference data in bulk, not part of a ticket's life",
	"ImportStock":            "reference data in bulk, not part of a ticket's life",
	"ImportTechnicians":      "reference data in bulk, not part of a ticket's life",
	"ReleaseToPool":          "a job that goes otherwise (the station's pool)",
	"PickJob":                "a job that goes otherwise (the station's pool)",
	"TransferJob":            "a job that goes otherwise",
	"UploadAttachment":       "photos and signatures beside the walk (the attachment tests check their actor)",
	"DeleteAttachment":       "photos and signatures beside the walk",
	"IssueUnitCode":          "the unit's printed code, not part of a ticket's life",
}

// covers reports what the trace still lacks: server spans of all four services, a publish by
// each of them, applies by consumers, and timer firings.
func covers(spans []sdktrace.ReadOnlySpan) error {
	have := map[string]bool{}
	for _, s := range spans {
		have[kind(s)+"@"+service(s)] = true
		have[kind(s)] = true
	}
	var missing []string
	for _, svc := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		for _, k := range []string{"server", "publish"} {
			if k == "publish" && svc == "warranty" {
				continue // triage reads warranty; its events are not part of this repair
			}
			if !have[k+"@sanbao-"+svc] {
				missing = append(missing, k+"@"+svc)
			}
		}
	}
	for _, k := range []string{"consumer@sanbao-ticket", "consumer@sanbao-warranty", "timer@sanbao-ticket", "client"} {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("trace of %d spans lacks %v", len(spans), missing)
	}
	return nil
}

// kind names what a span is: server, client, publish, consumer, timer or internal.
func kind(s sdktrace.ReadOnlySpan) string {
	switch {
	case s.SpanKind() == trace.SpanKindServer:
		return "server"
	case s.SpanKind() == trace.SpanKindClient:
		return "client"
	case s.SpanKind() == trace.SpanKindProducer:
		return "publish"
	case s.SpanKind() == trace.SpanKindConsumer:
		return "consumer"
	case strings.HasPrefix(s.Name(), "timer "):
		return "timer"
	}
	return "internal"
}

// service is the span's service.name.
func service(s sdktrace.ReadOnlySpan) string {
	for _, a := range s.Resource().Attributes() {
		if a.Key == "service.name" {
			return a.Value.AsString()
		}
	}
	return "?"
}
