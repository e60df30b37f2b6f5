package store

import (
	"go.etcd.io/bbolt"

	"github.com/sanbao/sanbao/platform/store"
)

// CampaignTicket returns the ticket raised for a campaign's unit, "" when none was.
func CampaignTicket(tx *bbolt.Tx, campaignID, unitID string) string {
	return string(store.Get(tx, CampaignTickets, store.Key(campaignID, unitID)))
}

// PutCampaignTicket records the ticket raised for a campaign's unit.
func PutCampaignTicket(tx *bbolt.Tx, campaignID, unitID, ticketID string) error {
	return store.Put(tx, CampaignTickets, store.Key(campaignID, unitID), []byte(ticketID))
}
