package console_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/cli/internal/console"
	"github.com/sanbao/sanbao/cli/internal/suite"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/rpc"
)

// idp is a fake OpenID Connect provider — the one part of sign-in outside our system. It
// signs its ID tokens with a key of its own and hands out, as access tokens, tokens of the
// suite's local issuer, which the real services verify. It keeps what it was asked so that the
// test can check the console's side of the protocol.
type idp struct {
	t        *testing.T
	srv      *httptest.Server
	local    *auth.Local
	person   auth.Person
	client   string
	secret   string
	key      *ecdsa.PrivateKey
	signer   jose.Signer
	mu       sync.Mutex
	codes    map[string]grant // one use each
	asked    url.Values       // the last authorization request
	badNonce atomic.Bool      // answer with an ID token of another sign-in
}

type grant struct{ challenge, nonce, redirect string }

func newIDP(t *testing.T, local *auth.Local, p auth.Person) *idp {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "idp-1").WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	d := &idp{t: t, local: local, person: p, client: "sanbao-console", secret: "console-secret", key: key, signer: signer, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": auth.LocalIssuer, "authorization_endpoint": d.srv.URL + "/authorize", "token_endpoint": d.srv.URL + "/token",
			"jwks_uri": d.srv.URL + "/jwks", "end_session_endpoint": d.srv.URL + "/logout",
			"response_types_supported": []string{"code"}, "id_token_signing_alg_values_supported": []string{"ES256"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &d.key.PublicKey, KeyID: "idp-1", Algorithm: "ES256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", d.authorize)
	mux.HandleFunc("POST /token", d.token)
	d.srv = httptest.NewServer(mux)
	t.Cleanup(d.srv.Close)
	return d
}

