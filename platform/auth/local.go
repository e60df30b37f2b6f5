package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Local is a throw-away certificate authority and token issuer kept in a directory: what the
// all-in-one run makes under its data dir on first start, and what tests use. It is not for
// production, where certificates come from cert-manager and tokens from the identity provider.
type Local struct {
	Dir         string
	TrustDomain string
	Issuer      string
	Audience    string

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	signer jose.Signer
	jwk    jose.JSONWebKey
}

// The local issuer's names.
const (
	LocalIssuer   = "https://sanbao.local/issuer"
	LocalAudience = "sanbao"
)

// OpenLocal loads the local CA and signing key in dir, making them on first use.
func OpenLocal(dir string) (*Local, error) {
	l := &Local{Dir: dir, TrustDomain: DefaultTrustDomain, Issuer: LocalIssuer, Audience: LocalAudience}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	var err error
	if l.caKey, err = loadOrMakeKey(filepath.Join(dir, "ca-key.pem")); err != nil {
		return nil, err
	}
	if l.caCert, err = l.loadOrMakeCA(); err != nil {
		return nil, err
	}
	sk, err := loadOrMakeKey(filepath.Join(dir, "token-key.pem"))
	if err != nil {
		return nil, err
	}
	kid, err := keyID(&sk.PublicKey)
	if err != nil {
		return nil, err
	}
	l.jwk = jose.JSONWebKey{Key: &sk.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}
	if l.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: sk},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)); err != nil {
		return nil, fmt.Errorf("local issuer: %w", err)
	}
	b, err := json.MarshalIndent(l.KeySet(), "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(l.JWKSFile(), b, 0o644); err != nil {
		return nil, fmt.Errorf("local issuer: %w", err)
	}
	return l, nil
}

// CAFile is the CA certificate's path: what clients verify servers with (--ca).
func (l *Local) CAFile() string { return filepath.Join(l.Dir, "ca.pem") }

// JWKSFile is the path of the local issuer's public keys (--token-jwks).
func (l *Local) JWKSFile() string { return filepath.Join(l.Dir, "jwks.json") }

// KeySet is the local issuer's public keys.
func (l *Local) KeySet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{l.jwk}}
}

func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8]), nil
}

func loadOrMakeKey(path string) (*ecdsa.PrivateKey, error) {
	if b, err := os.ReadFile(path); err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%s: no PEM key", path)
		}
		k, err := x509.ParseECPrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return k, nil
}

