package store

import (
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// PutCampaign stores a campaign and indexes it by model.
func PutCampaign(tx *bbolt.Tx, c *warrantyv1.Campaign) error {
	if err := pstore.Put(tx, bucketCampaignsByModel, pstore.Key(c.GetModel(), c.GetId()), []byte{}); err != nil {
		return err
	}
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
