package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutCampaign stores a campaign and indexes it by model.
func PutCampaign(tx *bbolt.Tx, c *warrantyv1.Campaign) error {
	if err := pstore.Put(tx, bucketCampaignsByModel, pstore.Key(c.GetModel(), c.GetId()), []byte{}); err != nil {
		return err
	}
	auth.Stamp(tx, c, service, !pstore.Has(tx, bucketCampaigns, []byte(c.GetId())))
	return pstore.PutProto(tx, bucketCampaigns, []byte(c.GetId()), c)
}

// CampaignsByModel returns every campaign of a model, oldest first.
func CampaignsByModel(tx *bbolt.Tx, model string) ([]*warrantyv1.Campaign, error) {
	var out []*warrantyv1.Campaign
	prefix := pstore.Prefix(model)
	c := tx.Bucket(bucketCampaignsByModel).Cursor()
	for k, _ := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		cp := &warrantyv1.Campaign{}
		if _, err := pstore.GetProto(tx, bucketCampaigns, k[len(prefix):], cp); err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

// ListCampaigns returns a page of campaigns, of one model when model is set.
func ListCampaigns(tx *bbolt.Tx, model, token string, size int) ([]*warrantyv1.Campaign, string, error) {
	var out []*warrantyv1.Campaign
	bucket, prefix := bucketCampaigns, []byte(nil)
	if model != "" {
		bucket, prefix = bucketCampaignsByModel, pstore.Prefix(model)
	}
	next, err := pstore.Scan(tx, bucket, pstore.Page{Prefix: prefix, Token: token, Size: size}, func(k, v []byte) (bool, error) {
		cp := &warrantyv1.Campaign{}
		if prefix != nil {
			if _, err := pstore.GetProto(tx, bucketCampaigns, k[len(prefix):], cp); err != nil {
				return false, err
			}
		} else if err := proto.Unmarshal(v, cp); err != nil {
			return false, err
		}
		out = append(out, cp)
		return true, nil
	})
	return out, next, err
}

// GetCampaign returns the campaign with id; found is false when there is none.
func GetCampaign(tx *bbolt.Tx, id string) (*warrantyv1.Campaign, bool, error) {
	c := &warrantyv1.Campaign{}
	found, err := pstore.GetProto(tx, bucketCampaigns, []byte(id), c)
	return c, found, err
}

// PutCampaignUnit stores a campaign unit and indexes it by unit.
func PutCampaignUnit(tx *bbolt.Tx, u *warrantyv1.CampaignUnit) error {
	if err := pstore.Put(tx, bucketCampaignUnitsByUnit, pstore.Key(u.GetUnitId(), u.GetCampaignId()), []byte{}); err != nil {
		return err
	}
	return pstore.PutProto(tx, bucketCampaignUnits, pstore.Key(u.GetCampaignId(), u.GetUnitId()), u)
}

// GetCampaignUnit returns a campaign's unit; found is false when the unit is not affected.
func GetCampaignUnit(tx *bbolt.Tx, campaignID, unitID string) (*warrantyv1.CampaignUnit, bool, error) {
	u := &warrantyv1.CampaignUnit{}
	found, err := pstore.GetProto(tx, bucketCampaignUnits, pstore.Key(campaignID, unitID), u)
	return u, found, err
}

// ListCampaignUnits returns a page of a campaign's units (campaignID set) or of a unit's
// campaigns (unitID set), in key order, those in state when state is set.
func ListCampaignUnits(tx *bbolt.Tx, campaignID, unitID string, state warrantyv1.CampaignUnitState, token string, size int) ([]*warrantyv1.CampaignUnit, string, error) {
	var out []*warrantyv1.CampaignUnit
	keep := func(u *warrantyv1.CampaignUnit) bool {
		if state != warrantyv1.CampaignUnitState_CAMPAIGN_UNIT_STATE_UNSPECIFIED && u.GetState() != state {
			return false
		}
		out = append(out, u)
		return true
	}
	if campaignID != "" {
		next, err := pstore.Scan(tx, bucketCampaignUnits, pstore.Page{Prefix: pstore.Prefix(campaignID), Token: token, Size: size},
			func(_, v []byte) (bool, error) {
				u := &warrantyv1.CampaignUnit{}
				if err := proto.Unmarshal(v, u); err != nil {
					return false, err
				}
				return keep(u), nil
			})
		return out, next, err
	}
	prefix := pstore.Prefix(unitID)
	next, err := pstore.Scan(tx, bucketCampaignUnitsByUnit, pstore.Page{Prefix: prefix, Token: token, Size: size},
		func(k, _ []byte) (bool, error) {
			u, found, err := GetCampaignUnit(tx, string(k[len(prefix):]), unitID)
			if err != nil || !found {
				return false, err
			}
			return keep(u), nil
		})
	return out, next, err
}

// CampaignProgress returns a campaign's unit counts.
func CampaignProgress(tx *bbolt.Tx, id string) (*warrantyv1.CampaignProgress, error) {
	p := &warrantyv1.CampaignProgress{}
	_, err := pstore.GetProto(tx, bucketCampaignProgress, []byte(id), p)
	return p, err
}

// PutCampaignProgress stores a campaign's unit counts.
func PutCampaignProgress(tx *bbolt.Tx, id string, p *warrantyv1.CampaignProgress) error {
	return pstore.PutProto(tx, bucketCampaignProgress, []byte(id), p)
}
