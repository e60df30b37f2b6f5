package rpc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
)

// details are the error details a client reads.
type details struct {
	info      *errdetails.ErrorInfo
	localized *errdetails.LocalizedMessage
	bad       *errdetails.BadRequest
	retry     *errdetails.RetryInfo
}

func detailsOf(err error) details {
	var d details
	for _, x := range status.Convert(err).Details() {
		switch x := x.(type) {
		case *errdetails.ErrorInfo:
			d.info = x
		case *errdetails.LocalizedMessage:
			d.localized = x
		case *errdetails.BadRequest:
			d.bad = x
		case *errdetails.RetryInfo:
			d.retry = x
		}
	}
	return d
}

var upperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestCatalogue: every reason is UPPER_SNAKE, listed once, with its text in English and
// Chinese; every code has a default reason of that code.
func TestCatalogue(t *testing.T) {
	seen := map[rpc.Reason]bool{}
	for _, e := range rpc.Catalogue {
		if !upperSnake.MatchString(string(e.Reason)) {
			t.Errorf("reason %q is not UPPER_SNAKE", e.Reason)
		}
		if seen[e.Reason] {
			t.Errorf("reason %s listed twice", e.Reason)
		}
		seen[e.Reason] = true
		if e.EN == "" || hasHan(e.EN) {
			t.Errorf("%s: English text %q", e.Reason, e.EN)
		}
		if !hasHan(e.ZH) {
			t.Errorf("%s: Chinese text %q has no Chinese", e.Reason, e.ZH)
		}
		if e.Code == codes.OK {
			t.Errorf("%s: code OK", e.Reason)
		}
	}
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		err := rpc.Localize(status.Error(c, "x"), "sanbao.test", rpc.English)
		e, ok := rpc.Lookup(rpc.Reason(detailsOf(err).info.GetReason()))
		if !ok || e.Code != c {
			t.Errorf("code %v: default reason %q is not a reason of that code", c, detailsOf(err).info.GetReason())
		}
	}
}

// TestLocalize: whatever an error was built with, the caller gets ErrorInfo (reason, domain) and
// a LocalizedMessage in its language, with the code and the details it had.
func TestLocalize(t *testing.T) {
	retry := status.New(codes.ResourceExhausted, "server busy")
	retry, _ = retry.WithDetails(&errdetails.RetryInfo{})
	tests := []struct {
		name   string
		err    error
		code   codes.Code
		reason rpc.Reason
		zh     string // a piece of the Chinese message
	}{
		{"plain status", status.Error(codes.NotFound, `ticket "x": not found`), codes.NotFound, rpc.ReasonNotFound, "不存在"},
		{"Fail", rpc.Fail(rpc.ReasonStockShort, "insufficient stock: 2 of 5"), codes.FailedPrecondition, rpc.ReasonStockShort, "库存不足"},
		{"Errorf", rpc.Errorf(codes.PermissionDenied, "dealer may not"), codes.PermissionDenied, rpc.ReasonPermissionDenied, "无权"},
		{"internal", rpc.Status(errors.New("disk on fire")), codes.Internal, rpc.ReasonInternal, "内部错误"},
		{"request id reused", rpc.Status(idem.ErrMismatch), codes.InvalidArgument, rpc.ReasonRequestIDReused, "request_id"},
		{"page token", rpc.Status(store.ErrBadPageToken), codes.InvalidArgument, rpc.ReasonPageTokenInvalid, "分页标记"},
		{"deadline", rpc.Status(context.DeadlineExceeded), codes.DeadlineExceeded, rpc.ReasonDeadline, "超时"},
		{"field error", rpc.FieldError("quantity", "must be positive, got -2"), codes.InvalidArgument, rpc.ReasonInvalidRequest, "quantity 不符合要求：must be positive"},
		{"with retry info", retry.Err(), codes.ResourceExhausted, rpc.ReasonServerBusy, "繁忙"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, lang := range []rpc.Language{rpc.English, rpc.Chinese} {
				err := rpc.Localize(tt.err, "sanbao.test", lang)
				if status.Code(err) != tt.code {
					t.Fatalf("code %v, want %v", status.Code(err), tt.code)
				}
				d := detailsOf(err)
				if d.info.GetReason() != string(tt.reason) || d.info.GetDomain() != "sanbao.test" {
					t.Errorf("ErrorInfo %v, want reason %s in sanbao.test", d.info, tt.reason)
				}
				if d.localized.GetLocale() != lang.Locale() || d.localized.GetMessage() == "" {
					t.Errorf("LocalizedMessage %v, want one in %s", d.localized, lang.Locale())
				}
				if lang == rpc.Chinese && !strings.Contains(d.localized.GetMessage(), tt.zh) {
					t.Errorf("Chinese message %q, want …%s…", d.localized.GetMessage(), tt.zh)
				}
				if lang == rpc.English && d.localized.GetMessage() != status.Convert(err).Message() {
					t.Errorf("English message %q, want the status message %q", d.localized.GetMessage(), status.Convert(err).Message())
				}
				if tt.name == "with retry info" && d.retry == nil {
					t.Error("RetryInfo lost")
				}
				// Localizing twice (a peer's error passed on) keeps the reason and the domain.
				again := detailsOf(rpc.Localize(err, "sanbao.other", lang))
				if again.info.GetReason() != string(tt.reason) || again.info.GetDomain() != "sanbao.test" {
					t.Errorf("localized again: %v", again.info)
				}
			}
		})
	}
}

