// Package warranty is the ticket service's client of warranty-rules: it turns a ticket into a
// claim and the coverage decision (re-decided on a visit's finding, priced by a fee quote when
// the service is not free) into the ticket's triage.
package warranty

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// NoFaultCode is the fault code sent for a ticket that names none: the one spelling of "no
// fault code" in every service.
const NoFaultCode = "UNSPECIFIED"

// Client calls WarrantyService.EvaluateClaim and QuoteServiceFee.
type Client struct {
	c warrantyv1.WarrantyServiceClient
}

// New returns a client over conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{c: warrantyv1.NewWarrantyServiceClient(conn)}
}

// Cause reads a cause as tickets and reports write it ("misuse", "LIGHTNING", "CAUSE_FLOOD");
// false when it names no warranty cause.
func Cause(s string) (warrantyv1.Cause, bool) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(name, "CAUSE_") {
		name = "CAUSE_" + name
	}
	v, ok := warrantyv1.Cause_value[name]
	if !ok || v == 0 {
		return 0, false
	}
	return warrantyv1.Cause(v), true
}

// claim is ticket t as a claim: its fault code ("UNSPECIFIED" when none), the causes on its
// fault (words that name no warranty cause are left out) and its faulty part.
func claim(t *ticketv1.Ticket, requestID string) *warrantyv1.EvaluateClaimRequest {
	fault := t.GetFault().GetFaultCode()
	if fault == "" {
		fault = NoFaultCode
	}
	req := &warrantyv1.EvaluateClaimRequest{
		RequestId:       requestID,
		Serial:          t.GetUnit().GetSerial(),
		FaultCode:       fault,
		ReportedTime:    t.GetCreateTime(),
		RequestedRemedy: warrantyv1.Remedy(t.GetRequestedRemedy()),
		RunningHours:    t.GetFault().GetRunningHours(),
		TicketId:        t.GetId(),
		PartId:          t.GetFault().GetFaultyPartId(),
		PartSerial:      t.GetFault().GetFaultyPartSerial(),
	}
	for _, c := range t.GetFault().GetCauses() {
		if code, ok := Cause(c); ok && len(req.Causes) < 12 {
			req.Causes = append(req.Causes, code)
		}
	}
	return req
}

