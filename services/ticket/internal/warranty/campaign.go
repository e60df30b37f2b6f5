package warranty

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// CampaignUnit returns what a campaign ticket needs of a registered unit: the customer and
// the unit (serial, model, the campaign's product line); found is false for an unknown unit.
func (c *Client) CampaignUnit(ctx context.Context, unitID, productLine string) (*ticketv1.Customer, *ticketv1.Unit, bool, error) {
	resp, err := c.c.GetUnit(ctx, &warrantyv1.GetUnitRequest{Id: unitID})
	if status.Code(err) == codes.NotFound {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("get unit: %w", err)
	}
	u := resp.GetUnit()
	cu := u.GetCustomer()
	return &ticketv1.Customer{CustomerId: cu.GetCustomerId(), Contact: cu.GetContact(), Address: cu.GetAddress()},
		&ticketv1.Unit{Serial: u.GetSerial(), Model: u.GetModel(), ProductLine: productLine}, true, nil
}

// OpenCampaigns returns the unit id of serial and the ids of its OPEN campaigns (at most 20);
// an unknown serial has none.
func (c *Client) OpenCampaigns(ctx context.Context, serial string) (string, []string, error) {
	resp, err := c.c.GetUnit(ctx, &warrantyv1.GetUnitRequest{Serial: serial})
	if status.Code(err) == codes.NotFound {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("get unit: %w", err)
	}
	id := resp.GetUnit().GetId()
	list, err := c.c.ListCampaignUnits(ctx, &warrantyv1.ListCampaignUnitsRequest{UnitId: id,
		State: warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_OPEN, PageSize: 20})
	if err != nil {
		return "", nil, fmt.Errorf("list campaign units: %w", err)
	}
	var out []string
	for _, cu := range list.GetUnits() {
		out = append(out, cu.GetCampaignId())
	}
	return id, out, nil
}

// CompleteCampaign records the campaign's remedy done for the unit on ticketID, idempotently on
// requestID.
func (c *Client) CompleteCampaign(ctx context.Context, requestID, campaignID, unitID, ticketID string) error {
	_, err := c.c.CompleteCampaignUnit(ctx, &warrantyv1.CompleteCampaignUnitRequest{RequestId: requestID, CampaignId: campaignID,
		UnitId: unitID, TicketId: ticketID})
	if status.Code(err) == codes.NotFound {
		return nil // the unit is not in the campaign: nothing to complete
	}
	if err != nil {
		return fmt.Errorf("complete campaign unit: %w", err)
	}
	return nil
}
