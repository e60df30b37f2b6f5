package api

import (
	"context"
	"errors"
	"fmt"
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
		FaultCodes: c.GetFaultCodes(), Batches: c.GetBatches(), Remedy: domain.Remedy(c.GetRemedy()), Start: dateIn(c.GetStartDate()), End: dateIn(c.GetEndDate()),
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
		if err := affectUnits(tx, c, now); err != nil {
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

// errCampaign marks a campaign change the stored state does not allow (FAILED_PRECONDITION).
var errCampaign = errors.New("campaign")

// affectUnits computes c's affected units from the unit register, stores each OPEN with the
// campaign's progress, and announces them in pages of domain.CampaignUnitsPage.
func affectUnits(tx *bbolt.Tx, c *warrantyv1.Campaign, now time.Time) error {
	dc := campaignIn(c)
	var units []*warrantyv1.CampaignUnit
	err := store.EachUnit(tx, c.GetModel(), "", func(u *warrantyv1.Unit) error {
		if !dc.Matches(unitIn(u)) {
			return nil
		}
		if len(units) == domain.MaxCampaignUnits {
			return fmt.Errorf("%w: affects more than %d units; split it (by serial range or batch)", errCampaign, domain.MaxCampaignUnits)
		}
		units = append(units, &warrantyv1.CampaignUnit{CampaignId: c.GetId(), UnitId: u.GetId(), Serial: u.GetSerial(), Model: u.GetModel(),
			State: warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_OPEN})
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range units {
		if err := store.PutCampaignUnit(tx, u); err != nil {
			return err
		}
	}
	if err := store.PutCampaignProgress(tx, c.GetId(), &warrantyv1.CampaignProgress{Affected: int32(len(units)), Open: int32(len(units))}); err != nil {
		return err
	}
	pages := (len(units) + domain.CampaignUnitsPage - 1) / domain.CampaignUnitsPage
	for i := 0; i < pages; i++ {
		page := units[i*domain.CampaignUnitsPage : min((i+1)*domain.CampaignUnitsPage, len(units))]
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectCampaignUnitsAffected, Resource: "campaigns/" + c.GetId(),
			Data: &warrantyv1.CampaignUnitsAffected{CampaignId: c.GetId(), Model: c.GetModel(), Remote: c.GetRemote(),
				ProductLine: c.GetProductLine(), Name: c.GetName(),
				Page: int32(i + 1), Pages: int32(pages), Units: page}, Time: now}); err != nil {
			return err
		}
	}
	return nil
}

// GetCampaign returns a campaign with its progress.
func (s *Server) GetCampaign(_ context.Context, req *warrantyv1.GetCampaignRequest) (*warrantyv1.GetCampaignResponse, error) {
	resp := &warrantyv1.GetCampaignResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		c, found, err := store.GetCampaign(tx, req.GetCampaignId())
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: campaign %s", store.ErrNotFound, req.GetCampaignId())
		}
		resp.Campaign = c
		resp.Progress, err = store.CampaignProgress(tx, c.GetId())
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListCampaignUnits lists a campaign's units, or a unit's campaigns.
func (s *Server) ListCampaignUnits(_ context.Context, req *warrantyv1.ListCampaignUnitsRequest) (*warrantyv1.ListCampaignUnitsResponse, error) {
	resp := &warrantyv1.ListCampaignUnitsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var err error
		resp.Units, resp.NextPageToken, err = store.ListCampaignUnits(tx, req.GetCampaignId(), req.GetUnitId(), req.GetState(),
			req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// CompleteCampaignUnit records a unit's campaign remedy as done on a ticket.
func (s *Server) CompleteCampaignUnit(ctx context.Context, req *warrantyv1.CompleteCampaignUnitRequest) (*warrantyv1.CompleteCampaignUnitResponse, error) {
	resp := &warrantyv1.CompleteCampaignUnitResponse{}
	err := s.p.Update(ctx, "CompleteCampaignUnit", req, resp, func(tx *bbolt.Tx, now time.Time) error {
		u, found, err := store.GetCampaignUnit(tx, req.GetCampaignId(), req.GetUnitId())
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: unit %s in campaign %s", store.ErrNotFound, req.GetUnitId(), req.GetCampaignId())
		}
		p, err := store.CampaignProgress(tx, req.GetCampaignId())
		if err != nil {
			return err
		}
		resp.Unit, resp.Progress = u, p
		if u.GetState() == warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_COMPLETED {
			return nil // done already (another visit, a redelivery): nothing changes
		}
		u.State = warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_COMPLETED
		u.TicketId, u.CompleteTime = req.GetTicketId(), timestamppb.New(now)
		p.Completed++
		p.Open = max(p.GetAffected()-p.GetCompleted(), 0)
		if err := store.PutCampaignUnit(tx, u); err != nil {
			return err
		}
		if err := store.PutCampaignProgress(tx, req.GetCampaignId(), p); err != nil {
			return err
		}
		_, err = outbox.Append(tx, outbox.Event{Subject: SubjectCampaignUnitCompleted, Resource: "campaigns/" + req.GetCampaignId(),
			Data: &warrantyv1.CampaignUnitCompleted{Unit: u, Progress: p}, Time: now})
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}
