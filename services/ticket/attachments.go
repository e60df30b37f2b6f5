package ticket

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
)

// AttachmentConfig is where attachments' bytes are kept and the rules they follow.
type AttachmentConfig struct {
	// Store is "dir" (files under Dir; the all-in-one default) or "s3".
	Store string
	// Dir of the embedded store (default <data-dir>/attachments).
	Dir string
	// S3 is the object store when Store is "s3".
	S3 blob.S3Config
	// Rules are the size limits per kind and the retention after a ticket ends.
	Rules domain.AttachmentRules
	// SweepEvery is how often bytes without a record are looked for; SweepGrace how old they
	// must be (an upload in flight has bytes before its record).
	SweepEvery, SweepGrace time.Duration
	// HTTPListen, when set, serves the attachments' HTTP face there (the console's gateway
	// routes to AttachmentHandler in-process instead).
	HTTPListen string
}

// DefaultAttachmentConfig is the all-in-one's: files under the data dir, the DOMAIN limits.
func DefaultAttachmentConfig() AttachmentConfig {
	return AttachmentConfig{Store: "dir", Rules: domain.DefaultAttachmentRules(), SweepEvery: time.Hour, SweepGrace: time.Hour}
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func (c *AttachmentConfig) registerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Store, "attachments-store", env("SANBAO_ATTACHMENTS_STORE", c.Store), "where attachment bytes are kept: dir or s3 (SANBAO_ATTACHMENTS_STORE)")
	fs.StringVar(&c.Dir, "attachments-dir", env("SANBAO_ATTACHMENTS_DIR", c.Dir), "directory of the embedded attachment store (default <data-dir>/attachments) (SANBAO_ATTACHMENTS_DIR)")
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", env("SANBAO_S3_ENDPOINT", c.S3.Endpoint), "S3-compatible endpoint host:port (SANBAO_S3_ENDPOINT)")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", env("SANBAO_S3_BUCKET", c.S3.Bucket), "S3 bucket of attachments, created when absent (SANBAO_S3_BUCKET)")
	fs.StringVar(&c.S3.Prefix, "s3-prefix", env("SANBAO_S3_PREFIX", c.S3.Prefix), "key prefix inside the bucket (SANBAO_S3_PREFIX)")
	fs.StringVar(&c.S3.Region, "s3-region", env("SANBAO_S3_REGION", c.S3.Region), "S3 region (SANBAO_S3_REGION)")
	fs.StringVar(&c.S3.AccessKey, "s3-access-key", env("SANBAO_S3_ACCESS_KEY", c.S3.AccessKey), "S3 access key (SANBAO_S3_ACCESS_KEY)")
	fs.StringVar(&c.S3.SecretKey, "s3-secret-key", env("SANBAO_S3_SECRET_KEY", c.S3.SecretKey), "S3 secret key; prefer the environment (SANBAO_S3_SECRET_KEY)")
	fs.BoolVar(&c.S3.Secure, "s3-secure", env("SANBAO_S3_SECURE", strconv.FormatBool(c.S3.Secure)) == "true", "use HTTPS to the S3 endpoint (SANBAO_S3_SECURE)")
	fs.Int64Var(&c.Rules.MaxPhoto, "attachment-max-photo", envInt("SANBAO_ATTACHMENT_MAX_PHOTO", c.Rules.MaxPhoto), "largest photo in bytes (SANBAO_ATTACHMENT_MAX_PHOTO)")
	fs.Int64Var(&c.Rules.MaxVideo, "attachment-max-video", envInt("SANBAO_ATTACHMENT_MAX_VIDEO", c.Rules.MaxVideo), "largest video in bytes (SANBAO_ATTACHMENT_MAX_VIDEO)")
	fs.Int64Var(&c.Rules.MaxSignature, "attachment-max-signature", envInt("SANBAO_ATTACHMENT_MAX_SIGNATURE", c.Rules.MaxSignature), "largest signature image in bytes (SANBAO_ATTACHMENT_MAX_SIGNATURE)")
	fs.Int64Var(&c.Rules.MaxDocument, "attachment-max-document", envInt("SANBAO_ATTACHMENT_MAX_DOCUMENT", c.Rules.MaxDocument), "largest document in bytes (SANBAO_ATTACHMENT_MAX_DOCUMENT)")
	fs.DurationVar(&c.Rules.Retention, "attachment-retention", envDuration("SANBAO_ATTACHMENT_RETENTION", c.Rules.Retention), "how long attachments are kept after their ticket is closed or cancelled (SANBAO_ATTACHMENT_RETENTION)")
	fs.StringVar(&c.HTTPListen, "attachments-http-listen", env("SANBAO_ATTACHMENTS_HTTP_LISTEN", c.HTTPListen), "serve the attachments' HTTP face on this address (off when empty) (SANBAO_ATTACHMENTS_HTTP_LISTEN)")
	fs.DurationVar(&c.SweepEvery, "attachment-sweep-every", envDuration("SANBAO_ATTACHMENT_SWEEP_EVERY", c.SweepEvery), "how often bytes without a record are removed (SANBAO_ATTACHMENT_SWEEP_EVERY)")
	fs.DurationVar(&c.SweepGrace, "attachment-sweep-grace", envDuration("SANBAO_ATTACHMENT_SWEEP_GRACE", c.SweepGrace), "how old such bytes must be (SANBAO_ATTACHMENT_SWEEP_GRACE)")
}

// open builds the content store (no network: an S3 bucket is ensured once the service runs).
func (c AttachmentConfig) open(dataDir string) (blob.Store, error) {
	switch c.Store {
	case "", "dir":
		dir := c.Dir
		if dir == "" {
			dir = filepath.Join(dataDir, "attachments")
		}
		return blob.OpenDir(dir)
	case "s3":
		if c.S3.Endpoint == "" || c.S3.Bucket == "" {
			return nil, fmt.Errorf("--attachments-store=s3 needs --s3-endpoint and --s3-bucket")
		}
		return blob.NewS3(c.S3)
	}
	return nil, fmt.Errorf("--attachments-store %q: want dir or s3", c.Store)
}
