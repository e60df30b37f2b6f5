package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// KeySource finds the public key a token names by its key id (the JWKS "kid").
type KeySource interface {
	Key(ctx context.Context, kid string) (jose.JSONWebKey, error)
}

// NewKeySource returns the key source at loc: an https:// (or http:// on loopback) URL of the
// identity provider's JWKS, or a file path. Either is re-read when a token names a key it does
// not hold (at most every 30s) and every refresh interval, so the provider's key rotation is
// picked up without a restart.
func NewKeySource(loc string) KeySource {
	if strings.HasPrefix(loc, "https://") || strings.HasPrefix(loc, "http://") {
		return &jwks{load: func(ctx context.Context) ([]byte, error) { return fetch(ctx, loc) }, refresh: 10 * time.Minute}
	}
	return &jwks{load: func(context.Context) ([]byte, error) { return os.ReadFile(loc) }, refresh: 10 * time.Second}
}

// StaticKeys is a key source holding a fixed key set (tests and the local issuer).
func StaticKeys(set jose.JSONWebKeySet) KeySource {
	return &jwks{set: set, loaded: time.Now(), refresh: 1<<63 - 1, load: func(context.Context) ([]byte, error) {
		return json.Marshal(set)
	}}
}

type jwks struct {
	load    func(context.Context) ([]byte, error)
	refresh time.Duration

	mu      sync.Mutex
	set     jose.JSONWebKeySet
	loaded  time.Time // when set was read
	tried   time.Time // last attempt after an unknown kid
	lastErr error
}

// ErrUnknownKey is returned for a kid the key set does not hold.
var ErrUnknownKey = errors.New("unknown signing key")

func (s *jwks) Key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	stale := s.loaded.IsZero() || now.Sub(s.loaded) > s.refresh
	if k, ok := s.find(kid); ok && !stale {
		return k, nil
	}
	if stale || now.Sub(s.tried) > 30*time.Second {
		s.tried = now
		if err := s.reload(ctx); err != nil {
			s.lastErr = err
			if s.loaded.IsZero() {
				return jose.JSONWebKey{}, fmt.Errorf("load JWKS: %w", err)
			}
		}
	}
	if k, ok := s.find(kid); ok {
		return k, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("%w %q", ErrUnknownKey, kid)
}

func (s *jwks) find(kid string) (jose.JSONWebKey, bool) {
	keys := s.set.Key(kid)
	if len(keys) == 0 && kid == "" && len(s.set.Keys) == 1 {
		keys = s.set.Keys
	}
	for _, k := range keys {
		if k.Use == "" || k.Use == "sig" {
			return k.Public(), true
		}
	}
	return jose.JSONWebKey{}, false
}

func (s *jwks) reload(ctx context.Context) error {
	b, err := s.load(ctx)
	if err != nil {
		return err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return fmt.Errorf("parse JWKS: %w", err)
	}
	s.set, s.loaded = set, time.Now()
	return nil
}

func fetch(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}
