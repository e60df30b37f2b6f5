package desk_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/desk"
	"github.com/sanbao/sanbao/cli/internal/style"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// startTicket runs the ticket service alone (its peers' addresses lead nowhere: triage waits).
func startTicket(t *testing.T) *svctest.Service {
	t.Helper()
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: svctest.Clock(), NATS: natstest.Run(t)})
}

func TestShowSummaryAndJSON(t *testing.T) {
	run := startTicket(t)
	c := ticketv1.NewTicketServiceClient(run.Conn)
	ctx := context.Background()
	resp, err := c.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "t1", Ticket: &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE,
		Customer: &ticketv1.Customer{CustomerId: "cust-1", Contact: &typev1.Contact{Name: "Zhang San", Phone: "13800000000"}},
		Unit:     &ticketv1.Unit{Serial: "SN-1", ProductLine: "instrument", Model: "M1"},
		Fault:    &ticketv1.Fault{FaultCode: "F-1", Symptom: "display flickers"}, OrganisationId: "station-jinan",
	}})
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	id := resp.GetTicket().GetId()
	if _, err := c.RecordContact(ctx, &ticketv1.RecordContactRequest{RequestId: "c1", TicketId: id, Contact: &ticketv1.ContactRecord{
		Channel: ticketv1.Channel_CHANNEL_PHONE, Direction: ticketv1.ContactDirection_CONTACT_DIRECTION_OUTBOUND, Summary: "called back"}}); err != nil {
		t.Fatalf("RecordContact: %v", err)
	}
	flags := []string{"--addr", run.Addr, "--insecure"}

	var out bytes.Buffer
	if err := desk.Main(ctx, append([]string{"show", id}, flags...), &out); err != nil {
		t.Fatalf("ticket show: %v", err)
	}
	summary := out.String()
	for _, want := range []string{"Ticket ", id, "state", "received", "SN-1", "model M1", "F-1  display flickers", "Clocks", "left", "Contacts (", "called back"} {
		if !strings.Contains(summary, want) {
			t.Errorf("ticket show = \n%s\nwant it to contain %q", summary, want)
		}
	}
	if strings.Contains(summary, "\x1b[") || strings.HasPrefix(strings.TrimSpace(summary), "{") {
		t.Errorf("ticket show into a buffer = \n%q\nwant a plain summary, no colour, no JSON", summary)
	}

	out.Reset()
	if err := desk.Main(ctx, append([]string{"show", id, "--json"}, flags...), &out); err != nil {
		t.Fatalf("ticket show --json: %v", err)
	}
	var got ticketv1.Ticket
	if err := protojson.Unmarshal(out.Bytes(), &got); err != nil || got.GetId() != id || got.GetUnit().GetSerial() != "SN-1" {
		t.Fatalf("ticket show --json = %v (%v), want the ticket as JSON", out.String(), err)
	}
}

func TestSummaryClocksAndColours(t *testing.T) {
	now := time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)
	tk := &ticketv1.Ticket{Id: "T1", Number: "SB-1", Breached: true, State: ticketv1.TicketState_TICKET_STATE_DISPATCHED,
		Clocks: []*ticketv1.SlaClock{
			{Name: "response", Deadline: timestamppb.New(now.Add(-2 * time.Hour)), Breached: true},
			{Name: "on_site", Deadline: timestamppb.New(now.Add(26*time.Hour + 30*time.Minute)), Target: durationpb.New(24 * time.Hour)},
		},
		Triage: &ticketv1.Triage{Coverage: ticketv1.Coverage_COVERAGE_FREE, WarrantyPolicyId: "P", WarrantyPolicyVersion: 2,
			Clauses: []*ticketv1.Clause{{Clause: "free_period", Explanation: "sold 3 months ago, within the 1-year free period"}}},
		Survey: &ticketv1.Survey{MeanScore: 4.5, Satisfied: true, Comment: "quick"},
	}
	var plain bytes.Buffer
	desk.Summary(&plain, tk, nil, now, style.Plain)
	for _, want := range []string{"SLA BREACHED", "breached 2h 0m ago", "1d 2h left", "free under policy P v2", "free_period: sold 3 months ago", "mean 4.5, satisfied"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("Summary = \n%s\nwant %q", plain.String(), want)
		}
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("Summary(style.Plain) has escapes")
	}
}
