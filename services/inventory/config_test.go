package inventory

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestConfigFlagsAndEnvironment(t *testing.T) {
	t.Setenv("SANBAO_RETURN_DAYS", "45")
	t.Setenv("SANBAO_RESERVATION_HOLD", "24h")
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("inventoryd", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--safety-days=3", "--time-zone=UTC"}); err != nil {
		t.Fatal(err)
	}
	p := cfg.Policy
	if p.ReturnDays != 45 || p.DefaultHold != 24*time.Hour || p.SafetyDays != 3 || p.TimeZone != time.UTC || p.PlanLeadDays != 30 {
		t.Fatalf("policy = %+v", p)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("validate() = %v", err)
	}
	if cfg.Daemon.Listen != "127.0.0.1:50054" || cfg.Daemon.Name != "inventory" {
		t.Fatalf("daemon defaults = %+v", cfg.Daemon)
	}
}

func TestConfigRejectsBadEnvironment(t *testing.T) {
	t.Setenv("SANBAO_RETURN_DAYS", "thirty")
	t.Setenv("SANBAO_TIME_ZONE", "Mars/Olympus")
	cfg := DefaultConfig()
	cfg.RegisterFlags(flag.NewFlagSet("inventoryd", flag.ContinueOnError))
	err := cfg.validate()
	if err == nil || !strings.Contains(err.Error(), "SANBAO_RETURN_DAYS") || !strings.Contains(err.Error(), "SANBAO_TIME_ZONE") {
		t.Fatalf("validate() = %v, want both bad variables named", err)
	}
	if cfg.Policy.ReturnDays != 30 {
		t.Fatalf("a bad value replaced the default: %d", cfg.Policy.ReturnDays)
	}
	cfg = DefaultConfig()
	cfg.Policy.ReturnDays = 0
	if err := cfg.validate(); err == nil {
		t.Fatal("validate() with return days 0 = nil")
	}
}
