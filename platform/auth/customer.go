package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sanbao/sanbao/platform/clock"
)

// The customer tokens' issuer and audience: distinct from any identity provider's, so a
// customer token is verified only by CustomerTokens' verifier, and that verifier grants
// nothing but RoleCustomer.
const (
	CustomerIssuer   = "urn:sanbao:ticket:customer"
	CustomerAudience = "urn:sanbao:customer"
)

// CustomerTokens mints and verifies the customer's short-lived tokens: the ticket service
// issues one when a one-time code sent to the phone on record is verified; it carries role
// customer and the one unit serial (claim "unit_serial"), and the guard checks it like any
// other token (Guard.Customers). The signing key (ECDSA P-256, PEM) lives in a file the ticket
// service owns, made on first use; its public half is the verifier's key source.
type CustomerTokens struct {
	signer jose.Signer
	keys   jose.JSONWebKeySet
	clock  clock.Clock
}

// OpenCustomerTokens loads the signing key at keyFile, making it (and its directory) on first
// use (mode 0600).
func OpenCustomerTokens(keyFile string, clk clock.Clock) (*CustomerTokens, error) {
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
		return nil, fmt.Errorf("customer tokens: %w", err)
	}
	sk, err := loadOrMakeKey(keyFile)
	if err != nil {
		return nil, fmt.Errorf("customer tokens: %w", err)
	}
	kid, err := keyID(&sk.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("customer tokens: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: sk},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, fmt.Errorf("customer tokens: %w", err)
	}
	if clk == nil {
		clk = clock.System{}
	}
	return &CustomerTokens{signer: signer, clock: clk,
		keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &sk.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}}}}, nil
}

// CustomerSubject is the subject (and so the actor recorded on what they change) of a
// customer acting for unit serial: no personal data, only the unit.
func CustomerSubject(serial string) string { return "customer:" + serial }

// Issue signs a customer token for the unit serial, valid from now for valid.
func (ct *CustomerTokens) Issue(serial string, now time.Time, valid time.Duration) (string, error) {
	sub := CustomerSubject(serial)
	if serial == "" || !ValidSubject(sub) {
		return "", fmt.Errorf("customer token: the unit serial %q is not an id", serial)
	}
	std := jwt.Claims{Issuer: CustomerIssuer, Subject: sub, Audience: jwt.Audience{CustomerAudience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(valid))}
	return jwt.Signed(ct.signer).Claims(std).Claims(Claims{Roles: []string{string(RoleCustomer)}, UnitSerial: serial}).Serialize()
}

// Verifier returns the verifier of customer tokens: this key, this issuer and audience, and
// no role but customer.
func (ct *CustomerTokens) Verifier() (*Verifier, error) {
	return NewVerifier(TokenConfig{Keys: StaticKeys(ct.keys), Issuer: CustomerIssuer, Audience: CustomerAudience,
		Roles: []Role{RoleCustomer}, Clock: ct.clock})
}

// issuerOf reads a compact JWT's "iss" without verifying it: only to choose the verifier
// that then checks everything.
func issuerOf(raw string) string {
	tok, err := jwt.ParseSigned(raw, DefaultAlgorithms)
	if err != nil {
		return ""
	}
	var std jwt.Claims
	if tok.UnsafeClaimsWithoutVerification(&std) != nil {
		return ""
	}
	return std.Issuer
}
