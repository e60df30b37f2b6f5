package rpc

import (
	"strings"
)

// Order is a list's sort order: one field, ascending unless Desc.
type Order struct {
	Field string
	Desc  bool
}

// ParseOrderBy reads a List request's order_by (AIP-132: "due_time", "due_time desc"; one field,
// "asc" or "desc" after it) against the fields the list can be sorted by. Empty is def. Anything
// else is an ORDER_BY_INVALID error (INVALID_ARGUMENT) on order_by naming what is wrong and what
// is allowed.
func ParseOrderBy(orderBy string, def Order, fields ...string) (Order, error) {
	s := strings.TrimSpace(orderBy)
	if s == "" {
		return def, nil
	}
	allowed := strings.Join(fields, ", ")
	if strings.Contains(s, ",") {
		return Order{}, FieldErrorReason(ReasonOrderByInvalid, "order_by",
			"sorts by one field only (one of "+allowed+"), got "+quote(s),
			"只能按一个字段排序（"+allowed+" 之一），收到 "+quote(s))
	}
	parts := strings.Fields(s)
	o := Order{Field: parts[0]}
	known := false
	for _, f := range fields {
		known = known || f == o.Field
	}
	if !known {
		return Order{}, FieldErrorReason(ReasonOrderByInvalid, "order_by",
			"cannot sort by "+quote(o.Field)+"; sort by one of "+allowed,
			"不能按 "+quote(o.Field)+" 排序，可用的排序字段："+allowed)
	}
	switch {
	case len(parts) == 1:
	case len(parts) == 2 && strings.EqualFold(parts[1], "desc"):
		o.Desc = true
	case len(parts) == 2 && strings.EqualFold(parts[1], "asc"):
	default:
		return Order{}, FieldErrorReason(ReasonOrderByInvalid, "order_by",
			"must be a field with an optional \"desc\" (\""+o.Field+" desc\"), got "+quote(s),
			"格式应为字段名，可加 \"desc\"（如 \""+o.Field+" desc\"），收到 "+quote(s))
	}
	return o, nil
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return "\"" + s + "\""
}
