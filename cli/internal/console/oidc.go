package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
)

// OIDC is the console's own sign-in through the organisation's OpenID Connect provider: the
// authorization code flow with PKCE (S256), state and nonce. The console verifies the ID token,
// then keeps the provider's access token (or the ID token, with UseIDToken) in its session
// cookie as the bearer of every call; the services verify that token themselves, as they
// verify any other (issuer, audience, expiry, roles claim: deploy/README.md).
type OIDC struct {
	// Issuer is the provider's issuer URL, as its tokens name it.
	Issuer string
	// DiscoveryURL, when set, is where the console reads the provider's discovery document
	// if that is not the issuer's public address (a provider reached inside the cluster);
	// the document and the tokens must still name Issuer.
	DiscoveryURL string
	// ClientID and ClientSecret are the console's registration at the provider (no secret:
	// a public client, PKCE only).
	ClientID, ClientSecret string
	// RedirectURL is the console's callback as registered at the provider:
	// https://<console>/session/oidc/callback.
	RedirectURL string
	// Scopes are asked for beyond "openid" (default "profile").
	Scopes []string
	// Name is the provider as the sign-in button names it ("企业微信", "Keycloak").
	Name string
	// UseIDToken sends the ID token to the services instead of the access token, for a
	// provider whose access tokens are not JWTs.
	UseIDToken bool
	// HTTPClient talks to the provider (default http.DefaultClient).
	HTTPClient *http.Client
}

// oidcCookie holds one sign-in's state, nonce, PKCE verifier and where to go after it, for
// the ten minutes the flow may take. It is SameSite=Lax: the provider's redirect back is a
// cross-site navigation, which a Strict cookie would not follow.
const (
	oidcCookie     = "sanbao_oidc"
	oidcCookiePath = "/session/oidc/"
	oidcFlowTime   = 10 * time.Minute
)

// oidcFlow is what the cookie carries.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next,omitempty"`
}

// oidcClient is the provider as discovered: read at the first sign-in (the console starts
// without waiting for the provider) and again after a failure.
type oidcClient struct {
	cfg OIDC
	log *zap.Logger
	now func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider
	endSess  string // end_session_endpoint, when the provider has one
}

func (c *oidcClient) ctx(ctx context.Context) context.Context {
	if c.cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, c.cfg.HTTPClient)
	}
	return ctx
}

// discover returns the provider, reading its discovery document when not read yet.
func (c *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx(ctx), 10*time.Second)
	defer cancel()
	at := c.cfg.Issuer
	if c.cfg.DiscoveryURL != "" {
		at = c.cfg.DiscoveryURL
		ctx = oidc.InsecureIssuerURLContext(ctx, c.cfg.Issuer) // the document must name Issuer
	}
	p, err := oidc.NewProvider(ctx, at)
	if err != nil {
		return nil, fmt.Errorf("identity provider %s: %w", at, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra)
	c.provider, c.endSess = p, extra.EndSession
	return p, nil
}

func (c *oidcClient) oauth2(p *oidc.Provider) *oauth2.Config {
	scopes := append([]string{oidc.ScopeOpenID}, c.cfg.Scopes...)
	if len(c.cfg.Scopes) == 0 {
		scopes = append(scopes, "profile")
	}
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: scopes}
}

// oidcLogin starts a sign-in: GET /session/oidc/login?next=/#/queue redirects to the provider.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.Warn("oidc sign-in: provider unavailable", zap.Error(err))
		oidcFailed(w, r, "provider_unavailable")
		return
	}
	f := oidcFlow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: localPath(r.URL.Query().Get("next"))}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: oidcCookiePath,
		MaxAge: int(oidcFlowTime / time.Second), HttpOnly: true, Secure: s.cfg.SecureCookie, SameSite: http.SameSiteLaxMode})
	u := s.oidc.oauth2(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
}

// oidcCallback ends a sign-in: the provider sends the browser back with a code, which the
// console exchanges (with the PKCE verifier) for the tokens; the ID token must be the
// provider's, for this console, with this flow's nonce.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, ok := readFlow(r)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: oidcCookiePath, MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookie, SameSite: http.SameSiteLaxMode}) // one use
	switch {
	case q.Get("error") != "":
		s.log.Info("oidc sign-in refused by the provider", zap.String("error", q.Get("error")), zap.String("description", q.Get("error_description")))
		oidcFailed(w, r, "refused")
		return
	case !ok || q.Get("state") == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1:
		oidcFailed(w, r, "state") // not a sign-in this browser started, or started over ten minutes ago
		return
	}
	bearer, expires, err := s.oidcExchange(r.Context(), q.Get("code"), f)
	if err != nil {
		s.log.Warn("oidc sign-in failed", zap.Error(err))
		oidcFailed(w, r, "token")
		return
	}
	s.setCookie(w, bearer, expires.Sub(s.oidc.now()))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, or(f.Next, "/"), http.StatusSeeOther)
}

// oidcExchange trades the code for the provider's tokens, verifies the ID token, and returns
// the bearer the services will see and when it expires.
func (s *Server) oidcExchange(ctx context.Context, code string, f oidcFlow) (string, time.Time, error) {
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	ctx, cancel := context.WithTimeout(s.oidc.ctx(ctx), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", time.Time{}, errors.New("the provider's answer has no id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.oidc.now}).Verify(ctx, raw)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("id token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return "", time.Time{}, errors.New("id token: not this sign-in's nonce")
	}
	bearer := tok.AccessToken
	if s.oidc.cfg.UseIDToken {
		bearer = raw
	}
	m, ok := claims(bearer)
	if !ok {
		return "", time.Time{}, errors.New("the provider's access token is not a JWT with a subject: set --oidc-id-token or have the provider issue JWT access tokens")
	}
	expires := m.Expires
	if expires.IsZero() {
		expires = tok.Expiry
	}
	if !expires.After(s.oidc.now()) {
		return "", time.Time{}, errors.New("the provider's token has already expired")
	}
	return bearer, expires, nil
}

// oidcLogout is where the browser goes after the console's session ends: the provider's
// end-session endpoint, when it has one, so that signing out of the console signs out there too.
func (s *Server) oidcLogout(r *http.Request) string {
	if s.oidc == nil {
		return ""
	}
	if _, err := s.oidc.discover(r.Context()); err != nil || s.oidc.endSess == "" {
		return ""
	}
	u, err := url.Parse(s.oidc.endSess)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", s.oidc.cfg.ClientID)
	if base, err := url.Parse(s.oidc.cfg.RedirectURL); err == nil && base.Host != "" {
		q.Set("post_logout_redirect_uri", base.Scheme+"://"+base.Host+"/")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func readFlow(r *http.Request) (oidcFlow, bool) {
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return oidcFlow{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return oidcFlow{}, false
	}
	var f oidcFlow
	if json.Unmarshal(b, &f) != nil || f.State == "" || f.Verifier == "" {
		return oidcFlow{}, false
	}
	return f, true
}

// oidcFailed sends the browser back to the sign-in page, which says why in its language.
func oidcFailed(w http.ResponseWriter, r *http.Request, why string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/#/login?oidc="+why, http.StatusSeeOther)
}

// localPath keeps next only when it is a path on this console ("/#/queue"), never another
// origin ("//evil.example", "https://…", "/\evil"): no open redirect through the sign-in.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	return next
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
