package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// Campaigns (recalls) that act: warranty announces a campaign's affected units in pages
// (campaign.units_affected); each unit becomes a durable task that raises one ticket for it
// (a visit, or remote guidance for a remote campaign) exactly once; any ticket of a unit with
// an open campaign carries it (triage asks warranty), and a resolved visit completes it.

// Durable and subject of the campaign consumer (declared in auth.Consumes).
const (
	DurableCampaigns         = "ticket-campaigns"
	subjectCampaignsAffected = "sanbao.warranty.v1.campaign.units_affected"
	maxCampaignIDs           = 20
)

// startCampaigns registers the campaign consumer and its tasks.
func (s *Server) startCampaigns(p *daemon.Platform) {
	p.Timers.Handle(timerCampaignTicket, s.raiseCampaignTicket)
	p.Timers.Handle(timerCampaignDone, s.completeCampaigns)
	p.Consume(events.ConsumerConfig{Stream: "WARRANTY", Durable: DurableCampaigns,
		FilterSubjects: []string{subjectCampaignsAffected}, Handle: s.HandleCampaignEvent})
}

// HandleCampaignEvent turns one page of a campaign's affected units into one durable task per
// unit, in the consumer's transaction; a unit already raised (a redelivery) is skipped.
func (s *Server) HandleCampaignEvent(tx *bbolt.Tx, m events.Message) error {
	ev := &warrantyv1.CampaignUnitsAffected{}
	if err := m.Decode(ev); err != nil {
		return events.Permanent(fmt.Errorf("decode %s: %w", m.Type, err))
	}
	if err := checkCampaignEvent(ev); err != nil {
		return events.Permanent(err)
	}
	now := s.p.Clock.Now()
	for _, u := range ev.GetUnits() {
		if store.CampaignTicket(tx, ev.GetCampaignId(), u.GetUnitId()) != "" {
			continue
		}
		one := proto.Clone(ev).(*warrantyv1.CampaignUnitsAffected)
		one.Units = []*warrantyv1.CampaignUnit{u}
		payload, err := proto.Marshal(one)
		if err != nil {
			return err
		}
		if err := timer.Schedule(tx, timerCampaignTicket, ev.GetCampaignId()+"/"+u.GetUnitId(), now, payload); err != nil {
			return err
		}
	}
	return nil
}

// checkCampaignEvent validates warranty's event as strictly as a request: ids present and
// free of the key separator, at most 50 units.
func checkCampaignEvent(ev *warrantyv1.CampaignUnitsAffected) error {
	bad := func(s string) bool { return s == "" || len(s) > 128 || strings.ContainsAny(s, "/\x00") }
	if bad(ev.GetCampaignId()) {
		return errors.New("campaign event: bad campaign_id")
	}
	if len(ev.GetUnits()) > 50 {
		return fmt.Errorf("campaign event: %d units, at most 50", len(ev.GetUnits()))
	}
	for i, u := range ev.GetUnits() {
		if bad(u.GetUnitId()) || len(u.GetSerial()) > 64 {
			return fmt.Errorf("campaign event: units[%d]: bad unit_id or serial", i)
		}
	}
	return nil
}

// raiseCampaignTicket raises the ticket of one campaign unit: the unit's customer from
// warranty, then, in one transaction, the ticket (which triage sends on site, or to remote
// guidance for a remote campaign) and the record that the unit has it.
func (s *Server) raiseCampaignTicket(ctx context.Context, tm timer.Timer) error {
	ev := &warrantyv1.CampaignUnitsAffected{}
	if err := proto.Unmarshal(tm.Payload, ev); err != nil || len(ev.GetUnits()) != 1 {
		s.p.Log.Error("campaign task: bad payload", zap.String("key", tm.Key), zap.Error(err))
		return nil
	}
	cu := ev.GetUnits()[0]
	var done bool
	if err := s.p.DB.View(func(tx *bbolt.Tx) error {
		done = store.CampaignTicket(tx, ev.GetCampaignId(), cu.GetUnitId()) != ""
		return nil
	}); err != nil || done {
		return err
	}
	customer, unit, found, err := s.warranty.CampaignUnit(ctx, cu.GetUnitId(), ev.GetProductLine())
	if err != nil {
		return fmt.Errorf("campaign %s unit %s: %w", ev.GetCampaignId(), cu.GetUnitId(), err)
	}
	if !found {
		s.p.Log.Warn("campaign unit unknown to warranty; no ticket", zap.String("campaign_id", ev.GetCampaignId()), zap.String("unit_id", cu.GetUnitId()))
		return nil
	}
	in := &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_MAINTENANCE, Channel: ticketv1.Channel_CHANNEL_INTERNAL,
		Customer: customer, Unit: unit,
		Fault: &ticketv1.Fault{Symptom: "service campaign " + ev.GetName()},
	}
	if ev.GetRemote() {
		in.Kind, in.RequestedSolution = ticketv1.TicketKind_TICKET_KIND_CONSULTATION, ticketv1.SolutionType_SOLUTION_TYPE_REMOTE_GUIDANCE
	}
	err = s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		if store.CampaignTicket(tx, ev.GetCampaignId(), cu.GetUnitId()) != "" {
			return nil // raised meanwhile
		}
		t, err := s.newTicket(tx, s.p.Clock.Now(), in, func(t *ticketv1.Ticket) { t.CampaignIds = []string{ev.GetCampaignId()} })
		if err != nil {
			return err
		}
		return store.PutCampaignTicket(tx, ev.GetCampaignId(), cu.GetUnitId(), t.GetId())
	})
	if err != nil {
		return fmt.Errorf("campaign %s unit %s: raise ticket: %w", ev.GetCampaignId(), cu.GetUnitId(), err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return nil
}

// addCampaigns adds the unit's open campaigns to the ticket (at most maxCampaignIDs).
func addCampaigns(t *ticketv1.Ticket, open []string) {
	for _, id := range open {
		if len(t.CampaignIds) < maxCampaignIDs && !slices.Contains(t.CampaignIds, id) {
			t.CampaignIds = append(t.CampaignIds, id)
		}
	}
}

// campaignsDone schedules the completion of the ticket's campaigns once a visit resolved it.
func (c *change) campaignsDone(kind string, r interface{ GetResolved() bool }) error {
	if kind != "completed" || !r.GetResolved() || len(c.t.GetCampaignIds()) == 0 {
		return nil
	}
	return timer.Schedule(c.tx, timerCampaignDone, c.t.GetId(), c.now, nil)
}

// completeCampaigns tells warranty that the ticket's visit did its unit's campaigns.
func (s *Server) completeCampaigns(ctx context.Context, tm timer.Timer) error {
	t, err := s.read(tm.Key)
	if err != nil {
		return skipOK(err)
	}
	unitID, _, err := s.warranty.OpenCampaigns(ctx, t.GetUnit().GetSerial())
	if err != nil || unitID == "" {
		return err
	}
	for _, id := range t.GetCampaignIds() {
		if err := s.warranty.CompleteCampaign(ctx, requestKey("campaign-done", t.GetId(), id), id, unitID, t.GetId()); err != nil {
			return err
		}
	}
	return nil
}

// requestKey is a request id made of parts (ids: within the request id alphabet and length).
func requestKey(parts ...string) string { return strings.Join(parts, ":") }
