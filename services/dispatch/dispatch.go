// Package dispatch runs the dispatch service: technicians, jobs, parts-aware assignment,
// appointments, visits and signed service reports.
package dispatch

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/dispatch/internal/api"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/inventory"
	"github.com/sanbao/sanbao/services/dispatch/internal/osrm"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// Config is the dispatch binary's configuration.
type Config struct {
	// Daemon is the common service configuration (listen address, data dir, NATS, logs).
	Daemon daemon.Config
	// InventoryAddr is parts-inventory's gRPC address; empty turns parts reservation and
	// parts-aware ranking off.
	InventoryAddr string
	// Policy holds the dispatch rules' numbers (DOMAIN.md §4).
	Policy domain.Policy
	// ReservationHold is how long parts-inventory holds a job's reservation before expiring it.
	ReservationHold time.Duration
	// OSRMURL is the operator's OSRM server (its table service plans days on the road
	// network); empty plans on straight lines. OSRMMaxTable is its --max-table-size.
	OSRMURL      string
	OSRMMaxTable int

	env daemon.Env // SANBAO_* values that did not parse
}

// DefaultConfig returns the all-in-one configuration: gRPC on 127.0.0.1:50053, metrics on
// :9103, parts-inventory on 127.0.0.1:50054, DOMAIN.md's policy.
func DefaultConfig() Config {
	return Config{
		Daemon:          daemon.Defaults("dispatch", 50053, 9103),
		InventoryAddr:   "127.0.0.1:50054",
		Policy:          domain.DefaultPolicy(),
		ReservationHold: 7 * 24 * time.Hour,
		OSRMMaxTable:    100,
	}
}

// RegisterFlags defines dispatch's flags (with SANBAO_* environment fallbacks) on fs. A
// SANBAO_* value that does not parse is reported by New.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.Daemon.RegisterFlags(fs)
	e := &c.env
	fs.StringVar(&c.InventoryAddr, "inventory-addr", e.String("SANBAO_INVENTORY_ADDR", c.InventoryAddr), "parts-inventory gRPC address, empty to run without parts [SANBAO_INVENTORY_ADDR]")
	dur := func(p *time.Duration, name, key, usage string) {
		fs.DurationVar(p, name, e.Duration(key, *p), usage+" ["+key+"]")
	}
	num := func(p *float64, name, key, usage string) {
		fs.Float64Var(p, name, e.Float(key, *p), usage+" ["+key+"]")
	}
	fs.StringVar(&c.OSRMURL, "osrm-url", e.String("SANBAO_DISPATCH_OSRM_URL", c.OSRMURL), "OSRM server whose table service gives day plans road-network drives, e.g. http://osrm:5000; empty for straight lines [SANBAO_DISPATCH_OSRM_URL]")
	fs.IntVar(&c.OSRMMaxTable, "osrm-max-table", e.Int("SANBAO_DISPATCH_OSRM_MAX_TABLE", c.OSRMMaxTable), "the OSRM server's --max-table-size: larger days are asked for in blocks [SANBAO_DISPATCH_OSRM_MAX_TABLE]")
	dur(&c.ReservationHold, "reservation-hold", "SANBAO_DISPATCH_RESERVATION_HOLD", "how long parts-inventory holds a job's parts")
	p := &c.Policy
	dur(&p.AcceptWithin, "accept-within", "SANBAO_DISPATCH_ACCEPT_WITHIN", "time a technician has to accept an assignment")
	dur(&p.ArrangementCheck, "arrangement-check", "SANBAO_DISPATCH_ARRANGEMENT_CHECK", "when after hand-out an unarranged job is escalated to management")
	dur(&p.LatenessNotice, "lateness-notice", "SANBAO_DISPATCH_LATENESS_NOTICE", "minimum notice before an appointment for a reschedule")
	dur(&p.InstallationLead, "installation-lead", "SANBAO_DISPATCH_INSTALLATION_LEAD", "how far ahead installation appointments are agreed (0 = no rule)")
	dur(&p.ArriveWithin, "arrive-within", "SANBAO_DISPATCH_ARRIVE_WITHIN", "arrival deadline for jobs without arrive_by")
	dur(&p.CalendarHorizon, "calendar-horizon", "SANBAO_DISPATCH_CALENDAR_HORIZON", "how far ahead to look for a technician's working time")
	num(&p.RoadFactor, "road-factor", "SANBAO_DISPATCH_ROAD_FACTOR", "road km per great-circle km")
	num(&p.SpeedKmh, "speed-kmh", "SANBAO_DISPATCH_SPEED_KMH", "average travel speed")
	num(&p.DefaultRadiusKm, "default-radius-km", "SANBAO_DISPATCH_DEFAULT_RADIUS_KM", "service radius of technicians without one")
	num(&p.CollectDetourKm, "collect-detour-km", "SANBAO_DISPATCH_COLLECT_DETOUR_KM", "longest detour still counted as collecting parts on the way")
	num(&p.CheckInDistanceKm, "check-in-distance-km", "SANBAO_DISPATCH_CHECK_IN_DISTANCE_KM", "farthest a check-in may be from the site (0 = no check)")
	num(&p.Weights.Distance, "weight-distance", "SANBAO_DISPATCH_WEIGHT_DISTANCE", "score weight of a short trip")
	num(&p.Weights.Load, "weight-load", "SANBAO_DISPATCH_WEIGHT_LOAD", "score weight of spare capacity")
	num(&p.Weights.Slack, "weight-slack", "SANBAO_DISPATCH_WEIGHT_SLACK", "score weight of time to spare before the deadline")
	num(&p.Weights.Routing, "weight-routing", "SANBAO_DISPATCH_WEIGHT_ROUTING", "score bonus for the organisation the difficulty belongs to (routine: dealer/station, expert: technical department)")
	fs.IntVar(&p.RankingSize, "ranking-size", e.Int("SANBAO_DISPATCH_RANKING_SIZE", p.RankingSize), "candidates kept in a stored ranking [SANBAO_DISPATCH_RANKING_SIZE]")
}

