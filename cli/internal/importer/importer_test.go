package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"
	"go.etcd.io/bbolt"
	"golang.org/x/text/encoding/simplifiedchinese"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/cli/internal/importer"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/warranty"
)

var (
	admin = auth.Person{Subject: "test-admin", Roles: []auth.Role{auth.RoleAdmin}}
	desk  = auth.Person{Subject: "test-desk", Roles: []auth.Role{auth.RoleServiceDesk}}
)

// world is a warranty service with TLS and tokens, on a real NATS, with one policy "P1".
type world struct {
	t     *testing.T
	run   *svctest.Service
	admin *grpc.ClientConn
	ns    *natstest.Server
	// policy is the id of the policy files call "P1".
	policy string
}

func start(t *testing.T) *world {
	t.Helper()
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch", "inventory")
	run := svctest.Start(t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: svctest.Clock(), NATS: ns, Auth: local})
	w := &world{t: t, run: run, admin: run.DialAs(t, admin), ns: ns}
	resp, err := warrantyv1.NewWarrantyServiceClient(w.admin).CreatePolicy(context.Background(), &warrantyv1.CreatePolicyRequest{
		RequestId: "p1", Template: "consumer-sanbao", Policy: &warrantyv1.Policy{Name: "P1", Models: []string{"M1"}}})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	w.policy = resp.GetPolicy().GetId()
	return w
}

// day is the date n days from the test world's epoch, as a file writes it.
func day(n int) string { return svctest.Epoch().AddDate(0, 0, n).Format("2006-01-02") }

