package ticket_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// otpFor returns the last one-time code sent to phone.
func (b *sentBox) otpFor(phone string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	code := ""
	for _, m := range b.msgs {
		if m.Template == "customer.otp" && m.To == phone {
			code = m.Params["code"]
		}
	}
	return code
}

// TestCustomerSession: a one-time code to the phone on record opens a session for that unit
// only: its tickets' tracking, never another unit's, whatever code or number is in the URL;
// guessing the code is stopped and asking for codes is rate-limited.
func TestCustomerSession(t *testing.T) {
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
	box := &sentBox{}
	svc.SetNotifier(notify.Router{notify.SMS: box})
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
	ctx := context.Background()
	desk := auth.Person{Subject: "desk-1", Roles: []auth.Role{auth.RoleServiceDesk}}
	cust := ticketv1.NewCustomerServiceClient(run.DialAs(t, desk))
	tickets := ticketv1.NewTicketServiceClient(run.DialAs(t, desk))
	issue := func(rid, serial, phone string) string {
		resp, err := cust.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: rid, UnitSerial: serial, ProductLine: "diesel-engine",
			Contact: &typev1.Contact{Name: "owner of " + serial, Phone: phone}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetUnitCode().GetCode()
	}
	codeA, codeB := issue("ua", "SN-A", "13900000001"), issue("ub", "SN-B", "13900000002")
	open := func(rid, serial string) string {
		tk := consultation("cust-" + rid)
		tk.Unit.Serial = serial
		resp, err := tickets.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: rid, Ticket: tk})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetTicket().GetNumber()
	}
	ticketA, ticketB := open("sa", "SN-A"), open("sb", "SN-B")

	srv := httptest.NewServer(svc.AttachmentHandler())
	t.Cleanup(srv.Close)
	call := func(method, path, tok string, body any) (int, []byte) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	sentTo := func(phone string) string {
		var code string
		natstest.Eventually(t, 10*time.Second, func() error {
			if _, err := run.Platform.Timers.FireDue(ctx); err != nil {
				return err
			}
			if code = box.otpFor(phone); code == "" {
				return fmt.Errorf("no one-time code sent to %s yet", phone)
			}
			return nil
		})
		return code
	}

	if code, body := call("POST", "/v1/c/"+codeA+"/otp", "", nil); code != http.StatusAccepted {
		t.Fatalf("POST otp = %d %s", code, body)
	}
	otpA := sentTo("13900000001")
	wrong := "000000"
	if wrong == otpA {
		wrong = "000001"
	}
	if code, _ := call("POST", "/v1/c/"+codeA+"/session", "", map[string]string{"otp": wrong}); code != http.StatusUnauthorized {
		t.Errorf("session with a wrong code = %d, want 401", code)
	}
	if code, _ := call("POST", "/v1/c/"+codeB+"/session", "", map[string]string{"otp": otpA}); code == http.StatusOK {
		t.Error("unit A's one-time code opened unit B's page")
	}
	code, body := call("POST", "/v1/c/"+codeA+"/session", "", map[string]string{"otp": otpA})
	var sess struct{ Token string }
	if code != http.StatusOK || json.Unmarshal(body, &sess) != nil || sess.Token == "" {
		t.Fatalf("session = %d %s", code, body)
	}
	if code, _ := call("POST", "/v1/c/"+codeA+"/session", "", map[string]string{"otp": otpA}); code == http.StatusOK {
		t.Error("a one-time code opened a second session")
	}

	code, body = call("GET", "/v1/c/"+codeA+"/tickets/"+ticketA, sess.Token, nil)
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"received"`)) || !bytes.Contains(body, []byte(ticketA)) {
		t.Errorf("tracking of A's ticket = %d %s", code, body)
	}
	for _, tc := range []struct {
		name, path, tok string
		want            int
	}{
		{"B's ticket under A's code", "/v1/c/" + codeA + "/tickets/" + ticketB, sess.Token, http.StatusNotFound},
		{"B's code with A's session", "/v1/c/" + codeB + "/tickets/" + ticketB, sess.Token, http.StatusNotFound},
		{"B's code, A's ticket, A's session", "/v1/c/" + codeB + "/tickets/" + ticketA, sess.Token, http.StatusNotFound},
		{"no session", "/v1/c/" + codeA + "/tickets/" + ticketA, "", http.StatusUnauthorized},
		{"a made-up session", "/v1/c/" + codeA + "/tickets/" + ticketA, "bm90LWEtc2Vzc2lvbg", http.StatusUnauthorized},
		{"a staff token is no session", "/v1/c/" + codeA + "/tickets/" + ticketA, mustIssue(t, local, desk), http.StatusUnauthorized},
		{"unknown number", "/v1/c/" + codeA + "/tickets/T-2026-999999", sess.Token, http.StatusNotFound},
		{"a ticket id instead of a number", "/v1/c/" + codeA + "/tickets/..%2F" + ticketB, sess.Token, http.StatusNotFound},
	} {
		code, body := call("GET", tc.path, tc.tok, nil)
		if code != tc.want || bytes.Contains(body, []byte(ticketB)) {
			t.Errorf("%s: GET %s = %d %s, want %d and nothing of B", tc.name, tc.path, code, body, tc.want)
		}
	}

	// The session is a customer token the guard checks like any other: unit A's tickets'
	// attachments, nothing of B's, and no staff method.
	custConn := run.DialToken(t, sess.Token)
	custAtt := ticketv1.NewAttachmentServiceClient(custConn)
	if _, err := custAtt.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: ticketA}); err != nil {
		t.Errorf("customer lists its ticket's attachments: %v", err)
	}
	if _, err := custAtt.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: ticketB}); status.Code(err) != codes.NotFound {
		t.Errorf("customer of A lists B's attachments = %v, want NotFound", err)
	}
	// B's photo, uploaded by the desk: A's customer cannot read its record or its bytes.
	deskTok := mustIssue(t, local, desk)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/tickets/"+ticketB+"/attachments?kind=photo&request_id=desk-b", bytes.NewReader(png(512)))
	req.Header.Set("Authorization", "Bearer "+deskTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var photoB ticketv1.Attachment
	bodyB, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || protojson.Unmarshal(bodyB, &photoB) != nil {
		t.Fatalf("desk upload to B = %d %s", resp.StatusCode, bodyB)
	}
	if _, err := custAtt.GetAttachment(ctx, &ticketv1.GetAttachmentRequest{Id: photoB.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("customer of A reads B's photo record = %v, want NotFound", err)
	}
	if code, body := call("GET", "/v1/attachments/"+photoB.GetId()+"/content", sess.Token, nil); code != http.StatusNotFound {
		t.Errorf("customer of A downloads B's photo = %d %.100s, want 404", code, body)
	}
	if _, err := ticketv1.NewTicketServiceClient(custConn).GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: ticketA}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("customer GetTicket = %v, want PermissionDenied (the tracking view is the customer's)", err)
	}
	if _, err := ticketv1.NewCustomerServiceClient(custConn).IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{UnitSerial: "SN-B", ProductLine: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("customer IssueUnitCode = %v, want PermissionDenied", err)
	}

	// Reporting a problem with the session opens a ticket with the unit known, once per report.
	report := map[string]any{"requestId": "page-1", "kind": "TICKET_KIND_REPAIR", "symptom": "机器不启动"}
	var numbers []string
	for range 2 {
		code, body := call("POST", "/v1/c/"+codeA+"/tickets", sess.Token, report)
		var tv ticketv1.TrackingView
		if code != http.StatusCreated || protojson.Unmarshal(body, &tv) != nil {
			t.Fatalf("report a problem = %d %s", code, body)
		}
		numbers = append(numbers, tv.GetNumber())
	}
	if numbers[0] != numbers[1] {
		t.Errorf("a resent report opened %v, want one ticket", numbers)
	}
	got, err := tickets.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: numbers[0]})
	if err != nil || got.GetTicket().GetUnit().GetSerial() != "SN-A" || got.GetTicket().GetCustomer().GetContact().GetPhone() != "13900000001" ||
		got.GetTicket().GetChannel() != ticketv1.Channel_CHANNEL_WEB {
		t.Errorf("reported ticket = %v, %v; want unit SN-A, the customer on record, channel web", got.GetTicket(), err)
	}
	if got.GetTicket().GetCreatedBy() != "customer:SN-A" {
		t.Errorf("reported ticket created by %q, want the customer of SN-A", got.GetTicket().GetCreatedBy())
	}
	// A photo of the fault lands on the reported ticket, the customer's own only.
	upload := func(number, query string, body []byte) (int, []byte) {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/c/"+codeA+"/tickets/"+number+"/attachments?"+query, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+sess.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	photo := png(2048)
	code, body = upload(numbers[0], "kind=photo&filename=fault.png&request_id=p1&sha256="+hexSum(photo), photo)
	var rec ticketv1.Attachment
	if code != http.StatusCreated || protojson.Unmarshal(body, &rec) != nil || rec.GetContentType() != "image/png" || rec.GetUploadedBy() != "customer:SN-A" {
		t.Fatalf("customer photo upload = %d %s", code, body)
	}
	listed, err := ticketv1.NewAttachmentServiceClient(run.DialAs(t, desk)).ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: numbers[0]})
	if err != nil || len(listed.GetAttachments()) != 1 || listed.GetAttachments()[0].GetId() != rec.GetId() {
		t.Errorf("the desk sees %v, %v; want the customer's photo", listed.GetAttachments(), err)
	}
	for _, tc := range []struct {
		name, number, query string
		body                []byte
		want                int
	}{
		{"B's ticket", ticketB, "kind=photo&request_id=p2", photo, http.StatusNotFound},
		{"a document", numbers[0], "kind=document&request_id=p3", []byte("%PDF-1.4 x"), http.StatusBadRequest},
		{"HTML called a photo", numbers[0], "kind=photo&request_id=p4", []byte("<html><script>alert(1)</script></html>"), http.StatusBadRequest},
		{"a wrong checksum", numbers[0], "kind=photo&request_id=p5&sha256=" + hexSum([]byte("other")), photo, http.StatusBadRequest},
		{"a job's evidence", numbers[0], "kind=photo&request_id=p6&job_id=j1", photo, http.StatusBadRequest},
	} {
		if code, body := upload(tc.number, tc.query, tc.body); code != tc.want {
			t.Errorf("customer upload, %s = %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
	if code, _ := call("POST", "/v1/c/"+codeB+"/tickets", sess.Token, report); code != http.StatusNotFound {
		t.Errorf("report on B with A's session = %d, want 404", code)
	}
	if code, _ := call("POST", "/v1/c/"+codeA+"/tickets", sess.Token, map[string]any{"requestId": "page-2", "kind": "TICKET_KIND_REPAIR"}); code != http.StatusBadRequest {
		t.Errorf("report without a symptom = %d, want 400", code)
	}
	survey := map[string]any{"answers": []map[string]any{{"question": "overall", "score": 5}}}
	if code, _ := call("POST", "/v1/c/"+codeA+"/tickets/"+ticketB+"/survey", sess.Token, survey); code != http.StatusNotFound {
		t.Errorf("survey of B's ticket with A's session = %d, want 404", code)
	}
	if code, body := call("POST", "/v1/c/"+codeA+"/tickets/"+ticketA+"/survey", sess.Token, survey); code != http.StatusConflict {
		t.Errorf("survey of an unresolved ticket = %d %s, want 409", code, body)
	}

	// Guessing B's one-time code is stopped after five tries, even with the right one last.
	if code, _ := call("POST", "/v1/c/"+codeB+"/otp", "", nil); code != http.StatusAccepted {
		t.Fatalf("POST otp for B = %d", code)
	}
	otpB := sentTo("13900000002")
	guess := "999999"
	if guess == otpB {
		guess = "999998"
	}
	last := 0
	for range 5 {
		last, _ = call("POST", "/v1/c/"+codeB+"/session", "", map[string]string{"otp": guess})
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("fifth wrong guess = %d, want 429", last)
	}
	if code, _ := call("POST", "/v1/c/"+codeB+"/session", "", map[string]string{"otp": otpB}); code == http.StatusOK {
		t.Error("the right code after five wrong ones opened a session")
	}
	// Asking for codes over and over is limited.
	limited := false
	for range 5 {
		if code, _ := call("POST", "/v1/c/"+codeB+"/otp", "", nil); code == http.StatusTooManyRequests {
			limited = true
		}
	}
	if !limited {
		t.Error("five one-time codes asked for at once were never limited")
	}
}

func mustIssue(t *testing.T, local *auth.Local, p auth.Person) string {
	t.Helper()
	s, err := local.Issue(p, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
