package blob_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/blob/blobtest"
)

// TestS3 runs the store suite against a real SeaweedFS S3 gateway (skipped without
// SANBAO_WEED_BIN; `make s3-test`). Each case gets its own key prefix in one bucket.
func TestS3(t *testing.T) {
	cfg := blobtest.Seaweed(t, "sanbao-blobs")
	var n atomic.Int64
	blobtest.Run(t, func(t *testing.T) blob.Store {
		c := cfg
		c.Prefix = fmt.Sprintf("case%d/", n.Add(1))
		s, err := blob.OpenS3(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
