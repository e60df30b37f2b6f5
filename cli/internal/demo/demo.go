// Package demo walks tickets through their whole lives against a running suite: reference data
// (a warranty policy and a sold unit, a part in a technician's van, the technician), then a
// repair from intake through warranty triage, dispatch, the signed visit, resolution, closure
// and the satisfaction survey. The `sanbao demo` command prints each step and the events it
// caused; the end-to-end tests drive the same walk and assert on it.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/tail"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

// Addrs are the services' gRPC addresses.
type Addrs struct{ Ticket, Warranty, Dispatch, Inventory string }

// Clients are connected clients of the four services.
type Clients struct {
	Ticket    ticketv1.TicketServiceClient
	Warranty  warrantyv1.WarrantyServiceClient
	Dispatch  dispatchv1.DispatchServiceClient
	Inventory inventoryv1.InventoryServiceClient
	// Attachments is the ticket service's attachment API (same connection as Ticket).
	Attachments ticketv1.AttachmentServiceClient
	// Customer is the ticket service's unit codes API (same connection as Ticket).
	Customer ticketv1.CustomerServiceClient
	conns    []*grpc.ClientConn
}

// Dial connects to the four services with the given credentials.
func Dial(a Addrs, o rpc.ClientOptions) (*Clients, error) {
	c := &Clients{}
	for _, addr := range []string{a.Ticket, a.Warranty, a.Dispatch, a.Inventory} {
		conn, err := rpc.Dial(addr, o)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.conns = append(c.conns, conn)
	}
	c.Ticket = ticketv1.NewTicketServiceClient(c.conns[0])
	c.Attachments = ticketv1.NewAttachmentServiceClient(c.conns[0])
	c.Customer = ticketv1.NewCustomerServiceClient(c.conns[0])
	c.Warranty = warrantyv1.NewWarrantyServiceClient(c.conns[1])
	c.Dispatch = dispatchv1.NewDispatchServiceClient(c.conns[2])
	c.Inventory = inventoryv1.NewInventoryServiceClient(c.conns[3])
	return c, nil
}

