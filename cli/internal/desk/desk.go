// Package desk is the service desk's everyday commands against a running ticket service:
// create a ticket, show it, list tickets, log a contact, close a ticket, work the follow-up calls.
package desk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/style"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

const usage = `usage: sanbao ticket COMMAND [flags]

  create   --kind repair --channel phone --serial SN --fault-code E01 --symptom "..." [--customer-id C] [--lat --lng]
           [--causes misuse,lightning] [--faulty-part P --faulty-serial S]
  show     TICKET_ID [--json]   a readable summary (state, unit, coverage, clocks with time left, jobs, contacts, survey)
  list     [--state resolved] [--kind repair] [--serial SN] [--customer-id C] [--breached] [--page-size 20]
  contact  TICKET_ID --channel phone --direction inbound --summary "..." [--outcome "..."]
           [--purpose promised-time --promised 2026-12-02T09:00:00+08:00 | --purpose progress-update]
  close    TICKET_ID
  followups [--state due] [--today] [--serial SN] [--ticket T] [--page-size 20]
  call     FOLLOW_UP_ID [--reached] [--satisfied] [--give-up] [--problem "..."] [--channel phone] [--note "..."]
Every command takes --addr (the ticket service, default 127.0.0.1:50051, SANBAO_TICKET_ADDR),
--ca (SANBAO_CA) and --token (SANBAO_TOKEN) or --token-file (SANBAO_TOKEN_FILE); the defaults
are the all-in-one run's local CA and operator token under ./data/auth.
`

// Main runs one desk command.
func Main(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(out, usage)
		return nil
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("ticket "+cmd, flag.ContinueOnError)
	var env daemon.Env
	addr := fs.String("addr", env.String("SANBAO_TICKET_ADDR", "127.0.0.1:50051"), "ticket service address [SANBAO_TICKET_ADDR]")
	var cf creds.Flags
	cf.Register(fs, &env)
	run, ok := map[string]func(context.Context, *flag.FlagSet, func() (ticketv1.TicketServiceClient, func(), error), []string, io.Writer) error{
		"create": create, "show": show, "list": list, "contact": contact, "close": closeTicket,
		"followups": followUps, "call": call,
	}[cmd]
	if !ok {
		fmt.Fprint(out, usage)
		return fmt.Errorf("unknown ticket command %q", cmd)
	}
	dial := func() (ticketv1.TicketServiceClient, func(), error) {
		o, err := cf.Options()
		if err != nil {
			return nil, nil, err
		}
		conn, err := rpc.Dial(*addr, o)
		if err != nil {
			return nil, nil, err
		}
		return ticketv1.NewTicketServiceClient(conn), func() { conn.Close() }, nil
	}
	return run(ctx, fs, dial, args, out)
}

type dialer = func() (ticketv1.TicketServiceClient, func(), error)

func create(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	kind := fs.String("kind", "repair", "repair, complaint, return-exchange, maintenance, installation, consultation")
	channel := fs.String("channel", "phone", "phone, letter, visit, web, internal")
	priority := fs.String("priority", "normal", "low, normal, high, urgent")
	customerID := fs.String("customer-id", "", "customer id in your CRM")
	name := fs.String("customer-name", "", "customer name (personal data: kept in the ticket, never in logs or events)")
	phone := fs.String("phone", "", "customer phone")
	serial := fs.String("serial", "", "unit serial number (出厂编号)")
	model := fs.String("model", "", "unit model")
	line := fs.String("product-line", "", "product line")
	faultCode := fs.String("fault-code", "", "fault code")
	symptom := fs.String("symptom", "", "what the customer reports")
	causes := fs.String("causes", "", "known causes, comma-separated warranty cause words (misuse, lightning, ...)")
	faultyPart := fs.String("faulty-part", "", "the faulty part's number, when known (a replaced part has its own warranty)")
	faultySerial := fs.String("faulty-serial", "", "the faulty part's serial, when known")
	lat := fs.Float64("lat", 0, "site latitude")
	lng := fs.Float64("lng", 0, "site longitude")
	region := fs.String("region", "", "region (routing and KPIs)")
	requestID := fs.String("request-id", "", "idempotency key (a random one by default; reuse it to retry safely)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	t := &ticketv1.Ticket{
		Customer: &ticketv1.Customer{CustomerId: *customerID, Contact: &typev1.Contact{Name: *name, Phone: *phone}},
		Unit:     &ticketv1.Unit{Serial: *serial, Model: *model, ProductLine: *line},
		Fault:    &ticketv1.Fault{FaultCode: *faultCode, Symptom: *symptom, FaultyPartId: *faultyPart, FaultyPartSerial: *faultySerial},
	}
	for _, c := range strings.Split(*causes, ",") {
		if c = strings.TrimSpace(c); c != "" {
			t.Fault.Causes = append(t.Fault.Causes, c)
		}
	}
	if *lat != 0 || *lng != 0 || *region != "" {
		t.Customer.Address = &typev1.Address{Region: *region, Point: &typev1.GeoPoint{Latitude: *lat, Longitude: *lng}}
	}
	var err error
	if t.Kind, err = enum[ticketv1.TicketKind]("kind", *kind); err != nil {
		return err
	}
	if t.Channel, err = enum[ticketv1.Channel]("channel", *channel); err != nil {
		return err
	}
	if t.Priority, err = enum[ticketv1.Priority]("priority", *priority); err != nil {
		return err
	}
	if *requestID == "" {
		*requestID = randomID()
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: *requestID, Ticket: t})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created %s  id %s  state %s  (request_id %s)\n", resp.GetTicket().GetNumber(), resp.GetTicket().GetId(),
		short(resp.GetTicket().GetState()), *requestID)
	return nil
}

