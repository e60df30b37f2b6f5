package store

import (
	"bytes"
	"encoding/binary"
	"time"
)

// Sep separates the parts of a composite key. Parts must not contain it; API validation keeps
// NUL bytes out of identifiers.
const Sep = 0x00

// Key joins parts with Sep into a key that sorts part by part.
func Key(parts ...string) []byte {
	n := len(parts)
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, Sep)
		}
		k = append(k, p...)
	}
	return k
}

// Prefix is Key(parts...) followed by Sep: the prefix of every longer key that starts with parts.
func Prefix(parts ...string) []byte { return append(Key(parts...), Sep) }

// Join concatenates raw key parts with Sep between them.
func Join(parts ...[]byte) []byte { return bytes.Join(parts, []byte{Sep}) }

// U64 encodes n big-endian, so numeric order is byte order.
func U64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// Uint64 decodes a big-endian uint64; it returns 0 for a short slice.
func Uint64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// TimeKey encodes t as 8 bytes that sort in time order (nanoseconds, sign bit flipped so
// instants before 1970 sort first).
func TimeKey(t time.Time) []byte { return U64(uint64(t.UnixNano()) ^ (1 << 63)) }

// KeyTime decodes a TimeKey.
func KeyTime(b []byte) time.Time { return time.Unix(0, int64(Uint64(b)^(1<<63))).UTC() }
