package importer_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/sanbao/sanbao/cli/internal/importer"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/inventory"
)

func importParts(t *testing.T, conn grpc.ClientConnInterface, file string) *importer.Report {
	t.Helper()
	return importKind(t, conn, "parts", file)
}

func importKind(t *testing.T, conn grpc.ClientConnInterface, kind, file string) *importer.Report {
	t.Helper()
	k, err := importer.Lookup(kind)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := importer.Read("parts.csv", strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := k.Import(context.Background(), conn, tab, importer.Options{})
	if err != nil {
		t.Fatalf("Import(parts): %v", err)
	}
	return rep
}

// startInventory runs the inventory service with TLS and tokens; it returns the world and an
// admin's connection.
func startInventory(t *testing.T) (*world, *grpc.ClientConn) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	run := svctest.Start(t, inventory.New(inventory.DefaultConfig()), svctest.Options{Name: "inventory", Clock: svctest.Clock(), NATS: ns, Auth: local})
	return &world{t: t, run: run, ns: ns}, run.DialAs(t, admin)
}

func TestImportLocationsAndStock(t *testing.T) {
	w, conn := startInventory(t)
	c := inventoryv1.NewInventoryServiceClient(w.run.Conn)
	importParts(t, conn, "sku,name,kind,serial_tracked\nFLT-1,Filter,WEAR,\nSER-9,Board,warranty,是\n")
	locs := "库位编码,名称,类型,纬度,经度\nJN-01,济南服务站,服务站,36.65,117.12\nCW,Central,central,,\n"
	if rep := importKind(t, conn, "locations", locs); !rep.Applied || rep.Created != 2 {
		t.Fatalf("import locations = %+v, want 2 created", rep)
	}
	if rep := importKind(t, conn, "locations", locs); !rep.Applied || rep.Unchanged != 2 {
		t.Fatalf("re-import locations = %+v, want 2 unchanged", rep)
	}
	if rep := importKind(t, conn, "locations", strings.Replace(locs, "Central", "Central warehouse", 1)); !rep.Applied || rep.Updated != 1 {
		t.Fatalf("import renamed location = %+v, want 1 updated", rep)
	}
	if rep := importKind(t, conn, "locations", "code,name,kind\n,No code,central\nVAN-1,Van,van\n"); rep.Applied || len(rep.Rejected) != 2 {
		t.Fatalf("import(no code, van without technician) = %+v, want both rejected", rep)
	}
	w.waitStream("INVENTORY", 2+2+1)

	stock := "location_code,sku,quantity\nJN-01,FLT-1,7\nCW,FLT-1,40\n"
	if rep := importKind(t, conn, "stock", stock); !rep.Applied || rep.Created != 2 {
		t.Fatalf("import stock = %+v, want 2 receipts", rep)
	}
	if rep := importKind(t, conn, "stock", stock); !rep.Applied || rep.Unchanged != 2 {
		t.Fatalf("re-import stock = %+v, want 2 unchanged", rep)
	}
	w.waitStream("INVENTORY", 5+2)
	parts, _ := c.ListParts(context.Background(), &inventoryv1.ListPartsRequest{})
	var flt string
	for _, p := range parts.GetParts() {
		if p.GetSku() == "FLT-1" {
			flt = p.GetId()
		}
	}
	got, err := c.GetStock(context.Background(), &inventoryv1.GetStockRequest{PartId: flt})
	if err != nil || got.GetTotalOnHand() != 47 {
		t.Fatalf("GetStock(FLT-1) = %v, %v; want 47 on hand", got, err)
	}
	bad := "location_code,sku,quantity\nJN-01,FLT-1,9\nXX,FLT-1,1\nCW,NOPE,1\nCW,FLT-1,0\nCW,SER-9,1\n"
	rep := importKind(t, conn, "stock", bad)
	if rep.Applied || len(rep.Rejected) != 5 {
		t.Fatalf("import(bad stock) = %+v, want 5 rejected rows", rep)
	}
	for i, want := range []string{"quantity", "location_code", "sku", "quantity", "sku"} {
		if rep.Rejected[i].Field != want || rep.Rejected[i].ReasonZH == "" {
			t.Errorf("rejection %d = %+v, want field %s with a Chinese reason", i, rep.Rejected[i], want)
		}
	}
	if n := w.streamMsgs("INVENTORY"); n != 7 {
		t.Errorf("INVENTORY stream = %d, want 7 (nothing from the rejected import)", n)
	}
}

