package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sanbao/sanbao/cli/internal/importer"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// importPolicies imports a file of policies as the admin.
func (w *world) importPolicies(name, data string, o importer.Options) *importer.Report {
	w.t.Helper()
	k, err := importer.Lookup("三包政策")
	if err != nil {
		w.t.Fatal(err)
	}
	tab, err := importer.Read(name, strings.NewReader(data))
	if err != nil {
		w.t.Fatalf("Read(%s): %v", name, err)
	}
	rep, err := k.Import(context.Background(), w.admin, tab, o)
	if err != nil {
		w.t.Fatalf("Import(%s): %v", name, err)
	}
	return rep
}

// policies lists every version of every policy, by name then version.
func (w *world) policies() map[string][]*warrantyv1.Policy {
	w.t.Helper()
	resp, err := warrantyv1.NewWarrantyServiceClient(w.admin).ListPolicies(context.Background(), &warrantyv1.ListPoliciesRequest{AllVersions: true, PageSize: 500})
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string][]*warrantyv1.Policy{}
	for _, p := range resp.GetPolicies() {
		out[p.GetName()] = append(out[p.GetName()], p)
	}
	return out
}

// policiesCSV has Chinese headers: a consumer policy with a 2-year free period and no refund
// window, a project policy with lifetime paid service, a marine one of two periods.
const policiesCSV = "政策名称,模板,适用型号,免费保修期,有偿保修月数,退货天数,上门费\n" +
	"家电三包 2027,消费品三包,M1;M2,销售 24,,0,60\n" +
	"工程 2027,project-goods,PRJ-1,ACCEPTANCE 12,终身,,\n" +
	"船机 2027,船用发动机,ME-9,DELIVERY 18; SEA_TRIAL 12,,,\n"

func TestImportPolicies(t *testing.T) {
	w := start(t)
	rep := w.importPolicies("policies.csv", policiesCSV, importer.Options{})
	if !rep.Applied || rep.Created != 3 || len(rep.Rejected) != 0 {
		t.Fatalf("Import(policies) = applied %v created %d rejected %+v; want 3 created", rep.Applied, rep.Created, rep.Rejected)
	}
	ps := w.policies()
	home := ps["家电三包 2027"]
	if len(home) != 1 {
		t.Fatalf("policies named 家电三包 2027: %v, want one version", home)
	}
	p := home[0]
	if p.GetVersion() != 1 || p.GetTemplate() != "consumer-sanbao" || p.GetRefundWindowDays() != 0 || p.GetExchangeWindowDays() != 15 ||
		p.GetFreeRepair().GetOptions()[0].GetLength().GetMonths() != 24 || p.GetFees().GetCallOut().GetAmountMinor() != 60_00 ||
		p.GetFees().GetLabourPerHour().GetAmountMinor() != 80_00 || strings.Join(p.GetModels(), ",") != "M1,M2" || p.GetCreatedBy() != admin.Subject {
		t.Errorf("imported consumer policy = %v; want the template with 24 months free, no refund window, call-out 60, the template's other rates and windows, by %s", p, admin.Subject)
	}
	if pr := ps["工程 2027"]; len(pr) != 1 || !pr[0].GetPaidService().GetUnlimited() || pr[0].GetFreeRepair().GetOptions()[0].GetStart() != warrantyv1.DateKind_DATE_KIND_ACCEPTANCE {
		t.Errorf("project policy = %v; want lifetime paid service from acceptance", pr)
	}
	if me := ps["船机 2027"]; len(me) != 1 || len(me[0].GetFreeRepair().GetOptions()) != 2 {
		t.Errorf("marine policy = %v; want two free-repair options", me)
	}
	w.waitEvents(1 + 3) // P1 and one policy.created per row

	// The same file again: no new version, no event.
	rep = w.importPolicies("policies.csv", policiesCSV, importer.Options{})
	if !rep.Applied || rep.Created+rep.Updated != 0 || rep.Unchanged != 3 || len(rep.Rejected) != 0 {
		t.Fatalf("re-import = %+v; want 3 unchanged", rep)
	}

	// A row naming P1 by id with CreatePolicy's settings is unchanged too: the same rules built it.
	rep = w.importPolicies("p1.csv", "policy_id,name,template,models\n"+w.policy+",P1,consumer-sanbao,M1\n", importer.Options{})
	if !rep.Applied || rep.Unchanged != 1 {
		t.Fatalf("import of P1 as CreatePolicy made it = %+v; want unchanged", rep)
	}

	// A differing row, checked only: it would be a new version, and nothing changes.
	changed := strings.Replace(policiesCSV, "销售 24", "销售 36", 1)
	rep = w.importPolicies("changed.csv", changed, importer.Options{ValidateOnly: true})
	if rep.Applied || rep.Updated != 1 || rep.Unchanged != 2 || len(rep.Rejected) != 0 {
		t.Fatalf("validate-only import of a changed row = %+v; want 1 updated, 2 unchanged, not applied", rep)
	}
	if n := len(w.policies()["家电三包 2027"]); n != 1 {
		t.Fatalf("versions after validate only = %d, want 1", n)
	}

	// Imported: the next version; version 1 stays as it was (units keep theirs).
	rep = w.importPolicies("changed.csv", changed, importer.Options{})
	if !rep.Applied || rep.Updated != 1 || rep.Unchanged != 2 {
		t.Fatalf("import of a changed row = %+v; want 1 updated, 2 unchanged", rep)
	}
	home = w.policies()["家电三包 2027"]
	if len(home) != 2 || home[0].GetFreeRepair().GetOptions()[0].GetLength().GetMonths() != 24 ||
		home[1].GetVersion() != 2 || home[1].GetId() != home[0].GetId() || home[1].GetFreeRepair().GetOptions()[0].GetLength().GetMonths() != 36 {
		t.Fatalf("versions = %v; want v1 with 24 months and v2 with 36, one id", home)
	}
	w.waitEvents(1 + 3 + 1) // the re-imports and validate only added none
}

