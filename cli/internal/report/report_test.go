package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sanbao/sanbao/cli/internal/report"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
	"github.com/sanbao/sanbao/services/ticket"
)

func TestStockAndReservations(t *testing.T) {
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	run := svctest.Start(t, inventory.New(inventory.DefaultConfig()), svctest.Options{Name: "inventory", Clock: svctest.Clock(), NATS: ns})
	c := inventoryv1.NewInventoryServiceClient(run.Conn)
	ctx := context.Background()
	part, err := c.CreatePart(ctx, &inventoryv1.CreatePartRequest{RequestId: "p", Part: &inventoryv1.Part{Sku: "FLT-1", Name: "Filter", Kind: inventoryv1.PartKind_PART_KIND_WEAR}})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := c.CreateLocation(ctx, &inventoryv1.CreateLocationRequest{RequestId: "l", Location: &inventoryv1.Location{Name: "Jinan station", Kind: inventoryv1.LocationKind_LOCATION_KIND_STATION}})
	if err != nil {
		t.Fatal(err)
	}
	pid, lid := part.GetPart().GetId(), loc.GetLocation().GetId()
	if _, err := c.ReceiveStock(ctx, &inventoryv1.ReceiveStockRequest{RequestId: "r", PartId: pid, LocationId: lid, Quantity: 7, ReceivingNote: "RN-1"}); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--addr", run.Addr, "--insecure"}
	var out bytes.Buffer
	if err := report.Stock(ctx, append([]string{pid}, flags...), &out); err != nil {
		t.Fatalf("stock: %v", err)
	}
	for _, want := range []string{"on hand 7", "LOCATION", lid, "Jinan station", "station", "7"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stock = \n%s\nwant %q", out.String(), want)
		}
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("stock into a buffer has colour escapes")
	}
	out.Reset()
	if err := report.Stock(ctx, append([]string{pid, "--json"}, flags...), &out); err != nil {
		t.Fatal(err)
	}
	var resp inventoryv1.GetStockResponse
	if err := protojson.Unmarshal(out.Bytes(), &resp); err != nil || resp.GetTotalOnHand() != 7 {
		t.Fatalf("stock --json = %s (%v)", out.String(), err)
	}
	out.Reset()
	if err := report.Reservations(ctx, append([]string{"--job", "job-1", "--state", "active"}, flags...), &out); err != nil {
		t.Fatalf("reservations: %v", err)
	}
	if !strings.Contains(out.String(), "RESERVATION") {
		t.Errorf("reservations = %s, want a table", out.String())
	}
}

func TestKPI(t *testing.T) {
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: svctest.Clock(), NATS: natstest.Run(t)})
	var out bytes.Buffer
	from := svctest.Epoch().AddDate(0, 0, -30).Format("2006-01-02")
	to := svctest.Epoch().AddDate(0, 0, 1).Format("2006-01-02")
	if err := report.KPI(context.Background(), []string{"--addr", run.Addr, "--insecure", "--from", from, "--to", to}, &out); err != nil {
		t.Fatalf("kpi: %v", err)
	}
	for _, want := range []string{"Service KPIs", "tickets 0", "KPI", "VALUE", "TARGET", "timeliness_rate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("kpi = \n%s\nwant %q", out.String(), want)
		}
	}
	out.Reset()
	if err := report.KPI(context.Background(), []string{"--addr", run.Addr, "--insecure", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var resp ticketv1.GetServiceMetricsResponse
	if err := protojson.Unmarshal(out.Bytes(), &resp); err != nil {
		t.Fatalf("kpi --json = %s (%v)", out.String(), err)
	}
}