func TestImportParts(t *testing.T) {
	w, conn := startInventory(t)
	run := w.run
	c := inventoryv1.NewInventoryServiceClient(run.Conn)
	stream := func() uint64 {
		t.Helper()
		return w.streamMsgs("INVENTORY")
	}

	file := "备件编号,名称,类别,售价,单位\nFLT-1,滤清器,易损件,12.50,\nPMP-2,油泵,三包件,\"1,200\",个\nKIT-3,Tool kit,other,,\n"
	rep := importParts(t, conn, file)
	if !rep.Applied || rep.Created != 3 || len(rep.Rejected) != 0 {
		t.Fatalf("Import(parts) = applied %v created %d rejected %v; want 3 created", rep.Applied, rep.Created, rep.Rejected)
	}
	parts, err := c.ListParts(context.Background(), &inventoryv1.ListPartsRequest{})
	if err != nil || len(parts.GetParts()) != 3 {
		t.Fatalf("ListParts = %v, %v; want 3", parts, err)
	}
	byName := map[string]*inventoryv1.Part{}
	for _, p := range parts.GetParts() {
		byName[p.GetSku()] = p
	}
	if p := byName["PMP-2"]; p.GetKind() != inventoryv1.PartKind_PART_KIND_WARRANTY || p.GetPrice().GetAmountMinor() != 120000 || p.GetUnitOfMeasure() != "个" {
		t.Errorf("PMP-2 = %v, want a warranty part at 1200.00 yuan per 个", p)
	}
	if p := byName["FLT-1"]; p.GetKind() != inventoryv1.PartKind_PART_KIND_WEAR || p.GetUnitOfMeasure() != "piece" {
		t.Errorf("FLT-1 = %v, want a wear part in pieces", p)
	}
	if p := byName["FLT-1"]; p.GetCreatedBy() != admin.Subject {
		t.Errorf("FLT-1 created_by = %q, want the importing admin %s", p.GetCreatedBy(), admin.Subject)
	}
	w.waitStream("INVENTORY", 3)

	// The same file: unchanged, no events.
	rep = importParts(t, conn, file)
	if !rep.Applied || rep.Unchanged != 3 || rep.Created+rep.Updated != 0 {
		t.Fatalf("re-import = %+v, want 3 unchanged", rep)
	}
	// A new price is an update, with part.updated.
	rep = importParts(t, conn, strings.Replace(file, "12.50", "13.00", 1))
	if !rep.Applied || rep.Updated != 1 || rep.Unchanged != 2 {
		t.Fatalf("import(new price) = %+v, want 1 updated, 2 unchanged", rep)
	}
	w.waitStream("INVENTORY", 4)
	// A new kind is rejected, and nothing else of the file is applied.
	rep = importParts(t, conn, strings.Replace(strings.Replace(file, "易损件", "三包件", 1), "1,200", "1,300", 1))
	if rep.Applied || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 2 || rep.Rejected[0].Column != "类别" || rep.Rejected[0].ReasonZH == "" {
		t.Fatalf("import(new kind) = %+v, want line 2 类别 rejected and nothing applied", rep)
	}
	got, _ := c.GetPart(context.Background(), &inventoryv1.GetPartRequest{PartId: byName["PMP-2"].GetId()})
	if got.GetPart().GetPrice().GetAmountMinor() != 120000 {
		t.Errorf("PMP-2 price after a rejected import = %v, want unchanged 1200.00", got.GetPart().GetPrice())
	}
	if n := stream(); n != 4 {
		t.Errorf("INVENTORY stream = %d events, want 4", n)
	}
}
