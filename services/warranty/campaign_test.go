package warranty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

// TestRecallComputesUnitsAndTracksCompletion: a recall over 55 of 60 registered units (a
// serial range and a batch) affects exactly those, announces them in pages of at most 50,
// counts completion per unit and overall, and a unit shows its open campaign.
func TestRecallComputesUnitsAndTracksCompletion(t *testing.T) {
	e := start(t)
	p := e.policy("consumer-sanbao")
	var first string
	for i := range 60 {
		u := e.unit(fmt.Sprintf("SN%03d", i), p.GetId(), day(-30))
		if i == 0 {
			first = u.GetId()
		}
	}
	// SN055..SN059 are outside the range.
	resp, err := e.c.CreateCampaign(e.ctx, &warrantyv1.CreateCampaignRequest{RequestId: "recall-1", Campaign: &warrantyv1.Campaign{
		Name: "Pump recall", Model: "M1", SerialFrom: "SN000", SerialTo: "SN054", Batches: []string{"B1"},
		Remedy: warrantyv1.Remedy_REMEDY_REPAIR, StartDate: day(0)}})
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	id := resp.GetCampaign().GetId()
	again, err := e.c.CreateCampaign(e.ctx, &warrantyv1.CreateCampaignRequest{RequestId: "recall-1", Campaign: resp.GetCampaign()})
	if err == nil && again.GetCampaign().GetId() != id {
		t.Fatalf("CreateCampaign retry made %s, want %s", again.GetCampaign().GetId(), id)
	}

	progress := func() *warrantyv1.CampaignProgress {
		t.Helper()
		g, err := e.c.GetCampaign(e.ctx, &warrantyv1.GetCampaignRequest{CampaignId: id})
		if err != nil {
			t.Fatalf("GetCampaign: %v", err)
		}
		return g.GetProgress()
	}
	if p := progress(); p.GetAffected() != 55 || p.GetOpen() != 55 || p.GetCompleted() != 0 {
		t.Fatalf("progress = %v, want 55 affected, 55 open", p)
	}

	// The units, paged.
	seen := map[string]bool{}
	token := ""
	for {
		page, err := e.c.ListCampaignUnits(e.ctx, &warrantyv1.ListCampaignUnitsRequest{CampaignId: id, PageSize: 20, PageToken: token})
		if err != nil {
			t.Fatalf("ListCampaignUnits: %v", err)
		}
		for _, u := range page.GetUnits() {
			if u.GetState() != warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_OPEN || u.GetSerial() > "SN054" {
				t.Fatalf("campaign unit %v, want OPEN inside the range", u)
			}
			seen[u.GetUnitId()] = true
		}
		if token = page.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != 55 {
		t.Fatalf("ListCampaignUnits found %d units, want 55", len(seen))
	}

	// The announcement: two pages, 50 and 5 units, none with personal data.
	var got []*warrantyv1.CampaignUnitsAffected
	natstest.Eventually(t, 10*time.Second, func() error {
		got = nil
		st, err := e.run.Platform.JS.Stream(context.Background(), "WARRANTY")
		if err != nil {
			return err
		}
		c, err := st.OrderedConsumer(context.Background(), jetstream.OrderedConsumerConfig{FilterSubjects: []string{"sanbao.warranty.v1.campaign.units_affected"}})
		if err != nil {
			return err
		}
		batch, err := c.FetchNoWait(10)
		if err != nil {
			return err
		}
		for m := range batch.Messages() {
			ev := &warrantyv1.CampaignUnitsAffected{}
			if err := protojson.Unmarshal(m.Data(), ev); err != nil {
				return err
			}
			got = append(got, ev)
		}
		if len(got) != 2 {
			return fmt.Errorf("%d units_affected events, want 2", len(got))
		}
		return nil
	})
	if len(got[0].GetUnits()) != 50 || len(got[1].GetUnits()) != 5 || got[1].GetPage() != 2 || got[1].GetPages() != 2 {
		t.Fatalf("pages = %d+%d units (page %d of %d), want 50+5", len(got[0].GetUnits()), len(got[1].GetUnits()), got[1].GetPage(), got[1].GetPages())
	}

	// A unit's open campaigns; completing it once counts once.
	mine, err := e.c.ListCampaignUnits(e.ctx, &warrantyv1.ListCampaignUnitsRequest{UnitId: first, State: warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_OPEN})
	if err != nil || len(mine.GetUnits()) != 1 || mine.GetUnits()[0].GetCampaignId() != id {
		t.Fatalf("ListCampaignUnits(unit) = %v, %v; want the open campaign", mine.GetUnits(), err)
	}
	for _, c := range []struct{ rid, ticket string }{{"done-1", "T-0"}, {"done-1", "T-0"}, {"done-2", "T-1"}} {
		rid := c.rid
		c, err := e.c.CompleteCampaignUnit(e.ctx, &warrantyv1.CompleteCampaignUnitRequest{RequestId: rid, CampaignId: id, UnitId: first, TicketId: c.ticket})
		if err != nil {
			t.Fatalf("CompleteCampaignUnit(%s): %v", rid, err)
		}
		if c.GetProgress().GetCompleted() != 1 || c.GetProgress().GetOpen() != 54 || c.GetUnit().GetTicketId() != "T-0" {
			t.Fatalf("CompleteCampaignUnit(%s) = %v, want 1 completed on T-0, 54 open", rid, c)
		}
	}
	if p := progress(); p.GetCompleted() != 1 || p.GetOpen() != 54 {
		t.Fatalf("progress = %v, want 1 completed, 54 open", p)
	}
	_, err = e.c.CompleteCampaignUnit(e.ctx, &warrantyv1.CompleteCampaignUnitRequest{RequestId: "x", CampaignId: id, UnitId: "nobody", TicketId: "T-9"})
	wantCode(t, err, codes.NotFound)
	_, err = e.c.ListCampaignUnits(e.ctx, &warrantyv1.ListCampaignUnitsRequest{CampaignId: id, UnitId: first})
	wantCode(t, err, codes.InvalidArgument)
}
