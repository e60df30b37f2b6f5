package rpc_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/platform/rpc"
)

func TestParseOrderBy(t *testing.T) {
	def := rpc.Order{Field: "create_time", Desc: true}
	for in, want := range map[string]rpc.Order{
		"":                  def,
		"  ":                def,
		"due_time":          {Field: "due_time"},
		"due_time desc":     {Field: "due_time", Desc: true},
		" due_time   DESC ": {Field: "due_time", Desc: true},
		"priority asc":      {Field: "priority"},
	} {
		got, err := rpc.ParseOrderBy(in, def, "create_time", "due_time", "priority")
		if err != nil || got != want {
			t.Errorf("ParseOrderBy(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"colour", "due_time up", "due_time, priority", "due_time desc desc", "Due_Time"} {
		_, err := rpc.ParseOrderBy(in, def, "create_time", "due_time", "priority")
		d := detailsOf(rpc.Localize(err, "sanbao.test", rpc.Chinese))
		if status.Code(err) != codes.InvalidArgument || d.info.GetReason() != string(rpc.ReasonOrderByInvalid) ||
			len(d.bad.GetFieldViolations()) != 1 || d.bad.GetFieldViolations()[0].GetField() != "order_by" || !hasHan(d.localized.GetMessage()) {
			t.Errorf("ParseOrderBy(%q) = %v (%v), want ORDER_BY_INVALID on order_by", in, err, d.bad)
		}
	}
}