// Close closes the connections.
func (c *Clients) Close() {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// Main is `sanbao demo`.
func Main(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var env daemon.Env
	var a Addrs
	fs.StringVar(&a.Ticket, "ticket-addr", env.String("SANBAO_TICKET_ADDR", "127.0.0.1:50051"), "ticket service [SANBAO_TICKET_ADDR]")
	fs.StringVar(&a.Warranty, "warranty-addr", env.String("SANBAO_WARRANTY_ADDR", "127.0.0.1:50052"), "warranty service [SANBAO_WARRANTY_ADDR]")
	fs.StringVar(&a.Dispatch, "dispatch-addr", env.String("SANBAO_DISPATCH_ADDR", "127.0.0.1:50053"), "dispatch service [SANBAO_DISPATCH_ADDR]")
	fs.StringVar(&a.Inventory, "inventory-addr", env.String("SANBAO_INVENTORY_ADDR", "127.0.0.1:50054"), "inventory service [SANBAO_INVENTORY_ADDR]")
	natsURL := fs.String("nats-url", env.String("SANBAO_NATS_URL", creds.NATSURL), "NATS, to print the events [SANBAO_NATS_URL]; empty: no events")
	failFirst := fs.Bool("fail-first-visit", false, "the first visit does not fix the fault: watch the escalation and the second visit")
	var cf creds.Flags
	cf.Register(fs, &env)
	cf.RegisterNATS(fs, &env)
	if err := fs.Parse(args); err != nil {
		return err
	}
	o, err := cf.Options()
	if err != nil {
		return err
	}
	c, err := Dial(a, o)
	if err != nil {
		return err
	}
	defer c.Close()
	var mu sync.Mutex
	w := &Walk{C: c, Out: out, Run: RunID(), mu: &mu}
	if *natsURL != "" {
		nopts, err := cf.NATS(*natsURL)
		if err != nil {
			return err
		}
		nc, err := nats.Connect(*natsURL, append(nopts, nats.Name("sanbao-demo"))...)
		if err != nil {
			return fmt.Errorf("connect %s (use --nats-url '' to run without events): %w", *natsURL, err)
		}
		defer nc.Close()
		sub, err := nc.Subscribe("sanbao.>", func(m *nats.Msg) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintln(out, "      event  "+tail.Format(m.Subject, m.Header, m.Data, false))
		})
		if err != nil {
			return err
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	seed, err := w.Seed(ctx)
	if err != nil {
		return err
	}
	t, err := w.Repair(ctx, seed, RepairOptions{FailFirstVisit: *failFirst})
	if err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // let the last events print: a demo for people, not a test
	w.step("done: %s is %s after %d visit(s)", t.GetNumber(), short(t.GetState().String()), len(t.GetJobs()))
	return nil
}

// RunID makes the suffix that keeps one run's reference data and request ids apart from
// another's, so the demo can run again against the same suite.
func RunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Walk drives the scenarios.
type Walk struct {
	C   *Clients
	Out io.Writer
	Run string // unique per run
	mu  *sync.Mutex
	// Poll bounds every wait for asynchronous work (default 30s).
	Poll time.Duration
	// Every is the polling interval of those waits (default 50ms); with Changes set, the
	// interval of a safety read between changes.
	Every time.Duration
	// Changes, when set, wakes waits at each event of their ticket instead of polling.
	Changes *Changes
	// Capacity is the seeded technician's jobs per day and Stock the parts in the van
	// (defaults 6 and 4); benchmarks raise them.
	Capacity int32
	Stock    int64
	// Now is the clients' idea of the present (the technician's phone, the desk's screen):
	// time.Now by default; a test world moved in time passes its own.
	Now func() time.Time
	// prefix keeps the request ids of walks of different kinds apart within one run.
	prefix string
}

func (w *Walk) step(format string, args ...any) {
	if w.Out == nil {
		return
	}
	if w.mu != nil {
		w.mu.Lock()
		defer w.mu.Unlock()
	}
	fmt.Fprintf(w.Out, "==> "+format+"\n", args...)
}

func (w *Walk) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}

func (w *Walk) rid(what string) string { return "demo-" + w.Run + "-" + w.prefix + what }

// Seed is the reference data a walk uses.
type Seed struct {
	PolicyID     string
	Serial       string
	PartID       string
	VanID        string
	TechnicianID string
	Site         *typev1.GeoPoint
	ProductLine  string
}

// Seed creates a consumer 三包 policy, a unit sold 30 days ago, a part stocked in a van, and the
// technician who drives it, near the customer's site.
func (w *Walk) Seed(ctx context.Context) (*Seed, error) {
	s := &Seed{Serial: "SN-" + strings.ToUpper(w.Run), Site: &typev1.GeoPoint{Latitude: 36.651, Longitude: 117.120}, ProductLine: "tractor"}
	tpls, err := w.C.Warranty.ListPolicyTemplates(ctx, &warrantyv1.ListPolicyTemplatesRequest{})
	if err != nil {
		return nil, fmt.Errorf("list policy templates: %w", err)
	}
	if len(tpls.GetTemplates()) == 0 {
		return nil, errors.New("warranty service offers no policy templates")
	}
	tpl := tpls.GetTemplates()[0]
	for _, t := range tpls.GetTemplates() {
		if strings.Contains(strings.ToLower(t.GetName()), "consumer") {
			tpl = t
		}
	}
	pol, err := w.C.Warranty.CreatePolicy(ctx, &warrantyv1.CreatePolicyRequest{RequestId: w.rid("policy"), Template: tpl.GetName(),
		Policy: &warrantyv1.Policy{Name: "Demo " + tpl.GetName() + " " + w.Run}})
	if err != nil {
		return nil, fmt.Errorf("create policy from template %q: %w", tpl.GetName(), err)
	}
	s.PolicyID = pol.GetPolicy().GetId()
	w.step("warranty policy %s v%d from template %q", s.PolicyID, pol.GetPolicy().GetVersion(), tpl.GetName())

	sold := w.now().AddDate(0, 0, -30)
	day := &typev1.Date{Year: int32(sold.Year()), Month: int32(sold.Month()), Day: int32(sold.Day())}
	unit, err := w.C.Warranty.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: w.rid("unit"), Unit: &warrantyv1.Unit{
		Serial: s.Serial, Model: "TX-904", ProductName: "Tractor", PolicyId: s.PolicyID, PolicyVersion: pol.GetPolicy().GetVersion(),
		DealerId: "dealer-jinan", Dates: &warrantyv1.UnitDates{Sale: day, Delivery: day},
	}})
	if err != nil {
		return nil, fmt.Errorf("register unit: %w", err)
	}
	if _, err := w.C.Warranty.ReturnWarrantyCard(ctx, &warrantyv1.ReturnWarrantyCardRequest{RequestId: w.rid("card"),
		Serial: s.Serial, ReceivedDate: day}); err != nil {
		return nil, fmt.Errorf("return warranty card: %w", err)
	}
	w.step("unit %s registered (sold %s, card returned)", unit.GetUnit().GetSerial(), sold.Format(time.DateOnly))

	part, err := w.C.Inventory.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: w.rid("part"), Part: &inventoryv1.Part{
		Sku: "HP-" + w.Run, Name: "Hydraulic pump", Kind: inventoryv1.PartKind_PART_KIND_WARRANTY, UnitOfMeasure: "pcs",
		UnitCost: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 42000}, Price: &typev1.Money{CurrencyCode: "CNY", AmountMinor: 68000},
	}})
	if err != nil {
		return nil, fmt.Errorf("create part: %w", err)
	}
	s.PartID = part.GetPart().GetId()
	tech, err := w.C.Dispatch.CreateTechnician(ctx, &dispatchv1.CreateTechnicianRequest{RequestId: w.rid("tech"), Technician: &dispatchv1.Technician{
		DisplayName: "Li (demo " + w.Run + ")", OrganisationId: "station-jinan", OrganisationKind: dispatchv1.OrganisationKind_ORGANISATION_KIND_SERVICE_STATION,
		Level: dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_EXPERT, Skills: []*dispatchv1.ProductSkills{{ProductLine: s.ProductLine, Skills: []string{"hydraulics"}}},
		HomeBase: &typev1.GeoPoint{Latitude: 36.67, Longitude: 117.0}, ServiceRadiusKm: 100, CapacityPerDay: or(w.Capacity, 6), Active: true,
		Calendar: alwaysOpen(),
	}})
	if err != nil {
		return nil, fmt.Errorf("create technician: %w", err)
	}
	if err := w.C.Qualify(ctx, tech.GetTechnician(), w.rid("qualify")); err != nil {
		return nil, err
	}
	s.TechnicianID = tech.GetTechnician().GetId()
	van, err := w.C.Inventory.CreateLocation(ctx, &inventoryv1.CreateLocationRequest{RequestId: w.rid("van"), Location: &inventoryv1.Location{
		Name: "Van " + w.Run, Kind: inventoryv1.LocationKind_LOCATION_KIND_VAN, TechnicianId: s.TechnicianID,
		OrganisationId: "station-jinan", Point: &typev1.GeoPoint{Latitude: 36.67, Longitude: 117.0},
	}})
	if err != nil {
		return nil, fmt.Errorf("create van location: %w", err)
	}
	s.VanID = van.GetLocation().GetId()
	if _, err := w.C.Inventory.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: w.rid("stock"), PartId: s.PartID,
		LocationId: s.VanID, Quantity: or(w.Stock, 4), ReceivingNote: "RN-" + w.Run}); err != nil {
		return nil, fmt.Errorf("receive stock: %w", err)
	}
	w.step("technician %s with %d × %s in van %s", s.TechnicianID, or(w.Stock, 4), part.GetPart().GetSku(), s.VanID)
	return s, nil
}

