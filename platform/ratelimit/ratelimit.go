// Package ratelimit holds keyed token buckets (per unit code, per client IP) for the public
// faces of Sanbao (the customer's scan-to-report page, one-time-code checks), on
// golang.org/x/time/rate, with a bounded number of keys so no input can grow it without limit.
package ratelimit

import (
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Keyed is a token bucket per key: Every between tokens, Burst at most. Safe for concurrent use.
type Keyed struct {
	every time.Duration
	burst int
	max   int

	mu      sync.Mutex
	buckets map[string]*entry
}

type entry struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter allowing burst calls per key at once and one more every every; it keeps
// at most maxKeys keys (the longest unused go first, a forgotten key starts full again).
func New(every time.Duration, burst, maxKeys int) *Keyed {
	if maxKeys <= 0 {
		maxKeys = 100_000
	}
	return &Keyed{every: every, burst: burst, max: maxKeys, buckets: map[string]*entry{}}
}

// Allow reports whether key may make one more call at now, taking a token if so.
func (k *Keyed) Allow(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.buckets[key]
	if !ok {
		if len(k.buckets) >= k.max {
			k.evict(now)
		}
		e = &entry{lim: rate.NewLimiter(rate.Every(k.every), k.burst)}
		k.buckets[key] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}

// evict drops keys whose bucket has refilled (they would start full anyway), then, if still
// full, the oldest half.
func (k *Keyed) evict(now time.Time) {
	full := time.Duration(k.burst) * k.every
	for key, e := range k.buckets {
		if now.Sub(e.seen) >= full {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) < k.max {
		return
	}
	seen := make([]time.Time, 0, len(k.buckets))
	for _, e := range k.buckets {
		seen = append(seen, e.seen)
	}
	slices.SortFunc(seen, time.Time.Compare)
	cut := seen[len(seen)/2] // drop the older half: eviction runs once per max/2 new keys
	for key, e := range k.buckets {
		if e.seen.Before(cut) {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) >= k.max { // every key seen at the same instant
		clear(k.buckets)
	}
}

// Len is the number of keys kept.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.buckets)
}
