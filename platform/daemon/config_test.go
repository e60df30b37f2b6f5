package daemon_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/sanbao/sanbao/platform/daemon"
)

func TestConfigFromEnvironmentAndFlags(t *testing.T) {
	t.Setenv("SANBAO_LISTEN", ":7000")
	t.Setenv("SANBAO_SHUTDOWN_TIMEOUT", "3s")
	cfg := daemon.Defaults("ticket", 50051, 9101)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--data-dir", "/var/lib/sanbao", "--insecure"}); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != ":7000" || cfg.DataDir != "/var/lib/sanbao" || cfg.ShutdownTimeout != 3*time.Second {
		t.Fatalf("config = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate = %v", err)
	}
}

func TestConfigRequiresTLSUnlessInsecure(t *testing.T) {
	cfg := daemon.Defaults("ticket", 50051, 9101)
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.ContinueOnError))
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "tls-cert") {
		t.Errorf("Validate without TLS = %v, want it to ask for tls-cert or --insecure", err)
	}
	cfg.Security = daemon.Security{TLSCert: "c.pem", TLSKey: "k.pem", TLSCA: "ca.pem", TokenJWKS: "jwks.json"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "token-issuer") {
		t.Errorf("Validate with a JWKS and no issuer = %v, want it to ask for token-issuer", err)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	t.Setenv("SANBAO_STREAM_REPLICAS", "three")
	cfg := daemon.Defaults("ticket", 50051, 9101)
	cfg.RegisterFlags(flag.NewFlagSet("t", flag.ContinueOnError))
	cfg.LogLevel = "loud"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad environment value and log level")
	}
	for _, want := range []string{"SANBAO_STREAM_REPLICAS", "log-level"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %q, want it to name %s", err, want)
		}
	}
}
