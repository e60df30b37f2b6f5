// Package ids makes unique identifiers that sort by creation time (ULIDs).
package ids

import (
	"time"

	"github.com/oklog/ulid/v2"
)

// New returns a new ULID string (26 characters, Crockford base32) for the current time.
// Identifiers made in the same millisecond by this process still sort in the order made.
func New() string { return ulid.Make().String() }

// NewAt returns a new ULID string whose time part is t (millisecond precision).
func NewAt(t time.Time) string {
	return ulid.MustNew(ulid.Timestamp(t), ulid.DefaultEntropy()).String()
}

// Valid reports whether s is a well-formed ULID string.
func Valid(s string) bool {
	_, err := ulid.ParseStrict(s)
	return err == nil
}

// Time returns the creation time encoded in a ULID string.
func Time(s string) (time.Time, bool) {
	u, err := ulid.ParseStrict(s)
	if err != nil {
		return time.Time{}, false
	}
	return ulid.Time(u.Time()), true
}
