// Package report is the CLI's read-only views for managers and warehouses: the service KPIs
// against their targets (sanbao kpi) and stock and reservations (sanbao stock, sanbao
// reservations), as tables.
package report

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/style"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

// dial connects to addr with the credential flags.
func dial(cf creds.Flags, addr string) (*grpc.ClientConn, error) {
	o, err := cf.Options()
	if err != nil {
		return nil, err
	}
	return rpc.Dial(addr, o)
}

func printJSON(out io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

// KPI runs `sanbao kpi`: GetServiceMetrics as a table of KPIs against their targets.
func KPI(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kpi", flag.ContinueOnError)
	fs.SetOutput(out)
	var env daemon.Env
	addr := fs.String("addr", env.String("SANBAO_TICKET_ADDR", "127.0.0.1:50051"), "ticket service address [SANBAO_TICKET_ADDR]")
	var cf creds.Flags
	cf.Register(fs, &env)
	days := fs.Int("days", 30, "the period: the last N days (ignored when --from is given)")
	from := fs.String("from", "", "period start, 2026-11-01 (local time)")
	to := fs.String("to", "", "period end, exclusive (default now)")
	org := fs.String("organisation", "", "only this organisation")
	region := fs.String("region", "", "only this region")
	line := fs.String("product-line", "", "only this product line")
	asJSON := fs.Bool("json", false, "print the response as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	end := time.Now()
	if *to != "" {
		t, err := time.ParseInLocation("2006-01-02", *to, time.Local)
		if err != nil {
			return fmt.Errorf("--to %q: want 2026-11-30", *to)
		}
		end = t
	}
	start := end.AddDate(0, 0, -*days)
	if *from != "" {
		t, err := time.ParseInLocation("2006-01-02", *from, time.Local)
		if err != nil {
			return fmt.Errorf("--from %q: want 2026-11-01", *from)
		}
		start = t
	}
	conn, err := dial(cf, *addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := ticketv1.NewTicketServiceClient(conn).GetServiceMetrics(ctx, &ticketv1.GetServiceMetricsRequest{
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(end), OrganisationId: *org, Region: *region, ProductLine: *line})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out, resp)
	}
	Metrics(out, resp.GetMetrics(), style.For(out))
	return nil
}

// Metrics writes service metrics as a table: each KPI's value, target and whether it meets it.
func Metrics(out io.Writer, m *ticketv1.ServiceMetrics, s style.Style) {
	fmt.Fprintf(out, "%s  %s – %s\n", s.Bold("Service KPIs"), m.GetStartTime().AsTime().Local().Format("2006-01-02"), m.GetEndTime().AsTime().Local().Format("2006-01-02"))
	fmt.Fprintf(out, "tickets %d, resolved %d, complaints %d", m.GetTickets(), m.GetResolved(), m.GetComplaints())
	if d := m.GetMeanTimeToRespond(); d != nil {
		fmt.Fprintf(out, ", mean time to respond %v", d.AsDuration().Round(time.Minute))
	}
	if d := m.GetMeanTimeToResolve(); d != nil {
		fmt.Fprintf(out, ", to resolve %v", d.AsDuration().Round(time.Minute))
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KPI\tVALUE\tTARGET\tSAMPLE\tSTATUS")
	for _, k := range m.GetKpis() {
		target, verdict := "-", ""
		if k.Target != nil {
			op := "≥"
			if k.GetTargetIsMax() {
				op = "<"
			}
			target = fmt.Sprintf("%s %s", op, percent(k.GetTarget()))
			verdict = s.Green("met")
			if k.GetFlagged() {
				verdict = s.Red("MISSED")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\n", k.GetName(), percent(k.GetValue()), target, k.GetCount(), k.GetSample(), verdict)
	}
	tw.Flush()
}

func percent(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", f*100), "0"), ".0") + " %"
}

// Stock runs `sanbao stock PART`: GetStock, one row per location.
func Stock(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stock", flag.ContinueOnError)
	fs.SetOutput(out)
	var env daemon.Env
	addr := fs.String("addr", env.String("SANBAO_INVENTORY_ADDR", "127.0.0.1:50054"), "inventory service address [SANBAO_INVENTORY_ADDR]")
	var cf creds.Flags
	cf.Register(fs, &env)
	location := fs.String("location", "", "only this location id")
	asJSON := fs.Bool("json", false, "print the response as JSON")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: sanbao stock PART_ID [--location L] [--json] [--addr ...]")
	}
	part := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	conn, err := dial(cf, *addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := inventoryv1.NewInventoryServiceClient(conn).GetStock(ctx, &inventoryv1.GetStockRequest{PartId: part})
	if err != nil {
		return err
	}
	if *location != "" {
		var keep []*inventoryv1.StockLevel
		for _, l := range resp.GetLevels() {
			if l.GetLocation().GetId() == *location {
				keep = append(keep, l)
			}
		}
		resp.Levels = keep
	}
	if *asJSON {
		return printJSON(out, resp)
	}
	Levels(out, part, resp, style.For(out))
	return nil
}

// Levels writes a part's stock per location as a table.
func Levels(out io.Writer, part string, r *inventoryv1.GetStockResponse, s style.Style) {
	fmt.Fprintf(out, "%s %s: on hand %d, reserved %d, available %d\n", s.Bold("Stock of"), part, r.GetTotalOnHand(), r.GetTotalReserved(), r.GetTotalAvailable())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOCATION\tNAME\tKIND\tON HAND\tRESERVED\tAVAILABLE")
	for _, l := range r.GetLevels() {
		avail := fmt.Sprint(l.GetAvailable())
		if l.GetAvailable() <= 0 {
			avail = s.Red(avail)
		}
		kind := strings.ToLower(strings.TrimPrefix(l.GetLocation().GetKind().String(), "LOCATION_KIND_"))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", l.GetLocation().GetId(), l.GetLocation().GetName(), kind, l.GetOnHand(), l.GetReserved(), avail)
	}
	tw.Flush()
}

// Reservations runs `sanbao reservations`: ListReservations as a table.
func Reservations(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("reservations", flag.ContinueOnError)
	fs.SetOutput(out)
	var env daemon.Env
	addr := fs.String("addr", env.String("SANBAO_INVENTORY_ADDR", "127.0.0.1:50054"), "inventory service address [SANBAO_INVENTORY_ADDR]")
	var cf creds.Flags
	cf.Register(fs, &env)
	job := fs.String("job", "", "the job whose reservations to list (required)")
	state := fs.String("state", "", "only reservations in this state (active, consumed, released, expired)")
	size := fs.Int("page-size", 50, "reservations per page")
	token := fs.String("page-token", "", "the token printed after the previous page")
	asJSON := fs.Bool("json", false, "print the response as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *job == "" {
		return errors.New("usage: sanbao reservations --job JOB_ID [--state active] [--json]")
	}
	req := &inventoryv1.ListReservationsRequest{JobId: *job, PageSize: int32(*size), PageToken: *token}
	if *state != "" {
		v, ok := inventoryv1.ReservationState_value["RESERVATION_STATE_"+strings.ToUpper(*state)]
		if !ok {
			return fmt.Errorf("--state %q: unknown", *state)
		}
		req.State = inventoryv1.ReservationState(v)
	}
	conn, err := dial(cf, *addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	resp, err := inventoryv1.NewInventoryServiceClient(conn).ListReservations(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(out, resp)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESERVATION\tJOB\tLOCATION\tSTATE\tPARTS\tEXPIRES")
	for _, r := range resp.GetReservations() {
		var parts []string
		for _, l := range r.GetLines() {
			parts = append(parts, fmt.Sprintf("%s×%d", l.GetPartId(), l.GetQuantity()))
		}
		exp := "-"
		if r.GetExpireTime() != nil {
			exp = r.GetExpireTime().AsTime().Local().Format("2006-01-02 15:04")
		}
		st := strings.ToLower(strings.TrimPrefix(r.GetState().String(), "RESERVATION_STATE_"))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.GetId(), r.GetJobId(), r.GetLocationId(), st, strings.Join(parts, ", "), exp)
	}
	tw.Flush()
	if resp.GetNextPageToken() != "" {
		fmt.Fprintf(out, "more: --page-token %s\n", resp.GetNextPageToken())
	}
	return nil
}
