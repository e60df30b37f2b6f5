package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// SessionValid is how long a customer's session on a unit's page lasts after a one-time code.
const SessionValid = 30 * time.Minute

// OTP requests per unit code: 3 at once, then one a minute.
const otpEvery = time.Minute

// clientIP is the address the customer's rate limits key on: the peer's, or, behind a
// trusted proxy, the client's it forwards.
func (h *HTTP) clientIP(r *http.Request) string { return h.proxies.ClientAddr(r) }

// unitCode reads the unit code in the path, normalised; 404 when no unit has it.
func (h *HTTP) unitCode(r *http.Request) (*ticketv1.UnitCode, error) {
	norm, err := domain.NormalizeCode(r.PathValue("code"))
	if err != nil {
		return nil, rpc.Errorf(codes.NotFound, "no unit has this code")
	}
	var uc *ticketv1.UnitCode
	err = h.a.s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		uc, err = store.UnitCode(tx, norm)
		return err
	})
	if err != nil {
		return nil, rpc.Errorf(codes.NotFound, "no unit has this code")
	}
	return uc, nil
}

// requestOTP is POST /v1/c/{code}/otp: a one-time code is sent to the phone on record.
func (h *HTTP) requestOTP(w http.ResponseWriter, r *http.Request) {
	if h.a.s.p == nil {
		h.fail(w, errNotStarted)
		return
	}
	now := time.Now()
	key := r.PathValue("code")
	if n, err := domain.NormalizeCode(key); err == nil {
		key = n
	}
	if !h.perIP.Allow(h.clientIP(r), now) || !h.otpPerCode.Allow(key, now) {
		w.Header().Set("Retry-After", "60")
		h.fail(w, rpc.Errorf(codes.ResourceExhausted, "too many codes asked for; try again in a minute"))
		return
	}
	uc, err := h.unitCode(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	phone := uc.GetContact().GetPhone()
	if phone == "" {
		h.fail(w, rpc.Errorf(codes.FailedPrecondition, "this unit has no phone on record; call the service desk"))
		return
	}
	p := h.a.s.p
	err = p.DB.Update(r.Context(), func(tx *bbolt.Tx) error {
		at := p.Clock.Now()
		code, otp, err := domain.NewOTP(rand.Reader, uc.GetCode(), at)
		if err != nil {
			return err
		}
		if err := store.PutOTP(tx, uc.GetCode(), otp); err != nil {
			return err
		}
		// Sent at once, quiet hours or not: the customer is waiting for it.
		_, err = notify.Enqueue(tx, notify.Message{Key: "otp/" + ids.NewAt(at), Channel: notify.SMS, To: phone,
			Template: "customer.otp", Params: map[string]string{"code": code},
			Text: "您的验证码是 " + code + "，5分钟内有效。"}, at)
		return err
	})
	if err != nil {
		h.fail(w, toStatus(err))
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// openSession is POST /v1/c/{code}/session with {"otp": "123456"}: a session token for the
// unit's page, or 401 (wrong), 410 (expired), 429 (too many tries).
func (h *HTTP) openSession(w http.ResponseWriter, r *http.Request) {
	if h.a.s.p == nil {
		h.fail(w, errNotStarted)
		return
	}
	if !h.perIP.Allow(h.clientIP(r), time.Now()) {
		w.Header().Set("Retry-After", "10")
		h.fail(w, rpc.Errorf(codes.ResourceExhausted, "too many tries; try again shortly"))
		return
	}
	uc, err := h.unitCode(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	var body struct {
		OTP string `json:"otp"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&body); err != nil {
		h.fail(w, rpc.FieldError("otp", "send {\"otp\": \"the 6 digits\"}"))
		return
	}
	ct := h.customers.Load()
	if ct == nil {
		h.fail(w, errNotStarted)
		return
	}
	p := h.a.s.p
	var verr error
	var expires time.Time
	var raw string
	err = p.DB.Update(r.Context(), func(tx *bbolt.Tx) error {
		now := p.Clock.Now()
		o, ok, err := store.OTP(tx, uc.GetCode())
		if err != nil {
			return err
		}
		if !ok {
			verr = domain.ErrOTPExpired
			return nil
		}
		verr = o.Verify(uc.GetCode(), body.OTP, now)
		if err := store.PutOTP(tx, uc.GetCode(), o); err != nil { // the attempt counts
			return err
		}
		if verr != nil {
			return nil
		}
		expires = now.Add(SessionValid)
		raw, err = ct.mint.Issue(uc.GetUnitSerial(), now, SessionValid)
		return err
	})
	switch {
	case err != nil:
		h.fail(w, toStatus(err))
	case errors.Is(verr, domain.ErrOTPWrong):
		h.fail(w, rpc.Errorf(codes.Unauthenticated, "%v", verr))
	case errors.Is(verr, domain.ErrOTPExpired):
		h.fail(w, rpc.Errorf(codes.FailedPrecondition, "%v", verr))
	case errors.Is(verr, domain.ErrOTPLocked):
		h.fail(w, rpc.Errorf(codes.ResourceExhausted, "%v", verr))
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]string{"token": raw, "expires": expires.UTC().Format(time.RFC3339)})
	}
}

// session checks the request's bearer token is a customer's for the unit of code uc, and
// returns the context to act in: the customer (subject customer:<serial>) is the actor of
// what it changes. Another unit's token is answered as if the unit did not exist.
func (h *HTTP) session(r *http.Request, uc *ticketv1.UnitCode) (context.Context, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return nil, rpc.Errorf(codes.Unauthenticated, "ask for a one-time code first")
	}
	ct := h.customers.Load()
	if ct == nil {
		return nil, errNotStarted
	}
	c, err := ct.verify.Verify(r.Context(), raw)
	if err != nil || !c.Has(auth.RoleCustomer) {
		return nil, rpc.Errorf(codes.Unauthenticated, "the session has ended; ask for a new one-time code")
	}
	if c.UnitSerial == "" || c.UnitSerial != uc.GetUnitSerial() {
		return nil, rpc.Errorf(codes.NotFound, "no unit has this code") // another unit's session: as if absent
	}
	return auth.NewContext(r.Context(), c), nil
}

// tracking is GET /v1/c/{code}/tickets/{number}: one of the unit's tickets as the customer
// follows it, for a session of that unit.
func (h *HTTP) tracking(w http.ResponseWriter, r *http.Request) {
	if _, t, ok := h.customerTicket(w, r); ok {
		h.message(w, http.StatusOK, trackingView(t))
	}
}

// customerTicket is what every route of one of the unit's tickets starts with: the unit code
// of the path, the customer's session for that unit (the context to call as), and the ticket
// of the path's number, which must be the unit's. When it reports false it has answered.
func (h *HTTP) customerTicket(w http.ResponseWriter, r *http.Request) (context.Context, *ticketv1.Ticket, bool) {
	if h.a.s.p == nil {
		h.fail(w, errNotStarted)
		return nil, nil, false
	}
	uc, err := h.unitCode(r)
	if err != nil {
		h.fail(w, err)
		return nil, nil, false
	}
	ctx, err := h.session(r, uc)
	if err != nil {
		h.fail(w, err)
		return nil, nil, false
	}
	t, err := h.a.s.read(r.PathValue("number"))
	if err != nil || t.GetUnit().GetSerial() == "" || t.GetUnit().GetSerial() != uc.GetUnitSerial() {
		h.fail(w, rpc.Errorf(codes.NotFound, "this unit has no such ticket"))
		return nil, nil, false
	}
	return ctx, t, true
}

// trackingView is the customer's steps of t, with the latest visit's technician (display name)
// and expected arrival once assigned.
func trackingView(t *ticketv1.Ticket) *ticketv1.TrackingView {
	v := &ticketv1.TrackingView{Number: t.GetNumber(), State: t.GetState()}
	step := func(name string, when *timestamppb.Timestamp) {
		v.Steps = append(v.Steps, &ticketv1.TrackingStep{Step: name, Time: when})
	}
	step("received", t.GetCreateTime())
	step("coverage_decided", t.GetTriage().GetTriageTime())
	var assigned, onTheWay *timestamppb.Timestamp
	for _, j := range t.GetJobs() { // the latest visit's
		if j.GetAssignTime() != nil {
			assigned = j.GetAssignTime()
			v.TechnicianName, v.EtaTime = j.GetTechnicianName(), j.GetEtaTime()
		}
		switch {
		case j.GetCheckInTime() != nil:
			onTheWay = j.GetCheckInTime() // arrived: the way is behind them
		case j.GetState() == ticketv1.JobState_JOB_STATE_EN_ROUTE:
			onTheWay = t.GetUpdateTime() // ticket jobs keep no departure time; the change that saw it
		}
	}
	step("technician_assigned", assigned)
	step("on_the_way", onTheWay)
	step("done", t.GetResolution().GetResolveTime())
	step("survey", t.GetSurvey().GetSubmitTime())
	return v
}