// Service is the dispatch service as the daemon runs it.
type Service struct {
	api  *api.Server
	conn *grpc.ClientConn
}

var _ daemon.Service = (*Service)(nil)

// New builds the service; opts (optional) override the API options derived from cfg (tests
// inject a distance function there). Close it after the daemon stops.
func New(cfg Config, opts *api.Options) (*Service, error) {
	o := api.Options{}
	if opts != nil {
		o = *opts
	}
	if err := cfg.env.Err(); err != nil {
		return nil, err
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	if cfg.ReservationHold < 0 {
		return nil, fmt.Errorf("config: reservation-hold must not be negative, got %s", cfg.ReservationHold)
	}
	if o.ReservationHold == 0 {
		o.ReservationHold = cfg.ReservationHold
	}
	pol := cfg.Policy
	if o.Policy == nil {
		o.Policy = &pol
	}
	s := &Service{}
	if o.Inventory == nil && cfg.InventoryAddr != "" {
		copts, err := cfg.Daemon.PeerOptions() // mTLS (inventory knows us by our certificate), client metrics
		if err != nil {
			return nil, fmt.Errorf("parts-inventory client: %w", err)
		}
		copts.MaxTimeout = peerTimeout
		conn, err := rpc.Dial(cfg.InventoryAddr, copts)
		if err != nil {
			return nil, fmt.Errorf("parts-inventory client: %w", err)
		}
		s.conn = conn
		o.Inventory = inventory.New(conn)
	}
	if o.Roads == nil && cfg.OSRMURL != "" {
		u, err := url.Parse(cfg.OSRMURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("config: osrm-url must be an http(s) URL, got %q", cfg.OSRMURL)
		}
		if cfg.OSRMMaxTable < 2 {
			return nil, fmt.Errorf("config: osrm-max-table must be at least 2, got %d", cfg.OSRMMaxTable)
		}
		o.Roads = &osrm.Client{BaseURL: cfg.OSRMURL, MaxLocations: cfg.OSRMMaxTable}
	}
	s.api = api.New(o)
	return s, nil
}

// Close closes the parts-inventory connection.
func (s *Service) Close() error {
	if s.conn == nil {
		return nil
	}
	return s.conn.Close()
}

// Schema is dispatch's store layout.
func (s *Service) Schema() pstore.Schema { return store.Schema() }

// Register adds the DispatchService API.
func (s *Service) Register(g *grpc.Server) { dispatchv1.RegisterDispatchServiceServer(g, s.api) }

// Start wires the API to the running platform.
func (s *Service) Start(_ context.Context, p *daemon.Platform) error { return s.api.Start(p) }

// Run runs dispatch until ctx ends; opts are for tests and the all-in-one binary (listeners,
// clock, readiness callback).
func Run(ctx context.Context, cfg Config, log *zap.Logger, opts daemon.Options) error {
	s, err := New(cfg, nil)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	log.Info("dispatch configured", zap.String("inventory_addr", cfg.InventoryAddr),
		zap.Duration("accept_within", cfg.Policy.AcceptWithin), zap.Duration("arrangement_check", cfg.Policy.ArrangementCheck))
	return daemon.Run(ctx, cfg.Daemon, log, s, opts)
}

// peerTimeout caps each call to a peer service: a slow peer fails the call (its timer or
// handler retries) instead of holding the caller's work; the deadline reaches the peer.
const peerTimeout = 10 * time.Second
