// Package inventory runs the parts-inventory service: its gRPC API, store, outbox relay,
// reservation expiry timers and the consumer of dispatch's job-cancelled events.
package inventory

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
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

	env     daemon.Env // SANBAO_* values that did not parse
	zoneErr string     // SANBAO_TIME_ZONE that names no zone
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
	fs.DurationVar(&p.DefaultHold, "reservation-hold", c.env.Duration("SANBAO_RESERVATION_HOLD", p.DefaultHold), "how long a reservation lasts without an explicit expiry [SANBAO_RESERVATION_HOLD]")
	fs.DurationVar(&p.MaxHold, "reservation-max-hold", c.env.Duration("SANBAO_RESERVATION_MAX_HOLD", p.MaxHold), "longest allowed reservation [SANBAO_RESERVATION_MAX_HOLD]")
	fs.IntVar(&p.ReturnDays, "return-days", c.env.Int("SANBAO_RETURN_DAYS", p.ReturnDays), "days to return an old part replaced under warranty [SANBAO_RETURN_DAYS]")
	fs.IntVar(&p.ReorderWindowDays, "reorder-window-days", c.env.Int("SANBAO_REORDER_WINDOW_DAYS", p.ReorderWindowDays), "demand window of the reorder formula, days [SANBAO_REORDER_WINDOW_DAYS]")
	fs.Float64Var(&p.SafetyDays, "safety-days", c.env.Float("SANBAO_SAFETY_DAYS", p.SafetyDays), "safety stock in days of demand [SANBAO_SAFETY_DAYS]")
	fs.Float64Var(&p.CoverDays, "cover-days", c.env.Float("SANBAO_COVER_DAYS", p.CoverDays), "days of demand an order covers beyond the reorder point [SANBAO_COVER_DAYS]")
	fs.IntVar(&p.DefaultLeadTimeDays, "lead-time-days", c.env.Int("SANBAO_LEAD_TIME_DAYS", p.DefaultLeadTimeDays), "replenishment lead time of parts that give none, days [SANBAO_LEAD_TIME_DAYS]")
	fs.IntVar(&p.PlanLeadDays, "plan-lead-days", c.env.Int("SANBAO_PLAN_LEAD_DAYS", p.PlanLeadDays), "days before the season a stocking plan is due [SANBAO_PLAN_LEAD_DAYS]")
	fs.BoolVar(&p.DistinctApprover, "distinct-approver", c.env.Bool("SANBAO_DISTINCT_APPROVER", p.DistinctApprover), "a requisition's requester may not approve it [SANBAO_DISTINCT_APPROVER]")
	zone := os.Getenv("SANBAO_TIME_ZONE")
	if zone != "" {
		c.setZone(zone)
	}
	fs.Func("time-zone", "IANA time zone of the service organisation's calendar days, e.g. Asia/Shanghai (default UTC+8) [SANBAO_TIME_ZONE]", func(v string) error {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return err
		}
		p.TimeZone = loc
		return nil
	})
}

func (c *Config) setZone(v string) {
	loc, err := time.LoadLocation(v)
	if err != nil {
		c.zoneErr = fmt.Sprintf("SANBAO_TIME_ZONE=%q: %v", v, err)
		return
	}
	c.Policy.TimeZone = loc
}

func (c *Config) validate() error {
	var bad []string
	if err := c.env.Err(); err != nil {
		bad = append(bad, err.Error())
	}
	if c.zoneErr != "" {
		bad = append(bad, c.zoneErr)
	}
	if len(bad) > 0 {
		return fmt.Errorf("config: %s", strings.Join(bad, "; "))
	}
	return c.Policy.Validate()
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
	return s.api.Start(p)
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
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("inventory %w", err)
	}
	return daemon.Run(ctx, cfg.Daemon, log, New(cfg), opts)
}