// alwaysOpen is a 7×24 working calendar, so the demo works at any hour.
func alwaysOpen() *dispatchv1.WorkingCalendar {
	c := &dispatchv1.WorkingCalendar{TimeZone: "Asia/Shanghai"}
	for d := int32(1); d <= 7; d++ {
		c.Hours = append(c.Hours, &dispatchv1.WorkingHours{Weekday: d, StartMinute: 0, EndMinute: 24 * 60})
	}
	return c
}

// RepairOptions vary the repair walk.
type RepairOptions struct {
	FailFirstVisit bool                // the first visit does not fix it: escalation and a second visit
	Kind           ticketv1.TicketKind // an on-site kind: repair (default), maintenance, installation
}

// Repair walks one repair ticket through its life and returns it closed with its survey.
func (w *Walk) Repair(ctx context.Context, s *Seed, o RepairOptions) (*ticketv1.Ticket, error) {
	if o.Kind == ticketv1.TicketKind_TICKET_KIND_UNSPECIFIED {
		o.Kind = ticketv1.TicketKind_TICKET_KIND_REPAIR
	}
	w.prefix = short(o.Kind.String()) + "-"
	defer func() { w.prefix = "" }()
	created, err := w.C.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: w.rid("ticket"), Ticket: &ticketv1.Ticket{
		Kind: o.Kind, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_HIGH,
		Customer: &ticketv1.Customer{CustomerId: "cust-" + w.Run, Contact: &typev1.Contact{Name: "Wang", Phone: "13800000000"},
			Address: &typev1.Address{Region: "Shandong", City: "Jinan", Point: s.Site}},
		Unit: &ticketv1.Unit{Serial: s.Serial, ProductLine: s.ProductLine, Model: "TX-904"},
		Fault: &ticketv1.Fault{FaultCode: "HYD-01", Symptom: "hydraulic lift does not hold",
			LikelyParts: []*ticketv1.PartNeed{{PartId: s.PartID, Quantity: 1}}}, // the engineer's guess: the pump
		RequestedRemedy:   ticketv1.Remedy_REMEDY_REPAIR,
		RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE,
		OrganisationId:    "station-jinan",
	}})
	if err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	id := created.GetTicket().GetId()
	w.step("ticket %s received (state %s)", created.GetTicket().GetNumber(), short(created.GetTicket().GetState().String()))

	visits := 1
	if o.FailFirstVisit {
		visits = 2
	}
	var t *ticketv1.Ticket
	for visit := 1; visit <= visits; visit++ {
		t, err = w.waitTicket(ctx, id, fmt.Sprintf("visit %d dispatched and assigned", visit), func(t *ticketv1.Ticket) bool {
			return len(t.GetJobs()) >= visit && t.GetJobs()[visit-1].GetTechnicianId() != ""
		})
		if err != nil {
			return nil, err
		}
		if visit == 1 {
			tr := t.GetTriage()
			w.step("triaged: coverage %s, remedies %v, policy %s v%d", short(tr.GetCoverage().String()), remedies(tr.GetAllowedRemedies()),
				tr.GetWarrantyPolicyId(), tr.GetWarrantyPolicyVersion())
			for _, c := range tr.GetClauses() {
				w.step("    clause %s: %s", c.GetClause(), c.GetExplanation())
			}
		}
		job := t.GetJobs()[visit-1]
		w.step("visit %d: job %s assigned to %s", visit, job.GetJobId(), job.GetTechnicianId())
		resolved := !(o.FailFirstVisit && visit == 1)
		if err := w.Visit(ctx, job.GetJobId(), job.GetTechnicianId(), s, resolved); err != nil {
			return nil, err
		}
	}
	t, err = w.waitTicket(ctx, id, "resolved", func(t *ticketv1.Ticket) bool {
		return t.GetState() == ticketv1.TicketState_TICKET_STATE_RESOLVED
	})
	if err != nil {
		return nil, err
	}
	w.step("resolved: %s", t.GetResolution().GetSolution())
	if _, err := w.C.Ticket.ConfirmResolution(ctx, &ticketv1.ConfirmResolutionRequest{RequestId: w.rid("confirm"), TicketId: id}); err != nil {
		return nil, fmt.Errorf("confirm resolution: %w", err)
	}
	closed, err := w.C.Ticket.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: w.rid("close"), TicketId: id})
	if err != nil {
		return nil, fmt.Errorf("close ticket: %w", err)
	}
	w.step("customer confirmed; ticket %s", short(closed.GetTicket().GetState().String()))
	surveyed, err := w.C.Ticket.SubmitSurvey(ctx, &ticketv1.SubmitSurveyRequest{RequestId: w.rid("survey"), TicketId: id, Survey: &ticketv1.Survey{
		Answers: []*ticketv1.SurveyAnswer{{Question: "timeliness", Score: 5}, {Question: "attitude", Score: 5}, {Question: "quality", Score: 4}},
		Comment: "fixed on the spot",
	}})
	if err != nil {
		return nil, fmt.Errorf("submit survey: %w", err)
	}
	w.step("survey: mean %.2f, satisfied %v", surveyed.GetTicket().GetSurvey().GetMeanScore(), surveyed.GetTicket().GetSurvey().GetSatisfied())
	return surveyed.GetTicket(), nil
}