func (l *Local) loadOrMakeCA() (*x509.Certificate, error) {
	path := l.CAFile()
	if b, err := os.ReadFile(path); err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("%s: no PEM certificate", path)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err == nil && time.Until(c.NotAfter) > 24*time.Hour {
			return c, nil
		}
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Sanbao local CA", Organization: []string{"Sanbao (throw-away, local)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &l.caKey.PublicKey, l.caKey)
	if err != nil {
		return nil, fmt.Errorf("local CA: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// ServiceFiles issues (or reuses, while valid for another day) the certificate of service
// name — URI SAN spiffe://<trust domain>/service/<name>, DNS names name and localhost, IP
// 127.0.0.1, usable as server and client — and returns its files.
func (l *Local) ServiceFiles(name string) (Files, error) {
	f := Files{Cert: filepath.Join(l.Dir, name+".pem"), Key: filepath.Join(l.Dir, name+"-key.pem"), CA: l.CAFile()}
	if c, err := tlsLeaf(f.Cert); err == nil && time.Until(c.NotAfter) > 24*time.Hour && c.CheckSignatureFrom(l.caCert) == nil {
		return f, nil
	}
	return f, l.issue(f, name, []*url.URL{ServiceURI(l.TrustDomain, name)}, 90*24*time.Hour)
}

// IssueFiles issues a certificate for name with the given URI SANs and validity into
// dir/<name>.pem and dir/<name>-key.pem (tests: expired, foreign or unnamed certificates).
func (l *Local) IssueFiles(dir, name string, uris []*url.URL, valid time.Duration) (Files, error) {
	f := Files{Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+"-key.pem"), CA: l.CAFile()}
	return f, l.issue(f, name, uris, valid)
}

func (l *Local) issue(f Files, name string, uris []*url.URL, valid time.Duration) error {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(valid),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{name, "localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		URIs:         uris,
	}
	if valid < 0 {
		tmpl.NotBefore = now.Add(2 * valid)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, l.caCert, &k.PublicKey, l.caKey)
	if err != nil {
		return fmt.Errorf("issue %s: %w", name, err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return err
	}
	if err := writeAtomic(f.Key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return writeAtomic(f.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func tlsLeaf(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}

// Person is who a local token is for.
type Person struct {
	Subject      string
	Roles        []Role
	Org          string
	TechnicianID string
}

// Issue signs a token for p valid from now for valid (negative: already expired).
func (l *Local) Issue(p Person, now time.Time, valid time.Duration) (string, error) {
	return l.IssueFor(p, l.Audience, now, valid)
}

// IssueFor signs a token for p with the given audience.
func (l *Local) IssueFor(p Person, audience string, now time.Time, valid time.Duration) (string, error) {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	iat := now
	if valid < 0 {
		iat = now.Add(2 * valid)
	}
	std := jwt.Claims{Issuer: l.Issuer, Subject: p.Subject, Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(iat), NotBefore: jwt.NewNumericDate(iat), Expiry: jwt.NewNumericDate(now.Add(valid))}
	return jwt.Signed(l.signer).Claims(std).Claims(Claims{Roles: roles, Org: p.Org, TechnicianID: p.TechnicianID}).Serialize()
}

// Verifier returns a verifier of the local issuer's tokens.
func (l *Local) Verifier(cfg TokenConfig) (*Verifier, error) {
	cfg.Keys, cfg.Issuer, cfg.Audience = StaticKeys(l.KeySet()), l.Issuer, l.Audience
	return NewVerifier(cfg)
}

// LocalPeople are the local users the all-in-one makes a token for: one per role, a dealer
// of organisation "dealer-1" and a technician "tech-1".
var LocalPeople = []Person{
	{Subject: "local-desk", Roles: []Role{RoleServiceDesk}},
	{Subject: "local-dispatcher", Roles: []Role{RoleDispatcher}},
	{Subject: "local-technician", Roles: []Role{RoleTechnician}, TechnicianID: "tech-1"},
	{Subject: "local-warehouse", Roles: []Role{RoleWarehouse}},
	{Subject: "local-dealer", Roles: []Role{RoleDealer}, Org: "dealer-1"},
	{Subject: "local-technical", Roles: []Role{RoleTechnical}},
	{Subject: "local-manager", Roles: []Role{RoleManager}},
	{Subject: "local-integrator", Roles: []Role{RoleIntegrator}},
	{Subject: "local-admin", Roles: []Role{RoleAdmin}},
	// local-operator holds every staff role at once: what `sanbao demo` and the CLI use.
	{Subject: "local-operator", Roles: []Role{RoleServiceDesk, RoleDispatcher, RoleWarehouse, RoleTechnical, RoleManager, RoleAdmin}},
}

// WriteTokens issues a token for each local person, valid for valid, into Dir/tokens/<subject
// without "local-">.jwt, and returns the files by subject.
func (l *Local) WriteTokens(now time.Time, valid time.Duration) (map[string]string, error) {
	dir := filepath.Join(l.Dir, "tokens")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, p := range LocalPeople {
		tok, err := l.Issue(p, now, valid)
		if err != nil {
			return nil, err
		}
		name := p.Subject[len("local-"):]
		path := filepath.Join(dir, name+".jwt")
		if err := writeAtomic(path, []byte(tok+"\n"), 0o600); err != nil {
			return nil, err
		}
		out[name] = path
	}
	return out, nil
}
