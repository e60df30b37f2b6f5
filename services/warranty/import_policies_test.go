package warranty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

// importPolicies streams rows (two a message) to ImportPolicies and returns the report.
func (e *env) importPolicies(validateOnly bool, rows ...*warrantyv1.ImportPolicyRow) *typev1.ImportReport {
	e.t.Helper()
	st, err := e.c.ImportPolicies(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i < len(rows) || i == 0; i += 2 {
		req := &warrantyv1.ImportPoliciesRequest{Rows: rows[i:min(i+2, len(rows))]}
		if i == 0 {
			req.Options = &typev1.ImportOptions{ValidateOnly: validateOnly}
		}
		if err := st.Send(req); err != nil {
			e.t.Fatal(err)
		}
	}
	resp, err := st.CloseAndRecv()
	if err != nil {
		e.t.Fatalf("ImportPolicies: %v", err)
	}
	return resp.GetReport()
}

// policyEvents is how many policy.created events the WARRANTY stream holds, once the outbox
// has published want of them.
func (e *env) policyEvents(want uint64) {
	e.t.Helper()
	natstest.Eventually(e.t, 30*time.Second, func() error {
		st, err := e.run.Platform.JS.Stream(context.Background(), "WARRANTY")
		if err != nil {
			return err
		}
		info, err := st.Info(context.Background(), jetstream.WithSubjectFilter("sanbao.warranty.v1.policy.created"))
		if err != nil {
			return err
		}
		if got := info.State.Subjects["sanbao.warranty.v1.policy.created"]; got != want {
			return fmt.Errorf("policy.created events = %d, want %d", got, want)
		}
		return nil
	})
}

func rejected(r *typev1.ImportReport) map[int32]string {
	out := map[int32]string{}
	for _, j := range r.GetRejected() {
		out[j.GetLine()] = j.GetField()
	}
	return out
}

// TestImportPoliciesOverGRPC: sheet rows and whole policies through CreatePolicy's rules, with
// its events; a re-import is a no-op, a differing row the next version, a bad row stops all.
func TestImportPoliciesOverGRPC(t *testing.T) {
	e := start(t)
	tpls, err := e.c.ListPolicyTemplates(e.ctx, &warrantyv1.ListPolicyTemplatesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	whole := proto.Clone(tpls.GetTemplates()[1].GetPolicy()).(*warrantyv1.Policy)
	whole.Name = "Whole"
	sheet := func(line int32, name string, refund int32) *warrantyv1.ImportPolicyRow {
		return &warrantyv1.ImportPolicyRow{Line: line, Template: "consumer-sanbao", TemplateFields: []string{"refund_window_days", "fees.call_out"},
			Policy: &warrantyv1.Policy{Name: name, RefundWindowDays: refund}} // call_out listed and unset: cleared
	}
	rows := []*warrantyv1.ImportPolicyRow{sheet(2, "Sheet", 0), {Line: 3, Policy: whole}, sheet(4, "Other", 3)}
	rep := e.importPolicies(false, rows...)
	if !rep.GetApplied() || rep.GetCreated() != 3 || len(rep.GetRejected()) != 0 {
		t.Fatalf("ImportPolicies = %v; want 3 created", rep)
	}
	list, err := e.c.ListPolicies(e.ctx, &warrantyv1.ListPoliciesRequest{AllVersions: true})
	if err != nil || len(list.GetPolicies()) != 3 {
		t.Fatalf("ListPolicies = %v, %v; want 3", list, err)
	}
	var sheetID string
	for _, p := range list.GetPolicies() {
		if p.GetName() == "Sheet" {
			sheetID = p.GetId()
			if p.GetRefundWindowDays() != 0 || p.GetExchangeWindowDays() != 15 || p.GetFees().GetCallOut().GetAmountMinor() != 0 || p.GetFees().GetLabourPerHour().GetAmountMinor() == 0 {
				t.Errorf("sheet policy = %v; want no refund window, no call-out, the template's exchange window and labour rate", p)
			}
		}
	}
	e.policyEvents(3)

	// The same rows again: unchanged, no version, no event; checked only, a changed row would be a new version.
	if rep := e.importPolicies(false, rows...); !rep.GetApplied() || rep.GetUnchanged() != 3 {
		t.Fatalf("re-import = %v; want 3 unchanged", rep)
	}
	if rep := e.importPolicies(true, sheet(2, "Sheet", 7)); rep.GetApplied() || rep.GetUpdated() != 1 {
		t.Fatalf("validate-only changed row = %v; want 1 updated, not applied", rep)
	}
	// By id, differing: version 2, one event; version 1 untouched.
	byID := sheet(2, "Sheet", 7)
	byID.Policy.Id = sheetID
	if rep := e.importPolicies(false, byID); !rep.GetApplied() || rep.GetUpdated() != 1 {
		t.Fatalf("changed row = %v; want 1 updated", rep)
	}
	v1, err1 := e.c.GetPolicy(e.ctx, &warrantyv1.GetPolicyRequest{Id: sheetID, Version: 1})
	v2, err2 := e.c.GetPolicy(e.ctx, &warrantyv1.GetPolicyRequest{Id: sheetID})
	if err1 != nil || err2 != nil || v1.GetPolicy().GetRefundWindowDays() != 0 || v2.GetPolicy().GetVersion() != 2 || v2.GetPolicy().GetRefundWindowDays() != 7 {
		t.Fatalf("versions = %v (%v), %v (%v); want v1 with no refund window and v2 with 7 days", v1, err1, v2, err2)
	}
	e.policyEvents(4)

	// One bad row among good ones: nothing is imported, each fault is reported.
	good := sheet(2, "New", 7)
	bad := []*warrantyv1.ImportPolicyRow{
		{Line: 3, Template: "consumer-sanbao", TemplateFields: []string{"version"}, Policy: &warrantyv1.Policy{Name: "X"}},
		{Line: 4, TemplateFields: []string{"refund_window_days"}, Policy: &warrantyv1.Policy{Name: "Y"}},
		{Line: 5, Policy: &warrantyv1.Policy{Name: "Z"}}, // a whole policy without a free-repair period
		{Line: 6, Template: "instrument", Policy: &warrantyv1.Policy{Id: sheetID, Name: "Sheet"}},
		{Line: 7, Template: "instrument", Policy: &warrantyv1.Policy{Name: "Sheet"}}, // the policy of line 6, by name
		{Line: 8, Template: "instrument", TemplateFields: []string{"fees.nope"}, Policy: &warrantyv1.Policy{Name: "W"}},
	}
	rep = e.importPolicies(false, append([]*warrantyv1.ImportPolicyRow{good}, bad...)...)
	got := rejected(rep)
	want := map[int32]string{3: "template_fields", 4: "template", 5: "policy.free_repair.options", 7: "policy.id", 8: "template_fields"}
	for line, field := range want {
		if got[line] != field {
			t.Errorf("line %d rejected on %q, want %q (report %v)", line, got[line], field, rep.GetRejected())
		}
	}
	if rep.GetApplied() || got[2] != "" || got[6] != "" {
		t.Fatalf("report = %v; want lines 2 and 6 accepted and nothing applied", rep)
	}
	if _, err := e.c.GetPolicy(e.ctx, &warrantyv1.GetPolicyRequest{Id: sheetID, Version: 3}); err == nil {
		t.Errorf("version 3 exists after a rejected import")
	}
	// Two policies of one name: a row naming it must give the id.
	if _, err := e.c.CreatePolicy(e.ctx, &warrantyv1.CreatePolicyRequest{RequestId: e.rid(), Template: "instrument", Policy: &warrantyv1.Policy{Name: "Other"}}); err != nil {
		t.Fatal(err)
	}
	if rep := e.importPolicies(false, sheet(9, "Other", 3)); rep.GetApplied() || rejected(rep)[9] != "policy.name" {
		t.Fatalf("row naming two policies = %v; want rejected on policy.name", rep)
	}
	e.policyEvents(5) // the CreatePolicy only
}
