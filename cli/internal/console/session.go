package console

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/platform/auth"
)

// CookieName is the session cookie: HttpOnly, SameSite=Strict, Secure when served over TLS;
// it holds the caller's bearer token.
const CookieName = "sanbao_session"

// CSRFHeader is the header every state-changing call from the console carries; a cross-site
// form or image cannot set it, and a cross-site script would need a CORS grant the console
// never gives.
const CSRFHeader = "X-Sanbao-Console"

// sameOrigin reports whether r comes from the console's own pages: it carries CSRFHeader and,
// when the browser says where it comes from, that is this origin.
func sameOrigin(r *http.Request) bool {
	if r.Header.Get(CSRFHeader) != "1" {
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// token is the caller's bearer token: the session cookie's, else the proxy's header.
func (s *Server) token(r *http.Request) string {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		return c.Value
	}
	if s.cfg.TokenHeader != "" {
		return strings.TrimPrefix(r.Header.Get(s.cfg.TokenHeader), "Bearer ")
	}
	return ""
}

// requireSession lets through only requests that carry a token and come from the console.
func (s *Server) requireSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !sameOrigin(r) {
			writeError(w, status.New(codes.PermissionDenied, "cross-site request refused"))
			return
		}
		tok := s.token(r)
		if tok == "" {
			writeError(w, status.New(codes.Unauthenticated, "not signed in"))
			return
		}
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(w, r)
	})
}

// Me is who the session is for, as the console shows it.
type Me struct {
	Subject      string    `json:"subject"`
	Roles        []string  `json:"roles"`
	Org          string    `json:"org,omitempty"`
	TechnicianID string    `json:"technicianId,omitempty"`
	Expires      time.Time `json:"expires"`
	Dev          bool      `json:"dev"`
}

// me answers who is signed in, read from the token's claims. The console only displays them;
// every service verifies the token on every call.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	tok := s.token(r)
	if tok == "" {
		writeError(w, status.New(codes.Unauthenticated, "not signed in"))
		return
	}
	m, ok := claims(tok)
	if !ok || (!m.Expires.IsZero() && m.Expires.Before(s.cfg.Clock.Now())) {
		s.clearCookie(w)
		writeError(w, status.New(codes.Unauthenticated, "the session has expired: sign in again"))
		return
	}
	m.Dev = s.cfg.Dev
	writeJSON(w, m)
}

// claims reads a JWT's payload without verifying it (display only).
func claims(tok string) (Me, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Me{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Me{}, false
	}
	var c struct {
		Sub   string   `json:"sub"`
		Exp   int64    `json:"exp"`
		Roles []string `json:"roles"`
		Org   string   `json:"org"`
		Tech  string   `json:"technician_id"`
	}
	if json.Unmarshal(b, &c) != nil || c.Sub == "" {
		return Me{}, false
	}
	m := Me{Subject: c.Sub, Roles: c.Roles, Org: c.Org, TechnicianID: c.Tech}
	if c.Exp > 0 {
		m.Expires = time.Unix(c.Exp, 0)
	}
	return m, true
}

// LocalUser is one local user the sign-in page lists.
type LocalUser struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// users lists the local users who may sign in (names and roles, never passwords), and
// whether the one-click dev sign-in is on.
func (s *Server) users(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Local bool        `json:"local"`
		Dev   bool        `json:"dev"`
		OIDC  string      `json:"oidc,omitempty"` // the provider's name, when it signs people in
		Users []LocalUser `json:"users"`
	}{Local: s.cfg.Local != nil, Dev: s.cfg.Dev}
	if s.oidc != nil {
		out.OIDC = or(s.oidc.cfg.Name, "OpenID Connect")
	}
	if s.cfg.Local != nil {
		for _, p := range auth.LocalPeople {
			name := strings.TrimPrefix(p.Subject, "local-")
			if _, ok := s.cfg.Users[name]; !ok && !s.cfg.Dev {
				continue
			}
			u := LocalUser{Name: name}
			for _, r := range p.Roles {
				u.Roles = append(u.Roles, string(r))
			}
			out.Users = append(out.Users, u)
		}
	}
	writeJSON(w, out)
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

// login starts a session: a local user with their password (or with none in dev mode), or a
// token the caller brings from the identity provider.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, status.New(codes.PermissionDenied, "cross-site request refused"))
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		writeError(w, status.New(codes.InvalidArgument, "sign-in body: "+err.Error()))
		return
	}
	if req.Token != "" {
		if _, ok := claims(req.Token); !ok {
			writeError(w, status.New(codes.InvalidArgument, "token: not a JWT"))
			return
		}
		s.setCookie(w, req.Token, 0)
		writeJSON(w, struct{}{})
		return
	}
	p, ok := s.localPerson(req.User)
	want, hasPassword := s.cfg.Users[req.User]
	switch {
	case !ok || s.cfg.Local == nil:
		writeError(w, status.New(codes.Unauthenticated, "unknown user or wrong password"))
		return
	case s.cfg.Dev && req.Password == "":
	case !hasPassword || subtle.ConstantTimeCompare([]byte(want), []byte(req.Password)) != 1:
		writeError(w, status.New(codes.Unauthenticated, "unknown user or wrong password"))
		return
	}
	tok, err := s.cfg.Local.Issue(p, s.cfg.Clock.Now(), s.cfg.Session)
	if err != nil {
		writeError(w, status.New(codes.Internal, "internal error"))
		return
	}
	s.setCookie(w, tok, s.cfg.Session)
	writeJSON(w, struct{}{})
}

func (s *Server) localPerson(name string) (auth.Person, bool) {
	i := slices.IndexFunc(auth.LocalPeople, func(p auth.Person) bool { return p.Subject == "local-"+name })
	if i < 0 {
		return auth.Person{}, false
	}
	return auth.LocalPeople[i], true
}

// logout ends the session; with an OIDC provider that can end its own session too, the
// answer says where the browser goes next ({"redirect": url}).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, status.New(codes.PermissionDenied, "cross-site request refused"))
		return
	}
	s.clearCookie(w)
	writeJSON(w, struct {
		Redirect string `json:"redirect,omitempty"`
	}{s.oidcLogout(r)})
}

func (s *Server) setCookie(w http.ResponseWriter, tok string, valid time.Duration) {
	c := &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, Secure: s.cfg.SecureCookie, SameSite: http.SameSiteStrictMode}
	if valid > 0 {
		c.MaxAge = int(valid / time.Second)
	}
	http.SetCookie(w, c)
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookie, SameSite: http.SameSiteStrictMode})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