func show(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	asJSON := fs.Bool("json", false, "print the ticket as JSON (protojson) instead of the summary")
	id, err := parseID(fs, args, "usage: sanbao ticket show TICKET_ID [--json]")
	if err != nil {
		return err
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: id})
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(resp.GetTicket())
		if err != nil {
			return err
		}
		fmt.Fprintln(out, string(b))
		return nil
	}
	contacts, err := c.ListContacts(ctx, &ticketv1.ListContactsRequest{TicketId: id, PageSize: 50})
	if err != nil {
		return err
	}
	Summary(out, resp.GetTicket(), contacts.GetContacts(), time.Now(), style.For(out))
	return nil
}

func list(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	state := fs.String("state", "", "only tickets in this state (received, triaged, dispatched, resolved, closed, ...)")
	kind := fs.String("kind", "", "only tickets of this kind")
	serial := fs.String("serial", "", "only this unit's tickets")
	customerID := fs.String("customer-id", "", "only this customer's tickets")
	breached := fs.Bool("breached", false, "only tickets with a breached SLA clock")
	size := fs.Int("page-size", 20, "tickets per page")
	token := fs.String("page-token", "", "the token printed after the previous page")
	if err := fs.Parse(args); err != nil {
		return err
	}
	req := &ticketv1.ListTicketsRequest{PageSize: int32(*size), PageToken: *token, UnitSerial: *serial, CustomerId: *customerID}
	var err error
	if *state != "" {
		if req.State, err = enum[ticketv1.TicketState]("state", *state); err != nil {
			return err
		}
	}
	if *kind != "" {
		if req.Kind, err = enum[ticketv1.TicketKind]("kind", *kind); err != nil {
			return err
		}
	}
	if *breached {
		req.Breached = breached
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.ListTickets(ctx, req)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NUMBER\tID\tKIND\tSTATE\tSERIAL\tBREACHED\tCREATED")
	for _, t := range resp.GetTickets() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", t.GetNumber(), t.GetId(), short(t.GetKind()), short(t.GetState()),
			t.GetUnit().GetSerial(), t.GetBreached(), t.GetCreateTime().AsTime().Local().Format(time.DateTime))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if resp.GetNextPageToken() != "" {
		fmt.Fprintf(out, "next page: --page-token %s\n", resp.GetNextPageToken())
	}
	return nil
}

func contact(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	channel := fs.String("channel", "phone", "phone, letter, visit, web, internal")
	direction := fs.String("direction", "inbound", "inbound (the customer called) or outbound (we called)")
	summary := fs.String("summary", "", "what was said")
	outcome := fs.String("outcome", "", "what was agreed")
	purpose := fs.String("purpose", "", "what an outbound contact told the customer: promised-time, progress-update, other")
	promised := fs.String("promised", "", "the promised time told (RFC 3339), with --purpose promised-time")
	var env daemon.Env
	by := fs.String("by", env.String("USER", ""), "who handled it")
	id, err := parseID(fs, args, "usage: sanbao ticket contact TICKET_ID --summary ...")
	if err != nil {
		return err
	}
	rec := &ticketv1.ContactRecord{Summary: *summary, Outcome: *outcome, HandledBy: *by, ContactTime: timestamppb.Now()}
	if rec.Channel, err = enum[ticketv1.Channel]("channel", *channel); err != nil {
		return err
	}
	if rec.Direction, err = enum[ticketv1.ContactDirection]("direction", *direction); err != nil {
		return err
	}
	if *purpose != "" {
		if rec.Purpose, err = enum[ticketv1.ContactPurpose]("purpose", *purpose); err != nil {
			return err
		}
	}
	if *promised != "" {
		at, err := time.Parse(time.RFC3339, *promised)
		if err != nil {
			return fmt.Errorf("--promised %q: want an RFC 3339 time", *promised)
		}
		rec.PromisedTime = timestamppb.New(at)
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.RecordContact(ctx, &ticketv1.RecordContactRequest{RequestId: randomID(), TicketId: id, Contact: rec})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "contact %s recorded on %s\n", resp.GetContact().GetId(), id)
	return nil
}

func closeTicket(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	id, err := parseID(fs, args, "usage: sanbao ticket close TICKET_ID")
	if err != nil {
		return err
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: "close-" + id, TicketId: id})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %s\n", resp.GetTicket().GetNumber(), short(resp.GetTicket().GetState()))
	return nil
}

