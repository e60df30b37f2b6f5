// Package e2e_test starts the four service binaries and an external nats-server as separate
// processes and walks tickets through their lives over real gRPC connections.
package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/demo"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
)

func (s *suite) clients(t *testing.T) *demo.Clients {
	t.Helper()
	c, err := demo.Dial(demo.Addrs{Ticket: s.addrs["ticket"], Warranty: s.addrs["warranty"], Dispatch: s.addrs["dispatch"], Inventory: s.addrs["inventory"]}, s.copts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// readStream reads every message on the service's stream now, in order; a message that is not a
// CloudEvent is reported through bad (seq and error) and skipped.
func (s *suite) readStream(t *testing.T, stream string, bad func(seq uint64, err error)) []events.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, info, done := s.openStream(ctx, t, stream)
	defer done()
	var out []events.Message
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		raw, err := st.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		m, err := events.Parse(raw.Subject, raw.Header, raw.Data)
		if err != nil {
			bad(seq, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// shortType is an event's type without its package: "TicketCreated".
func shortType(m events.Message) string { return m.Type[strings.LastIndexByte(m.Type, '.')+1:] }

// published returns the event types on the service's stream for one resource.
func (s *suite) published(t *testing.T, stream, resource string) []string {
	t.Helper()
	var types []string
	for _, m := range s.readStream(t, stream, func(seq uint64, err error) {
		t.Errorf("%s seq %d is not a CloudEvent: %v", stream, seq, err)
	}) {
		if m.Resource == resource {
			types = append(types, shortType(m))
		}
	}
	return types
}

// ofTicket returns the event types on stream that carry ticket in ce-sanbaoticket, and an
// error for every event that names the ticket (its resource, its job's resource, or the id in
// its body) without carrying it: an integrator following the ticket would miss it.
func (s *suite) ofTicket(t *testing.T, stream, ticket string, jobs ...string) ([]string, error) {
	t.Helper()
	var types []string
	var missed []error
	for _, m := range s.readStream(t, stream, func(uint64, error) {}) {
		names := m.Resource == "tickets/"+ticket || strings.Contains(string(m.Data), `"`+ticket+`"`)
		for _, j := range jobs {
			names = names || m.Resource == "jobs/"+j
		}
		switch {
		case m.Ticket == ticket:
			types = append(types, shortType(m))
		case names:
			missed = append(missed, fmt.Errorf("%s %s %s (%s) names ticket %s but its ce-sanbaoticket is %q", stream, m.Type, m.Resource, m.ID, ticket, m.Ticket))
		}
	}
	return types, errors.Join(missed...)
}

// waitPublished waits until the service's stream holds every wanted event type for resource:
// the relay publishes after the call that caused an event has returned, so one read can come
// too early on a loaded machine.
func (s *suite) waitPublished(t *testing.T, stream, resource string, want ...string) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, func() error {
		return hasAll(s.published(t, stream, resource), want...)
	})
}

func hasAll(got []string, want ...string) error {
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return fmt.Errorf("no %s among %v", w, got)
		}
	}
	return nil
}

