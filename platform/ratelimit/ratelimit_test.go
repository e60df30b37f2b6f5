package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/ratelimit"
	"github.com/sanbao/sanbao/platform/svctest"
)

func TestKeyedBucket(t *testing.T) {
	now := svctest.Epoch()
	l := ratelimit.New(time.Minute, 3, 10)
	for i := range 3 {
		if !l.Allow("code-A", now) {
			t.Fatalf("call %d within the burst refused", i+1)
		}
	}
	if l.Allow("code-A", now) {
		t.Error("fourth call at once allowed, want refused")
	}
	if !l.Allow("code-B", now) {
		t.Error("another key refused: buckets are per key")
	}
	if !l.Allow("code-A", now.Add(time.Minute)) {
		t.Error("a call a token later refused")
	}
	if l.Allow("code-A", now.Add(time.Minute)) {
		t.Error("two calls on one new token allowed")
	}
}

// TestKeyedBounded: a flood of distinct keys (guessed codes, spoofed addresses) never holds more
// than the bound.
func TestKeyedBounded(t *testing.T) {
	now := svctest.Epoch()
	l := ratelimit.New(time.Second, 2, 100)
	for i := range 10_000 {
		l.Allow(fmt.Sprint("k", i), now.Add(time.Duration(i)*time.Millisecond))
		if l.Len() > 100 {
			t.Fatalf("after %d keys the limiter holds %d, want at most 100", i+1, l.Len())
		}
	}
}
