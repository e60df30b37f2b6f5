package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/ratelimit"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
)

// TokenVerifier turns a bearer token into a caller (platform/auth's Verifier).
type TokenVerifier interface {
	Verify(ctx context.Context, raw string) (*auth.Caller, error)
}

// HTTP is the browsers' face of attachments (a multipart-free upload: the body is the file),
// with the same rules and policy as the gRPC API:
//
//	POST /v1/tickets/{ticket_id}/attachments?kind=photo&job_id=&filename=&request_id=&sha256=
//	GET  /v1/attachments/{id}           the record (JSON)
//	GET  /v1/attachments/{id}/content   the bytes
//	POST /v1/c/{code}/tickets/{number}/attachments?kind=photo|video&filename=&request_id=&sha256=
//	                                    a customer's photo or video of its unit's ticket
//
// Downloads carry the sniffed type, X-Content-Type-Options: nosniff, a sandboxing CSP and
// Content-Disposition: attachment for everything but images, so nothing uploaded runs in the
// site's origin.
type HTTP struct {
	a          *Attachments
	c          *Customer
	insecure   bool
	tokens     atomic.Pointer[TokenVerifier]
	mux        *http.ServeMux
	perCode    *ratelimit.Keyed // public lookups per unit code
	perIP      *ratelimit.Keyed // public lookups per client address
	otpPerCode *ratelimit.Keyed // one-time codes asked for per unit code
	customers  atomic.Pointer[customerTokens]
	proxies    ratelimit.Proxies // whose X-Forwarded-For is believed (none by default)
}

// customerTokens mints customers' one-unit tokens and verifies them on the customer routes.
type customerTokens struct {
	mint   *auth.CustomerTokens
	verify *auth.Verifier
}

// NewHTTP returns the HTTP face of attachments a and customer pages c. With insecure every
// caller is trusted (an --insecure server); otherwise it answers 503 until SetTokens gives it
// the token verifier.
func NewHTTP(a *Attachments, c *Customer, insecure bool) *HTTP {
	h := &HTTP{a: a, c: c, insecure: insecure, mux: http.NewServeMux(),
		perCode: ratelimit.New(LookupEveryPerCode, LookupBurst, 100_000),
		perIP:   ratelimit.New(LookupEveryPerIP, LookupBurst, 100_000), otpPerCode: ratelimit.New(otpEvery, 3, 100_000)}
	h.mux.HandleFunc("POST /v1/c/{code}/otp", h.requestOTP)
	h.mux.HandleFunc("POST /v1/c/{code}/session", h.openSession)
	h.mux.HandleFunc("GET /v1/c/{code}/tickets/{number}", h.tracking)
	h.mux.HandleFunc("POST /v1/c/{code}/tickets", h.reportProblem)
	h.mux.HandleFunc("POST /v1/c/{code}/tickets/{number}/survey", h.answerSurvey)
	h.mux.HandleFunc("POST /v1/c/{code}/tickets/{number}/attachments", h.customerUpload)
	h.mux.HandleFunc("GET /v1/c/{code}", h.unitView)
	h.mux.HandleFunc("GET /v1/unit-codes/{code}/qr.png", h.qr)
	h.mux.HandleFunc("POST /v1/tickets/{ticket_id}/attachments", h.upload)
	h.mux.HandleFunc("GET /v1/attachments/{id}", h.get)
	h.mux.HandleFunc("GET /v1/attachments/{id}/content", h.content)
	return h
}

// SetTokens sets the verifier of bearer tokens (the service does at start, with its clock).
func (h *HTTP) SetTokens(v TokenVerifier) { h.tokens.Store(&v) }

// SetTrustedProxies sets the proxies in front of the customer routes (the console, a gateway)
// whose X-Forwarded-For names the client the rate limits key on; call it before serving.
func (h *HTTP) SetTrustedProxies(ps ratelimit.Proxies) { h.proxies = ps }

// SetCustomerTokens sets what mints the customer's token when a one-time code is verified,
// and verifies it on the customer routes (the service does at start, secure or not: a
// customer's session is always for one unit).
func (h *HTTP) SetCustomerTokens(ct *auth.CustomerTokens) error {
	v, err := ct.Verifier()
	if err != nil {
		return err
	}
	h.customers.Store(&customerTokens{mint: ct, verify: v})
	return nil
}

// ServeHTTP implements http.Handler.
func (h *HTTP) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// caller authenticates and authorises r for method, returning the context to act in.
func (h *HTTP) caller(r *http.Request, method string) (context.Context, error) {
	ctx := r.Context()
	if h.insecure {
		return ctx, nil
	}
	tv := h.tokens.Load()
	if tv == nil || *tv == nil {
		return nil, status.Error(codes.Unavailable, "the service is starting; retry")
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return nil, status.Error(codes.Unauthenticated, "no credentials: send Authorization: Bearer <token>")
	}
	c, err := (*tv).Verify(ctx, raw)
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	if _, _, err := auth.Authorize(c, method); err != nil {
		return nil, err
	}
	return auth.NewContext(ctx, c), nil
}

