package api

import (
	"io"
	"net/http"

	"google.golang.org/protobuf/encoding/protojson"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/rpc"
)

// reportProblem is POST /v1/c/{code}/tickets: the customer reports a fault on the unit with
// the session; the ticket is opened with the unit, the customer on record and the dealer known.
func (h *HTTP) reportProblem(w http.ResponseWriter, r *http.Request) {
	if h.a.s.p == nil {
		h.fail(w, errNotStarted)
		return
	}
	uc, err := h.unitCode(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	ctx, err := h.session(r, uc)
	if err != nil {
		h.fail(w, err)
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		h.fail(w, rpc.FieldError("body", "at most 64 KiB of JSON"))
		return
	}
	rep := &ticketv1.ReportProblem{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(b, rep); err != nil {
		h.fail(w, rpc.FieldError("body", "not a report: %v", err))
		return
	}
	if err := rpc.Validate(h.a.v, rep); err != nil {
		h.fail(w, err)
		return
	}
	req := &ticketv1.CreateTicketRequest{RequestId: "customer:" + uc.GetCode() + ":" + rep.GetRequestId(), Ticket: &ticketv1.Ticket{
		Kind: rep.GetKind(), Channel: ticketv1.Channel_CHANNEL_WEB, OrganisationId: uc.GetOrganisationId(),
		Customer:        &ticketv1.Customer{Contact: uc.GetContact()},
		Unit:            &ticketv1.Unit{Serial: uc.GetUnitSerial(), ProductLine: uc.GetProductLine()},
		Fault:           &ticketv1.Fault{Symptom: rep.GetSymptom()},
		WindowStartTime: rep.GetWindowStartTime(), WindowEndTime: rep.GetWindowEndTime(),
	}}
	if err := rpc.Validate(h.a.v, req); err != nil {
		h.fail(w, err)
		return
	}
	resp, err := h.a.s.CreateTicket(ctx, req)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.message(w, http.StatusCreated, trackingView(resp.GetTicket()))
}

// answerSurvey is POST /v1/c/{code}/tickets/{number}/survey: the customer answers the survey
// of a resolved ticket of the unit (body: a Survey as JSON; header Idempotency-Key).
func (h *HTTP) answerSurvey(w http.ResponseWriter, r *http.Request) {
	ctx, t, ok := h.customerTicket(w, r)
	if !ok {
		return
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		h.fail(w, rpc.FieldError("body", "at most 64 KiB of JSON"))
		return
	}
	sv := &ticketv1.Survey{}
	if err := protojson.Unmarshal(b, sv); err != nil {
		h.fail(w, rpc.FieldError("survey", "not a survey: %v", err))
		return
	}
	sv.SubmitTime, sv.MeanScore, sv.Satisfied = nil, 0, false // computed by the service
	req := &ticketv1.SubmitSurveyRequest{RequestId: r.Header.Get("Idempotency-Key"), TicketId: t.GetId(), Survey: sv}
	if err := rpc.Validate(h.a.v, req); err != nil {
		h.fail(w, err)
		return
	}
	resp, err := h.a.s.SubmitSurvey(ctx, req)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.message(w, http.StatusOK, trackingView(resp.GetTicket()))
}

// customerUpload is POST /v1/c/{code}/tickets/{number}/attachments: the customer attaches a
// photo or a short video (the body; kind, filename, request_id and sha256 in the query) to a
// ticket of its unit, under the same limits, type sniffing and checksum as staff uploads.
func (h *HTTP) customerUpload(w http.ResponseWriter, r *http.Request) {
	ctx, t, ok := h.customerTicket(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("job_id") != "" {
		h.fail(w, rpc.FieldError("job_id", "a customer attaches to the ticket, not to a job"))
		return
	}
	h.store(ctx, w, r, t.GetId())
}
