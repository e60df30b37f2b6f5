// Package ticket runs the ticket service: the service desk that registers tickets and
// complaints, drives them through warranty-rules and dispatch, and keeps SLA clocks and KPIs.
package ticket

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/blob"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/notify"
	"github.com/sanbao/sanbao/platform/ratelimit"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/ticket/internal/api"
	"github.com/sanbao/sanbao/services/ticket/internal/dispatch"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
	"github.com/sanbao/sanbao/services/ticket/internal/warranty"
)

// Config is the ticket binary's configuration. The service rules' numbers live in service
// policies (managed through the API), not here.
type Config struct {
	// Daemon is the common service configuration (listen address, data dir, NATS, logs).
	Daemon daemon.Config
	// WarrantyAddr is the warranty-rules gRPC address.
	WarrantyAddr string
	// DispatchAddr is the dispatch gRPC address.
	DispatchAddr string
	// Attachments is where attachment bytes are kept and their limits.
	Attachments AttachmentConfig
	// NotifyFile, when set and no notifier is given, is the all-in-one's local outbox: every
	// customer message, one-time codes included, appended whole to this file (notify.File).
	NotifyFile string
	// TrustedProxies are the proxies in front of the public customer routes whose
	// X-Forwarded-For is believed for rate limiting (the console, a gateway), as
	// comma-separated CIDRs; empty (the default) trusts nobody: the client is the peer.
	TrustedProxies string
}

// DefaultConfig returns the all-in-one configuration: gRPC on 127.0.0.1:50051, metrics on
// :9101, warranty on 127.0.0.1:50052, dispatch on 127.0.0.1:50053.
func DefaultConfig() Config {
	return Config{Daemon: daemon.Defaults("ticket", 50051, 9101), WarrantyAddr: "127.0.0.1:50052", DispatchAddr: "127.0.0.1:50053",
		Attachments: DefaultAttachmentConfig()}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// RegisterFlags defines the service's flags (with SANBAO_* environment fallbacks) on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.Daemon.RegisterFlags(fs)
	fs.StringVar(&c.WarrantyAddr, "warranty-addr", env("SANBAO_WARRANTY_ADDR", c.WarrantyAddr), "warranty-rules gRPC address (SANBAO_WARRANTY_ADDR)")
	fs.StringVar(&c.DispatchAddr, "dispatch-addr", env("SANBAO_DISPATCH_ADDR", c.DispatchAddr), "dispatch gRPC address (SANBAO_DISPATCH_ADDR)")
	c.Attachments.registerFlags(fs)
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("SANBAO_TRUSTED_PROXIES", c.TrustedProxies), "CIDRs of proxies (console, gateway) whose X-Forwarded-For names the customer's address for rate limits; empty: none (SANBAO_TRUSTED_PROXIES)")
}

// Service is the ticket service as the daemon runs it.
type Service struct {
	api         *api.Server
	attachments *api.Attachments
	customer    *api.Customer
	blobs       blob.Store
	http        *api.HTTP
	cfg         AttachmentConfig
	security    daemon.Security
	notifier    notify.Router
	notifyFile  string
	conns       []*grpc.ClientConn
}

// SetNotifier replaces the providers of customer notifications (default: the log provider on
// every channel, the all-in-one's). Call it before the service starts; operators fill the
// Router with their SMS gateway, WeChat template-message client and SMTP sender.
func (s *Service) SetNotifier(r notify.Router) { s.notifier = r }

var _ daemon.Service = (*Service)(nil)

// MintsCustomerTokens implements daemon.CustomerTokenMinter: the service issues the customer's
// one-unit token on a verified one-time code (key: <data dir>/customer-token-key.pem unless
// --customer-token-key says otherwise).
func (s *Service) MintsCustomerTokens() {}

// New builds the service from cfg, with lazy client connections to its peers (a peer that
// is down delays tickets; it does not stop the service).
func New(cfg Config) (*Service, error) {
	copts, err := cfg.Daemon.PeerOptions() // mTLS (the peers know us by our certificate), client metrics
	if err != nil {
		return nil, fmt.Errorf("peer credentials: %w", err)
	}
	copts.MaxTimeout = peerTimeout
	wc, err := rpc.Dial(cfg.WarrantyAddr, copts)
	if err != nil {
		return nil, fmt.Errorf("dial warranty: %w", err)
	}
	dc, err := rpc.Dial(cfg.DispatchAddr, copts)
	if err != nil {
		_ = wc.Close()
		return nil, fmt.Errorf("dial dispatch: %w", err)
	}
	srv := api.New(warranty.New(wc), dispatch.New(dc))
	att, err := api.NewAttachments(srv, cfg.Attachments.Rules)
	if err != nil {
		_, _ = wc.Close(), dc.Close()
		return nil, err
	}
	proxies, err := ratelimit.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		_, _ = wc.Close(), dc.Close()
		return nil, fmt.Errorf("--trusted-proxies: %w", err)
	}
	cust := api.NewCustomer(srv)
	h := api.NewHTTP(att, cust, cfg.Daemon.Security.Insecure)
	h.SetTrustedProxies(proxies)
	return &Service{api: srv, attachments: att, customer: cust, http: h, cfg: cfg.Attachments,
		security: cfg.Daemon.Security, notifyFile: cfg.NotifyFile, conns: []*grpc.ClientConn{wc, dc}}, nil
}

