package ticket_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// startSecure runs the ticket service with TLS and tokens on, as in production; its peers are
// away (triage waits), which the HTTP face does not need.
func startSecure(t *testing.T) *svctest.Service { return startSecureB(t) }

func startSecureB(t testing.TB) *svctest.Service {
	t.Helper()
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
}

// httpCall is one request to a service's HTTP face.
type httpCall struct {
	method, path string
	body         []byte
	header       map[string]string
}

// do sends c to run's HTTP face and returns the status and body.
func (c httpCall) do(t *testing.T, run *svctest.Service, client *http.Client) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, run.HTTPURL+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// withoutServerFields drops what the server assigns per ticket (ids, numbers, times, etags).
func withoutServerFields() cmp.Option {
	return protocmp.IgnoreFields(&ticketv1.Ticket{}, "id", "number", "etag", "create_time", "update_time")
}

// TestHTTPRESTCreateEqualsGRPC: a ticket created with plain JSON on the REST path is the ticket
// the same request creates over gRPC, and reads back the same on GET /v1/tickets/{id}.
func TestHTTPRESTCreateEqualsGRPC(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	tok := run.Token(t, svctest.Operator)

	viaGRPC, err := ticketv1.NewTicketServiceClient(run.Conn).CreateTicket(context.Background(),
		&ticketv1.CreateTicketRequest{RequestId: "grpc-1", Ticket: repair()})
	if err != nil {
		t.Fatal(err)
	}
	// The body a browser or curl sends: the request message in JSON, as written by hand.
	body := []byte(`{"requestId": "rest-1", "ticket": {
		"kind": "TICKET_KIND_REPAIR", "channel": "CHANNEL_PHONE",
		"customer": {"customerId": "cust-1", "contact": {"name": "Zhang San", "phone": "13800000000"},
			"address": {"line": "1 Jingshi Road", "region": "Shandong", "city": "Jinan",
				"point": {"latitude": 36.65, "longitude": 117.12}}},
		"unit": {"serial": "SN-1", "productLine": "instrument", "model": "M1"},
		"fault": {"faultCode": "F-1", "symptom": "display flickers"},
		"organisationId": "station-jinan", "distanceKm": 12}}`)
	code, out := httpCall{http.MethodPost, "/v1/tickets", body, bearer(tok)}.do(t, run, client)
	if code != http.StatusOK {
		t.Fatalf("POST /v1/tickets = %d %s", code, out)
	}
	viaREST := &ticketv1.CreateTicketResponse{}
	if err := protojson.Unmarshal(out, viaREST); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if d := cmp.Diff(viaGRPC.GetTicket(), viaREST.GetTicket(), protocmp.Transform(), withoutServerFields()); d != "" {
		t.Errorf("REST-created ticket differs from the gRPC-created one (-grpc +rest):\n%s", d)
	}

	code, out = httpCall{http.MethodGet, "/v1/tickets/" + viaREST.GetTicket().GetId(), nil, bearer(tok)}.do(t, run, client)
	got := &ticketv1.GetTicketResponse{}
	if code != http.StatusOK || protojson.Unmarshal(out, got) != nil {
		t.Fatalf("GET /v1/tickets/{id} = %d %s", code, out)
	}
	if !proto.Equal(got.GetTicket(), viaREST.GetTicket()) {
		t.Errorf("GET after POST differs:\n%v\n%v", got.GetTicket(), viaREST.GetTicket())
	}

	// A typed filter from the query string.
	code, out = httpCall{http.MethodGet, "/v1/tickets?state=TICKET_STATE_RECEIVED&pageSize=10", nil, bearer(tok)}.do(t, run, client)
	list := &ticketv1.ListTicketsResponse{}
	if code != http.StatusOK || protojson.Unmarshal(out, list) != nil {
		t.Fatalf("GET /v1/tickets?state=… = %d %s", code, out)
	}
	if len(list.GetTickets()) != 2 {
		t.Errorf("GET /v1/tickets?state=RECEIVED listed %d tickets, want 2", len(list.GetTickets()))
	}
}

// TestHTTPConnectProtocol: the Connect protocol (POST /<service>/<method>, JSON) reaches the
// same method.
func TestHTTPConnectProtocol(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	hdr := bearer(run.Token(t, svctest.Operator))
	hdr["Connect-Protocol-Version"] = "1"
	body, err := protojson.Marshal(&ticketv1.CreateTicketRequest{RequestId: "c1", Ticket: consultation("cust-c1")})
	if err != nil {
		t.Fatal(err)
	}
	code, out := httpCall{http.MethodPost, "/sanbao.ticket.v1.TicketService/CreateTicket", body, hdr}.do(t, run, client)
	if code != http.StatusOK {
		t.Fatalf("Connect CreateTicket = %d %s", code, out)
	}
	resp := &ticketv1.CreateTicketResponse{}
	if err := protojson.Unmarshal(out, resp); err != nil {
		t.Fatal(err)
	}
	if resp.GetTicket().GetCustomer().GetCustomerId() != "cust-c1" || resp.GetTicket().GetState() != ticketv1.TicketState_TICKET_STATE_RECEIVED {
		t.Errorf("Connect CreateTicket returned %v", resp.GetTicket())
	}
}