// Visit is the technician's side of one visit: accept, travel, check in, record the work and
// complete it with the customer's sign-off (resolved or not).
func (w *Walk) Visit(ctx context.Context, jobID, techID string, s *Seed, resolved bool) error {
	rid := func(step string) string { return w.rid(jobID + "-" + step) }
	if _, err := w.C.Dispatch.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: rid("accept"), JobId: jobID, TechnicianId: techID}); err != nil {
		return fmt.Errorf("accept job: %w", err)
	}
	if _, err := w.C.Dispatch.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: rid("travel"), JobId: jobID, TechnicianId: techID}); err != nil {
		return fmt.Errorf("start travel: %w", err)
	}
	if _, err := w.C.Dispatch.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: rid("checkin"), JobId: jobID, TechnicianId: techID,
		Point: s.Site, CheckInTime: timestamppb.New(w.now())}); err != nil {
		return fmt.Errorf("check in: %w", err)
	}
	w.step("technician accepted, travelled and checked in on site")
	report := &dispatchv1.ServiceReport{
		Diagnosis: "pump seal worn", FaultCause: "seal wear within design life",
		Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_PRODUCT_QUALITY,
		WorkDone:       "replaced the hydraulic pump",
		PartsUsed: []*dispatchv1.UsedPart{{PartId: s.PartID, Quantity: 1, FaultySerial: "P-OLD-" + jobID[len(jobID)-6:],
			ReplacementSerial: "P-NEW-" + jobID[len(jobID)-6:], Reason: "leaking seal", UnderWarranty: true, OldPartTakenBack: true}},
		TimeSpent: durationpb.New(90 * time.Minute), TravelKm: 12, Resolved: resolved,
	}
	if !resolved {
		report.WorkDone = "bled the circuit; the fault came back: pump must be replaced on a second visit"
		report.PartsUsed = nil
	}
	if _, err := w.C.Dispatch.RecordWork(ctx, &dispatchv1.RecordWorkRequest{RequestId: rid("work"), JobId: jobID, TechnicianId: techID, Report: report}); err != nil {
		return fmt.Errorf("record work: %w", err)
	}
	report.SignOff = &dispatchv1.SignOff{SignerName: "Wang", SignedTime: timestamppb.New(w.now()), SignatureRef: "sig/" + jobID}
	if _, err := w.C.Dispatch.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: rid("complete"), JobId: jobID, TechnicianId: techID, Report: report}); err != nil {
		return fmt.Errorf("complete visit: %w", err)
	}
	if resolved {
		w.step("visit completed and signed by the customer: fixed")
	} else {
		w.step("visit completed and signed: NOT fixed, another visit is needed")
	}
	return nil
}

