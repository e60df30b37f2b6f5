// Package warranty is the ticket service's client of warranty-rules: it turns a ticket into a
// claim and the coverage decision into the ticket's triage.
package warranty

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// Client calls WarrantyService.EvaluateClaim.
type Client struct {
	c warrantyv1.WarrantyServiceClient
}

// New returns a client over conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{c: warrantyv1.NewWarrantyServiceClient(conn)}
}

// Evaluate asks for the coverage decision of ticket t; the request id is derived from the
// ticket id and its reopen count, so a retried triage is evaluated once. An unknown serial gives
// COVERAGE_UNKNOWN_UNIT; any other error is returned for a retry.
func (c *Client) Evaluate(ctx context.Context, t *ticketv1.Ticket) (*ticketv1.Triage, error) {
	fault := t.GetFault().GetFaultCode()
	if fault == "" {
		fault = "unspecified"
	}
	req := &warrantyv1.EvaluateClaimRequest{
		RequestId:       fmt.Sprintf("ticket-%s-triage-%d", t.GetId(), t.GetReopenCount()),
		Serial:          t.GetUnit().GetSerial(),
		FaultCode:       fault,
		ReportedTime:    t.GetCreateTime(),
		RequestedRemedy: warrantyv1.Remedy(t.GetRequestedRemedy()),
		RunningHours:    t.GetFault().GetRunningHours(),
		TicketId:        t.GetId(),
	}
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
