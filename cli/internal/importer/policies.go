package importer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// policiesKind is the warranty policies (三包政策), imported into the warranty service. A policy
// is a nested document, so a sheet row names a template and changes the flat settings a desk
// changes (an empty cell keeps the template's); a JSON-lines file carries whole policies.
func policiesKind() *Kind {
	return &Kind{
		Name: "policies", ZH: "三包政策", Service: "warranty",
		Key: "policy_id, else name",
		Update: "a new version (versions are immutable: units keep theirs); a row equal to the latest version is unchanged. " +
			"Without a policy_id a row is the policy whose latest version has its name (none: a new policy; several: rejected). " +
			"A sheet row is the template's policy with the row's cells; an empty cell keeps the template's value, `0` disables a window. " +
			"A `.jsonl` file instead holds one whole `sanbao.warranty.v1.Policy` in protojson a line (column `json`, lines counted from 1)",
		Columns: []Column{
			{Name: "policy_id", ZH: "政策编号", Aliases: []string{"id", "policy"}, Path: "policy.id", Parse: keep("policy.id"),
				Doc: "id of an existing policy, whose next version the row is; empty: found by name, or a new policy"},
			{Name: "name", ZH: "政策名称", Aliases: []string{"名称"}, Path: "policy.name", Required: true, Parse: keep("policy.name"), Doc: "policy name, e.g. 家电三包 2027"},
			{Name: "template", ZH: "模板", Aliases: []string{"政策模板"}, Path: "template", Required: true,
				Doc: "consumer-sanbao (消费品三包), project-goods (工程项目), marine-engine (船用发动机) or instrument (仪器仪表)",
				Values: map[string]string{"消费品三包": "consumer-sanbao", "三包": "consumer-sanbao", "工程项目": "project-goods",
					"船用发动机": "marine-engine", "船机": "marine-engine", "仪器仪表": "instrument", "仪表": "instrument"}},
			{Name: "description", ZH: "说明", Aliases: []string{"描述"}, Path: "policy.description", Parse: over("description"), Doc: "text for people reading the policy"},
			{Name: "models", ZH: "适用型号", Aliases: []string{"型号"}, Path: "policy.models", Parse: over("models"), Doc: "product models, separated by `;`"},
			{Name: "free_repair", ZH: "免费保修期", Aliases: []string{"质保期", "三包期"}, Path: "policy.free_repair", Parse: parseFreeRepair,
				Doc: "start date and months, whichever ends first: `SALE 12`, `DELIVERY 18; SEA_TRIAL 12`, `验收 12` (SALE 销售, DELIVERY 交付, INSTALLATION 安装, ACCEPTANCE 验收, COMMISSIONING 调试, SEA_TRIAL 下水试验)"},
			{Name: "paid_service_months", ZH: "有偿保修月数", Aliases: []string{"保修期"}, Path: "policy.paid_service", Parse: parsePaidService,
				Doc: "months of paid warranty after the free period; `0` none, `unlimited` (终身) lifetime"},
			{Name: "refund_window_days", ZH: "退货天数", Path: "policy.refund_window_days", Parse: over("refund_window_days"), Doc: "days after the sale with a refund; 0 none"},
			{Name: "exchange_window_days", ZH: "换货天数", Path: "policy.exchange_window_days", Parse: over("exchange_window_days"), Doc: "days after the sale with an exchange; 0 none"},
			{Name: "return_window_working_days", ZH: "退换货工作日", Path: "policy.return_window_working_days", Parse: over("return_window_working_days"), Doc: "working days to return a unit with its packaging; 0 none"},
			{Name: "repeat_failure_repairs", ZH: "同一故障修理次数", Path: "policy.repeat_failure.repairs", Parse: over("repeat_failure.repairs"), Doc: "repairs of one fault after which the next failure may be exchanged; 0 none"},
			{Name: "third_party_repair_after", ZH: "第三方维修次数", Path: "policy.third_party_repair_after", Parse: over("third_party_repair_after"), Doc: "failed repairs after which a third party repairs at our cost; 0 none"},
			{Name: "warranty_card_required", ZH: "需要回执卡", Path: "policy.warranty_card.required", Parse: over("warranty_card.required"), Doc: "yes when the dealer must return the warranty card"},
			{Name: "warranty_card_deadline_days", ZH: "回执卡期限天数", Path: "policy.warranty_card.deadline_days", Parse: over("warranty_card.deadline_days"), Doc: "days after the sale to return the card"},
			{Name: "part_warranty_months", ZH: "配件保修月数", Path: "policy.part_warranty.length", Parse: parsePartWarranty, Doc: "months a replaced part is warranted; 0 none"},
			{Name: "call_out", ZH: "上门费", Path: "policy.fees.call_out", Parse: over("fees.call_out"), Doc: "call-out charge of paid service, yuan"},
			{Name: "travel_per_km", ZH: "每公里交通费", Aliases: []string{"交通费"}, Path: "policy.fees.travel_per_km", Parse: over("fees.travel_per_km"), Doc: "travel per km, yuan"},
			{Name: "labour_per_hour", ZH: "每小时工时费", Aliases: []string{"工时费"}, Path: "policy.fees.labour_per_hour", Parse: over("fees.labour_per_hour"), Doc: "labour per hour, yuan"},
			{Name: "charge_materials", ZH: "收材料费", Path: "policy.fees.charge_materials", Parse: over("fees.charge_materials"), Doc: "yes when paid service charges materials (at cost)"},
			{Name: "time_zone", ZH: "时区", Path: "policy.calendar.time_zone", Parse: over("calendar.time_zone"), Doc: "IANA zone of the calendar; empty: the template's (Asia/Shanghai)"},
			{Name: "json", ZH: "政策JSON", Path: "policy", Whole: true, Parse: parsePolicyJSON,
				Doc: "a whole policy in protojson (a `.jsonl` file's lines); with it no other column is needed"},
		},
		record: func() proto.Message { return &warrantyv1.ImportPolicyRow{} },
		send: func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error) {
			st, err := warrantyv1.NewWarrantyServiceClient(conn).ImportPolicies(ctx)
			if err != nil {
				return nil, err
			}
			return stream(rows, opts, sent, func(o *typev1.ImportOptions, rows []Row) *warrantyv1.ImportPoliciesRequest {
				req := &warrantyv1.ImportPoliciesRequest{Options: o}
				for _, r := range rows {
					row := r.Record.(*warrantyv1.ImportPolicyRow)
					row.Line = r.Line
					req.Rows = append(req.Rows, row)
				}
				return req
			}, st.Send, func() (*typev1.ImportReport, error) {
				resp, err := st.CloseAndRecv()
				return resp.GetReport(), err
			})
		},
	}
}