// TestHTTPAuth: no token is 401, a role the policy does not grant is 403, on both protocols.
func TestHTTPAuth(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	technician := run.Token(t, auth.Person{Subject: "tech-1", Roles: []auth.Role{auth.RoleTechnician}})
	body, _ := protojson.Marshal(&ticketv1.CreateBusinessCalendarRequest{RequestId: "cal", Calendar: &ticketv1.BusinessCalendar{Id: "cal-x"}})
	connect := map[string]string{"Connect-Protocol-Version": "1"}
	for _, c := range []struct {
		name string
		call httpCall
		want int
	}{
		{"REST without token", httpCall{http.MethodGet, "/v1/tickets", nil, nil}, http.StatusUnauthorized},
		{"REST with a bad token", httpCall{http.MethodGet, "/v1/tickets", nil, bearer("not-a-token")}, http.StatusUnauthorized},
		{"REST denied", httpCall{http.MethodPost, "/v1/businessCalendars", body, bearer(technician)}, http.StatusForbidden},
		{"Connect without token", httpCall{http.MethodPost, "/sanbao.ticket.v1.TicketService/ListTickets", []byte(`{}`), connect}, http.StatusUnauthorized},
		{"Connect denied", httpCall{http.MethodPost, "/sanbao.ticket.v1.TicketService/CreateBusinessCalendar", body,
			map[string]string{"Connect-Protocol-Version": "1", "Authorization": "Bearer " + technician}}, http.StatusForbidden},
	} {
		code, out := c.call.do(t, run, client)
		if code != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, code, out, c.want)
		}
		var e map[string]any
		if err := json.Unmarshal(out, &e); err != nil {
			t.Errorf("%s: error body is not JSON: %s", c.name, out)
		}
	}
}

// answer is what a client reads from an HTTP error body.
type answer struct {
	code       int
	reason     string
	domain     string
	localized  string
	violations map[string]string // field: localized message
}

// decodeError reads a REST body (google.rpc.Status in JSON) or a Connect error body.
func decodeError(t *testing.T, code int, body []byte, connect bool) answer {
	t.Helper()
	a := answer{code: code, violations: map[string]string{}}
	var anys []*anypb.Any
	if connect {
		var e struct {
			Details []struct{ Type, Value string }
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("Connect error body %s: %v", body, err)
		}
		for _, d := range e.Details {
			b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(d.Value, "="))
			if err != nil {
				t.Fatalf("detail %s: %v", d.Value, err)
			}
			anys = append(anys, &anypb.Any{TypeUrl: "type.googleapis.com/" + d.Type, Value: b})
		}
	} else {
		st := &spb.Status{}
		if err := protojson.Unmarshal(body, st); err != nil {
			t.Fatalf("REST error body %s: %v", body, err)
		}
		anys = st.GetDetails()
	}
	for _, x := range anys {
		m, err := x.UnmarshalNew()
		if err != nil {
			t.Fatalf("detail %s: %v", x.GetTypeUrl(), err)
		}
		switch m := m.(type) {
		case *errdetails.ErrorInfo:
			a.reason, a.domain = m.GetReason(), m.GetDomain()
		case *errdetails.LocalizedMessage:
			a.localized = m.GetMessage()
		case *errdetails.BadRequest:
			for _, v := range m.GetFieldViolations() {
				a.violations[v.GetField()] = v.GetLocalizedMessage().GetMessage()
			}
		}
	}
	return a
}

// grpcAnswer is the same for a gRPC error.
func grpcAnswer(err error) answer {
	a := answer{violations: map[string]string{}}
	for _, d := range status.Convert(err).Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			a.reason, a.domain = d.GetReason(), d.GetDomain()
		case *errdetails.LocalizedMessage:
			a.localized = d.GetMessage()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				a.violations[v.GetField()] = v.GetLocalizedMessage().GetMessage()
			}
		}
	}
	return a
}