func TestImportPoliciesRejectsEveryBadRowAndImportsNone(t *testing.T) {
	w := start(t)
	file := strings.Join([]string{
		"policy_id,name,template,free_repair,refund_window_days,labour_per_hour",
		",Good 1,consumer-sanbao,SALE 12,,",         // 2: fine
		",Bad 3,nope,,,",                            // 3: no such template
		",Bad 4,consumer-sanbao,,seven,",            // 4: not a number
		"NOPOLICY,Bad 5,instrument,,,",              // 5: unknown policy id
		",Good 1,instrument,,,",                     // 6: the name of line 2 again
		",,instrument,,,",                           // 7: no name
		",Bad 8,consumer-sanbao,WARP 12,,",          // 8: no such start date
		",Bad 9,consumer-sanbao,SALE 12,5000,",      // 9: a refund window beyond its bound
		",Bad 10,consumer-sanbao,,,12.345",          // 10: not an amount
		",Good 11,marine-engine,DELIVERY 24,,99.50", // 11: fine
		",Bad 12,project-goods,ACCEPTANCE 99999,,",  // 12: months beyond the bound
	}, "\n")
	rep := w.importPolicies("bad.csv", file, importer.Options{})
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
		if r.Reason == "" || r.ReasonZH == "" || strings.HasPrefix(r.ReasonZH, "不符合规则") {
			t.Errorf("rejection %+v: want a reason in English and in Chinese", r)
		}
	}
	for _, want := range []key{{3, "template"}, {4, "refund_window_days"}, {5, "policy_id"}, {6, "name"}, {7, "name"}, {8, "free_repair"},
		{9, "refund_window_days"}, {10, "labour_per_hour"}, {12, "free_repair"}} {
		if _, ok := got[want]; !ok {
			t.Errorf("no rejection of line %d column %s; got %+v", want.line, want.column, rep.Rejected)
		}
	}
	for k := range got {
		if k.line == 2 || k.line == 11 {
			t.Errorf("line %d rejected (%v), want it accepted", k.line, got[k])
		}
	}
	t.Logf("report:\n%s\n%s", strings.Join(rep.Lines("en"), "\n"), strings.Join(rep.Lines("zh"), "\n"))
	if ps := w.policies(); len(ps) != 1 {
		t.Errorf("policies after a rejected import = %v, want only P1", ps)
	}
	w.waitEvents(1)
}

