package rpc

import (
	"fmt"
	"strings"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// describe turns a protovalidate violation into what a person reads, in English and Chinese
// ("is required", "为必填项"), from its rule id and the rule's values; a rule it does not know
// keeps protovalidate's own message.
func describe(v *protovalidate.Violation) (en, zh string) {
	id := v.Proto.GetRuleId()
	if t, ok := customRules[id]; ok {
		return t[0], t[1]
	}
	kind, rule, _ := strings.Cut(id, ".")
	val := ruleValue(v)
	switch {
	case id == "required", rule == "not_in" && kind == "enum" && val == "[0]":
		return "is required", "为必填项"
	case id == "string.min_len" && val == "1", id == "bytes.min_len" && val == "1":
		return "is required", "为必填项"
	case id == "repeated.min_items" && val == "1":
		return "needs at least one item", "至少需要一项"
	case id == "map.min_pairs" && val == "1":
		return "needs at least one entry", "至少需要一项"
	case id == "enum.defined_only":
		return "is not one of the values this field has", "不是该字段的有效取值"
	case id == "repeated.unique":
		return "must not hold the same item twice", "不能有重复的项"
	case rule == "min_len":
		return "must be at least " + val + " characters long", "至少需要 " + val + " 个字符"
	case rule == "max_len":
		return "must be at most " + val + " characters long", "最多 " + val + " 个字符"
	case rule == "len":
		return "must be exactly " + val + " characters long", "必须是 " + val + " 个字符"
	case rule == "min_bytes":
		return "must be at least " + val + " bytes long", "至少需要 " + val + " 字节"
	case rule == "max_bytes":
		return "must be at most " + val + " bytes long", "最多 " + val + " 字节"
	case rule == "min_items":
		return "must have at least " + val + " items", "至少需要 " + val + " 项"
	case rule == "max_items":
		return "must have at most " + val + " items", "最多 " + val + " 项"
	case rule == "min_pairs":
		return "must have at least " + val + " entries", "至少需要 " + val + " 项"
	case rule == "max_pairs":
		return "must have at most " + val + " entries", "最多 " + val + " 项"
	case rule == "pattern":
		if t, ok := knownPatterns[val]; ok {
			return t[0], t[1]
		}
		return "has characters or a form this field does not allow (it must match " + val + ")", "格式不正确（须符合 " + val + "）"
	case rule == "in":
		return "must be one of " + val, "必须是以下取值之一：" + val
	case rule == "not_in":
		return "must not be one of " + val, "不能是以下取值：" + val
	case rule == "const":
		return "must be " + val, "必须是 " + val
	case rule == "email":
		return "must be an email address", "必须是电子邮件地址"
	case rule == "uri":
		return "must be a URI", "必须是 URI"
	case rule == "uuid":
		return "must be a UUID", "必须是 UUID"
	case rule == "finite":
		return "must be a finite number", "必须是有限数值"
	case strings.HasPrefix(rule, "gt") || strings.HasPrefix(rule, "lt"):
		if en, zh, ok := bounds(v, kind); ok {
			return en, zh
		}
	}
	msg := v.Proto.GetMessage()
	if msg == "" {
		msg = "breaks the rule " + id
	}
	return msg, "不符合规则 " + id + "（" + msg + "）"
}

// customRules are the texts of Sanbao's own rules (predefined and CEL), by rule id.
var customRules = map[string][2]string{
	"sanbao.id":                      {"must be printable ASCII without spaces, quotes, backslashes or control characters", "只能包含可打印的 ASCII 字符，不能有空格、引号、反斜杠或控制字符"},
	"sanbao.line":                    {"must be one line without control characters", "必须是一行文字，不能包含控制字符"},
	"sanbao.text":                    {"must not contain control characters other than tab and line breaks", "除制表符和换行外不能包含控制字符"},
	"time_window.end_after_start":    {"must end after it starts (end_time after start_time)", "结束时间必须晚于开始时间"},
	"working_hours.end_after_start":  {"must end after it starts (end_minute after start_minute)", "结束时间必须晚于开始时间"},
	"plan_day.who":                   {"needs organisation_id or technician_ids, not both", "organisation_id 与 technician_ids 须且只能填写其一"},
	"sanbao.snapshot":                {"an event carries the job without its rankings and amendment history", "事件中的派工单不能带排名和修改记录"},
	"timestamp.gt_now":               {"must be in the future", "必须是将来的时间"},
	"timestamp.lt_now":               {"must be in the past", "必须是过去的时间"},
	"timestamp.within":               {"must be near the current time", "必须接近当前时间"},
	"string.well_known_regex.header": {"must be a valid HTTP header value", "必须是有效的 HTTP 头部取值"},
}

// knownPatterns describe the regular expressions the protos use, by pattern.
var knownPatterns = map[string][2]string{
	"^[A-Za-z0-9._:-]{0,128}$": {"may hold only letters, digits and . _ : - (at most 128)", "只能包含字母、数字和 . _ : -（最多 128 个字符）"},
	"^[A-Za-z0-9._:-]*$":       {"may hold only letters, digits and . _ : -", "只能包含字母、数字和 . _ : -"},
	"^([A-Z]{3})?$":            {"must be a three-letter currency code such as CNY", "必须是三个大写字母的币种代码，例如 CNY"},
	"^[A-Za-z0-9._/-]*$":       {"may hold only letters, digits and . _ / -", "只能包含字母、数字和 . _ / -"},
	"^[A-Za-z0-9._/-]+$":       {"is required and may hold only letters, digits and . _ / -", "为必填项，只能包含字母、数字和 . _ / -"},
	"^[a-z0-9._-]+$":           {"is required and may hold only lower-case letters, digits and . _ -", "为必填项，只能包含小写字母、数字和 . _ -"},
	"^[a-z][a-z0-9_]{0,63}$":   {"must start with a lower-case letter and hold only lower-case letters, digits and _ (at most 64)", "须以小写字母开头，只能包含小写字母、数字和 _（最多 64 个字符）"},
}

// bounds describes a numeric, duration or timestamp range rule from the field's rules: every
// bound the field has (gt, gte, lt, lte), not only the one that failed.
func bounds(v *protovalidate.Violation, kind string) (en, zh string, ok bool) {
	rules := typedRules(v, kind)
	if rules == nil {
		return "", "", false
	}
	get := func(name string) (string, bool) {
		fd := rules.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || !rules.Has(fd) {
			return "", false
		}
		return format(rules.Get(fd), fd), true
	}
	var ens, zhs []string
	timeLike := kind == "timestamp"
	if x, ok := get("gt"); ok {
		ens, zhs = append(ens, pick(timeLike, "after "+x, "greater than "+x)), append(zhs, pick(timeLike, "晚于 "+x, "大于 "+x))
	}
	if x, ok := get("gte"); ok {
		ens, zhs = append(ens, pick(timeLike, "at or after "+x, "at least "+x)), append(zhs, pick(timeLike, "不早于 "+x, "不小于 "+x))
	}
	if x, ok := get("lt"); ok {
		ens, zhs = append(ens, pick(timeLike, "before "+x, "less than "+x)), append(zhs, pick(timeLike, "早于 "+x, "小于 "+x))
	}
	if x, ok := get("lte"); ok {
		ens, zhs = append(ens, pick(timeLike, "at or before "+x, "at most "+x)), append(zhs, pick(timeLike, "不晚于 "+x, "不大于 "+x))
	}
	if len(ens) == 0 {
		return "", "", false
	}
	return "must be " + strings.Join(ens, " and "), "必须" + strings.Join(zhs, " 且 "), true
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// typedRules is the rules message of kind (Int32Rules, TimestampRules, ...) the violation's rule
// belongs to, read from the field's options (or, for a repeated field's items, from them).
func typedRules(v *protovalidate.Violation, kind string) protoreflect.Message {
	if v.FieldDescriptor == nil || v.RuleDescriptor == nil {
		return nil
	}
	fr, ok := proto.GetExtension(v.FieldDescriptor.Options(), validate.E_Field).(*validate.FieldRules)
	if !ok || fr == nil {
		return nil
	}
	want := v.RuleDescriptor.ContainingMessage().FullName()
	var found protoreflect.Message
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return true
			}
			if fd.Message().FullName() == want {
				found = val.Message()
				return false
			}
			if strings.HasPrefix(string(fd.Message().FullName()), "buf.validate.") {
				walk(val.Message())
			}
			return found == nil
		})
	}
	walk(fr.ProtoReflect())
	_ = kind
	return found
}