// TestHTTPErrors: errors map to HTTP statuses as Connect maps gRPC codes, and REST, Connect and
// gRPC carry the same ErrorInfo reason; a validation error lists every bad field in the language
// asked for.
func TestHTTPErrors(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	tok := run.Token(t, svctest.Operator)
	c := ticketv1.NewTicketServiceClient(run.Conn)
	ctx := context.Background()
	open, err := c.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "e1", Ticket: consultation("cust-e1")})
	if err != nil {
		t.Fatal(err)
	}
	id := open.GetTicket().GetId()

	type grpcCall func(ctx context.Context) error
	for _, tc := range []struct {
		name     string
		rest     httpCall
		method   string // Connect method
		body     string // Connect body (the request message)
		grpc     grpcCall
		status   int
		reason   rpc.Reason
		grpcCode codes.Code
	}{
		{"unknown ticket", httpCall{http.MethodGet, "/v1/tickets/T-0000-000000", nil, nil}, "GetTicket", `{"ticketId": "T-0000-000000"}`,
			func(ctx context.Context) error {
				_, err := c.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: "T-0000-000000"})
				return err
			}, http.StatusNotFound, rpc.ReasonNotFound, codes.NotFound},
		{"close an open ticket", httpCall{http.MethodPost, "/v1/tickets/" + id + ":close", []byte(`{"requestId": "close-1"}`), nil}, "CloseTicket",
			`{"requestId": "close-2", "ticketId": "` + id + `"}`,
			func(ctx context.Context) error {
				_, err := c.CloseTicket(ctx, &ticketv1.CloseTicketRequest{RequestId: "close-3", TicketId: id})
				return err
			}, http.StatusBadRequest, "", codes.FailedPrecondition},
		{"bad page size", httpCall{http.MethodGet, "/v1/tickets?pageSize=9999", nil, nil}, "ListTickets", `{"pageSize": 9999}`,
			func(ctx context.Context) error {
				_, err := c.ListTickets(ctx, &ticketv1.ListTicketsRequest{PageSize: 9999})
				return err
			}, http.StatusBadRequest, rpc.ReasonInvalidRequest, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gerr := tc.grpc(ctx)
			if status.Code(gerr) != tc.grpcCode {
				t.Fatalf("gRPC: %v, want %v", gerr, tc.grpcCode)
			}
			want := grpcAnswer(gerr)
			if tc.reason != "" && want.reason != string(tc.reason) {
				t.Errorf("gRPC reason %q, want %s", want.reason, tc.reason)
			}
			if want.reason == "" || want.domain != "sanbao.ticket" || want.localized == "" {
				t.Fatalf("gRPC error without ErrorInfo or LocalizedMessage: %+v", want)
			}
			rest := tc.rest
			rest.header = bearer(tok)
			code, body := rest.do(t, run, client)
			got := decodeError(t, code, body, false)
			if got.code != tc.status || got.reason != want.reason || got.domain != want.domain {
				t.Errorf("REST %s %s = %d %s, want %d %s", rest.method, rest.path, got.code, got.reason, tc.status, want.reason)
			}
			hdr := bearer(tok)
			hdr["Connect-Protocol-Version"] = "1"
			code, body = httpCall{http.MethodPost, "/sanbao.ticket.v1.TicketService/" + tc.method, []byte(tc.body), hdr}.do(t, run, client)
			got = decodeError(t, code, body, true)
			if got.code != tc.status || got.reason != want.reason {
				t.Errorf("Connect %s = %d %s, want %d %s", tc.method, got.code, got.reason, tc.status, want.reason)
			}
		})
	}

	// Denied and unauthenticated carry their reasons too.
	for _, tc := range []struct {
		tok    string
		status int
		reason rpc.Reason
	}{
		{"", http.StatusUnauthorized, rpc.ReasonUnauthenticated},
		{run.Token(t, auth.Person{Subject: "tech-1", Roles: []auth.Role{auth.RoleTechnician}}), http.StatusForbidden, rpc.ReasonPermissionDenied},
	} {
		hdr := map[string]string{}
		if tc.tok != "" {
			hdr = bearer(tc.tok)
		}
		code, body := httpCall{http.MethodGet, "/v1/servicePolicies", nil, hdr}.do(t, run, client)
		if got := decodeError(t, code, body, false); got.code != tc.status || got.reason != string(tc.reason) {
			t.Errorf("GET /v1/servicePolicies = %d %s, want %d %s", got.code, got.reason, tc.status, tc.reason)
		}
	}

	// A validation error lists every bad field, readable in Chinese and in English.
	bad := []byte(`{"requestId": "has space", "ticket": {"customer": {"customerId": "c"}}}`)
	for _, lang := range []struct{ accept, kind, channel, requestID string }{
		{"zh-CN,zh;q=0.9,en;q=0.8", "ticket.kind 为必填项", "ticket.channel 为必填项", "request_id 只能包含字母、数字和 . _ : -（最多 128 个字符）"},
		{"", "ticket.kind is required", "ticket.channel is required", "request_id may hold only letters, digits and . _ : - (at most 128)"},
	} {
		hdr := bearer(tok)
		if lang.accept != "" {
			hdr["Accept-Language"] = lang.accept
		}
		code, body := httpCall{http.MethodPost, "/v1/tickets", bad, hdr}.do(t, run, client)
		got := decodeError(t, code, body, false)
		if got.code != http.StatusBadRequest || got.reason != string(rpc.ReasonInvalidRequest) {
			t.Fatalf("POST /v1/tickets with bad fields = %d %s", code, body)
		}
		for field, msg := range map[string]string{"ticket.kind": lang.kind, "ticket.channel": lang.channel, "request_id": lang.requestID} {
			if got.violations[field] != msg {
				t.Errorf("[%s] %s: %q, want %q", lang.accept, field, got.violations[field], msg)
			}
		}
		if len(got.violations) != 3 {
			t.Errorf("[%s] violations %v, want exactly the 3 bad fields", lang.accept, got.violations)
		}
		if !strings.Contains(got.localized, lang.kind) || !strings.Contains(got.localized, lang.channel) {
			t.Errorf("[%s] message %q does not name every field", lang.accept, got.localized)
		}
	}
}