var httpCodes = map[codes.Code]int{
	codes.InvalidArgument: http.StatusBadRequest, codes.Unauthenticated: http.StatusUnauthorized,
	codes.PermissionDenied: http.StatusForbidden, codes.NotFound: http.StatusNotFound,
	codes.FailedPrecondition: http.StatusConflict, codes.AlreadyExists: http.StatusConflict,
	codes.ResourceExhausted: http.StatusTooManyRequests, codes.Unavailable: http.StatusServiceUnavailable,
	codes.DataLoss: http.StatusInternalServerError, codes.Canceled: 499,
}

// fail writes err as {"code": ..., "message": ...} with the matching HTTP status.
func (h *HTTP) fail(w http.ResponseWriter, err error) {
	st := status.Convert(err)
	code, ok := httpCodes[st.Code()]
	if !ok {
		code = http.StatusInternalServerError
		if h.a.s.p != nil {
			h.a.s.p.Log.Error("attachment http", zap.Error(err))
		}
		st = status.New(codes.Internal, "internal error")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	b, _ := protojson.Marshal(st.Proto())
	_, _ = w.Write(b)
}

func (h *HTTP) json(w http.ResponseWriter, code int, m *ticketv1.Attachment) { h.message(w, code, m) }

// message writes m as JSON (protojson).
func (h *HTTP) message(w http.ResponseWriter, code int, m proto.Message) {
	b, err := protojson.Marshal(m)
	if err != nil {
		h.fail(w, rpc.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (h *HTTP) upload(w http.ResponseWriter, r *http.Request) {
	ctx, err := h.caller(r, methodUpload)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.store(ctx, w, r, r.PathValue("ticket_id"))
}

// store takes the body of r as an attachment of ticket ticketID for the caller in ctx (kind,
// job_id, filename, request_id and sha256 in the query; the type is sniffed).
func (h *HTTP) store(ctx context.Context, w http.ResponseWriter, r *http.Request, ticketID string) {
	q := r.URL.Query()
	kind, ok := ticketv1.AttachmentKind_value["ATTACHMENT_KIND_"+strings.ToUpper(q.Get("kind"))]
	if !ok || kind == 0 {
		h.fail(w, rpc.FieldError("kind", "kind must be photo, video, signature or document"))
		return
	}
	hd := &ticketv1.AttachmentUpload{RequestId: q.Get("request_id"), TicketId: ticketID, JobId: q.Get("job_id"),
		Kind: ticketv1.AttachmentKind(kind), Filename: q.Get("filename"), DeclaredContentType: r.Header.Get("Content-Type"),
		Sha256: strings.ToLower(q.Get("sha256"))}
	if err := rpc.Validate(h.a.v, &ticketv1.UploadAttachmentRequest{Part: &ticketv1.UploadAttachmentRequest_Header{Header: hd}}); err != nil {
		h.fail(w, err)
		return
	}
	limit := h.a.rules.Limit(domain.AttachmentKind(kind))
	if r.ContentLength > limit {
		h.fail(w, rpc.FieldError("chunk", "a %s may be at most %d bytes", domain.AttachmentKind(kind), limit))
		return
	}
	body := http.MaxBytesReader(w, r.Body, limit+1) // the store refuses at limit+1 with the readable message
	rec, err := h.a.Upload(ctx, hd, body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = rpc.FieldError("chunk", "a %s may be at most %d bytes", domain.AttachmentKind(kind), limit)
		}
		h.fail(w, err)
		return
	}
	h.json(w, http.StatusCreated, rec)
}

func (h *HTTP) get(w http.ResponseWriter, r *http.Request) {
	ctx, err := h.caller(r, methodGet)
	if err != nil {
		h.fail(w, err)
		return
	}
	rec, err := h.a.get(ctx, methodGet, r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.json(w, http.StatusOK, rec)
}

func (h *HTTP) content(w http.ResponseWriter, r *http.Request) {
	ctx, err := h.caller(r, methodDownload)
	if err != nil {
		h.fail(w, err)
		return
	}
	rec, rc, err := h.a.Open(ctx, r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", rec.GetContentType())
	hd.Set("Content-Length", strconv.FormatInt(rec.GetSize(), 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; media-src 'self'; sandbox")
	hd.Set("Cache-Control", "private, max-age=3600")
	hd.Set("ETag", `"`+rec.GetSha256()+`"`)
	disposition := "attachment"
	if domain.Inline(rec.GetContentType()) {
		disposition = "inline"
	}
	name := rec.GetFilename()
	if name == "" {
		name = rec.GetId()
	}
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	if r.Header.Get("If-None-Match") == `"`+rec.GetSha256()+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if _, err := io.Copy(w, rc); err != nil && h.a.s.p != nil {
		h.a.s.p.Log.Info("attachment download ended early", zap.String("attachment_id", rec.GetId()), zap.Error(err))
	}
}

var _ http.Handler = (*HTTP)(nil)
