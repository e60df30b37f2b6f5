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

// TestVerifierRefusesSubjectsThatAreNotIDs: the subject is recorded as the actor of changes,
// so a token whose sub is a name (spaces), quotes, non-ASCII or too long is refused.
func TestVerifierRefusesSubjectsThatAreNotIDs(t *testing.T) {
	l, err := OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	v, err := l.Verifier(TokenConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	long := make([]byte, MaxSubject+1)
	for i := range long {
		long[i] = 'a'
	}
	for sub, ok := range map[string]bool{
		"agent-7": true, "u@example.com": true, "Li Lei": false, `a"b`: false, "李雷": false, string(long): false,
	} {
		tok, err := l.Issue(Person{Subject: sub, Roles: []Role{RoleServiceDesk}}, clk.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tok)
		if got := err == nil; got != ok {
			t.Errorf("Verify(sub %q) = %v, want accepted %v", sub, err, ok)
		}
	}
}