// ruleValue is the failed rule's value as text ("64", "[0]", "^[a-z]+$").
func ruleValue(v *protovalidate.Violation) string {
	if v.RuleDescriptor == nil || !v.RuleValue.IsValid() {
		return ""
	}
	return format(v.RuleValue, v.RuleDescriptor)
}

func format(val protoreflect.Value, fd protoreflect.FieldDescriptor) string {
	if fd.IsList() {
		l := val.List()
		parts := make([]string, l.Len())
		for i := range l.Len() {
			parts[i] = scalar(l.Get(i), fd)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return scalar(val, fd)
}

func scalar(val protoreflect.Value, fd protoreflect.FieldDescriptor) string {
	if fd.Kind() == protoreflect.MessageKind {
		m := val.Message()
		fs := m.Descriptor().Fields()
		switch m.Descriptor().FullName() {
		case "google.protobuf.Timestamp":
			return time.Unix(m.Get(fs.ByName("seconds")).Int(), m.Get(fs.ByName("nanos")).Int()).UTC().Format(time.RFC3339)
		case "google.protobuf.Duration":
			return (time.Duration(m.Get(fs.ByName("seconds")).Int())*time.Second + time.Duration(m.Get(fs.ByName("nanos")).Int())).String()
		}
		return fmt.Sprint(m.Interface())
	}
	return fmt.Sprint(val.Interface())
}
