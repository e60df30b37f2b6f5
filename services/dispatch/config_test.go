package dispatch_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/sanbao/sanbao/services/dispatch"
)

func TestConfigFlagsAndEnvironment(t *testing.T) {
	t.Setenv("SANBAO_DISPATCH_ACCEPT_WITHIN", "90m")
	t.Setenv("SANBAO_DISPATCH_ROAD_FACTOR", "1.5")
	t.Setenv("SANBAO_INVENTORY_ADDR", "inventory:50054")
	cfg := dispatch.DefaultConfig()
	fs := flag.NewFlagSet("dispatchd", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--lateness-notice=3h", "--road-factor=1.4"}); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p := cfg.Policy
	if p.AcceptWithin != 90*time.Minute || p.LatenessNotice != 3*time.Hour || p.RoadFactor != 1.4 || cfg.InventoryAddr != "inventory:50054" {
		t.Fatalf("config = accept %s, notice %s, road %g, inventory %q; want 90m (env), 3h (flag), 1.4 (flag wins), inventory:50054",
			p.AcceptWithin, p.LatenessNotice, p.RoadFactor, cfg.InventoryAddr)
	}
	if p.ArrangementCheck != 4*time.Hour || p.DefaultRadiusKm != 100 || p.InstallationLead != 48*time.Hour {
		t.Fatalf("defaults = %+v; want DOMAIN.md's 4 h, 100 km, 2 days", p)
	}
}

func TestConfigRejectsNonsense(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*dispatch.Config)
		want string
	}{
		{"negative lateness notice", func(c *dispatch.Config) { c.Policy.LatenessNotice = -time.Hour }, "lateness-notice"},
		{"road factor below 1", func(c *dispatch.Config) { c.Policy.RoadFactor = 0.5 }, "road-factor"},
		{"zero acceptance time", func(c *dispatch.Config) { c.Policy.AcceptWithin = 0 }, "accept-within"},
		{"negative weight", func(c *dispatch.Config) { c.Policy.Weights.Load = -1 }, "weights"},
		{"negative hold", func(c *dispatch.Config) { c.ReservationHold = -time.Hour }, "reservation-hold"},
		{"osrm url without a scheme", func(c *dispatch.Config) { c.OSRMURL = "osrm:5000" }, "osrm-url"},
		{"osrm table of one point", func(c *dispatch.Config) { c.OSRMURL, c.OSRMMaxTable = "http://osrm:5000", 1 }, "osrm-max-table"},
		{"unparsable environment", func(c *dispatch.Config) {
			t.Setenv("SANBAO_DISPATCH_LATENESS_NOTICE", "two hours")
			c.RegisterFlags(flag.NewFlagSet("x", flag.ContinueOnError))
		}, "SANBAO_DISPATCH_LATENESS_NOTICE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := dispatch.DefaultConfig()
			tt.mod(&cfg)
			if _, err := dispatch.New(cfg, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want one naming %s", err, tt.want)
			}
		})
	}
	s, err := dispatch.New(dispatch.DefaultConfig(), nil)
	if err != nil {
		t.Fatalf("New(defaults) = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