// Schema is the store layout.
func (s *Service) Schema() pstore.Schema { return store.Schema() }

// Register adds the TicketService and AttachmentService APIs.
func (s *Service) Register(g *grpc.Server) {
	ticketv1.RegisterTicketServiceServer(g, s.api)
	ticketv1.RegisterAttachmentServiceServer(g, s.attachments)
	ticketv1.RegisterCustomerServiceServer(g, s.customer)
}

// Start wires the API and the lifecycle to the platform, ensures the S3 bucket (retried while
// the object store does not answer) and starts the attachment sweeper.
func (s *Service) Start(ctx context.Context, p *daemon.Platform) error {
	if s.notifier == nil {
		var l notify.Provider = notify.Log{Log: p.Log.Named("notify")}
		if s.notifyFile != "" {
			l = &notify.File{Path: s.notifyFile}
		}
		s.notifier = notify.Router{notify.SMS: l, notify.WeChat: l, notify.Email: l}
	}
	s.api.SetNotifications(notify.Preference{QuietFrom: notify.DefaultQuietFrom, QuietTo: notify.DefaultQuietTo}, s.notifier.Has)
	(&notify.Deliverer{DB: p.DB, Provider: s.notifier, Clock: p.Clock, Log: p.Log.Named("notify")}).Register(p.Timers)
	blobs, err := s.cfg.open(filepath.Dir(p.DB.Path()))
	if err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	s.blobs = blobs
	s.attachments.Use(blobs)
	if err := s.api.Start(ctx, p); err != nil {
		return err
	}
	if s3, ok := s.blobs.(*blob.S3); ok {
		p.Go(func(ctx context.Context) error {
			for {
				err := s3.EnsureBucket(ctx)
				if err == nil || ctx.Err() != nil {
					return nil
				}
				p.Log.Warn("attachment bucket not reachable; retrying", zap.Error(err))
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(5 * time.Second):
				}
			}
		})
	}
	if s.cfg.SweepEvery > 0 {
		p.Go(s.attachments.SweepEvery(s.cfg.SweepEvery, s.cfg.SweepGrace))
	}
	ct := p.CustomerTokens
	if ct == nil { // --insecure: the customer's session is still a token for one unit
		if ct, err = auth.OpenCustomerTokens(filepath.Join(filepath.Dir(p.DB.Path()), "customer-token-key.pem"), p.Clock); err != nil {
			return err
		}
	}
	if err := s.http.SetCustomerTokens(ct); err != nil {
		return fmt.Errorf("customer tokens: %w", err)
	}
	if sec := s.security; !sec.Insecure {
		g := &auth.Guard{}
		if sec.TokenJWKS != "" {
			if g.Tokens, err = auth.NewVerifier(auth.TokenConfig{Keys: auth.NewKeySource(sec.TokenJWKS), Issuer: sec.TokenIssuer,
				Audience: sec.TokenAudience, Leeway: sec.TokenLeeway, Clock: p.Clock}); err != nil {
				return fmt.Errorf("attachment http tokens: %w", err)
			}
		}
		if g.Customers, err = ct.Verifier(); err != nil {
			return fmt.Errorf("customer tokens: %w", err)
		}
		s.http.SetTokens(g)
	}
	if s.cfg.HTTPListen != "" {
		if err := p.ServeHTTP("attachments http", s.cfg.HTTPListen, s.http); err != nil {
			return err
		}
	}
	return nil
}

// AttachmentHandler is the attachments' HTTP face (POST /v1/tickets/{ticket_id}/attachments,
// GET /v1/attachments/{id}[/content]) for the console's gateway to route to; it is also served
// on --attachments-http-listen when set.
func (s *Service) AttachmentHandler() http.Handler { return s.http }

// Attachments is the attachment API (the HTTP face and tests use it).
func (s *Service) Attachments() *api.Attachments { return s.attachments }

// Close closes the peer connections.
func (s *Service) Close() {
	for _, c := range s.conns {
		_ = c.Close()
	}
}

// Run runs the service until ctx ends.
func Run(ctx context.Context, cfg Config, log *zap.Logger, opts daemon.Options) error {
	svc, err := New(cfg)
	if err != nil {
		return err
	}
	defer svc.Close()
	return daemon.Run(ctx, cfg.Daemon, log, svc, opts)
}

// peerTimeout caps each call to a peer service: a slow peer fails the call (its timer or
// handler retries) instead of holding the caller's work; the deadline reaches the peer.
const peerTimeout = 10 * time.Second
