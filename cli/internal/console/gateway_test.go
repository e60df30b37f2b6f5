package console_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/cli/internal/console"
	"github.com/sanbao/sanbao/cli/internal/suite"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/rpc"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func post(t testing.TB, c *http.Client, url, body string, hdr map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

var fromConsole = map[string]string{console.CSRFHeader: "1", "Accept-Language": "zh-CN"}

// The console's HTTP face: security headers on every answer, no inline script, the session
// cookie's flags, CSRF refusals, and the services' errors passed on as Connect errors with
// their details readable.
func TestGateway(t *testing.T) {
	w := startWorld(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	api := w.console + "api/" + console.Names["ticket"] + "/"

	t.Run("security headers and no inline script", func(t *testing.T) {
		resp, err := c.Get(w.console)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
		}
		if regexp.MustCompile(`<script(?:\s+type="module")?>`).Match(b) || strings.Contains(string(b), "http://") || strings.Contains(string(b), "https://") {
			t.Errorf("index.html has an inline script or another origin:\n%s", b)
		}
	})
	t.Run("a call from another site or without the console's header is refused", func(t *testing.T) {
		if a := post(t, c, api+"ListTickets", "{}", nil); a.status != http.StatusForbidden || a.body["code"] != "permission_denied" {
			t.Errorf("without %s: %d %s, want 403 permission_denied", console.CSRFHeader, a.status, a.raw)
		}
		hdr := map[string]string{console.CSRFHeader: "1", "Origin": "http://evil.example"}
		if a := post(t, c, api+"ListTickets", "{}", hdr); a.status != http.StatusForbidden {
			t.Errorf("from another origin: %d %s, want 403", a.status, a.raw)
		}
		hdr = map[string]string{console.CSRFHeader: "1", "Sec-Fetch-Site": "cross-site"}
		if a := post(t, c, w.console+"session/login", `{"user":"desk"}`, hdr); a.status != http.StatusForbidden {
			t.Errorf("cross-site sign-in: %d %s, want 403", a.status, a.raw)
		}
	})
	t.Run("not signed in", func(t *testing.T) {
		if a := post(t, c, api+"ListTickets", "{}", fromConsole); a.status != http.StatusUnauthorized || a.body["code"] != "unauthenticated" {
			t.Errorf("no session: %d %s, want 401 unauthenticated", a.status, a.raw)
		}
	})
	t.Run("a wrong password is refused", func(t *testing.T) {
		if a := post(t, c, w.console+"session/login", `{"user":"desk","password":"nope"}`, fromConsole); a.status != http.StatusUnauthorized {
			t.Errorf("wrong password: %d %s, want 401", a.status, a.raw)
		}
	})
	pw, err := console.LocalPasswords(suite.AuthDir(w.dataDir))
	if err != nil {
		t.Fatal(err)
	}
	a := post(t, c, w.console+"session/login", `{"user":"desk","password":"`+pw["desk"]+`"}`, fromConsole)
	if a.status != http.StatusOK {
		t.Fatalf("sign in as desk: %d %s", a.status, a.raw)
	}
	cookie := a.header.Get("Set-Cookie")
	for _, want := range []string{console.CookieName + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	t.Run("a call goes through with the caller's token", func(t *testing.T) {
		a := post(t, c, api+"ListTickets", `{"pageSize": 10}`, fromConsole)
		if a.status != http.StatusOK {
			t.Fatalf("ListTickets: %d %s", a.status, a.raw)
		}
		if ct := a.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("bad input is a readable invalid_argument with its field violations", func(t *testing.T) {
		a := post(t, c, api+"CreateTicket", `{"requestId":"console-test-bad","ticket":{"channel":"CHANNEL_PHONE"}}`, fromConsole)
		if a.status != http.StatusBadRequest || a.body["code"] != "invalid_argument" {
			t.Fatalf("CreateTicket without a kind: %d %s, want 400 invalid_argument", a.status, a.raw)
		}
		if !strings.Contains(a.raw, "google.rpc.BadRequest") || !strings.Contains(a.raw, "ticket.kind") {
			t.Errorf("error %s: want a BadRequest naming ticket.kind, readable under debug", a.raw)
		}
		if !strings.Contains(a.raw, "google.rpc.LocalizedMessage") || !strings.Contains(a.raw, `"locale":"zh-CN"`) {
			t.Errorf("error %s: want a LocalizedMessage in zh-CN (the console sent Accept-Language: zh-CN)", a.raw)
		}
		en := post(t, c, api+"CreateTicket", `{"requestId":"console-test-bad","ticket":{"channel":"CHANNEL_PHONE"}}`, map[string]string{console.CSRFHeader: "1", "Accept-Language": "en"})
		if !strings.Contains(en.raw, `"locale":"en`) {
			t.Errorf("error %s: want a LocalizedMessage in English", en.raw)
		}
		if a := post(t, c, api+"CreateTicket", `{"ticket": [}`, fromConsole); a.status != http.StatusBadRequest || a.body["code"] != "invalid_argument" {
			t.Errorf("malformed JSON: %d %s, want 400 invalid_argument", a.status, a.raw)
		}
		if a := post(t, c, api+"NoSuchMethod", `{}`, fromConsole); a.status != http.StatusNotFound {
			t.Errorf("unknown method: %d %s, want 404", a.status, a.raw)
		}
		if a := post(t, c, w.console+"api/sanbao.ticket.v1.Nope/ListTickets", `{}`, fromConsole); a.status != http.StatusNotFound {
			t.Errorf("unknown service: %d %s, want 404", a.status, a.raw)
		}
		big := `{"requestId":"` + strings.Repeat("x", 5<<20) + `"}`
		if a := post(t, c, api+"CreateTicket", big, fromConsole); a.status != http.StatusTooManyRequests || a.body["code"] != "resource_exhausted" {
			t.Errorf("a 5 MiB body: %d %.200s, want 429 resource_exhausted", a.status, a.raw)
		}
	})
	t.Run("a ticket created through the console is the service's", func(t *testing.T) {
		body := `{"requestId":"console-test-create","ticket":{"kind":"TICKET_KIND_CONSULTATION","channel":"CHANNEL_PHONE",` +
			`"customer":{"contact":{"name":"李","phone":"13700000000"}},"fault":{"symptom":"怎么保养"}}}`
		a := post(t, c, api+"CreateTicket", body, fromConsole)
		if a.status != http.StatusOK {
			t.Fatalf("CreateTicket: %d %s", a.status, a.raw)
		}
		id, _ := a.body["ticket"].(map[string]any)["id"].(string)
		got, err := w.clients.Ticket.GetTicket(context.Background(), &ticketv1.GetTicketRequest{TicketId: id})
		if err != nil {
			t.Fatalf("GetTicket(%q) over gRPC: %v", id, err)
		}
		if got.GetTicket().GetCustomer().GetContact().GetName() != "李" || got.GetTicket().GetKind() != ticketv1.TicketKind_TICKET_KIND_CONSULTATION {
			t.Errorf("over gRPC the ticket is %v", got.GetTicket())
		}
		again := post(t, c, api+"CreateTicket", body, fromConsole) // the same request id: the same ticket
		if again.status != http.StatusOK || again.body["ticket"].(map[string]any)["id"] != id {
			t.Errorf("retried CreateTicket: %d %s, want the same ticket %s", again.status, again.raw, id)
		}
	})
	t.Run("who is signed in, and sign out", func(t *testing.T) {
		resp, err := c.Get(w.console + "session")
		if err != nil {
			t.Fatal(err)
		}
		var me console.Me
		_ = json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if me.Subject != "local-desk" || len(me.Roles) != 1 || me.Roles[0] != string(auth.RoleServiceDesk) {
			t.Errorf("session = %+v, want local-desk, service-desk", me)
		}
		if a := post(t, c, w.console+"session/logout", `{}`, fromConsole); a.status != http.StatusOK || !strings.Contains(a.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Errorf("logout: %d, Set-Cookie %q", a.status, a.header.Get("Set-Cookie"))
		}
		if a := post(t, c, api+"ListTickets", "{}", fromConsole); a.status != http.StatusUnauthorized {
			t.Errorf("after logout: %d, want 401", a.status)
		}
	})
	t.Run("the upload mount gets the session's token and refuses cross-site posts", func(t *testing.T) {
		var got string
		up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Authorization") + " " + r.URL.Path })
		srv, err := console.New(console.Config{Services: w.addrs, TokenHeader: "X-Forwarded-Access-Token", Upload: up}, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		if a := post(t, hs.Client(), hs.URL+"/upload/", "x", map[string]string{"X-Forwarded-Access-Token": "tok"}); a.status != http.StatusForbidden || got != "" {
			t.Errorf("upload without %s: %d, handler saw %q; want 403 and no call", console.CSRFHeader, a.status, got)
		}
		if a := post(t, hs.Client(), hs.URL+"/upload/", "x", map[string]string{console.CSRFHeader: "1", "X-Forwarded-Access-Token": "tok"}); a.status != http.StatusOK || got != "Bearer tok /" {
			t.Errorf("upload: %d, handler saw %q; want 200 and \"Bearer tok /\"", a.status, got)
		}
	})
	t.Run("a token from an authenticating proxy", func(t *testing.T) {
		tc, err := auth.ClientCA(filepath.Join(suite.AuthDir(w.dataDir), "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		srv, err := console.New(console.Config{Services: w.addrs, Client: rpc.ClientOptions{Creds: credentials.NewTLS(tc)},
			TokenHeader: "X-Forwarded-Access-Token"}, zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		hs := httptest.NewServer(srv.Handler())
		defer hs.Close()
		tok, err := os.ReadFile(filepath.Join(suite.AuthDir(w.dataDir), "tokens", "manager.jwt"))
		if err != nil {
			t.Fatal(err)
		}
		hdr := map[string]string{console.CSRFHeader: "1", "X-Forwarded-Access-Token": strings.TrimSpace(string(tok))}
		if a := post(t, hs.Client(), hs.URL+"/api/"+console.Names["ticket"]+"/ListTickets", "{}", hdr); a.status != http.StatusOK {
			t.Errorf("with the proxy's token: %d %s", a.status, a.raw)
		}
		if a := post(t, hs.Client(), hs.URL+"/session/login", `{"user":"desk"}`, map[string]string{console.CSRFHeader: "1"}); a.status != http.StatusUnauthorized {
			t.Errorf("local sign-in without a local issuer: %d %s, want 401", a.status, a.raw)
		}
	})
}

// BenchmarkGateway measures one ListTickets call from a browser's point of view: through the
// console (cookie → bearer, reverse proxy to the ticket service's HTTP face) and, for
// comparison, straight to that HTTP face with the token.
func BenchmarkGateway(b *testing.B) {
	w := startWorld(b)
	pw, err := console.LocalPasswords(suite.AuthDir(w.dataDir))
	if err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if a := post(b, c, w.console+"session/login", `{"user":"desk","password":"`+pw["desk"]+`"}`, fromConsole); a.status != http.StatusOK {
		b.Fatalf("sign in: %d %s", a.status, a.raw)
	}
	call := func(b *testing.B, c *http.Client, url string, hdr map[string]string) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"pageSize": 20}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", url, resp.StatusCode)
		}
	}
	b.Run("console", func(b *testing.B) {
		for b.Loop() {
			call(b, c, w.console+"api/"+console.Names["ticket"]+"/ListTickets", fromConsole)
		}
	})
	b.Run("http-face", func(b *testing.B) {
		tc, err := auth.ClientCA(filepath.Join(suite.AuthDir(w.dataDir), "ca.pem"))
		if err != nil {
			b.Fatal(err)
		}
		tok, err := os.ReadFile(filepath.Join(suite.AuthDir(w.dataDir), "tokens", "desk.jwt"))
		if err != nil {
			b.Fatal(err)
		}
		direct := &http.Client{Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}, Timeout: 30 * time.Second}
		hdr := map[string]string{"Authorization": "Bearer " + strings.TrimSpace(string(tok)), "Connect-Protocol-Version": "1"}
		for b.Loop() {
			call(b, direct, "https://"+w.httpAddrs["ticket"]+"/"+console.Names["ticket"]+"/ListTickets", hdr)
		}
	})
}
