package warranty

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// coverageFault is the fault code of a status check: no fault, so no repeat-repair count or
// campaign decides anything; the periods are the unit's.
const coverageFault = NoFaultCode

// Coverage returns unit serial's warranty on the day of now as warranty-rules computes it (a
// quote-only evaluation: nothing recorded, no event), for the customer's page: whether free
// repair covers it and every period's end date. Nil, nil for a unit warranty-rules does not
// know; an error when it cannot be reached.
func (c *Client) Coverage(ctx context.Context, serial string, now time.Time) (*ticketv1.UnitWarranty, error) {
	resp, err := c.c.EvaluateClaim(ctx, &warrantyv1.EvaluateClaimRequest{Serial: serial, FaultCode: coverageFault,
		ReportedTime: timestamppb.New(now), QuoteOnly: true})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	d := resp.GetDecision()
	w := &ticketv1.UnitWarranty{AsOfDate: d.GetClaimDate(), Model: d.GetModel()}
	for _, p := range d.GetPeriods() {
		kind := strings.ToLower(strings.TrimPrefix(p.GetKind().String(), "PERIOD_KIND_"))
		if p.GetKind() == warrantyv1.PeriodKind_PERIOD_KIND_UNSPECIFIED {
			continue
		}
		if p.GetKind() == warrantyv1.PeriodKind_PERIOD_KIND_FREE_REPAIR && p.GetActive() {
			w.InWarranty = true
		}
		w.Coverages = append(w.Coverages, &ticketv1.CoverageEnd{Kind: kind, EndDate: p.GetEndDate(), Unlimited: p.GetUnlimited(),
			Active: p.GetActive(), PartId: p.GetPartId()})
	}
	return w, nil
}
