package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config is how to reach an S3-compatible object store (AWS S3, SeaweedFS, Ceph RGW, an
// operator's MinIO, OSS/COS S3 endpoints).
type S3Config struct {
	// Endpoint is host:port, without scheme.
	Endpoint string
	// AccessKey and SecretKey are the static credentials.
	AccessKey, SecretKey string
	// Bucket holds the blobs; it is created when absent.
	Bucket string
	// Prefix is prepended to every key (e.g. "ticket/"), so services may share a bucket.
	Prefix string
	// Region of the bucket (empty: the server's default).
	Region string
	// Secure uses HTTPS.
	Secure bool
	// PartSize is the multipart chunk an upload of unknown length is buffered in (default
	// 8 MiB, at least 5 MiB): the memory one Put holds.
	PartSize uint64
}

// S3 stores blobs in an S3-compatible bucket through minio-go (Apache-2.0). A Put of unknown
// length is uploaded in parts; a failed one is aborted, so no object appears.
type S3 struct {
	c      *minio.Client
	cfg    S3Config
	bucket string
}

var _ Store = (*S3)(nil)

// NewS3 returns the store without contacting the server (a service starts while its object
// store is down; EnsureBucket then waits for it).
func NewS3(cfg S3Config) (*S3, error) {
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client: %w", err)
	}
	if cfg.PartSize < 5<<20 {
		cfg.PartSize = 8 << 20
	}
	return &S3{c: c, cfg: cfg, bucket: cfg.Bucket}, nil
}

// OpenS3 connects to the store and makes sure the bucket exists.
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	s, err := NewS3(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.EnsureBucket(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// EnsureBucket creates the bucket when it does not exist.
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("s3 bucket %q: %w", s.bucket, err)
	}
	if !ok {
		if err := s.c.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.cfg.Region}); err != nil {
			if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return fmt.Errorf("s3 make bucket %q: %w", s.bucket, err)
			}
		}
	}
	return nil
}

func (s *S3) object(key string) string { return s.cfg.Prefix + key }

func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey"
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, limit int64) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrBadKey
	}
	c := newCounter(r, limit)
	up, err := s.c.PutObject(ctx, s.bucket, s.object(key), c, -1, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    s.cfg.PartSize,
	})
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return Info{}, fmt.Errorf("%w (%d bytes)", ErrTooLarge, limit)
		}
		return Info{}, fmt.Errorf("s3 put: %w", err)
	}
	return Info{Key: key, Size: c.n, SHA256: c.sum(), Modified: up.LastModified}, nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if !ValidKey(key) {
		return nil, Info{}, ErrBadKey
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, s.object(key), minio.GetObjectOptions{})
	if err != nil {
		if notFound(err) {
			return nil, Info{}, ErrNotFound
		}
		return nil, Info{}, fmt.Errorf("s3 get: %w", err)
	}
	return o, info, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if !ValidKey(key) {
		return Info{}, ErrBadKey
	}
	st, err := s.c.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		if notFound(err) {
			return Info{}, ErrNotFound
		}
		return Info{}, fmt.Errorf("s3 stat: %w", err)
	}
	return Info{Key: key, Size: st.Size, Modified: st.LastModified}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	if err := s.c.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("s3 delete: %w", err)
	}
	return nil
}

// List implements Store.
func (s *S3) List(ctx context.Context, fn func(Info) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn stops early
	for o := range s.c.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix, Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("s3 list: %w", o.Err)
		}
		key := o.Key[len(s.cfg.Prefix):]
		if !ValidKey(key) {
			continue // not ours
		}
		if err := fn(Info{Key: key, Size: o.Size, Modified: o.LastModified}); err != nil {
			return err
		}
	}
	return nil
}
