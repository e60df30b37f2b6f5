package ticket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// startSecure runs the ticket service with TLS and tokens on, as in production; its peers are
// away (triage waits), which the HTTP face does not need.
func startSecure(t *testing.T) *svctest.Service {
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
