package ticket_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// TestCustomerUnitPage: the page a unit's code opens shows that unit's service history and
// nothing of another unit or of anyone's personal data, whatever is put in the URL; lookups
// are rate-limited; the QR code is for staff and the unit's own dealer.
func TestCustomerUnitPage(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
	cfg.Daemon.Security.TokenJWKS, cfg.Daemon.Security.TokenIssuer, cfg.Daemon.Security.TokenAudience = local.JWKSFile(), local.Issuer, local.Audience
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	fake := clock.NewFake(t0)
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: fake, NATS: ns, Auth: local})
	ctx := context.Background()
	desk := auth.Person{Subject: "desk-1", Roles: []auth.Role{auth.RoleServiceDesk}}
	cust := ticketv1.NewCustomerServiceClient(run.DialAs(t, desk))
	tickets := ticketv1.NewTicketServiceClient(run.DialAs(t, desk))

	issue := func(rid, serial, org string) string {
		resp, err := cust.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: rid, UnitSerial: serial, ProductLine: "diesel-engine", OrganisationId: org})
		if err != nil {
			t.Fatalf("IssueUnitCode(%s) = %v", serial, err)
		}
		return resp.GetUnitCode().GetCode()
	}
	codeA, codeB := issue("ia", "SN-A", "dealer-a"), issue("ib", "SN-B", "dealer-b")
	if again := issue("ia2", "SN-A", "dealer-a"); again != codeA || len(codeA) != 10 || codeA == codeB {
		t.Fatalf("codes = %s, %s, again %s; want one 10-character code per unit", codeA, codeB, again)
	}
	// Another dealer's IssueUnitCode on B's serial is refused before it writes: B's code keeps
	// its contact (no overwrite), and a dealer's own serial still works.
	asDealerA := ticketv1.NewCustomerServiceClient(run.DialAs(t, auth.Person{Subject: "da", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-a"}))
	if _, err := asDealerA.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: "steal", UnitSerial: "SN-B", ProductLine: "diesel-engine",
		Contact: &typev1.Contact{Name: "Mallory", Phone: "13700000000"}}); status.Code(err) != codes.NotFound {
		t.Errorf("dealer A's IssueUnitCode on dealer B's unit = %v, want NotFound", err)
	}
	if got, err := cust.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: "ib3", UnitSerial: "SN-B", ProductLine: "diesel-engine"}); err != nil ||
		got.GetUnitCode().GetContact().GetPhone() == "13700000000" || got.GetUnitCode().GetOrganisationId() != "dealer-b" {
		t.Errorf("B's code after the refused call = %v, %v; want dealer B's, contact untouched", got.GetUnitCode(), err)
	}
	if got, err := asDealerA.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: "own", UnitSerial: "SN-A", ProductLine: "diesel-engine"}); err != nil || got.GetUnitCode().GetCode() != codeA {
		t.Errorf("dealer A on its own unit = %v, %v; want code %s", got.GetUnitCode(), err, codeA)
	}
	open := func(rid, serial, name string) string {
		tk := consultation("cust-" + rid)
		tk.Unit.Serial = serial
		tk.Customer.Contact = &typev1.Contact{Name: name, Phone: "1390000" + rid[len(rid)-4:]}
		resp, err := tickets.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: rid, Ticket: tk})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetTicket().GetNumber()
	}
	a1, a2 := open("ta-0001", "SN-A", "Li Lei"), open("ta-0002", "SN-A", "Li Lei")
	b1 := open("tb-0003", "SN-B", "Han Meimei")

	srv := httptest.NewServer(svc.AttachmentHandler())
	t.Cleanup(srv.Close)
	get := func(path, tok, from string) (int, []byte, http.Header) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if from != "" {
			req.Header.Set("X-Forwarded-For", from) // must not change whose bucket it is
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, resp.Header
	}

	code, body, _ := get("/v1/c/"+strings.ToLower(codeA[:5])+"-"+codeA[5:], "", "")
	var view ticketv1.UnitView
	if code != http.StatusOK || protojson.Unmarshal(body, &view) != nil {
		t.Fatalf("GET /v1/c/<A> = %d %s", code, body)
	}
	var numbers []string
	for _, v := range view.GetHistory() {
		numbers = append(numbers, v.GetNumber())
	}
	if len(numbers) != 2 || !strings.Contains(strings.Join(numbers, ","), a1) || !strings.Contains(strings.Join(numbers, ","), a2) {
		t.Errorf("unit A's history = %v, want %s and %s", numbers, a1, a2)
	}
	for _, leak := range []string{b1, "SN-B", "Han Meimei", "Li Lei", "1390000", "dealer-a", "desk-1"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("unit A's page shows %q: %s", leak, body)
		}
	}
	// Whatever is put in the URL, it is unit B's own page or nothing.
	for _, path := range []string{"/v1/c/" + codeB, "/v1/c/" + codeA + "X", "/v1/c/" + codeB[:9], "/v1/c/SN-A", "/v1/c/SN-B",
		"/v1/c/..%2F" + codeB, "/v1/c/" + codeA + "%00" + codeB, "/v1/c/0000000000", "/v1/c/%27%20OR%201%3D1"} {
		code, body, _ := get(path, "", "")
		if bytes.Contains(body, []byte(a1)) || bytes.Contains(body, []byte(a2)) {
			t.Errorf("GET %s = %d showing unit A's tickets: %s", path, code, body)
		}
		if path != "/v1/c/"+codeB && code == http.StatusOK {
			t.Errorf("GET %s = 200 %s, want no unit", path, body)
		}
	}

	// Rate limits: one code looked up over and over, many codes from one address.
	limited := false
	for i := 0; i < 30 && !limited; i++ {
		code, _, h := get("/v1/c/"+codeB, "", "10.0.0."+string(rune('0'+i%10)))
		limited = code == http.StatusTooManyRequests && h.Get("Retry-After") != ""
	}
	if !limited {
		t.Error("30 lookups of one code at once never limited")
	}

	// The QR code: staff and the unit's dealer; not another dealer, not without a token.
	tok := func(p auth.Person) string {
		s, err := local.Issue(p, fake.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if code, body, h := get("/v1/unit-codes/"+codeA+"/qr.png", tok(desk), ""); code != http.StatusOK || h.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Errorf("QR as desk = %d %s", code, h.Get("Content-Type"))
	}
	if code, _, _ := get("/v1/unit-codes/"+codeA+"/qr.png", tok(auth.Person{Subject: "da", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-a"}), ""); code != http.StatusOK {
		t.Errorf("QR as the unit's dealer = %d, want 200", code)
	}
	if code, _, _ := get("/v1/unit-codes/"+codeA+"/qr.png", tok(auth.Person{Subject: "db", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-b"}), ""); code != http.StatusNotFound {
		t.Errorf("QR as another dealer = %d, want 404", code)
	}
	if code, _, _ := get("/v1/unit-codes/"+codeA+"/qr.png", "", ""); code != http.StatusUnauthorized {
		t.Errorf("QR without a token = %d, want 401", code)
	}
}

// TestLookupLimitPerAddress: guessing many codes from one address is stopped.
func TestLookupLimitPerAddress(t *testing.T) {
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
	cfg.Daemon.Security.Insecure = true
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns})
	srv := httptest.NewServer(svc.AttachmentHandler())
	t.Cleanup(srv.Close)
	limited := 0
	for i := range 40 {
		resp, err := http.Get(srv.URL + "/v1/c/" + strings.Repeat(string("0123456789ABCDEFGHJK"[i%20]), 10))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Error("40 guessed codes from one address at once never limited")
	}
}

// TestLookupLimitBehindAProxy: behind a trusted proxy (the console) the per-address limit keys
// on the customer's address it forwards, so customers behind one console do not share one
// bucket; a client that is not a trusted proxy cannot pick its key with X-Forwarded-For.
func TestLookupLimitBehindAProxy(t *testing.T) {
	lookups := func(t *testing.T, trusted string) (limitedSame, limitedSpread int) {
		cfg := ticket.DefaultConfig()
		cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1"
		cfg.Daemon.Security.Insecure = true
		cfg.TrustedProxies = trusted
		svc, err := ticket.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(svc.Close)
		ns := natstest.Run(t)
		ns.Streams(t, "dispatch")
		svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns})
		srv := httptest.NewServer(svc.AttachmentHandler())
		t.Cleanup(srv.Close)
		get := func(i int, from string) bool {
			req, _ := http.NewRequest("GET", srv.URL+"/v1/c/"+strings.Repeat(string("0123456789ABCDEFGHJK"[i%20]), 10), nil)
			req.Header.Set("X-Forwarded-For", from)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			return resp.StatusCode == http.StatusTooManyRequests
		}
		// 20 lookups, each from its own forwarded address (a new bucket each when believed).
		for i := range 20 {
			if get(i, fmt.Sprintf("198.51.100.%d", i+1)) {
				limitedSpread++
			}
		}
		// 30 from one forwarded address.
		for i := range 30 {
			if get(i, "203.0.113.50") {
				limitedSame++
			}
		}
		return limitedSame, limitedSpread
	}
	t.Run("trusted console", func(t *testing.T) {
		same, spread := lookups(t, "127.0.0.1/32,::1/128")
		if spread != 0 {
			t.Errorf("20 customers behind the console, one lookup each: %d limited, want none", spread)
		}
		if same == 0 {
			t.Error("30 lookups of one customer behind the console never limited")
		}
	})
	t.Run("nobody trusted (the default)", func(t *testing.T) {
		_, spread := lookups(t, "")
		if spread == 0 {
			t.Error("a spoofed X-Forwarded-For from an untrusted peer was believed: 20 lookups never limited")
		}
	})
	if _, err := ticket.New(func() ticket.Config {
		c := ticket.DefaultConfig()
		c.TrustedProxies = "10.0.0.0/99"
		return c
	}()); err == nil || !strings.Contains(err.Error(), "trusted-proxies") {
		t.Errorf("a bad --trusted-proxies = %v, want refused naming the flag", err)
	}
}

