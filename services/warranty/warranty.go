// Package warranty runs the warranty-rules service: versioned warranty policies, registered
// units with their repair history, service campaigns, coverage decisions and fee quotes.
package warranty

import (
	"context"
	"flag"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/warranty/internal/api"
	"github.com/sanbao/sanbao/services/warranty/internal/store"
)

// Config is the warranty binary's configuration. The warranty rules' numbers live in the
// policies themselves (created through the API), not here.
type Config struct {
	// Daemon is the common service configuration (listen address, data dir, NATS, logs).
	Daemon daemon.Config
}

// DefaultConfig returns the all-in-one configuration: gRPC on 127.0.0.1:50052, metrics on
// :9102, data in ./data/warranty.
func DefaultConfig() Config {
	return Config{Daemon: daemon.Defaults("warranty", 50052, 9102)}
}

// RegisterFlags defines the service's flags (with SANBAO_* environment fallbacks) on fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) { c.Daemon.RegisterFlags(fs) }

// Service is the warranty service as the daemon runs it.
type Service struct {
	api *api.Server
	err error
}

var _ daemon.Service = (*Service)(nil)

// New builds the service from cfg.
func New(Config) daemon.Service {
	srv, err := api.New()
	return &Service{api: srv, err: err}
}

// Schema is the store layout.
func (s *Service) Schema() pstore.Schema { return store.Schema }

// Register adds the WarrantyService API.
func (s *Service) Register(g *grpc.Server) {
	if s.api != nil {
		warrantyv1.RegisterWarrantyServiceServer(g, s.api)
	}
}

// Start gives the API the platform and registers the visit-report consumer.
func (s *Service) Start(_ context.Context, p *daemon.Platform) error {
	if s.err != nil {
		return s.err
	}
	s.api.Start(p)
	return nil
}

// Run runs the service until ctx ends.
func Run(ctx context.Context, cfg Config, log *zap.Logger, opts daemon.Options) error {
	return daemon.Run(ctx, cfg.Daemon, log, New(cfg), opts)
}
