package api

import (
	"context"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/warranty/internal/domain"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

func campaignIn(c *warrantyv1.Campaign) domain.Campaign {
	return domain.Campaign{ID: c.GetId(), Name: c.GetName(), Model: c.GetModel(), SerialFrom: c.GetSerialFrom(), SerialTo: c.GetSerialTo(),
		DateKind: domain.DateKind(c.GetDateKind()), DateFrom: dateIn(c.GetDateFrom()), DateTo: dateIn(c.GetDateTo()),
		FaultCodes: c.GetFaultCodes(), Remedy: domain.Remedy(c.GetRemedy()), Start: dateIn(c.GetStartDate()), End: dateIn(c.GetEndDate()),
		Explanation: c.GetExplanation()}
}

// CreateCampaign creates a service campaign.
func (s *Server) CreateCampaign(ctx context.Context, req *warrantyv1.CreateCampaignRequest) (*warrantyv1.CreateCampaignResponse, error) {
	if err := domain.ValidateCampaign(campaignIn(req.GetCampaign())); err != nil {
		return nil, toStatus(prefix(err, "campaign"))
	}
	resp := &warrantyv1.CreateCampaignResponse{}
	err := s.p.Update(ctx, "CreateCampaign", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		c := proto.Clone(req.GetCampaign()).(*warrantyv1.Campaign)
		c.Id, c.CreateTime = ids.New(), timestamppb.New(now)
		if err := store.PutCampaign(tx, c); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectCampaignCreated, Resource: "campaigns/" + c.GetId(),
			Data: &warrantyv1.CampaignCreated{Campaign: c}, Time: now}); err != nil {
			return err
		}
		resp.Campaign = c
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListCampaigns lists campaigns.
func (s *Server) ListCampaigns(_ context.Context, req *warrantyv1.ListCampaignsRequest) (*warrantyv1.ListCampaignsResponse, error) {
	resp := &warrantyv1.ListCampaignsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var err error
		resp.Campaigns, resp.NextPageToken, err = store.ListCampaigns(tx, req.GetModel(), req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}
