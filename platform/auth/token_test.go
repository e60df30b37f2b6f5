package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/clock"
)

// TestVerifierCacheHonoursExpiry: a token remembered after its first check is refused once it
// expires (plus the leeway), on the verifier's clock.
func TestVerifierCacheHonoursExpiry(t *testing.T) {
	l, err := OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	v, err := l.Verifier(TokenConfig{Clock: clk, Leeway: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := l.Issue(agent, clk.Now(), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if c, err := v.Verify(context.Background(), tok); err != nil || c.Subject != agent.Subject {
			t.Fatalf("Verify = %v, %v; want %s", c, err, agent.Subject)
		}
	}
	clk.Advance(10*time.Minute + 30*time.Second)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("Verify within the leeway = %v, want it accepted", err)
	}
	clk.Advance(time.Minute)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrToken) {
		t.Errorf("Verify after expiry = %v, want ErrToken", err)
	}
}