// waitTicket polls the ticket until ok says so, or the wait bound passes.
func (w *Walk) waitTicket(ctx context.Context, id, what string, ok func(*ticketv1.Ticket) bool) (*ticketv1.Ticket, error) {
	bound := w.Poll
	if bound <= 0 {
		bound = 30 * time.Second
	}
	deadline := time.Now().Add(bound)
	var last *ticketv1.Ticket
	for {
		var changed <-chan struct{} // nil (never ready) without Changes
		if w.Changes != nil {
			changed = w.Changes.Next(id) // before the read: a change after it wakes us
		}
		resp, err := w.C.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: id})
		if err == nil {
			last = resp.GetTicket()
			if ok(last) {
				if w.Changes != nil {
					w.Changes.Forget(id)
				}
				return last, nil
			}
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("ticket %s: not %s within %v (state %s, last error %v)", id, what, bound, short(last.GetState().String()), err)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-changed:
		case <-time.After(or(w.Every, 50*time.Millisecond)):
		}
	}
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func remedies(rs []ticketv1.Remedy) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = short(r.String())
	}
	return out
}

// short strips an enum value's type prefix: TICKET_STATE_RESOLVED → resolved.
func short(s string) string {
	for _, p := range []string{"TICKET_STATE_", "TICKET_KIND_", "COVERAGE_", "REMEDY_", "JOB_STATE_"} {
		s = strings.TrimPrefix(s, p)
	}
	return strings.ToLower(s)
}
