package api

import (
	"errors"
	"net/http"
	"slices"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// methodIssueUnitCode is the policy row the QR code endpoint is authorised by.
const methodIssueUnitCode = "/sanbao.ticket.v1.CustomerService/IssueUnitCode"

// Rate limits of the public lookup by code: per code 10 at once then one every 6 s; per client
// address 10 at once then one a second. A guesser of codes is held to about 86,400 tries a day
// per address, against 2^50 codes.
const (
	LookupBurst        = 10
	LookupEveryPerCode = 6 * time.Second
	LookupEveryPerIP   = time.Second
)

// unitView is GET /v1/c/{code}: the public view of a unit, for the page its QR code opens.
func (h *HTTP) unitView(w http.ResponseWriter, r *http.Request) {
	if h.c == nil || h.a.s.p == nil {
		h.fail(w, errNotStarted)
		return
	}
	now := time.Now()
	ip := h.clientIP(r)
	code := r.PathValue("code")
	key := code
	if n, err := domain.NormalizeCode(code); err == nil {
		key = n // "abcd-efgh-jk" and "ABCDEFGHJK" share one bucket
	}
	if !h.perIP.Allow(ip, now) || !h.perCode.Allow(key, now) {
		w.Header().Set("Retry-After", "10")
		h.fail(w, rpc.Errorf(codes.ResourceExhausted, "too many lookups; try again shortly"))
		return
	}
	view, serial, err := h.c.View(code)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, rpc.Errorf(codes.NotFound, "no unit has this code"))
		return
	} else if err != nil {
		h.fail(w, toStatus(err))
		return
	}
	h.c.warranty(r.Context(), view, serial)
	h.message(w, http.StatusOK, view)
}

// qr is GET /v1/unit-codes/{code}/qr.png: the printable QR code of a unit's page (staff, and a
// dealer for its own units). ?base= is the page's address prefix (default "https://sanbao.local/c/").
func (h *HTTP) qr(w http.ResponseWriter, r *http.Request) {
	ctx, err := h.caller(r, methodIssueUnitCode)
	if err != nil {
		h.fail(w, err)
		return
	}
	var org string
	err = h.a.s.p.DB.View(func(tx *bbolt.Tx) error {
		uc, err := store.UnitCode(tx, r.PathValue("code"))
		if err == nil {
			org = uc.GetOrganisationId()
		}
		return err
	})
	if err != nil {
		h.fail(w, rpc.Errorf(codes.NotFound, "no unit has this code"))
		return
	}
	if c := auth.FromContext(ctx); c != nil {
		if _, scopes, _ := auth.Authorize(c, methodIssueUnitCode); slices.Contains(scopes, auth.ScopeOrg) && (c.Org == "" || org != c.Org) {
			h.fail(w, rpc.Errorf(codes.NotFound, "no unit has this code"))
			return
		}
	}
	base := r.URL.Query().Get("base")
	if base == "" {
		base = "https://sanbao.local/c/"
	}
	png, err := qrcode.Encode(base+r.PathValue("code"), qrcode.Medium, 512)
	if err != nil {
		h.fail(w, rpc.Internal(err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `inline; filename="`+r.PathValue("code")+`.png"`)
	_, _ = w.Write(png)
}
