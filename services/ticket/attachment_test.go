package ticket_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/blob/blobtest"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/ticket"
)

// png is a valid PNG signature and header followed by n bytes of payload: what the sniffer
// sees as image/png.
func png(n int) []byte {
	head := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	return append(head, blobtest.Bytes(uint64(n), n)...)
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// upload sends header then content in chunks of at most 1 MiB.
func upload(ctx context.Context, c ticketv1.AttachmentServiceClient, h *ticketv1.AttachmentUpload, content []byte) (*ticketv1.Attachment, error) {
	st, err := c.UploadAttachment(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.Send(&ticketv1.UploadAttachmentRequest{Part: &ticketv1.UploadAttachmentRequest_Header{Header: h}}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for len(content) > 0 {
		n := min(len(content), 1<<20)
		if err := st.Send(&ticketv1.UploadAttachmentRequest{Part: &ticketv1.UploadAttachmentRequest_Chunk{Chunk: content[:n]}}); err != nil {
			break // the server answered early (refused or replayed): CloseAndRecv has why
		}
		content = content[n:]
	}
	resp, err := st.CloseAndRecv()
	return resp.GetAttachment(), err
}

func download(ctx context.Context, c ticketv1.AttachmentServiceClient, id string) (*ticketv1.Attachment, []byte, error) {
	st, err := c.DownloadAttachment(ctx, &ticketv1.DownloadAttachmentRequest{Id: id})
	if err != nil {
		return nil, nil, err
	}
	var rec *ticketv1.Attachment
	var buf bytes.Buffer
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return rec, buf.Bytes(), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if a := m.GetAttachment(); a != nil {
			rec = a
		}
		buf.Write(m.GetChunk())
	}
}

// TestAttachments runs the attachment API against the embedded store and against a real
// SeaweedFS S3 gateway (skipped without SANBAO_WEED_BIN; `make s3-test`).
func TestAttachments(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		attachments(t, func(t *testing.T, dataDir string) (ticket.AttachmentConfig, blob.Store) {
			cfg := ticket.DefaultAttachmentConfig()
			d, err := blob.OpenDir(filepath.Join(dataDir, "attachments"))
			if err != nil {
				t.Fatal(err)
			}
			return cfg, d
		})
	})
	t.Run("s3", func(t *testing.T) {
		s3 := blobtest.Seaweed(t, "sanbao-attachments")
		attachments(t, func(t *testing.T, _ string) (ticket.AttachmentConfig, blob.Store) {
			cfg := ticket.DefaultAttachmentConfig()
			cfg.Store, cfg.S3 = "s3", s3
			s, err := blob.OpenS3(context.Background(), s3)
			if err != nil {
				t.Fatal(err)
			}
			return cfg, s
		})
	})
}