func TestParseLanguage(t *testing.T) {
	for in, want := range map[string]rpc.Language{
		"":                            rpc.English,
		"en-US,en;q=0.9":              rpc.English,
		"zh-CN,zh;q=0.9,en;q=0.8":     rpc.Chinese,
		"zh":                          rpc.Chinese,
		"zh-Hans-CN":                  rpc.Chinese,
		"de-DE":                       rpc.English,
		"en;q=0.5, zh-CN;q=0.9":       rpc.Chinese,
		"not a language tag at all!!": rpc.English,
	} {
		if got := rpc.ParseLanguage(in); got != want {
			t.Errorf("ParseLanguage(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestValidationReadable: a request with several bad fields is answered once with every field,
// each in words a person reads, in English or Chinese as asked, with a reason of its own.
func TestValidationReadable(t *testing.T) {
	conn := echoServer(t, &ticketv1.CreateTicketRequest{}, &ticketv1.ListTicketsRequest{}, &inventoryv1.ReleaseReservationRequest{})
	call := func(lang string, req proto.Message) error {
		ctx := context.Background()
		if lang != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "accept-language", lang)
		}
		return conn.Invoke(ctx, "/test.Echo/"+string(req.ProtoReflect().Descriptor().Name()), req, req.ProtoReflect().New().Interface())
	}
	bad := &ticketv1.CreateTicketRequest{RequestId: "has space", Ticket: &ticketv1.Ticket{
		Customer: &ticketv1.Customer{CustomerId: strings.Repeat("c", 200)}}}
	want := map[string][3]string{ // field: English, Chinese, reason
		"request_id":                  {"may hold only letters, digits and . _ : - (at most 128)", "只能包含字母、数字和 . _ : -（最多 128 个字符）", "STRING_PATTERN"},
		"ticket.kind":                 {"is required", "为必填项", "REQUIRED"},
		"ticket.channel":              {"is required", "为必填项", "REQUIRED"},
		"ticket.customer.customer_id": {"must be at most 128 characters long", "最多 128 个字符", "STRING_MAX_LEN"},
	}
	for _, lang := range []string{"", "zh-CN,zh;q=0.9"} {
		err := call(lang, bad)
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("CreateTicket(%v) = %v, want INVALID_ARGUMENT", bad, err)
		}
		d := detailsOf(err)
		if d.info.GetReason() != string(rpc.ReasonInvalidRequest) || d.info.GetDomain() != "test" {
			t.Errorf("ErrorInfo %v", d.info)
		}
		got := map[string]*errdetails.BadRequest_FieldViolation{}
		for _, v := range d.bad.GetFieldViolations() {
			got[v.GetField()] = v
		}
		for field, w := range want {
			v, ok := got[field]
			if !ok {
				t.Errorf("[%s] no violation of %s in %v", lang, field, d.bad)
				continue
			}
			text, locale := w[0], "en"
			if lang != "" {
				text, locale = w[1], "zh-CN"
			}
			if v.GetDescription() != w[0] || v.GetReason() != w[2] {
				t.Errorf("[%s] %s: description %q reason %q, want %q %q", lang, field, v.GetDescription(), v.GetReason(), w[0], w[2])
			}
			if v.GetLocalizedMessage().GetLocale() != locale || v.GetLocalizedMessage().GetMessage() != field+" "+text {
				t.Errorf("[%s] %s: localized %v, want %q", lang, field, v.GetLocalizedMessage(), field+" "+text)
			}
		}
		for _, v := range d.bad.GetFieldViolations() {
			if strings.Contains(v.GetDescription(), "list [") || strings.Contains(v.GetDescription(), "[string.") {
				t.Errorf("%s: description %q is protovalidate's, not a person's", v.GetField(), v.GetDescription())
			}
		}
		msg := d.localized.GetMessage()
		if lang == "" && !strings.Contains(msg, "ticket.kind is required") {
			t.Errorf("English message %q", msg)
		}
		if lang != "" && (!strings.Contains(msg, "ticket.kind 为必填项") || !strings.Contains(msg, "ticket.channel 为必填项")) {
			t.Errorf("Chinese message %q", msg)
		}
	}

	// Ranges name both bounds; oneofs name their fields.
	err := call("zh-CN", &ticketv1.ListTicketsRequest{PageSize: 501})
	if v := detailsOf(err).bad.GetFieldViolations(); len(v) != 1 || v[0].GetDescription() != "must be at least 0 and at most 500" ||
		v[0].GetLocalizedMessage().GetMessage() != "page_size 必须不小于 0 且 不大于 500" {
		t.Errorf("page_size 501: %v", v)
	}
	err = call("zh-CN", &inventoryv1.ReleaseReservationRequest{})
	if v := detailsOf(err).bad.GetFieldViolations(); len(v) != 2 || !strings.Contains(v[0].GetLocalizedMessage().GetMessage(), "必须且只能填写一项") {
		t.Errorf("oneof: %v", v)
	}
}

// TestReasonCatalogueDoc: docs/api-conventions.md lists the catalogue as it is.
func TestReasonCatalogueDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "api-conventions.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- reasons:begin (generated from platform/rpc/reasons.go) -->\n", "<!-- reasons:end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", path, begin, end)
	}
	var b strings.Builder
	b.WriteString("| reason | code | English | 中文 |\n| --- | --- | --- | --- |\n")
	for _, e := range rpc.Catalogue {
		b.WriteString("| `" + string(e.Reason) + "` | " + strings.ToUpper(codeName(e.Code)) + " | " + e.EN + " | " + e.ZH + " |\n")
	}
	want := string(doc[:i]) + begin + b.String() + string(doc[j:])
	if os.Getenv("SANBAO_UPDATE_DEPLOY") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != string(doc) {
		t.Errorf("%s: the reason table differs from rpc.Catalogue; regenerate it: SANBAO_UPDATE_DEPLOY=1 go test ./platform/rpc -run TestReasonCatalogueDoc", path)
	}
}

func codeName(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}
