package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// ErrBadPageToken is returned for a page token that this list did not issue.
var ErrBadPageToken = errors.New("page_token is not valid for this list")

// Default and maximum page sizes of every List method.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
	// DefaultMaxScan bounds the keys one page examines. A post-filter that matches little
	// (or nothing) would otherwise read the whole index for one page; at the bound the page
	// ends with what it has (possibly nothing) and a token to go on from.
	DefaultMaxScan = 2000
)

// PageSize turns a request's page_size into the number of items to return.
func PageSize(requested int32) int {
	switch {
	case requested <= 0:
		return DefaultPageSize
	case requested > MaxPageSize:
		return MaxPageSize
	default:
		return int(requested)
	}
}

// Page selects a run of keys under Prefix, after the position a token names.
type Page struct {
	Prefix  []byte // only keys starting with this
	Token   string // the next_page_token of the previous page, or ""
	Size    int    // items to return
	Reverse bool   // newest (largest key) first
	MaxScan int    // keys examined at most (default DefaultMaxScan); a page that reaches it ends early with a token
}

// Scan calls fn for each key/value of the page, in key order (or reverse), and returns the
// token of the next page, "" when there is none. fn's slices are valid only during the call;
// fn returning false skips the item without counting it (post-filtering). A page examines at
// most p.MaxScan keys: one that reaches the bound returns fewer than Size items, maybe none,
// and a token; callers keep following tokens until "" (List responses say a short page is not
// the end). The cost of a page is therefore bounded, whatever the bucket's size.
func Scan(tx *bbolt.Tx, bucket []byte, p Page, fn func(k, v []byte) (bool, error)) (string, error) {
	b, err := Bucket(tx, bucket)
	if err != nil {
		return "", err
	}
	var after []byte
	if p.Token != "" {
		if after, err = DecodePageToken(tx, bucket, p.Token); err != nil || !bytes.HasPrefix(after, p.Prefix) {
			return "", ErrBadPageToken
		}
	}
	if p.Size <= 0 {
		p.Size = DefaultPageSize
	}
	c := b.Cursor()
	var k, v []byte
	switch {
	case !p.Reverse && after == nil:
		k, v = c.Seek(p.Prefix)
	case !p.Reverse:
		k, v = c.Seek(after)
		if bytes.Equal(k, after) {
			k, v = c.Next()
		}
	default:
		k, v = seekLast(c, p.Prefix, after)
	}
	step := c.Next
	if p.Reverse {
		step = c.Prev
	}
	if p.MaxScan <= 0 {
		p.MaxScan = DefaultMaxScan
	}
	p.MaxScan = max(p.MaxScan, p.Size)
	n, scanned := 0, 0
	var last []byte
	for ; k != nil && bytes.HasPrefix(k, p.Prefix); k, v = step() {
		if n == p.Size || scanned == p.MaxScan {
			return EncodePageToken(tx, bucket, last), nil
		}
		scanned++
		ok, err := fn(k, v)
		if err != nil {
			return "", fmt.Errorf("scan %s: %w", bucket, err)
		}
		if ok {
			n++
		}
		last = append(last[:0], k...)
	}
	return "", nil
}

// seekLast positions c at the last key under prefix (strictly before `before` if given).
func seekLast(c *bbolt.Cursor, prefix, before []byte) ([]byte, []byte) {
	if before != nil {
		k, _ := c.Seek(before)
		if k == nil {
			return c.Last()
		}
		return c.Prev()
	}
	end := prefixEnd(prefix)
	if end == nil {
		return c.Last()
	}
	k, _ := c.Seek(end)
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}

// prefixEnd returns the smallest key greater than every key with the prefix, or nil.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// pageMACSize is how many bytes of the HMAC-SHA256 a page token carries.
const pageMACSize = 16

// EncodePageToken returns the page token that resumes a list of bucket after key: the key and
// an HMAC of bucket and key under the store's secret (kept in its meta bucket), so a client can
// neither forge a position nor move a token from one list to another.
func EncodePageToken(tx *bbolt.Tx, bucket, key []byte) string {
	tok := append(append([]byte(nil), key...), pageMAC(tx, bucket, key)...)
	return base64.RawURLEncoding.EncodeToString(tok)
}

// DecodePageToken returns the key an EncodePageToken token of bucket names, or ErrBadPageToken
// for a token this store did not issue for that bucket.
func DecodePageToken(tx *bbolt.Tx, bucket []byte, token string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < pageMACSize {
		return nil, ErrBadPageToken
	}
	key, mac := raw[:len(raw)-pageMACSize], raw[len(raw)-pageMACSize:]
	if !hmac.Equal(mac, pageMAC(tx, bucket, key)) {
		return nil, ErrBadPageToken
	}
	return key, nil
}

func pageMAC(tx *bbolt.Tx, bucket, key []byte) []byte {
	var secret []byte
	if meta := tx.Bucket(metaBucket); meta != nil {
		secret = meta.Get(pageSecretKey)
	}
	h := hmac.New(sha256.New, secret)
	h.Write(bucket)
	h.Write([]byte{Sep})
	h.Write(key)
	return h.Sum(nil)[:pageMACSize]
}