// TestUnitPageWarranty: the unit's page shows its warranty as warranty-rules computes it today
// (in warranty, each period's end date); a unit warranty does not know leaves the page
// without it (so does warranty being unreachable: TestCustomerUnitPage runs without it).
func TestUnitPageWarranty(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	srv := httptest.NewServer(e.svc.AttachmentHandler())
	t.Cleanup(srv.Close)
	cust := ticketv1.NewCustomerServiceClient(e.run.Conn)
	issue := func(serial string) string {
		resp, err := cust.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: "code-" + serial, UnitSerial: serial, ProductLine: "instrument"})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetUnitCode().GetCode()
	}
	known, unknown := issue("SN-1"), issue("SN-NOBODY")
	view := func(code string) *ticketv1.UnitView {
		resp, err := http.Get(srv.URL + "/v1/c/" + code)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		v := &ticketv1.UnitView{}
		if resp.StatusCode != http.StatusOK || protojson.Unmarshal(b, v) != nil {
			t.Fatalf("GET /v1/c/%s = %d %s", code, resp.StatusCode, b)
		}
		return v
	}
	e.startWarranty() // SN-1 sold 175 days ago under the instrument template
	w := view(known).GetWarranty()
	if w == nil {
		t.Fatal("no warranty on SN-1's page")
	}
	if !w.GetInWarranty() || w.GetAsOfDate() == nil {
		t.Fatalf("warranty of SN-1 = %v, want in warranty as of today", w)
	}
	free := false
	for _, c := range w.GetCoverages() {
		if c.GetKind() == "free_repair" {
			free = c.GetActive() && (c.GetEndDate() != nil || c.GetUnlimited())
		}
	}
	if !free {
		t.Errorf("coverages = %v, want an active free_repair period with its end date", w.GetCoverages())
	}
	if v := view(unknown); v.GetWarranty() != nil {
		t.Errorf("a unit warranty does not know shows %v", v.GetWarranty())
	}
}
