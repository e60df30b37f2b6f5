// Package blob holds the content store of attachments' bytes behind one small interface: an
// embedded store of files under the data directory (Dir) for the all-in-one run, and an
// S3-compatible object store (S3) for production. Records (bbolt) hold keys; bytes live here.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
)

// ErrNotFound is returned for a key the store does not hold.
var ErrNotFound = errors.New("blob not found")

// ErrTooLarge is returned by Put when the content exceeds the limit it was given; nothing is
// stored.
var ErrTooLarge = errors.New("blob larger than the limit")

// ErrBadKey is returned for a key that is not 1–200 characters of [A-Za-z0-9._-] (or that is
// "." or ".."): keys are ids, never paths taken from a request.
var ErrBadKey = errors.New("blob key must be 1-200 characters of A-Z a-z 0-9 . _ -")

// Info describes a stored blob.
type Info struct {
	// Key is the blob's key.
	Key string
	// Size in bytes.
	Size int64
	// SHA256 is the lowercase hex SHA-256 of the content (set by Put; Stat and List leave it
	// empty: the record that references the blob keeps it).
	SHA256 string
	// Modified is when the blob was written.
	Modified time.Time
}

// Store keeps blobs by key. A Put is atomic: a reader sees the whole content or nothing, and a
// failed or cancelled Put leaves nothing behind. Implementations are safe for concurrent use.
type Store interface {
	// Put streams r into the blob key (replacing any), reading at most limit bytes (ErrTooLarge
	// beyond, nothing stored; limit ≤ 0 means no limit), and returns its size and SHA-256.
	Put(ctx context.Context, key string, r io.Reader, limit int64) (Info, error)
	// Get opens the blob key for reading; the caller closes it. ErrNotFound when absent.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat describes the blob key; ErrNotFound when absent.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the blob key; an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every blob (in no particular order) until fn returns an error, which
	// List returns. The sweeper uses it to find bytes without a record.
	List(ctx context.Context, fn func(Info) error) error
}

// ValidKey reports whether key may name a blob.
func ValidKey(key string) bool {
	if key == "" || len(key) > 200 || key == "." || key == ".." {
		return false
	}
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// counter hashes and counts what passes through it and refuses to pass more than limit bytes.
type counter struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
}

func newCounter(r io.Reader, limit int64) *counter {
	if r == nil {
		r = strings.NewReader("") // a nil reader is empty content
	}
	return &counter{r: r, h: sha256.New(), limit: limit}
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.h.Write(p[:n])
		c.n += int64(n)
		if c.limit > 0 && c.n > c.limit {
			return 0, fmt.Errorf("%w (%d bytes)", ErrTooLarge, c.limit)
		}
	}
	return n, err
}

func (c *counter) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }
