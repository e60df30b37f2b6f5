package store

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"
)

// Sep separates the parts of a composite key. API validation keeps control characters, NUL
// among them, out of identifiers; Key escapes a NUL that gets past it anyway.
const Sep = 0x00

// escNUL stands for a NUL byte inside a part. It cannot occur in UTF-8 text (0xFF never does),
// so an escaped part never equals another valid part, and a key still splits at every Sep.
var escNUL = []byte{0xff, 0xfe}

// Key joins parts with Sep into a key that sorts part by part. A part is text (an id, a code); a
// NUL byte in it is written as 0xFF 0xFE, so "JOBA\x00victim" can never reach the keys of job
// "JOBA" (whose prefix is "JOBA\x00").
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
		for {
			j := strings.IndexByte(p, Sep)
			if j < 0 {
				break
			}
			k = append(append(k, p[:j]...), escNUL...)
			p = p[j+1:]
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