func unitsKind(t *testing.T) *importer.Kind {
	k, err := importer.Lookup("units")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (w *world) importFile(name string, data []byte, o importer.Options) *importer.Report {
	w.t.Helper()
	if strings.HasSuffix(name, ".csv") {
		data = bytes.ReplaceAll(data, []byte(",P1,"), []byte(","+w.policy+","))
	}
	tab, err := importer.Read(name, bytes.NewReader(data))
	if err != nil {
		w.t.Fatalf("Read(%s): %v", name, err)
	}
	rep, err := unitsKind(w.t).Import(context.Background(), w.admin, tab, o)
	if err != nil {
		w.t.Fatalf("Import(%s): %v", name, err)
	}
	return rep
}

// streamMsgs is how many messages a stream holds.
func (w *world) streamMsgs(name string) uint64 {
	w.t.Helper()
	nc, err := nats.Connect(w.ns.URL())
	if err != nil {
		w.t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		w.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return info.State.Msgs
}

// waitStream waits until the stream holds n events and the service's outbox is empty.
func (w *world) waitStream(name string, n uint64) {
	w.t.Helper()
	natstest.Eventually(w.t, 60*time.Second, func() error {
		var depth int
		_ = w.run.Platform.DB.View(func(tx *bbolt.Tx) error { depth, _ = outbox.Depth(tx); return nil })
		if got := w.streamMsgs(name); got != n || depth != 0 {
			return fmt.Errorf("%s stream holds %d events, outbox %d; want %d, 0", name, got, depth, n)
		}
		return nil
	})
}

// waitEvents waits until the WARRANTY stream holds n events and the outbox is empty.
func (w *world) waitEvents(n uint64) { w.waitStream("WARRANTY", n) }

func (w *world) unit(serial string) (*warrantyv1.Unit, error) {
	// Operator holds the service desk's role, which sees customers' personal data (an admin does not).
	resp, err := warrantyv1.NewWarrantyServiceClient(w.run.Conn).GetUnit(context.Background(), &warrantyv1.GetUnitRequest{Serial: serial})
	return resp.GetUnit(), err
}

func unitsCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("serial,model,policy_id,sale_date,dealer_id,customer_name,phone,city\n")
	for i := range n {
		fmt.Fprintf(&b, "SN%06d,M1,P1,%s,D%d,Customer %d,1380000%04d,Jinan\n", i, day(-(i % 300)), i%7, i, i%10000)
	}
	return []byte(b.String())
}

func TestImportTenThousandUnits(t *testing.T) {
	w := start(t)
	const n = 10_000
	data := unitsCSV(n)
	var progress []int
	begin := time.Now()
	rep := w.importFile("units.csv", data, importer.Options{Sent: func(sent, total int) {
		if total != n {
			t.Errorf("Sent(_, %d), want total %d", total, n)
		}
		progress = append(progress, sent)
	}})
	elapsed := time.Since(begin)
	if !rep.Applied || rep.Created != n || len(rep.Rejected) != 0 {
		t.Fatalf("Import(%d rows) = applied %v, created %d, rejected %v; want all created", n, rep.Applied, rep.Created, rep.Rejected)
	}
	t.Logf("imported %d units in %v: %.0f rows/s (parse, stream, validate, one transaction)", n, elapsed.Round(time.Millisecond), n/elapsed.Seconds())
	if len(progress) < 2 || progress[len(progress)-1] != n {
		t.Errorf("progress = %v, want several steps ending at %d", progress, n)
	}
	u, err := w.unit("SN004242")
	if err != nil || u.GetCustomer().GetContact().GetName() != "Customer 4242" || u.GetPolicyVersion() != 1 {
		t.Fatalf("GetUnit(SN004242) = %v, %v; want the imported unit", u, err)
	}
	w.waitEvents(1 + n) // the policy's event and one unit.registered per row

	// The same file again: nothing new, no event.
	rep = w.importFile("units.csv", data, importer.Options{})
	if !rep.Applied || rep.Created != 0 || rep.Unchanged != n || len(rep.Rejected) != 0 {
		t.Fatalf("re-import = applied %v, created %d, unchanged %d, rejected %d; want %d unchanged", rep.Applied, rep.Created, rep.Unchanged, len(rep.Rejected), n)
	}
	w.waitEvents(1 + n)
}

func TestImportRejectsEveryBadRowAndImportsNone(t *testing.T) {
	w := start(t)
	file := strings.Join([]string{
		"serial,model,policy_id,sale_date,phone",
		"GOOD-1,M1,P1," + day(-3) + ",1",        // 2: fine
		"BAD 2,M1,P1," + day(-3) + ",1",         // 3: a space in the serial
		"BAD-3,M1,P1,,1",                        // 4: no sale date
		"BAD-4,M1,NOPOLICY," + day(-3) + ",1",   // 5: unknown policy
		"BAD-5,M1,P1,2026-02-30,1",              // 6: no such day
		"GOOD-1,M1,P1," + day(-3) + ",1",        // 7: serial repeated
		",,P1," + day(-3) + ",1",                // 8: serial and model missing
		"GOOD-9,M1,P1," + day(-2) + ",\"a\nb\"", // 9: a phone with a line break
		"GOOD-10,M1,P1," + day(-1) + ",1",       // 10: fine
	}, "\n")
	rep := w.importFile("bad.csv", []byte(file), importer.Options{})
	if rep.Applied {
		t.Fatalf("Import(bad rows) applied, want nothing imported")
	}
	type key struct {
		line   int32
		column string
	}
	got := map[key]string{}
	for _, r := range rep.Rejected {
		got[key{r.Line, r.Column}] = r.Reason
		if r.Reason == "" || r.ReasonZH == "" {
			t.Errorf("rejection %+v: want a reason in English and Chinese", r)
		}
	}
	for _, want := range []key{{3, "serial"}, {4, "sale_date"}, {5, "policy_id"}, {6, "sale_date"}, {7, "serial"}, {8, "serial"}, {8, "model"}, {9, "phone"}} {
		if _, ok := got[want]; !ok {
			t.Errorf("no rejection of line %d column %s; got %v", want.line, want.column, rep.Rejected)
		}
	}
	for _, line := range []int32{2, 10} {
		for k := range got {
			if k.line == line {
				t.Errorf("line %d rejected (%v), want it accepted", line, got[k])
			}
		}
	}
	for _, s := range []string{"GOOD-1", "GOOD-10"} {
		if _, err := w.unit(s); status.Code(err) != codes.NotFound {
			t.Errorf("GetUnit(%s) after a rejected import = %v, want NOT_FOUND", s, err)
		}
	}
	t.Logf("report:\n%s\n%s", strings.Join(rep.Lines("en"), "\n"), strings.Join(rep.Lines("zh"), "\n"))
	lines := strings.Join(rep.Lines("zh"), "\n")
	if !strings.Contains(lines, "第 3 行 serial") || !strings.Contains(lines, "未导入") {
		t.Errorf("Lines(zh) =\n%s\nwant line 3's rejection and 未导入", lines)
	}
	w.waitEvents(1)
}

func TestImportDifferingUnitIsRejected(t *testing.T) {
	w := start(t)
	w.importFile("a.csv", []byte("serial,model,policy_id,sale_date\nX1,M1,P1,"+day(-5)+"\n"), importer.Options{})
	rep := w.importFile("b.csv", []byte("serial,model,policy_id,sale_date\nX1,M1,P1,"+day(-4)+"\nX2,M1,P1,"+day(-4)+"\n"), importer.Options{})
	if rep.Applied || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 2 || rep.Rejected[0].Field != "dates" {
		t.Fatalf("Import(changed sale date) = applied %v, rejected %+v; want line 2 rejected on dates", rep.Applied, rep.Rejected)
	}
	if _, err := w.unit("X2"); status.Code(err) != codes.NotFound {
		t.Errorf("GetUnit(X2) = %v, want NOT_FOUND (nothing half-imported)", err)
	}
	if u, err := w.unit("X1"); err != nil || u.GetCreatedBy() != admin.Subject {
		t.Errorf("GetUnit(X1) = created_by %q, %v; want the importing admin %s", u.GetCreatedBy(), err, admin.Subject)
	}
}

func TestImportValidateOnlyChangesNothing(t *testing.T) {
	w := start(t)
	rep := w.importFile("a.csv", unitsCSV(20), importer.Options{ValidateOnly: true})
	if rep.Applied || rep.Created != 20 || len(rep.Rejected) != 0 {
		t.Fatalf("Import(validate only) = applied %v created %d rejected %v; want 20 would-be creations, not applied", rep.Applied, rep.Created, rep.Rejected)
	}
	if _, err := w.unit("SN000001"); status.Code(err) != codes.NotFound {
		t.Errorf("GetUnit after validate only = %v, want NOT_FOUND", err)
	}
}

func TestImportXLSXWithChineseHeaders(t *testing.T) {
	w := start(t)
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	rows := [][]any{ // the policy as a cell of its own
		{"销售日期", "序列号", "型号", "保修政策", "客户名称", "城市"},
		{svctest.Epoch().AddDate(0, 0, -10), "XL-1", "M1", w.policy, "张三", "济南"},
		{day(-9), "XL-2", "M1", w.policy, "李四", "青岛"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = f.SetCellStyle(sheet, "A2", "A2", style)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rep := w.importFile("units.xlsx", buf.Bytes(), importer.Options{})
	if !rep.Applied || rep.Created != 2 {
		t.Fatalf("Import(xlsx) = applied %v created %d rejected %v", rep.Applied, rep.Created, rep.Rejected)
	}
	u, err := w.unit("XL-1")
	want := svctest.Epoch().AddDate(0, 0, -10)
	if err != nil || u.GetCustomer().GetContact().GetName() != "张三" || u.GetDates().GetSale().GetDay() != int32(want.Day()) {
		t.Fatalf("GetUnit(XL-1) = %v, %v; want 张三 sold on %s", u, err, want.Format("2006-01-02"))
	}
}

func TestImportGB18030CSV(t *testing.T) {
	w := start(t)
	text := "出厂编号,产品型号,政策编号,购买日期,客户,地址\r\nGB-1,M1,P1," + day(-2) + ",王五,山东省济南市历下区\r\n"
	enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	rep := w.importFile("units.csv", enc, importer.Options{})
	if !rep.Applied || rep.Created != 1 {
		t.Fatalf("Import(GB18030) = applied %v created %d rejected %v", rep.Applied, rep.Created, rep.Rejected)
	}
	u, err := w.unit("GB-1")
	if err != nil || u.GetCustomer().GetContact().GetName() != "王五" || u.GetCustomer().GetAddress().GetLine() != "山东省济南市历下区" {
		t.Fatalf("GetUnit(GB-1) = %v, %v; want 王五 in 济南", u, err)
	}
	// And UTF-8 with a byte-order mark, as Excel's "CSV UTF-8" writes it.
	rep = w.importFile("bom.csv", append([]byte("\xef\xbb\xbf"), []byte("序列号,型号,保修政策,销售日期\nBOM-1,M1,P1,"+day(-1)+"\n")...), importer.Options{})
	if !rep.Applied || rep.Created != 1 {
		t.Fatalf("Import(UTF-8 BOM) = applied %v created %d rejected %v", rep.Applied, rep.Created, rep.Rejected)
	}
}

func TestImportHeaderErrors(t *testing.T) {
	tab, err := importer.Read("x.csv", strings.NewReader("serial,colour,型号,sale_date,Serial\nA,red,M1,2026-01-01,B\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = unitsKind(t).Parse(tab)
	var herr *importer.HeaderError
	if !errors.As(err, &herr) {
		t.Fatalf("Parse(unknown column) = %v, want a HeaderError", err)
	}
	msg := err.Error()
	for _, want := range []string{"unknown columns: colour", "repeated columns: Serial", "missing required columns: policy_id"} {
		if !strings.Contains(msg, want) {
			t.Errorf("HeaderError = %q, want it to say %q", msg, want)
		}
	}
	if !strings.Contains(herr.ZH(), "未知的列：colour") {
		t.Errorf("HeaderError.ZH() = %q", herr.ZH())
	}
}

func TestImportNeedsAdmin(t *testing.T) {
	w := start(t)
	tab, _ := importer.Read("a.csv", bytes.NewReader(unitsCSV(3)))
	_, err := unitsKind(t).Import(context.Background(), w.run.DialAs(t, desk), tab, importer.Options{})
	if status.Code(errors.Unwrap(err)) != codes.PermissionDenied {
		t.Fatalf("Import as the service desk = %v, want PERMISSION_DENIED", err)
	}
}

// A client that dies mid-stream (never closes its side) leaves nothing imported.
func TestImportClientKilledMidStreamImportsNothing(t *testing.T) {
	w := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := warrantyv1.NewWarrantyServiceClient(w.admin).ImportUnits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		req := &warrantyv1.ImportUnitsRequest{}
		if c == 0 {
			req.Options = &typev1.ImportOptions{}
		}
		for i := range 100 {
			n := c*100 + i
			req.Rows = append(req.Rows, &warrantyv1.ImportUnitRow{Line: int32(n + 2), Unit: &warrantyv1.Unit{Serial: fmt.Sprintf("K%04d", n), Model: "M1", PolicyId: w.policy,
				Dates: &warrantyv1.UnitDates{Sale: &typev1.Date{Year: 2026, Month: 1, Day: 1}}}})
		}
		if err := st.Send(req); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	cancel() // the client dies: it never closes its side of the stream
	reg, ok := w.run.Platform.Metrics.(prometheus.Gatherer)
	if !ok {
		t.Fatal("platform metrics are not a Gatherer")
	}
	// Wait until the server has finished the call, then look.
	natstest.Eventually(t, 30*time.Second, func() error {
		mfs, err := reg.Gather()
		if err != nil {
			return err
		}
		for _, mf := range mfs {
			if mf.GetName() != "grpc_server_handled_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["grpc_method"] == "ImportUnits" && m.GetCounter().GetValue() > 0 {
					return nil
				}
			}
		}
		return errors.New("ImportUnits not finished on the server yet")
	})
	for _, s := range []string{"K0000", "K0150", "K0299"} {
		if _, err := w.unit(s); status.Code(err) != codes.NotFound {
			t.Errorf("GetUnit(%s) after the client died = %v, want NOT_FOUND", s, err)
		}
	}
	w.waitEvents(1)
}