// Evaluate asks for the coverage decision of ticket t; the request id is derived from the
// ticket id and its reopen count, so a retried triage is evaluated once. When the service is
// not free the triage carries a fee quote (travel for the ticket's distance there and back, the
// likely parts at cost). An unknown serial gives COVERAGE_UNKNOWN_UNIT; any other error is
// returned for a retry.
func (c *Client) Evaluate(ctx context.Context, t *ticketv1.Ticket) (*ticketv1.Triage, error) {
	req := claim(t, fmt.Sprintf("ticket-%s-triage-%d", t.GetId(), t.GetReopenCount()))
	tr, err := c.decide(ctx, req)
	if err != nil || tr.GetCoverage() == ticketv1.Coverage_COVERAGE_UNKNOWN_UNIT {
		return tr, err
	}
	if paid(tr.GetCoverage()) {
		q := quoteFor(tr, req.GetSerial())
		q.TravelKm, q.ServiceTime = 2*t.GetDistanceKm(), t.GetCreateTime()
		for _, p := range t.GetFault().GetLikelyParts() {
			q.Materials = append(q.Materials, &warrantyv1.MaterialLine{PartId: p.GetPartId(), Quantity: p.GetQuantity()})
		}
		if tr.Fee, err = c.quote(ctx, q); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// Reassess re-decides the coverage of ticket t on the signed report of job jobID: the
// technician's finding (scope, opened part, causes, a customer's responsibility as misuse)
// replaces the ticket's causes. When the service is not free the triage carries a fee quote for
// the work: travel and time of the report, and the parts it fitted (or, after a failed visit,
// the ticket's likely parts) at cost. nil when the unit is unknown to warranty.
func (c *Client) Reassess(ctx context.Context, t *ticketv1.Ticket, jobID string, r *dispatchv1.ServiceReport, failed bool) (*ticketv1.Triage, error) {
	req := claim(t, fmt.Sprintf("ticket-%s-finding-%s", t.GetId(), jobID))
	req.Finding = Finding(jobID, r)
	tr, err := c.decide(ctx, req)
	if err != nil || tr.GetCoverage() == ticketv1.Coverage_COVERAGE_UNKNOWN_UNIT {
		return nil, err
	}
	tr.FindingJobId = jobID
	if paid(tr.GetCoverage()) {
		q := quoteFor(tr, req.GetSerial())
		q.TravelKm, q.Labour, q.ServiceTime = r.GetTravelKm(), r.GetTimeSpent(), r.GetCompletedTime()
		if failed {
			for _, p := range t.GetFault().GetLikelyParts() {
				q.Materials = append(q.Materials, &warrantyv1.MaterialLine{PartId: p.GetPartId(), Quantity: p.GetQuantity()})
			}
		} else {
			for _, p := range r.GetPartsUsed() {
				q.Materials = append(q.Materials, &warrantyv1.MaterialLine{PartId: p.GetPartId(), Quantity: max(p.GetQuantity(), 1)})
			}
		}
		if tr.Fee, err = c.quote(ctx, q); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// Finding is the technician's finding on a signed report, nil when the report says nothing
// about scope, opening, causes or responsibility.
func Finding(jobID string, r *dispatchv1.ServiceReport) *warrantyv1.SiteFinding {
	resp := r.GetResponsibility()
	if !r.GetOutOfScope() && !r.GetPartOpened() && len(r.GetCauses()) == 0 && resp == dispatchv1.Responsibility_RESPONSIBILITY_UNSPECIFIED {
		return nil
	}
	f := &warrantyv1.SiteFinding{OutOfScope: r.GetOutOfScope(), PartOpened: r.GetPartOpened(), JobId: jobID}
	for _, c := range r.GetCauses() {
		if code, ok := Cause(c); ok && len(f.Causes) < 12 {
			f.Causes = append(f.Causes, code)
		}
	}
	if len(f.Causes) == 0 && resp == dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER {
		f.Causes = append(f.Causes, warrantyv1.Cause_CAUSE_MISUSE)
	}
	return f
}

// quoteFor prices at the unit's period for the paid warranty period (its charges, e.g.
// materials only), and at the policy's full fee schedule for service the warranty does not
// cover (an excluded cause, a void or ended warranty).
func quoteFor(tr *ticketv1.Triage, serial string) *warrantyv1.QuoteServiceFeeRequest {
	if tr.GetCoverage() == ticketv1.Coverage_COVERAGE_PAID {
		return &warrantyv1.QuoteServiceFeeRequest{Serial: serial}
	}
	return &warrantyv1.QuoteServiceFeeRequest{PolicyId: tr.GetWarrantyPolicyId(), PolicyVersion: tr.GetWarrantyPolicyVersion()}
}

func paid(c ticketv1.Coverage) bool {
	return c == ticketv1.Coverage_COVERAGE_PAID || c == ticketv1.Coverage_COVERAGE_NOT_COVERED
}

// decide evaluates a claim into a triage.
func (c *Client) decide(ctx context.Context, req *warrantyv1.EvaluateClaimRequest) (*ticketv1.Triage, error) {
	resp, err := c.c.EvaluateClaim(ctx, req)
	if status.Code(err) == codes.NotFound {
		return &ticketv1.Triage{Coverage: ticketv1.Coverage_COVERAGE_UNKNOWN_UNIT, Note: "unit not registered with warranty"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("evaluate claim: %w", err)
	}
	d := resp.GetDecision()
	tr := &ticketv1.Triage{Coverage: ticketv1.Coverage(d.GetCoverage()), WarrantyPolicyId: d.GetPolicyId(),
		WarrantyPolicyVersion: d.GetPolicyVersion(), CampaignId: d.GetCampaignId()}
	for _, r := range d.GetAllowedRemedies() {
		tr.AllowedRemedies = append(tr.AllowedRemedies, ticketv1.Remedy(r))
	}
	for _, cl := range d.GetClauses() {
		tr.Clauses = append(tr.Clauses, &ticketv1.Clause{PolicyId: cl.GetPolicyId(), PolicyVersion: cl.GetPolicyVersion(),
			Clause: cl.GetClause(), Explanation: cl.GetExplanation()})
	}
	return tr, nil
}

// quote asks for the fee of paid service (at the service time, or warranty's now). Materials of unknown cost are left out of the quote
// (it is then travel and labour only) rather than priced by hand.
func (c *Client) quote(ctx context.Context, q *warrantyv1.QuoteServiceFeeRequest) (*typev1.Money, error) {
	resp, err := c.c.QuoteServiceFee(ctx, q)
	if status.Code(err) == codes.FailedPrecondition && len(q.GetMaterials()) > 0 {
		q.Materials = nil
		resp, err = c.c.QuoteServiceFee(ctx, q)
	}
	if err != nil {
		return nil, fmt.Errorf("quote service fee: %w", err)
	}
	return resp.GetQuote().GetTotal(), nil
}

// repairPages bounds the pages of a unit's repairs Repairs reads (500 a page).
const repairPages = 4

// Repairs returns the newest max repairs of the unit with serial, newest first, without their
// costs (the brief a technician reads); an unknown serial has none.
func (c *Client) Repairs(ctx context.Context, serial string, max int) ([]*warrantyv1.Repair, error) {
	var all []*warrantyv1.Repair
	token := ""
	for range repairPages {
		resp, err := c.c.ListRepairs(ctx, &warrantyv1.ListRepairsRequest{Serial: serial, PageSize: 500, PageToken: token})
		if status.Code(err) == codes.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list repairs: %w", err)
		}
		all = append(all, resp.GetRepairs()...)
		if len(all) > max {
			all = all[len(all)-max:]
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	out := make([]*warrantyv1.Repair, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		r := all[i]
		r.Cost = nil // what the visit cost the company is not the technician's reading
		out = append(out, r)
	}
	return out, nil
}