// TestLifecycle starts the suite once and walks tickets of every kind through it.
func TestLifecycle(t *testing.T) {
	s := start(t, nil)
	c := s.clients(t)
	ctx := context.Background()
	w := &demo.Walk{C: c, Run: demo.RunID(), Poll: 60 * time.Second, Now: svctest.Now}
	seed, err := w.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("repair from intake to survey", func(t *testing.T) {
		tk, err := w.Repair(ctx, seed, demo.RepairOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tk.GetState() != ticketv1.TicketState_TICKET_STATE_CLOSED || tk.GetSurvey() == nil || len(tk.GetJobs()) != 1 {
			t.Fatalf("ticket after the walk: state %v, survey %v, %d jobs; want closed, surveyed, 1 job", tk.GetState(), tk.GetSurvey(), len(tk.GetJobs()))
		}
		if tk.GetTriage().GetCoverage() != ticketv1.Coverage_COVERAGE_FREE {
			t.Errorf("coverage of a unit sold 30 days ago = %v, want free", tk.GetTriage().GetCoverage())
		}
		s.waitPublished(t, "TICKET", "tickets/"+tk.GetId(), "TicketCreated", "TicketTriaged", "TicketDispatched", "TicketResolved", "TicketClosed", "SurveySubmitted")
		job := tk.GetJobs()[0].GetJobId()
		s.waitPublished(t, "DISPATCH", "jobs/"+job, "JobCreated", "JobAssigned", "JobAccepted", "JobCheckedIn", "VisitCompleted")
		// An integrator follows the ticket by its ce-sanbaoticket alone, across the streams.
		for stream, want := range map[string][]string{
			"TICKET":    {"TicketCreated", "TicketTriaged", "TicketDispatched", "TicketResolved", "TicketClosed", "SurveySubmitted"},
			"DISPATCH":  {"JobCreated", "JobAssigned", "JobAccepted", "JobCheckedIn", "VisitCompleted"},
			"WARRANTY":  {"ClaimEvaluated", "RepairRecorded"},
			"INVENTORY": {"PartsReserved", "ReservationConsumed"},
		} {
			natstest.Eventually(t, 30*time.Second, func() error {
				got, err := s.ofTicket(t, stream, tk.GetId(), job)
				if err != nil {
					return err
				}
				return hasAll(got, want...)
			})
		}
		// The fault's likely part went with the job: reserved in the technician's van at
		// assignment, consumed after the signed visit.
		natstest.Eventually(t, 30*time.Second, func() error {
			got, err := c.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: job})
			if err != nil {
				return err
			}
			pr := got.GetJob().GetPartsReservation()
			if pr.GetState() != dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_CONSUMED || pr.GetLocationId() != seed.VanID {
				return fmt.Errorf("job parts reservation = %v, want consumed from van %s", pr, seed.VanID)
			}
			return nil
		})
		// Warranty records the repair from dispatch's visit-completed event.
		natstest.Eventually(t, 30*time.Second, func() error {
			u, err := c.Warranty.GetUnit(ctx, &warrantyv1.GetUnitRequest{Serial: seed.Serial})
			if err != nil {
				return err
			}
			if u.GetUnit().GetRepairCount() < 1 {
				return fmt.Errorf("unit %s has %d repairs recorded", seed.Serial, u.GetUnit().GetRepairCount())
			}
			return nil
		})
	})

	t.Run("old part returned, appraised as misuse, charged back in warranty", func(t *testing.T) {
		jobs, err := c.Ticket.ListTickets(ctx, &ticketv1.ListTicketsRequest{UnitSerial: seed.Serial})
		if err != nil || len(jobs.GetTickets()) == 0 || len(jobs.GetTickets()[0].GetJobs()) == 0 {
			t.Fatalf("the repaired ticket: %v, %v", jobs, err)
		}
		job := jobs.GetTickets()[0].GetJobs()[0].GetJobId()
		faulty := "P-OLD-" + job[len(job)-6:] // as the demo's service report names it
		// Dispatch consumes the job's reservation after the visit, as a durable task.
		natstest.Eventually(t, 30*time.Second, func() error {
			rs, err := c.Inventory.ListReservations(ctx, &inventoryv1.ListReservationsRequest{JobId: job,
				State: inventoryv1.ReservationState_RESERVATION_STATE_CONSUMED})
			if err != nil {
				return err
			}
			if len(rs.GetReservations()) != 1 {
				return fmt.Errorf("job %s: %d consumed reservations", job, len(rs.GetReservations()))
			}
			return nil
		})
		// The part was consumed under warranty, so inventory holds a must-return obligation for
		// it; the return fulfils it (by job and part).
		returned, err := c.Inventory.ReturnOldPart(ctx, &inventoryv1.ReturnOldPartRequest{RequestId: "ret-" + job,
			JobId: job, PartId: seed.PartID, FaultySerial: faulty, Reason: "leaking seal"})
		if err != nil {
			t.Fatal(err)
		}
		ret := returned.GetOldPartReturn()
		if ret.GetReservationId() == "" {
			t.Errorf("return %s fulfilled no must-return obligation of the consumed reservation", ret.GetId())
		}
		scrap, err := c.Inventory.CreateLocation(ctx, &inventoryv1.CreateLocationRequest{RequestId: "scrap-" + w.Run,
			Location: &inventoryv1.Location{Name: "Scrap " + w.Run, Kind: inventoryv1.LocationKind_LOCATION_KIND_SCRAP}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Inventory.AppraiseReturn(ctx, &inventoryv1.AppraiseReturnRequest{RequestId: "appraise-" + job, ReturnId: ret.GetId(),
			Verdict: inventoryv1.Verdict_VERDICT_MISUSE, Destination: inventoryv1.Destination_DESTINATION_SCRAP,
			DestinationLocationId: scrap.GetLocation().GetId(), AppraiserId: "tech-dept"}); err != nil {
			t.Fatal(err)
		}
		natstest.Eventually(t, 30*time.Second, func() error {
			r, err := c.Warranty.ListRepairs(ctx, &warrantyv1.ListRepairsRequest{Serial: seed.Serial})
			if err != nil {
				return err
			}
			for _, rep := range r.GetRepairs() {
				for _, sw := range rep.GetParts() {
					if rep.GetJobId() == job && sw.GetChargeBack().GetVerdict() == "VERDICT_MISUSE" {
						return nil
					}
				}
			}
			return fmt.Errorf("no charged-back swap on job %s yet", job)
		})
	})

	t.Run("failed first visit escalates and dispatches again", func(t *testing.T) {
		w2 := &demo.Walk{C: c, Run: demo.RunID(), Poll: 60 * time.Second, Now: svctest.Now}
		seed2, err := w2.Seed(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := w2.Repair(ctx, seed2, demo.RepairOptions{FailFirstVisit: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(tk.GetJobs()) != 2 || tk.GetEscalationLevel() < 1 {
			t.Fatalf("after a failed first visit: %d jobs, escalation level %d; want 2 jobs and an escalation", len(tk.GetJobs()), tk.GetEscalationLevel())
		}
		s.waitPublished(t, "TICKET", "tickets/"+tk.GetId(), "TicketEscalated")
	})

	t.Run("SLA breach", func(t *testing.T) {
		_, err := c.Ticket.CreateServicePolicy(ctx, &ticketv1.CreateServicePolicyRequest{RequestId: "e2e-fast-" + w.Run, Policy: &ticketv1.ServicePolicy{
			Id: "e2e-fast-" + w.Run, DisplayName: "fix within two seconds",
			Targets: []*ticketv1.SlaTarget{{Name: "fix", Metric: ticketv1.SlaMetric_SLA_METRIC_FIX,
				Audience: ticketv1.SlaAudience_SLA_AUDIENCE_CUSTOMER, Basis: ticketv1.SlaBasis_SLA_BASIS_ELAPSED,
				Target: durationpb.New(2 * time.Second), EscalateOnBreach: true}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		created, err := c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "e2e-sla-" + w.Run, Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_WEB,
			Priority: ticketv1.Priority_PRIORITY_NORMAL, ServicePolicyId: "e2e-fast-" + w.Run,
			Customer: &ticketv1.Customer{CustomerId: "cust-sla"}, Unit: &ticketv1.Unit{Serial: seed.Serial, ProductLine: seed.ProductLine},
			Fault:             &ticketv1.Fault{FaultCode: "PTO-01", Symptom: "PTO shaft vibrates"},
			RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE,
		}})
		if err != nil {
			t.Fatal(err)
		}
		id := created.GetTicket().GetId()
		natstest.Eventually(t, 60*time.Second, func() error {
			got, err := c.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: id})
			if err != nil {
				return err
			}
			if !got.GetTicket().GetBreached() {
				return fmt.Errorf("ticket %s not breached yet", id)
			}
			return nil
		})
		s.waitPublished(t, "TICKET", "tickets/"+id, "SlaBreached")
		breached := true
		list, err := c.Ticket.ListTickets(ctx, &ticketv1.ListTicketsRequest{Breached: &breached})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, tk := range list.GetTickets() {
			found = found || tk.GetId() == id
		}
		if !found {
			t.Errorf("ListTickets(breached) does not list %s", id)
		}
		// The operators' view of the same: ticket's /metrics.
		page := s.scrape("ticket")
		for _, want := range []string{
			`sanbao_sla_breaches_total{audience="customer",metric="fix"} 1`,
			`grpc_server_handled_total{grpc_code="OK",grpc_method="CreateTicket",grpc_service="sanbao.ticket.v1.TicketService",grpc_type="unary"}`,
			`grpc_client_handled_total{grpc_code="OK",grpc_method="EvaluateClaim",grpc_service="sanbao.warranty.v1.WarrantyService",grpc_type="unary"}`,
			`sanbao_consumer_lag_messages{consumer="ticket-jobs"}`,
			"sanbao_outbox_depth", "sanbao_outbox_oldest_age_seconds", "sanbao_store_size_bytes", "sanbao_ready 1",
			`grpc_server_handling_seconds_bucket{grpc_method="CreateTicket",grpc_service="sanbao.ticket.v1.TicketService",grpc_type="unary",le=`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("ticket /metrics lacks %s", want)
			}
		}
	})

	t.Run("online backup while serving", func(t *testing.T) {
		body := s.get("http://" + s.admin["ticket"] + "/backup")
		path := filepath.Join(t.TempDir(), "ticket.db")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatalf("the backup does not open as a bbolt file: %v", err)
		}
		defer db.Close()
		err = db.View(func(tx *bbolt.Tx) error {
			for err := range tx.Check() {
				return err
			}
			n := 0
			_ = tx.ForEach(func(_ []byte, b *bbolt.Bucket) error { n += b.Stats().KeyN; return nil })
			if n < 10 {
				return fmt.Errorf("backup holds only %d keys", n)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("backup: %v", err)
		}
	})

	t.Run("warranty down at intake: the ticket waits and is triaged when it returns", func(t *testing.T) {
		s.stopProc(s.svcs["warranty"])
		created, err := c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "e2e-down-" + w.Run, Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_NORMAL,
			Customer: &ticketv1.Customer{CustomerId: "cust-down"}, Unit: &ticketv1.Unit{Serial: seed.Serial, ProductLine: seed.ProductLine},
			Fault: &ticketv1.Fault{FaultCode: "HYD-02", Symptom: "slow lift"}, RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE,
		}})
		if err != nil {
			t.Fatalf("CreateTicket with warranty down = %v; intake must not depend on warranty", err)
		}
		got, err := c.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: created.GetTicket().GetId()})
		if err != nil || got.GetTicket().GetState() != ticketv1.TicketState_TICKET_STATE_RECEIVED {
			t.Fatalf("ticket while warranty is down = %v, %v; want received", got.GetTicket().GetState(), err)
		}
		s.startService("warranty", nil)
		natstest.Eventually(t, 60*time.Second, func() error {
			got, err := c.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: created.GetTicket().GetId()})
			if err != nil {
				return err
			}
			if got.GetTicket().GetTriage() == nil {
				return fmt.Errorf("not triaged yet (state %v)", got.GetTicket().GetState())
			}
			return nil
		})
	})
}