// authorize signs the person in at once (no screen) and sends the browser back with a code.
func (d *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d.mu.Lock()
	d.asked = q
	d.mu.Unlock()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	if q.Get("client_id") != d.client || redirect == nil || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if q.Get("prompt") == "deny" {
		back.Set("error", "access_denied")
	} else {
		code := randomString()
		d.mu.Lock()
		d.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		d.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code once, for the client that asked for it, with the PKCE verifier.
func (d *idp) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	d.mu.Lock()
	g, known := d.codes[r.PostForm.Get("code")]
	delete(d.codes, r.PostForm.Get("code"))
	d.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if id != d.client || secret != d.secret || !known || r.PostForm.Get("grant_type") != "authorization_code" ||
		r.PostForm.Get("redirect_uri") != g.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	access, err := d.local.Issue(d.person, now, time.Hour)
	if err != nil {
		d.t.Error(err)
		return
	}
	nonce := g.nonce
	if d.badNonce.Load() {
		nonce = "another-sign-in"
	}
	idt, err := jwt.Signed(d.signer).Claims(jwt.Claims{Issuer: auth.LocalIssuer, Subject: d.person.Subject, Audience: jwt.Audience{d.client},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Claims(map[string]any{"nonce": nonce}).Serialize()
	if err != nil {
		d.t.Error(err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The console's own OIDC sign-in against a provider over real HTTP, with the real services
// behind it: the browser is sent to the provider with PKCE (S256), state and nonce, comes back
// with a code, and leaves signed in with a token the services accept; a callback this browser
// did not start, a code used twice, an ID token of another sign-in, a refusal and a "next" to
// another site all end on the sign-in page without a session.
func TestOIDCSignIn(t *testing.T) {
	w := startWorld(t)
	local, err := auth.OpenLocal(suite.AuthDir(w.dataDir))
	if err != nil {
		t.Fatal(err)
	}
	desk := auth.Person{Subject: "oidc-desk-7", Roles: []auth.Role{auth.RoleServiceDesk}}
	provider := newIDP(t, local, desk)
	tc, err := auth.ClientCA(filepath.Join(suite.AuthDir(w.dataDir), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + lis.Addr().String()
	srv, err := console.New(console.Config{Services: w.addrs, Client: rpc.ClientOptions{Creds: credentials.NewTLS(tc)},
		OIDC: &console.OIDC{Issuer: auth.LocalIssuer, DiscoveryURL: provider.srv.URL, ClientID: provider.client, ClientSecret: provider.secret,
			RedirectURL: base + "/session/oidc/callback", Name: "Test IdP"}}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := &httptest.Server{Listener: lis, Config: &http.Server{Handler: srv.Handler()}}
	hs.Start()
	defer hs.Close()

	// signIn walks the redirects like a browser and returns the client and where it ended.
	signIn := func(t *testing.T, next string, tamper func(u *url.URL)) (*http.Client, *url.URL) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if tamper != nil && strings.HasSuffix(req.URL.Path, "/session/oidc/callback") {
				tamper(req.URL)
			}
			return nil
		}}
		resp, err := c.Get(base + "/session/oidc/login?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return c, resp.Request.URL
	}
	session := func(c *http.Client) string {
		u, _ := url.Parse(base)
		for _, k := range c.Jar.Cookies(u) {
			if k.Name == console.CookieName {
				return k.Value
			}
		}
		return ""
	}
	api := base + "/api/" + console.Names["ticket"] + "/ListTickets"

	t.Run("the sign-in page offers the provider", func(t *testing.T) {
		resp, err := http.Get(base + "/session/users")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var u struct{ OIDC string }
		_ = json.NewDecoder(resp.Body).Decode(&u)
		if u.OIDC != "Test IdP" {
			t.Errorf("users.oidc = %q, want the provider's name", u.OIDC)
		}
	})
	t.Run("a sign-in lands signed in, and the services accept the token", func(t *testing.T) {
		c, end := signIn(t, "/#/queue", nil)
		if end.Path != "/" || end.Fragment != "/queue" {
			t.Errorf("ended at %s, want /#/queue", end)
		}
		provider.mu.Lock()
		asked := provider.asked
		provider.mu.Unlock()
		if asked.Get("code_challenge") == "" || asked.Get("state") == "" || asked.Get("nonce") == "" || !strings.Contains(asked.Get("scope"), "openid") {
			t.Errorf("authorization request %v lacks PKCE, state, nonce or the openid scope", asked)
		}
		if session(c) == "" {
			t.Fatal("no session cookie after the sign-in")
		}
		resp, err := c.Get(base + "/session")
		if err != nil {
			t.Fatal(err)
		}
		var me console.Me
		_ = json.NewDecoder(resp.Body).Decode(&me)
		resp.Body.Close()
		if me.Subject != desk.Subject || len(me.Roles) != 1 || me.Roles[0] != string(auth.RoleServiceDesk) {
			t.Errorf("signed in as %+v, want %s the service desk", me, desk.Subject)
		}
		if a := post(t, c, api, `{"pageSize": 5}`, fromConsole); a.status != http.StatusOK {
			t.Errorf("ListTickets with the provider's token: %d %s", a.status, a.raw)
		}
		a := post(t, c, base+"/session/logout", "{}", fromConsole)
		if red, _ := a.body["redirect"].(string); !strings.HasPrefix(red, provider.srv.URL+"/logout?") || !strings.Contains(red, "client_id="+provider.client) {
			t.Errorf("logout answer %s, want the provider's end-session endpoint with the client id", a.raw)
		}
		if session(c) != "" {
			t.Error("the session cookie outlived the sign-out")
		}
	})
	failures := []struct {
		name, next, why string
		tamper          func(u *url.URL)
		before          func()
		after           func()
	}{
		{name: "a callback with another state", why: "state", tamper: func(u *url.URL) {
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
		}},
		{name: "an ID token of another sign-in", why: "token", before: func() { provider.badNonce.Store(true) }, after: func() { provider.badNonce.Store(false) }},
		{name: "a code the console did not get", why: "token", tamper: func(u *url.URL) {
			q := u.Query()
			q.Set("code", "stolen")
			u.RawQuery = q.Encode()
		}},
	}
	for _, f := range failures {
		t.Run(f.name+" ends on the sign-in page without a session", func(t *testing.T) {
			if f.before != nil {
				f.before()
				defer f.after()
			}
			c, end := signIn(t, "/#/queue", f.tamper)
			if end.Path != "/" || end.Fragment != "/login?oidc="+f.why || session(c) != "" {
				t.Errorf("ended at %s with session %q, want /#/login?oidc=%s and none", end, session(c), f.why)
			}
		})
	}
	t.Run("a code is used once", func(t *testing.T) {
		var callback *url.URL
		c, _ := signIn(t, "/", func(u *url.URL) { callback = &url.URL{Path: u.Path, RawQuery: u.RawQuery} })
		if session(c) == "" || callback == nil {
			t.Fatal("the first sign-in did not complete")
		}
		jar, _ := cookiejar.New(nil)
		replay := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		resp, err := replay.Get(base + callback.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Fragment != "/login?oidc=state" || session(replay) != "" {
			t.Errorf("a replayed callback ended at %s with session %q", resp.Request.URL, session(replay))
		}
	})
	t.Run("the provider's refusal", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasSuffix(req.URL.Path, "/authorize") {
				q := req.URL.Query()
				q.Set("prompt", "deny")
				req.URL.RawQuery = q.Encode()
			}
			return nil
		}}
		resp, err := c.Get(base + "/session/oidc/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Fragment != "/login?oidc=refused" || session(c) != "" {
			t.Errorf("a refused sign-in ended at %s", resp.Request.URL)
		}
	})
	t.Run("in Chromium: the sign-in button, and back signed in", func(t *testing.T) {
		b := newBrowser(t, base+"/")
		b.open("login")
		b.do("sign in with the provider", chromedp.Click(chromedp.CSS("#oidc-login")), chromedp.WaitVisible(chromedp.CSS("#who")))
		if got := b.text("#who"); !strings.Contains(got, desk.Subject) {
			t.Errorf("signed in as %q, want %s", got, desk.Subject)
		}
	})
	t.Run("next never leads to another site", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`} {
			c, end := signIn(t, next, nil)
			if end.Host != hs.Listener.Addr().String() || end.Path != "/" || session(c) == "" {
				t.Errorf("next=%q ended at %s", next, end)
			}
		}
	})
}