// keep sets a field of the row's policy that the server takes whatever the template.
func keep(path string) func(proto.Message, string) error {
	return func(m proto.Message, cell string) error { return set(m, path, cell) }
}

// over sets a setting of the row's policy (a Policy field path) and lists it in the row's
// template_fields, so that it replaces the template's.
func over(path string) func(proto.Message, string) error {
	return func(m proto.Message, cell string) error {
		r := m.(*warrantyv1.ImportPolicyRow)
		r.TemplateFields = append(r.TemplateFields, path)
		return set(m, "policy."+path, cell)
	}
}

// dateKinds are the words a free_repair cell may name a start date by.
var dateKinds = map[string]string{"销售": "SALE", "购买": "SALE", "发票": "SALE", "交付": "DELIVERY", "交货": "DELIVERY", "安装": "INSTALLATION",
	"验收": "ACCEPTANCE", "调试": "COMMISSIONING", "下水试验": "SEA_TRIAL", "试航": "SEA_TRIAL"}

var freeRE = regexp.MustCompile(`^(\S+?)\s*[ :：]?\s*(\d{1,4})\s*(?:个月|月|m|months?)?$`)

// parseFreeRepair reads "SALE 12" or "DELIVERY 18; SEA_TRIAL 12" (start date, months) into
// the free-repair period's options.
func parseFreeRepair(m proto.Message, cell string) error {
	r := m.(*warrantyv1.ImportPolicyRow)
	rule := &warrantyv1.PeriodRule{}
	for _, part := range strings.FieldsFunc(cell, listSep) {
		part = strings.TrimSpace(part)
		g := freeRE.FindStringSubmatch(part)
		if g == nil {
			return fmt.Errorf("%q is not a free-repair period (write SALE 12, or DELIVERY 18; SEA_TRIAL 12)", part)
		}
		start := g[1]
		if w, ok := dateKinds[start]; ok {
			start = w
		}
		v, err := enum(warrantyv1.DateKind_DATE_KIND_UNSPECIFIED.Descriptor(), start)
		if err != nil {
			return err
		}
		months, _ := strconv.Atoi(g[2])
		rule.Options = append(rule.Options, &warrantyv1.PeriodOption{Start: warrantyv1.DateKind(v.Enum()), Length: &warrantyv1.Span{Months: int32(months)}})
	}
	r.Policy = policyOf(r)
	r.Policy.FreeRepair = rule
	r.TemplateFields = append(r.TemplateFields, "free_repair")
	return nil
}

// months reads a number of months; "unlimited" (终身, lifetime) is a span without end, 0 none.
func months(cell string) (*warrantyv1.Span, error) {
	switch strings.ToLower(cell) {
	case "unlimited", "lifetime", "终身", "永久":
		return &warrantyv1.Span{Unlimited: true}, nil
	case "none", "无":
		return nil, nil
	}
	n, err := strconv.ParseInt(number(cell), 10, 32)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("%q is not a number of months", cell)
	}
	if n == 0 {
		return nil, nil
	}
	return &warrantyv1.Span{Months: int32(n)}, nil
}

// parsePaidService reads the paid-warranty months.
func parsePaidService(m proto.Message, cell string) error {
	r := m.(*warrantyv1.ImportPolicyRow)
	s, err := months(cell)
	if err != nil {
		return err
	}
	r.Policy = policyOf(r)
	r.Policy.PaidService = s
	r.TemplateFields = append(r.TemplateFields, "paid_service")
	return nil
}

// parsePartWarranty reads a replaced part's warranty months.
func parsePartWarranty(m proto.Message, cell string) error {
	r := m.(*warrantyv1.ImportPolicyRow)
	s, err := months(cell)
	if err != nil {
		return err
	}
	r.Policy = policyOf(r)
	if r.Policy.PartWarranty == nil {
		r.Policy.PartWarranty = &warrantyv1.PartWarrantyRule{}
	}
	r.Policy.PartWarranty.Length = s
	r.TemplateFields = append(r.TemplateFields, "part_warranty.length")
	return nil
}

// parsePolicyJSON reads a whole policy in protojson: the row has no template then.
func parsePolicyJSON(m proto.Message, cell string) error {
	r := m.(*warrantyv1.ImportPolicyRow)
	p := &warrantyv1.Policy{}
	if err := (protojson.UnmarshalOptions{}).Unmarshal([]byte(cell), p); err != nil {
		return fmt.Errorf("is not a policy in JSON: %v", err)
	}
	r.Policy = p
	return nil
}

func policyOf(r *warrantyv1.ImportPolicyRow) *warrantyv1.Policy {
	if r.Policy == nil {
		r.Policy = &warrantyv1.Policy{}
	}
	return r.Policy
}