// TestImportPoliciesJSONLines: a whole policy a line (what a sheet row cannot hold: custom
// conditions, exclusions), as CreatePolicy takes it.
func TestImportPoliciesJSONLines(t *testing.T) {
	w := start(t)
	tpls, err := warrantyv1.NewWarrantyServiceClient(w.admin).ListPolicyTemplates(context.Background(), &warrantyv1.ListPolicyTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	p := tpls.GetTemplates()[0].GetPolicy()
	p.Name = "Hours-limited 三包"
	p.CustomConditions = []*warrantyv1.CustomCondition{{Clause: "hours_limit", Expression: "running_hours > 2000.0", Effect: warrantyv1.ConditionEffect_CONDITION_EFFECT_EXCLUDE,
		Explanation: "超过 2000 小时不在三包范围内"}}
	doc, err := protojson.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	bad := proto2json(t, &warrantyv1.Policy{Name: "Bad", CustomConditions: []*warrantyv1.CustomCondition{{Clause: "x", Expression: "running_hours >", Effect: warrantyv1.ConditionEffect_CONDITION_EFFECT_EXCLUDE, Explanation: "x"}}})
	file := string(doc) + "\n\n{not json\n" + bad + "\n"
	rep := w.importPolicies("policies.jsonl", file, importer.Options{})
	if rep.Applied || len(rep.Rejected) < 2 {
		t.Fatalf("Import(jsonl with bad lines) = %+v; want lines 3 and 4 rejected, nothing applied", rep)
	}
	lines := map[int32]bool{}
	for _, r := range rep.Rejected {
		lines[r.Line] = true
	}
	if !lines[3] || !lines[4] || lines[1] {
		t.Errorf("rejected lines = %v (%+v), want 3 and 4", lines, rep.Rejected)
	}

	rep = w.importPolicies("policies.jsonl", string(doc)+"\n", importer.Options{})
	if !rep.Applied || rep.Created != 1 {
		t.Fatalf("Import(jsonl) = %+v; want 1 created", rep)
	}
	got := w.policies()["Hours-limited 三包"]
	if len(got) != 1 || len(got[0].GetCustomConditions()) != 1 || got[0].GetCustomConditions()[0].GetClause() != "hours_limit" {
		t.Fatalf("imported policy = %v; want the custom condition", got)
	}
	rep = w.importPolicies("again.ndjson", "\xef\xbb\xbf"+string(doc)+"\n", importer.Options{})
	if !rep.Applied || rep.Unchanged != 1 || rep.Created != 0 {
		t.Fatalf("re-import(jsonl) = %+v; want unchanged", rep)
	}
	w.waitEvents(1 + 1)
}

func proto2json(t *testing.T, p *warrantyv1.Policy) string {
	t.Helper()
	b, err := protojson.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSpace(b))
}

// TestImportThousandPolicies measures a file of 1,000 sheet rows (each built from its template,
// checked and compiled as CreatePolicy would) and its no-op re-import; the figures are logged.
func TestImportThousandPolicies(t *testing.T) {
	w := start(t)
	const n = 1000
	var b strings.Builder
	b.WriteString("name,template,models,free_repair,call_out\n")
	tpls := []string{"consumer-sanbao", "project-goods", "marine-engine", "instrument"}
	starts := []string{"SALE", "ACCEPTANCE", "DELIVERY", "SALE"}
	for i := range n {
		fmt.Fprintf(&b, "Policy %04d,%s,M%d,%s %d,%d\n", i, tpls[i%4], i, starts[i%4], 12+i%24, 50+i%10)
	}
	for _, want := range []string{"created", "unchanged"} {
		begin := time.Now()
		rep := w.importPolicies("many.csv", b.String(), importer.Options{})
		elapsed := time.Since(begin)
		if !rep.Applied || len(rep.Rejected) != 0 || (want == "created" && rep.Created != n) || (want == "unchanged" && rep.Unchanged != n) {
			t.Fatalf("Import(%d policies) = %+v; want all %s", n, rep, want)
		}
		t.Logf("%d policies %s in %v: %.0f rows/s (parse, stream, build from the template, check, compile, one transaction)", n, want, elapsed.Round(time.Millisecond), n/elapsed.Seconds())
	}
	w.waitEvents(1 + n)
}
