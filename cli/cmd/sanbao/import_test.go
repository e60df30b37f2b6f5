package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/warranty"
)

func TestImportCommandShowsProgressAndReport(t *testing.T) {
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch", "inventory")
	run := svctest.Start(t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: svctest.Clock(), NATS: ns})
	pol, err := warrantyv1.NewWarrantyServiceClient(run.Conn).CreatePolicy(context.Background(), &warrantyv1.CreatePolicyRequest{
		RequestId: "p", Template: "consumer-sanbao", Policy: &warrantyv1.Policy{Name: "P", Models: []string{"M1"}}})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("序列号,型号,保修政策,销售日期\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "C%05d,M1,%s,%s\n", i, pol.GetPolicy().GetId(), svctest.Epoch().AddDate(0, 0, -i%100).Format("2006-01-02"))
	}
	file := filepath.Join(t.TempDir(), "units.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--warranty-addr", run.Addr, "--insecure", "--lang", "en"}
	var out, errs bytes.Buffer
	if err := importCmd(context.Background(), append([]string{"units", file}, flags...), &out, &errs); err != nil {
		t.Fatalf("sanbao import units: %v\n%s%s", err, out.String(), errs.String())
	}
	if !strings.Contains(errs.String(), "sent 2000/2000 rows") || strings.Count(errs.String(), "sent ") < 3 || !strings.Contains(errs.String(), "rows/s") {
		t.Errorf("progress (not a terminal) =\n%s\nwant periodic plain lines and rows/s", errs.String())
	}
	if !strings.Contains(out.String(), "2000 rows, 2000 created") || strings.Contains(out.String()+errs.String(), "\x1b[") {
		t.Errorf("report =\n%s\nwant 2000 created, no colour", out.String())
	}
	// A bad file: every rejected line, in Chinese, and an error.
	if err := os.WriteFile(file, []byte("序列号,型号,保修政策,销售日期\nA 1,M1,x,2026-01-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = importCmd(context.Background(), append([]string{"units", file}, append(flags[:len(flags)-1], "zh")...), &out, &errs)
	if err == nil || !strings.Contains(out.String(), "第 2 行 序列号") || !strings.Contains(out.String(), "未导入") {
		t.Errorf("sanbao import (bad) = %v\n%s\nwant line 2's rejections in Chinese and an error", err, out.String())
	}
}

func TestImportPoliciesCommand(t *testing.T) {
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch", "inventory")
	run := svctest.Start(t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: svctest.Clock(), NATS: ns})
	file := filepath.Join(t.TempDir(), "policies.csv")
	if err := os.WriteFile(file, []byte("政策名称,模板,免费保修期,有偿保修月数\n仪表 2027,仪器仪表,销售 18,终身\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--warranty-addr", run.Addr, "--insecure", "--lang", "en"}
	for _, want := range []string{"1 rows, 1 created", "1 rows, 0 created, 0 updated, 1 unchanged"} {
		var out, errs bytes.Buffer
		if err := importCmd(context.Background(), append([]string{"policies", file}, flags...), &out, &errs); err != nil || !strings.Contains(out.String(), want) {
			t.Fatalf("sanbao import policies = %v\n%s%s\nwant %q", err, out.String(), errs.String(), want)
		}
	}
}
