// Package inventory runs the parts-inventory service: its gRPC API, store, outbox relay,
// reservation expiry timers and the consumer of dispatch's job-cancelled events.
package inventory

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/inventory/internal/api"
	"github.com/sanbao/sanbao/services/inventory/internal/domain"
	"github.com/sanbao/sanbao/services/inventory/internal/store"
)

// Config is the inventory service's configuration.
type Config struct {
	Daemon daemon.Config
	Policy domain.Policy
}

// DefaultConfig is the all-in-one configuration: gRPC on 127.0.0.1:50054, metrics on 9104,
// the policy defaults.
func DefaultConfig() Config {
	return Config{Daemon: daemon.Defaults("inventory", 50054, 9104), Policy: domain.DefaultPolicy()}
}

// RegisterFlags defines the daemon's and the policy's flags on fs, with SANBAO_* environment
// fallbacks.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.Daemon.RegisterFlags(fs)
	p := &c.Policy
	fs.DurationVar(&p.DefaultHold, "reservation-hold", envDuration("SANBAO_RESERVATION_HOLD", p.DefaultHold), "how long a reservation lasts without an explicit expiry [SANBAO_RESERVATION_HOLD]")
	fs.DurationVar(&p.MaxHold, "reservation-max-hold", envDuration("SANBAO_RESERVATION_MAX_HOLD", p.MaxHold), "longest allowed reservation [SANBAO_RESERVATION_MAX_HOLD]")
	fs.IntVar(&p.ReturnDays, "return-days", envInt("SANBAO_RETURN_DAYS", p.ReturnDays), "days to return an old part replaced under warranty [SANBAO_RETURN_DAYS]")
	fs.IntVar(&p.ReorderWindowDays, "reorder-window-days", envInt("SANBAO_REORDER_WINDOW_DAYS", p.ReorderWindowDays), "demand window of the reorder formula [SANBAO_REORDER_WINDOW_DAYS]")
	fs.Float64Var(&p.SafetyDays, "safety-days", envFloat("SANBAO_SAFETY_DAYS", p.SafetyDays), "safety stock in days of demand [SANBAO_SAFETY_DAYS]")
	fs.Float64Var(&p.CoverDays, "cover-days", envFloat("SANBAO_COVER_DAYS", p.CoverDays), "days of demand an order covers beyond the reorder point [SANBAO_COVER_DAYS]")
	fs.IntVar(&p.DefaultLeadTimeDays, "lead-time-days", envInt("SANBAO_LEAD_TIME_DAYS", p.DefaultLeadTimeDays), "default replenishment lead time [SANBAO_LEAD_TIME_DAYS]")
	fs.IntVar(&p.PlanLeadDays, "plan-lead-days", envInt("SANBAO_PLAN_LEAD_DAYS", p.PlanLeadDays), "days before the season a stocking plan is due [SANBAO_PLAN_LEAD_DAYS]")
	fs.BoolVar(&p.DistinctApprover, "distinct-approver", envBool("SANBAO_DISTINCT_APPROVER", p.DistinctApprover), "a requisition's requester may not approve it [SANBAO_DISTINCT_APPROVER]")
}

// service is the inventory service as the daemon runs it.
type service struct {
	api *api.Server
}

var _ daemon.Service = (*service)(nil)

// New returns the service for cfg, for daemon.Run (Run does this) or the test harness.
func New(cfg Config) daemon.Service { return &service{api: api.New(cfg.Policy)} }

// Schema declares the store layout.
func (s *service) Schema() pstore.Schema { return store.Schema() }

// Register adds the gRPC API.
func (s *service) Register(g *grpc.Server) { inventoryv1.RegisterInventoryServiceServer(g, s.api) }

// Start wires the API to the ready platform.
func (s *service) Start(_ context.Context, p *daemon.Platform) error {
	s.api.Start(p)
	return nil
}

// verify replays the ledger and checks every balance against it.
func (s *service) verify() (int, error) {
	var n int
	err := s.api.Store().View(func(tx *store.Tx) error {
		var err error
		n, err = tx.Verify()
		return err
	})
	return n, err
}

// Run runs the service until ctx ends.
func Run(ctx context.Context, cfg Config, log *zap.Logger, opts daemon.Options) error {
	if err := cfg.Policy.Validate(); err != nil {
		return fmt.Errorf("inventory config: %w", err)
	}
	return daemon.Run(ctx, cfg.Daemon, log, New(cfg), opts)
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envFloat(key string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(key), 64); err == nil {
		return v
	}
	return def
}

func envBool(key string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return v
	}
	return def
}