func attachments(t *testing.T, storeFor func(t *testing.T, dataDir string) (ticket.AttachmentConfig, blob.Store)) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch")
	dataDir := t.TempDir()
	acfg, blobs := storeFor(t, dataDir)
	acfg.Rules.MaxPhoto = 64 << 10 // small limits keep the test fast; the rule is the same
	acfg.Rules.MaxSignature = 16 << 10
	acfg.SweepEvery = 0
	cfg := ticket.DefaultConfig()
	cfg.WarrantyAddr, cfg.DispatchAddr = "127.0.0.1:1", "127.0.0.1:1" // peers away: triage waits
	cfg.Attachments = acfg
	// the HTTP face verifies tokens as svctest configures the daemon to
	cfg.Daemon.Security.TokenJWKS, cfg.Daemon.Security.TokenIssuer, cfg.Daemon.Security.TokenAudience = local.JWKSFile(), local.Issuer, local.Audience
	svc, err := ticket.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	fake := clock.NewFake(t0)
	run := svctest.Start(t, svc, svctest.Options{Name: "ticket", Clock: fake, NATS: ns, Auth: local, DataDir: dataDir})
	rec := record(t, ns.URL())
	ctx := context.Background()
	desk := auth.Person{Subject: "desk-1", Roles: []auth.Role{auth.RoleServiceDesk}}
	as := func(p auth.Person) ticketv1.AttachmentServiceClient {
		return ticketv1.NewAttachmentServiceClient(run.DialAs(t, p))
	}
	att := as(desk)
	dealerA := as(auth.Person{Subject: "dealer-a-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-a"})
	dealerB := as(auth.Person{Subject: "dealer-b-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-b"})
	stranger := as(auth.Person{Subject: "tech-x", Roles: []auth.Role{auth.RoleTechnician}, TechnicianID: "tech-x"})
	integrator := as(auth.Person{Subject: "crm", Roles: []auth.Role{auth.RoleIntegrator}})
	warehouse := as(auth.Person{Subject: "wh", Roles: []auth.Role{auth.RoleWarehouse}})

	tickets := ticketv1.NewTicketServiceClient(run.DialAs(t, desk))
	tk := consultation("cust-att")
	tk.OrganisationId = "dealer-a"
	created, err := tickets.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "att-ticket", Ticket: tk})
	if err != nil {
		t.Fatal(err)
	}
	tid := created.GetTicket().GetId()

	photo := png(20 << 10)
	var first *ticketv1.Attachment
	t.Run("upload", func(t *testing.T) {
		a, err := upload(ctx, att, &ticketv1.AttachmentUpload{RequestId: "up-1", TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO,
			Filename: "fault.png", DeclaredContentType: "application/octet-stream", Sha256: hexSum(photo)}, photo)
		if err != nil {
			t.Fatalf("UploadAttachment = %v", err)
		}
		if a.GetContentType() != "image/png" || a.GetSize() != int64(len(photo)) || a.GetSha256() != hexSum(photo) ||
			a.GetUploadedBy() != "desk-1" || a.GetTicketId() != tid || a.GetOrganisationId() != "dealer-a" {
			t.Errorf("UploadAttachment = %v; want image/png, %d bytes, its sha256, uploaded by desk-1", a, len(photo))
		}
		first = a
		again, err := upload(ctx, att, &ticketv1.AttachmentUpload{RequestId: "up-1", TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO,
			Filename: "fault.png", DeclaredContentType: "application/octet-stream", Sha256: hexSum(photo)}, photo)
		if err != nil || again.GetId() != a.GetId() {
			t.Errorf("replayed UploadAttachment = %v, %v; want the first upload %s", again.GetId(), err, a.GetId())
		}
		natstest.Eventually(t, 10*time.Second, func() error {
			if rec.body(tid, "sanbao.ticket.v1.attachment.added") == nil {
				return errors.New("no attachment.added yet")
			}
			return nil
		})
		if body := rec.body(tid, "sanbao.ticket.v1.attachment.added"); bytes.Contains(body, []byte("fault.png")) {
			t.Errorf("attachment.added carries the file name: %s", body)
		}
	})
	if first == nil {
		t.FailNow()
	}

	t.Run("refused", func(t *testing.T) {
		html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
		svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
		tests := []struct {
			name    string
			h       *ticketv1.AttachmentUpload
			content []byte
			code    codes.Code
		}{
			{"html declared as png", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO, DeclaredContentType: "image/png"}, html, codes.InvalidArgument},
			{"svg", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO, DeclaredContentType: "image/svg+xml"}, svg, codes.InvalidArgument},
			{"script as document", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_DOCUMENT}, []byte("function x(){}"), codes.InvalidArgument},
			{"png as video", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_VIDEO}, png(100), codes.InvalidArgument},
			{"empty", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO}, nil, codes.InvalidArgument},
			{"photo over its limit", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO}, png(70 << 10), codes.InvalidArgument},
			{"signature over its limit", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_SIGNATURE}, png(20 << 10), codes.InvalidArgument},
			{"wrong checksum", &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO, Sha256: hexSum([]byte("other"))}, png(100), codes.InvalidArgument},
			{"no kind", &ticketv1.AttachmentUpload{TicketId: tid}, png(100), codes.InvalidArgument},
			{"unknown ticket", &ticketv1.AttachmentUpload{TicketId: "nope", Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO}, png(100), codes.NotFound},
			{"job not the ticket's", &ticketv1.AttachmentUpload{TicketId: tid, JobId: "job-x", Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO}, png(100), codes.NotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := upload(ctx, att, tc.h, tc.content)
				if status.Code(err) != tc.code {
					t.Errorf("UploadAttachment = %v, want %v", err, tc.code)
				}
			})
		}
		list, err := att.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: tid})
		if err != nil || len(list.GetAttachments()) != 1 {
			t.Errorf("ListAttachments after refusals = %v, %v; want only the first upload", list, err)
		}
		n := 0
		_ = blobs.List(ctx, func(blob.Info) error { n++; return nil })
		if n != 1 {
			t.Errorf("content store holds %d blobs after refusals, want 1 (refused bytes are removed)", n)
		}
	})

	t.Run("who may read", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			c    ticketv1.AttachmentServiceClient
			code codes.Code
		}{
			{"desk", att, codes.OK},
			{"own dealer", dealerA, codes.OK},
			{"other dealer", dealerB, codes.NotFound},
			{"technician without a job on it", stranger, codes.NotFound},
			{"integrator (no bytes)", integrator, codes.PermissionDenied},
			{"warehouse", warehouse, codes.PermissionDenied},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r, b, err := download(ctx, tc.c, first.GetId())
				if status.Code(err) != tc.code {
					t.Fatalf("DownloadAttachment = %v, want %v", err, tc.code)
				}
				if err == nil && (!bytes.Equal(b, photo) || r.GetSha256() != hexSum(photo)) {
					t.Errorf("DownloadAttachment = %d bytes (%s), want the %d uploaded", len(b), r.GetSha256(), len(photo))
				}
			})
		}
		if _, err := dealerB.GetAttachment(ctx, &ticketv1.GetAttachmentRequest{Id: first.GetId()}); status.Code(err) != codes.NotFound {
			t.Errorf("other dealer's GetAttachment = %v, want NOT_FOUND", err)
		}
		if _, err := dealerB.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: tid}); status.Code(err) != codes.NotFound {
			t.Errorf("other dealer's ListAttachments = %v, want NOT_FOUND", err)
		}
		if _, err := stranger.GetAttachment(ctx, &ticketv1.GetAttachmentRequest{Id: first.GetId()}); status.Code(err) != codes.NotFound {
			t.Errorf("stranger technician's GetAttachment = %v, want NOT_FOUND", err)
		}
		if _, err := upload(ctx, dealerB, &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO}, png(10)); status.Code(err) != codes.NotFound {
			t.Errorf("other dealer's upload = %v, want NOT_FOUND", err)
		}
		if _, err := upload(ctx, dealerA, &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO}, png(10)); err != nil {
			t.Errorf("own dealer's upload = %v", err)
		}
	})

	t.Run("http", func(t *testing.T) {
		srv := httptest.NewServer(svc.AttachmentHandler())
		t.Cleanup(srv.Close)
		token := func(p auth.Person) string {
			tok, err := local.Issue(p, fake.Now(), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		call := func(method, path, tok string, body []byte) *http.Response {
			req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			req.Header.Set("Content-Type", "image/png") // declared; the bytes decide
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = resp.Body.Close() })
			return resp
		}
		deskTok := token(desk)
		up := call("POST", "/v1/tickets/"+tid+"/attachments?kind=photo&filename=x.png&request_id=http-1", deskTok, photo)
		if up.StatusCode != http.StatusCreated {
			b, _ := io.ReadAll(up.Body)
			t.Fatalf("POST attachments = %d %s, want 201", up.StatusCode, b)
		}
		var got ticketv1.Attachment
		b, _ := io.ReadAll(up.Body)
		if err := protojson.Unmarshal(b, &got); err != nil || got.GetSha256() != hexSum(photo) {
			t.Fatalf("POST attachments body = %s, %v", b, err)
		}
		dl := call("GET", "/v1/attachments/"+got.GetId()+"/content", deskTok, nil)
		content, _ := io.ReadAll(dl.Body)
		if dl.StatusCode != http.StatusOK || !bytes.Equal(content, photo) {
			t.Errorf("GET content = %d, %d bytes; want 200 and the photo", dl.StatusCode, len(content))
		}
		for k, want := range map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff",
			"Content-Disposition": `inline; filename=x.png`} {
			if v := dl.Header.Get(k); v != want {
				t.Errorf("GET content header %s = %q, want %q", k, v, want)
			}
		}
		if csp := dl.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Errorf("GET content CSP = %q, want a sandbox", csp)
		}
		for _, tc := range []struct {
			name, method, path, tok string
			body                    []byte
			want                    int
		}{
			{"no token", "GET", "/v1/attachments/" + got.GetId() + "/content", "", nil, http.StatusUnauthorized},
			{"other dealer", "GET", "/v1/attachments/" + got.GetId() + "/content", token(auth.Person{Subject: "db", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-b"}), nil, http.StatusNotFound},
			{"integrator", "GET", "/v1/attachments/" + got.GetId() + "/content", token(auth.Person{Subject: "crm", Roles: []auth.Role{auth.RoleIntegrator}}), nil, http.StatusForbidden},
			{"html upload", "POST", "/v1/tickets/" + tid + "/attachments?kind=photo", deskTok, []byte("<html><script>alert(1)</script></html>"), http.StatusBadRequest},
			{"too large", "POST", "/v1/tickets/" + tid + "/attachments?kind=photo", deskTok, png(70 << 10), http.StatusBadRequest},
			{"bad kind", "POST", "/v1/tickets/" + tid + "/attachments?kind=exe", deskTok, png(10), http.StatusBadRequest},
		} {
			if r := call(tc.method, tc.path, tc.tok, tc.body); r.StatusCode != tc.want {
				t.Errorf("%s: %s %s = %d, want %d", tc.name, tc.method, tc.path, r.StatusCode, tc.want)
			}
		}
		if _, err := att.DeleteAttachment(ctx, &ticketv1.DeleteAttachmentRequest{Id: got.GetId()}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sweeper removes only bytes without a record", func(t *testing.T) {
		if _, err := blobs.Put(ctx, "01ORPHANBYTES", bytes.NewReader([]byte("left by a crash")), 0); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.Attachments().Sweep(ctx, time.Now(), time.Hour); err != nil || n != 0 {
			t.Errorf("Sweep inside the grace = %d, %v; want 0", n, err)
		}
		if n, err := svc.Attachments().Sweep(ctx, time.Now().Add(2*time.Hour), time.Hour); err != nil || n != 1 {
			t.Errorf("Sweep after the grace = %d, %v; want 1", n, err)
		}
		if _, err := blobs.Stat(ctx, first.GetId()); err != nil {
			t.Errorf("recorded bytes after the sweep: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		a, err := upload(ctx, att, &ticketv1.AttachmentUpload{TicketId: tid, Kind: ticketv1.AttachmentKind_ATTACHMENT_KIND_SIGNATURE}, png(1000))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dealerA.DeleteAttachment(ctx, &ticketv1.DeleteAttachmentRequest{Id: a.GetId()}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("dealer's DeleteAttachment = %v, want PERMISSION_DENIED", err)
		}
		for range 2 { // idempotent
			if _, err := att.DeleteAttachment(ctx, &ticketv1.DeleteAttachmentRequest{RequestId: "del-1", Id: a.GetId()}); err != nil {
				t.Fatalf("DeleteAttachment = %v", err)
			}
		}
		if _, err := att.GetAttachment(ctx, &ticketv1.GetAttachmentRequest{Id: a.GetId()}); status.Code(err) != codes.NotFound {
			t.Errorf("GetAttachment after delete = %v, want NOT_FOUND", err)
		}
		if _, err := blobs.Stat(ctx, a.GetId()); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("bytes after delete: %v, want gone", err)
		}
	})

	t.Run("retention with the ticket", func(t *testing.T) {
		if _, err := tickets.CancelTicket(ctx, &ticketv1.CancelTicketRequest{RequestId: "cancel-att", TicketId: tid, Reason: "customer withdrew"}); err != nil {
			t.Fatalf("CancelTicket = %v", err)
		}
		fake.Advance(acfg.Rules.Retention - time.Hour)
		if _, err := run.Platform.Timers.FireDue(ctx); err != nil {
			t.Fatal(err)
		}
		att := as(desk) // a token of the new day
		if _, err := att.GetAttachment(ctx, &ticketv1.GetAttachmentRequest{Id: first.GetId()}); err != nil {
			t.Errorf("GetAttachment before the retention ends = %v", err)
		}
		fake.Advance(2 * time.Hour)
		att = as(desk)
		natstest.Eventually(t, 10*time.Second, func() error {
			if _, err := run.Platform.Timers.FireDue(ctx); err != nil {
				return err
			}
			list, err := att.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: tid})
			if err != nil {
				return err
			}
			if len(list.GetAttachments()) > 0 {
				return errors.New("attachments still kept")
			}
			return nil
		})
		if _, err := blobs.Stat(ctx, first.GetId()); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("bytes after retention: %v, want gone", err)
		}
		natstest.Eventually(t, 10*time.Second, func() error {
			if rec.body(tid, "sanbao.ticket.v1.attachment.removed") == nil {
				return errors.New("no attachment.removed yet")
			}
			return nil
		})
	})
}
