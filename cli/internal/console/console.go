// Package console serves Sanbao's web console: the embedded browser application (plain ES
// modules, one CSS file, hand-written SVG charts, zh-CN and English catalogues), the sign-in
// session held in an HttpOnly cookie, and a same-origin gateway that forwards the browser's
// Connect-protocol JSON calls to the four services with the caller's token.
package console

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/rpc"
)

// Config is what the console needs: where the services are, how to reach them, and who may
// sign in.
type Config struct {
	// HTTP are the base URLs of the services' HTTP/JSON faces by name ("ticket":
	// "https://ticket:8081"); the console proxies a service's calls to its face when it has one.
	HTTP map[string]string
	// HTTPTLS verifies the HTTP faces' certificates (the suite's CA); nil: the system's roots.
	HTTPTLS *tls.Config
	// Services are the gRPC addresses of "ticket", "warranty", "dispatch" and "inventory",
	// for a service without an HTTP face: the console then transcodes its JSON calls itself.
	Services map[string]string
	// Client are the transport options of those gRPC calls (TLS with the suite's CA when
	// security is on); the token is the signed-in caller's, never a fixed one.
	Client rpc.ClientOptions
	// Local, when set, is the all-in-one's local issuer: the console signs the local users in
	// with a password (Users) and issues their tokens.
	Local *auth.Local
	// Users are the local users' passwords by name ("desk", "dispatcher", ...).
	Users map[string]string
	// Dev offers the one-click "sign in as" list of the local users (all-in-one only).
	Dev bool
	// TokenHeader, when set, is a request header carrying the caller's token put there by an
	// authenticating proxy in front of the console (OIDC: oauth2-proxy's
	// X-Forwarded-Access-Token); it is used when the request has no session cookie.
	TokenHeader string
	// SecureCookie marks the session cookie Secure (the console is served over TLS, or behind
	// a TLS-terminating proxy).
	SecureCookie bool
	// Session is how long a local sign-in lasts (default 12h).
	Session time.Duration
	// Clock reads the time local tokens are issued at (default the wall clock).
	Clock clock.Clock
	// Upload, when set, takes the upload screen's POST /upload/ (the importer's handler: a
	// multipart form of kind, file and validate_only), with the session's token as the bearer.
	Upload http.Handler
	// OIDC, when set, signs people in through the organisation's OpenID Connect provider
	// (authorization code flow with PKCE) beside or instead of the local users.
	OIDC *OIDC
	// Attachments, when set, is the base URL of the ticket service's attachments HTTP face
	// (POST /v1/tickets/{ticket_id}/attachments, GET /v1/attachments/{id}[/content]); the
	// console serves it under /files/ with the session's token as the bearer, so the
	// technician's phone uploads photos and signatures same-origin.
	Attachments string
}

// Server is a running console: its handler and the connections to the services.
type Server struct {
	cfg        Config
	log        *zap.Logger
	conns      map[string]*grpc.ClientConn // by full service name, for services without an HTTP face
	proxies    map[string]http.Handler     // by full service name, to the services' HTTP faces
	transports []*http.Transport
	mux        *http.ServeMux
	files      http.Handler // the attachments face under /files/, nil without one
	customer   http.Handler // the customer routes of the same face under /c/, nil without one
	oidc       *oidcClient  // the OIDC provider, nil without one
}

// Names are the services the console forwards to, with the package of their API.
var Names = map[string]string{
	"ticket":    "sanbao.ticket.v1.TicketService",
	"warranty":  "sanbao.warranty.v1.WarrantyService",
	"dispatch":  "sanbao.dispatch.v1.DispatchService",
	"inventory": "sanbao.inventory.v1.InventoryService",
}

// New dials the services (lazily: nothing waits for them) and builds the console's handler.
func New(cfg Config, log *zap.Logger) (*Server, error) {
	if cfg.Session <= 0 {
		cfg.Session = 12 * time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	s := &Server{cfg: cfg, log: log, conns: map[string]*grpc.ClientConn{}, proxies: map[string]http.Handler{}}
	for name := range Names {
		if base := cfg.HTTP[name]; base != "" {
			p, err := s.proxy(Names[name], base)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.proxies[Names[name]] = p
			continue
		}
		addr := cfg.Services[name]
		if addr == "" {
			s.Close()
			return nil, fmt.Errorf("console: no HTTP face or gRPC address for the %s service", name)
		}
		o := cfg.Client
		o.PerRPC = nil // the caller's token goes with each call
		conn, err := rpc.Dial(addr, o)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("console: dial %s: %w", name, err)
		}
		s.conns[Names[name]] = conn
	}
	if cfg.Local == nil && cfg.Dev {
		s.Close()
		return nil, errors.New("console: dev sign-in needs the local issuer")
	}
	if o := cfg.OIDC; o != nil {
		if o.Issuer == "" || o.ClientID == "" || o.RedirectURL == "" {
			s.Close()
			return nil, errors.New("console: OIDC sign-in needs the issuer, the client id and the redirect URL")
		}
		s.oidc = &oidcClient{cfg: *o, log: log, now: cfg.Clock.Now}
	}
	if cfg.Attachments != "" {
		f, err := s.filesProxy(cfg.Attachments)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.files = f
		if s.customer, err = s.customerProxy(cfg.Attachments); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s, nil
}

// Handler is the console's whole HTTP face, with its security headers.
func (s *Server) Handler() http.Handler { return secure(s.mux) }

// Close closes the connections to the services.
func (s *Server) Close() {
	for _, c := range s.conns {
		_ = c.Close()
	}
	for _, t := range s.transports {
		t.CloseIdleConnections()
	}
}

func (s *Server) routes() {
	s.mux.Handle("GET /", assets())
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("POST /api/{service}/{method}", s.call)
	s.mux.HandleFunc("GET /session", s.me)
	s.mux.HandleFunc("GET /session/users", s.users)
	s.mux.HandleFunc("POST /session/login", s.login)
	s.mux.HandleFunc("POST /session/logout", s.logout)
	if s.oidc != nil {
		s.mux.HandleFunc("GET /session/oidc/login", s.oidcLogin)
		s.mux.HandleFunc("GET /session/oidc/callback", s.oidcCallback)
	}
	if s.files != nil {
		h := s.requireSession(http.StripPrefix("/files", s.files))
		s.mux.Handle("POST /files/v1/tickets/{ticket_id}/attachments", h)
		s.mux.Handle("GET /files/v1/attachments/{id}", h)
		s.mux.Handle("GET /files/v1/attachments/{id}/content", h)
	}
	if s.customer != nil {
		s.mux.HandleFunc("GET /u/{code}", customerPage)
		h := customerOnly(http.StripPrefix("/c", s.customer), 64<<10)
		s.mux.Handle("GET /c/v1/c/{code}", h)
		s.mux.Handle("POST /c/v1/c/{code}/otp", h)
		s.mux.Handle("POST /c/v1/c/{code}/session", h)
		s.mux.Handle("GET /c/v1/c/{code}/tickets/{number}", h)
		s.mux.Handle("POST /c/v1/c/{code}/tickets", h)
		s.mux.Handle("POST /c/v1/c/{code}/tickets/{number}/survey", h)
		s.mux.Handle("POST /c/v1/c/{code}/tickets/{number}/attachments", customerOnly(http.StripPrefix("/c", s.customer), maxFile))
	}
	if s.cfg.Upload != nil {
		s.mux.Handle("POST /upload/", s.requireSession(http.StripPrefix("/upload", s.cfg.Upload)))
	}
}
