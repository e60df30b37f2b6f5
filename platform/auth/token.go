package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sanbao/sanbao/platform/clock"
)

// DefaultAlgorithms are the signature algorithms a token may use unless configured otherwise
// (never "none", never HMAC: a verifier holds public keys only).
var DefaultAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.PS256, jose.EdDSA}

// TokenConfig says which tokens a Verifier accepts.
type TokenConfig struct {
	Keys       KeySource                 // the identity provider's public keys (JWKS)
	Issuer     string                    // required "iss"
	Audience   string                    // required in "aud"
	Leeway     time.Duration             // clock skew allowed on exp/nbf/iat (default 1 minute)
	Algorithms []jose.SignatureAlgorithm // allowed algorithms (default DefaultAlgorithms)
	Clock      clock.Clock               // default clock.System
	// Roles are the roles a token may grant (default StaffRoles: never the customer's, which
	// only CustomerTokens' own verifier accepts); others are dropped.
	Roles []Role
}

// Verifier verifies bearer tokens (signed JWTs) and turns them into callers. A token that
// verified is remembered for a short while (at most cacheTTL, never past its expiry), so a
// client that sends the same token on every call pays for the signature check once.
type Verifier struct {
	cfg TokenConfig

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	caller  *Caller
	expiry  time.Time // the token's exp plus leeway
	checked time.Time // when the signature was verified
}

// How long a verified token is remembered, and how many are.
const (
	cacheTTL  = time.Minute
	cacheSize = 4096
)

// NewVerifier returns a verifier for cfg.
func NewVerifier(cfg TokenConfig) (*Verifier, error) {
	if cfg.Keys == nil {
		return nil, errors.New("token verifier: no key source (JWKS)")
	}
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("token verifier: issuer and audience are required")
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = time.Minute
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = DefaultAlgorithms
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if len(cfg.Roles) == 0 {
		cfg.Roles = StaffRoles
	}
	return &Verifier{cfg: cfg, cache: map[string]cached{}}, nil
}

// Claims are the token claims Sanbao reads beside the registered ones.
type Claims struct {
	Roles        []string `json:"roles,omitempty"`
	Org          string   `json:"org,omitempty"`
	TechnicianID string   `json:"technician_id,omitempty"`
	UnitSerial   string   `json:"unit_serial,omitempty"`
}

// Issuer is the issuer (iss) tokens must name.
func (v *Verifier) Issuer() string { return v.cfg.Issuer }

// ErrToken is wrapped by every reason a token is refused.
var ErrToken = errors.New("invalid token")

// Verify checks raw's signature against the key source, its algorithm, issuer, audience and
// validity period, and returns the caller it names.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Caller, error) {
	now := v.cfg.Clock.Now()
	v.mu.Lock()
	hit, ok := v.cache[raw]
	v.mu.Unlock()
	if ok && now.Before(hit.expiry) && now.Sub(hit.checked) < cacheTTL && !now.Before(hit.checked) {
		return hit.caller, nil
	}
	c, exp, err := v.verify(ctx, raw, now)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.cache) >= cacheSize {
		clear(v.cache) // a burst of distinct tokens: start over rather than track ages
	}
	v.cache[raw] = cached{caller: c, expiry: exp.Add(v.cfg.Leeway), checked: now}
	v.mu.Unlock()
	return c, nil
}

func (v *Verifier) verify(ctx context.Context, raw string, now time.Time) (*Caller, time.Time, error) {
	tok, err := jwt.ParseSigned(raw, v.cfg.Algorithms)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if len(tok.Headers) != 1 {
		return nil, time.Time{}, fmt.Errorf("%w: want one signature", ErrToken)
	}
	key, err := v.cfg.Keys.Key(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	var std jwt.Claims
	var own Claims
	if err := tok.Claims(key.Key, &std, &own); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if std.Expiry == nil {
		return nil, time.Time{}, fmt.Errorf("%w: no expiry (exp)", ErrToken)
	}
	if std.Subject == "" {
		return nil, time.Time{}, fmt.Errorf("%w: no subject (sub)", ErrToken)
	}
	if !ValidSubject(std.Subject) {
		return nil, time.Time{}, fmt.Errorf("%w: subject (sub) is not an id of at most %d printable ASCII characters", ErrToken, MaxSubject)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.cfg.Issuer,
		AnyAudience: jwt.Audience{v.cfg.Audience},
		Time:        now,
	}, v.cfg.Leeway); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	c := &Caller{Subject: std.Subject, Kind: KindPerson, Org: own.Org, TechnicianID: own.TechnicianID, UnitSerial: own.UnitSerial}
	for _, r := range own.Roles {
		for _, known := range v.cfg.Roles {
			if Role(r) == known {
				c.Roles = append(c.Roles, known)
			}
		}
	}
	if c.Has(RoleCustomer) && c.UnitSerial == "" {
		return nil, time.Time{}, fmt.Errorf("%w: a customer token names no unit (unit_serial)", ErrToken)
	}
	return c, std.Expiry.Time(), nil
}