// enumValue is a generated proto enum.
type enumValue interface {
	~int32
	Descriptor() protoreflect.EnumDescriptor
}

// enum parses a friendly enum name ("return-exchange") into E (TICKET_KIND_RETURN_EXCHANGE).
func enum[E enumValue](flagName, s string) (E, error) {
	var zero E
	ed := zero.Descriptor()
	prefix := strings.TrimSuffix(string(ed.Values().ByNumber(0).Name()), "UNSPECIFIED")
	want := strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
	var names []string
	for i := 1; i < ed.Values().Len(); i++ {
		v := ed.Values().Get(i)
		n := string(v.Name())
		if n == want || n == prefix+want {
			return E(v.Number()), nil
		}
		names = append(names, strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(n, prefix), "_", "-")))
	}
	return zero, fmt.Errorf("--%s %q: want one of %s", flagName, s, strings.Join(names, ", "))
}

// short renders an enum without its type prefix: TICKET_STATE_RESOLVED → resolved.
func short(e interface {
	Descriptor() protoreflect.EnumDescriptor
	Number() protoreflect.EnumNumber
}) string {
	ed := e.Descriptor()
	prefix := strings.TrimSuffix(string(ed.Values().ByNumber(0).Name()), "UNSPECIFIED")
	v := ed.Values().ByNumber(e.Number())
	if v == nil {
		return fmt.Sprint(e.Number())
	}
	return strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix))
}

// parseID parses flags around one positional ticket id ("show ID --addr X" and
// "show --addr X ID" both work).
func parseID(fs *flag.FlagSet, args []string, usage string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", errors.New(usage)
	}
	id := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected arguments %v; %s", fs.Args(), usage)
	}
	return id, nil
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}

// followUps lists follow-up calls in due-date order (--today: those due by today).
func followUps(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	state := fs.String("state", "due", "due, done, given-up, or all")
	today := fs.Bool("today", false, "only follow-ups due by today")
	serial := fs.String("serial", "", "only this unit's follow-ups")
	ticketID := fs.String("ticket", "", "only the follow-up of this ticket")
	size := fs.Int("page-size", 20, "follow-ups per page")
	token := fs.String("page-token", "", "the token printed after the previous page")
	if err := fs.Parse(args); err != nil {
		return err
	}
	req := &ticketv1.ListFollowUpsRequest{UnitSerial: *serial, TicketId: *ticketID, PageSize: int32(*size), PageToken: *token}
	if *state != "all" {
		var err error
		if req.State, err = enum[ticketv1.FollowUpState]("state", *state); err != nil {
			return err
		}
	}
	if *today {
		y, m, d := time.Now().Date()
		req.DueBy = &typev1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.ListFollowUps(ctx, req)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID	REASON	STATE	SERIAL	DUE	ATTEMPTS	RAISED")
	for _, f := range resp.GetFollowUps() {
		d := f.GetDueDate()
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%04d-%02d-%02d\t%d\t%s\n", f.GetId(), short(f.GetReason()), short(f.GetState()),
			f.GetUnitSerial(), d.GetYear(), d.GetMonth(), d.GetDay(), len(f.GetAttempts()), f.GetRaisedTicketId())
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if resp.GetNextPageToken() != "" {
		fmt.Fprintf(out, "next page: --page-token %s\n", resp.GetNextPageToken())
	}
	return nil
}

// call records one follow-up call; --problem raises a repair ticket from it.
func call(ctx context.Context, fs *flag.FlagSet, dial dialer, args []string, out io.Writer) error {
	reached := fs.Bool("reached", false, "the customer was reached")
	satisfied := fs.Bool("satisfied", false, "the customer is satisfied")
	giveUp := fs.Bool("give-up", false, "not reached: give up now")
	problem := fs.String("problem", "", "a new problem the customer reported (raises a repair ticket)")
	channel := fs.String("channel", "phone", "phone, letter, visit, web, internal")
	note := fs.String("note", "", "what was said")
	id, err := parseID(fs, args, "usage: sanbao ticket call FOLLOW_UP_ID [--reached] ...")
	if err != nil {
		return err
	}
	o := &ticketv1.FollowUpOutcome{Reached: *reached, Satisfied: *satisfied, GiveUp: *giveUp, Note: *note}
	if o.Channel, err = enum[ticketv1.Channel]("channel", *channel); err != nil {
		return err
	}
	if *problem != "" {
		o.NewProblem = &ticketv1.NewProblem{Fault: &ticketv1.Fault{Symptom: *problem}}
	}
	c, done, err := dial()
	if err != nil {
		return err
	}
	defer done()
	resp, err := c.RecordFollowUpOutcome(ctx, &ticketv1.RecordFollowUpOutcomeRequest{RequestId: randomID(), FollowUpId: id, Outcome: o})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "follow-up %s %s after %d call(s)\n", id, short(resp.GetFollowUp().GetState()), len(resp.GetFollowUp().GetAttempts()))
	if t := resp.GetRaisedTicket(); t != nil {
		fmt.Fprintf(out, "raised %s (%s)\n", t.GetNumber(), t.GetId())
	}
	return nil
}