// TestEveryKind walks a ticket of each kind from intake to closure: the on-site kinds through
// dispatch, complaints through verification and answer, the desk kinds through triage and a
// recorded resolution.
func TestEveryKind(t *testing.T) {
	s := start(t, nil)
	c := s.clients(t)
	ctx := context.Background()
	w := &demo.Walk{C: c, Run: demo.RunID(), Poll: 60 * time.Second, Now: svctest.Now}
	seed, err := w.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []ticketv1.TicketKind{ticketv1.TicketKind_TICKET_KIND_MAINTENANCE, ticketv1.TicketKind_TICKET_KIND_INSTALLATION} {
		t.Run(kind.String(), func(t *testing.T) {
			tk, err := w.Repair(ctx, seed, demo.RepairOptions{Kind: kind})
			if err != nil {
				t.Fatal(err)
			}
			if tk.GetKind() != kind || tk.GetState() != ticketv1.TicketState_TICKET_STATE_CLOSED || len(tk.GetJobs()) != 1 {
				t.Fatalf("%v ticket ends %v with %d jobs; want closed after one visit", kind, tk.GetState(), len(tk.GetJobs()))
			}
		})
	}
	create := func(t *testing.T, kind ticketv1.TicketKind, serial string) string {
		t.Helper()
		resp, err := c.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "kind-" + w.Run + "-" + kind.String(), Ticket: &ticketv1.Ticket{
			Kind: kind, Channel: ticketv1.Channel_CHANNEL_LETTER, Priority: ticketv1.Priority_PRIORITY_NORMAL,
			Customer: &ticketv1.Customer{CustomerId: "cust-kinds"}, Unit: &ticketv1.Unit{Serial: serial, ProductLine: seed.ProductLine},
			Fault:           &ticketv1.Fault{FaultCode: "GEN-01", Symptom: "see letter"},
			RequestedRemedy: ticketv1.Remedy_REMEDY_EXCHANGE,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetTicket().GetId()
	}
	closeOut := func(t *testing.T, id string) {
		t.Helper()
		if _, err := c.Ticket.ConfirmResolution(ctx, &ticketv1.ConfirmResolutionRequest{RequestId: "confirm-" + id, TicketId: id}); err != nil {
			t.Fatal(err)
		}
		closed, err := c.Ticket.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: "close-" + id, TicketId: id})
		if err != nil {
			t.Fatal(err)
		}
		if closed.GetTicket().GetState() != ticketv1.TicketState_TICKET_STATE_CLOSED {
			t.Fatalf("ticket %s after close: %v", id, closed.GetTicket().GetState())
		}
	}
	t.Run("complaint", func(t *testing.T) {
		id := create(t, ticketv1.TicketKind_TICKET_KIND_COMPLAINT, seed.Serial)
		if _, err := c.Ticket.VerifyComplaint(ctx, &ticketv1.VerifyComplaintRequest{RequestId: "verify-" + id, TicketId: id,
			Category: ticketv1.ComplaintCategory_COMPLAINT_CATEGORY_PRODUCT_QUALITY, Content: ticketv1.ComplaintContent_COMPLAINT_CONTENT_PRODUCT,
			Severity:     ticketv1.ComplaintSeverity_COMPLAINT_SEVERITY_SERIOUS,
			Verification: &ticketv1.ComplaintVerification{Substantiated: true, Finding: "seal batch 2026-09 out of tolerance", ResponsibleDepartment: "quality"},
		}); err != nil {
			t.Fatal(err)
		}
		// A serious complaint is answered by another manager than the one who verified it.
		manager := s.ticketAs(t, auth.Person{Subject: "e2e-manager-2", Roles: []auth.Role{auth.RoleManager}})
		ans, err := manager.AnswerComplaint(ctx, &ticketv1.AnswerComplaintRequest{RequestId: "answer-" + id, TicketId: id, Answer: &ticketv1.ComplaintAnswer{
			Text: "we replace the seal free of charge", RootCause: "supplier seal batch", Prevention: "incoming inspection of seals", SignOffs: []string{"quality", "sales", "management"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if ans.GetTicket().GetComplaint().GetNumber() == "" {
			t.Error("complaint has no complaint number")
		}
		closeOut(t, id)
		s.waitPublished(t, "TICKET", "tickets/"+id, "TicketCreated", "ComplaintVerified", "ComplaintAnswered", "TicketClosed")
	})
	for _, kind := range []ticketv1.TicketKind{ticketv1.TicketKind_TICKET_KIND_CONSULTATION, ticketv1.TicketKind_TICKET_KIND_RETURN_EXCHANGE} {
		t.Run(kind.String(), func(t *testing.T) {
			id := create(t, kind, seed.Serial)
			natstest.Eventually(t, 60*time.Second, func() error {
				got, err := c.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: id})
				if err != nil {
					return err
				}
				if st := got.GetTicket().GetState(); st == ticketv1.TicketState_TICKET_STATE_RECEIVED {
					return fmt.Errorf("still %v", st)
				}
				return nil
			})
			if _, err := c.Ticket.ResolveTicket(ctx, &ticketv1.ResolveTicketRequest{RequestId: "resolve-" + id, TicketId: id,
				Resolution: &ticketv1.Resolution{Solution: "handled at the desk"}}); err != nil {
				t.Fatal(err)
			}
			closeOut(t, id)
		})
	}
	t.Run("metrics over the period", func(t *testing.T) {
		now := svctest.Now()
		m, err := c.Ticket.GetServiceMetrics(ctx, &ticketv1.GetServiceMetricsRequest{
			StartTime: timestamppb.New(now.Add(-time.Hour)), EndTime: timestamppb.New(now.Add(time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		got := m.GetMetrics()
		if got.GetTickets() < 5 || got.GetResolved() < 5 || got.GetComplaints() < 1 || len(got.GetKpis()) == 0 {
			t.Errorf("metrics after five closed tickets and a complaint: %d tickets, %d resolved, %d complaints, %d KPIs",
				got.GetTickets(), got.GetResolved(), got.GetComplaints(), len(got.GetKpis()))
		}
	})
}

// TestCrashLosesNothing kills ticketd with SIGKILL while clients create tickets. Every create
// that returned OK survives with its event published exactly once, every create that failed
// succeeds when retried with the same request_id after the restart (once), and all of them are
// triaged.
func TestCrashLosesNothing(t *testing.T) {
	s := start(t, nil)
	c := s.clients(t)
	ctx := context.Background()
	w := &demo.Walk{C: c, Run: demo.RunID(), Now: svctest.Now}
	seed, err := w.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 60
	type result struct {
		rid, id string
		err     error
	}
	results := make([]result, n)
	create := func(i int, cctx context.Context, opts ...grpc.CallOption) (string, error) {
		resp, err := c.Ticket.CreateTicket(cctx, &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("crash-%s-%d", w.Run, i), Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_NORMAL,
			Customer: &ticketv1.Customer{CustomerId: "cust-crash"}, Unit: &ticketv1.Unit{Serial: seed.Serial, ProductLine: seed.ProductLine},
			Fault: &ticketv1.Fault{FaultCode: "CR-01", Symptom: "crash test"}, RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE,
		}}, opts...)
		return resp.GetTicket().GetId(), err
	}
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			id, err := create(i, cctx)
			results[i] = result{rid: fmt.Sprint(i), id: id, err: err}
			if err == nil {
				ok.Add(1)
			}
		}()
		if i == n/2 {
			natstest.Eventually(t, 10*time.Second, func() error {
				if ok.Load() < n/4 {
					return fmt.Errorf("%d creates acknowledged", ok.Load())
				}
				return nil
			})
			s.kill("ticket")
		}
	}
	wg.Wait()
	s.startService("ticket", nil)
	acked := 0
	for i, r := range results {
		if r.err == nil {
			acked++
			continue
		}
		// The client's retry, after the restart. The client's connection saw the service
		// go away and backs off before reconnecting: like any client that retries across a
		// restart, it waits for the connection to be ready rather than failing fast.
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		id, err := create(i, rctx, grpc.WaitForReady(true))
		cancel()
		if err != nil {
			t.Fatalf("retry of create %d after the restart: %v", i, err)
		}
		results[i].id = id
	}
	t.Logf("%d of %d creates acknowledged before the crash; the rest retried after it", acked, n)
	for i, r := range results {
		again, err := create(i, ctx) // a further retry returns the same ticket
		if err != nil || again != r.id {
			t.Fatalf("create %d retried again = %s, %v; want %s", i, again, err, r.id)
		}
	}
	natstest.Eventually(t, 60*time.Second, func() error {
		for _, r := range results {
			got, err := c.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: r.id})
			if err != nil {
				return fmt.Errorf("ticket %s: %v", r.id, err)
			}
			if got.GetTicket().GetTriage() == nil {
				return fmt.Errorf("ticket %s not triaged yet", r.id)
			}
		}
		return nil
	})
	created := map[string]int{}
	for _, r := range results {
		s.waitPublished(t, "TICKET", "tickets/"+r.id, "TicketCreated")
		for _, typ := range s.published(t, "TICKET", "tickets/"+r.id) {
			if typ == "TicketCreated" {
				created[r.id]++
			}
		}
	}
	for _, r := range results {
		if created[r.id] != 1 {
			t.Errorf("ticket %s: %d TicketCreated events, want exactly 1", r.id, created[r.id])
		}
	}
}