// TestHTTPGRPCWeb: a gRPC-web call (binary frames, as generated browser stubs send) reaches the
// method and ends with grpc-status 0 in its trailer frame.
func TestHTTPGRPCWeb(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	msg, err := proto.Marshal(&ticketv1.ListTicketsRequest{PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	frame := append([]byte{0, 0, 0, 0, byte(len(msg))}, msg...)
	hdr := bearer(run.Token(t, svctest.Operator))
	req, err := http.NewRequest(http.MethodPost, run.HTTPURL+"/sanbao.ticket.v1.TicketService/ListTickets", bytes.NewReader(frame))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/grpc-web+proto")
	req.Header.Set("Authorization", hdr["Authorization"])
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if trailers := strings.ToLower(string(body)); resp.StatusCode != http.StatusOK || !strings.Contains(trailers, "grpc-status: 0\r\n") {
		t.Errorf("gRPC-web ListTickets = %d %q, want 200 with grpc-status 0 in the trailers", resp.StatusCode, body)
	}
}

// TestHTTPMalformed: what the HTTP face refuses before a call reaches the service (a body that
// is not JSON, a bad query value, an unknown path, a wrong method) is never a 5xx and carries
// an ErrorInfo reason and a LocalizedMessage in the caller's language, on REST and Connect.
func TestHTTPMalformed(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	zh := map[string]string{"Authorization": "Bearer " + run.Token(t, svctest.Operator), "Accept-Language": "zh-CN"}
	connect := map[string]string{"Connect-Protocol-Version": "1"}
	for k, v := range zh {
		connect[k] = v
	}
	for _, tc := range []struct {
		call   httpCall
		status int
		reason rpc.Reason
	}{
		{httpCall{http.MethodPost, "/v1/tickets", []byte(`{"ticket": {"kind": 12.5`), zh}, http.StatusBadRequest, rpc.ReasonMalformed},
		{httpCall{http.MethodPost, "/v1/tickets", []byte(`{"ticket": {"kind": true}}`), zh}, http.StatusBadRequest, rpc.ReasonMalformed},
		{httpCall{http.MethodGet, "/v1/tickets?pageSize=abc", nil, zh}, http.StatusBadRequest, rpc.ReasonMalformed},
		{httpCall{http.MethodGet, "/v1/nothing", nil, zh}, http.StatusNotFound, rpc.ReasonNotFound},
		{httpCall{http.MethodDelete, "/v1/tickets", nil, zh}, http.StatusMethodNotAllowed, rpc.ReasonUnimplemented},
		{httpCall{http.MethodPost, "/sanbao.ticket.v1.TicketService/CreateTicket", []byte(`{"ticket": `), connect}, http.StatusBadRequest, rpc.ReasonMalformed},
	} {
		code, body := tc.call.do(t, run, client)
		a := decodeError(t, code, body, tc.call.header["Connect-Protocol-Version"] != "")
		if code != tc.status || a.reason != string(tc.reason) || a.domain != "sanbao.ticket" {
			t.Errorf("%s %s = %d %s %s, want %d %s", tc.call.method, tc.call.path, code, a.reason, body, tc.status, tc.reason)
		}
		if !strings.ContainsFunc(a.localized, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%s %s: localized message %q is not Chinese", tc.call.method, tc.call.path, a.localized)
		}
	}
}
