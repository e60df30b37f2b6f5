// Package suite runs the whole of Sanbao in one process: an embedded NATS server with JetStream
// and the four services, each with its bbolt file under one data directory. It is what
// `make run` starts.
package suite

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natsembed"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/tracing"
	"github.com/sanbao/sanbao/services/dispatch"
	"github.com/sanbao/sanbao/services/inventory"
	"github.com/sanbao/sanbao/services/ticket"
	"github.com/sanbao/sanbao/services/warranty"
)

// Config configures the all-in-one run.
type Config struct {
	DataDir  string // everything is kept under it: nats/, ticket/, warranty/, dispatch/, inventory/
	Host     string // the loopback host everything listens on (default 127.0.0.1)
	NATSPort int    // embedded NATS client port (default 4222; -1 picks a free one)
	// Listeners, when set, are where each service serves gRPC ("ticket", ...), its HTTP/JSON
	// face ("ticket-http", ...), its metrics ("ticket-metrics", ...) and admin endpoints
	// ("ticket-admin", ...) instead of the fixed ports; tests use them. With Listeners set, a
	// service's HTTP face, metrics and admin endpoints it names no listener for are off.
	Listeners map[string]net.Listener
	// Insecure runs plaintext without authentication (a warning is logged). By default a
	// throw-away local CA and token issuer under DataDir/auth secure everything.
	Insecure bool
	// Trace is where every service's spans go: off (default), stdout (printed) or otlp (a
	// local collector at OTEL_EXPORTER_OTLP_ENDPOINT).
	Trace tracing.Config
	// Tracer, when set, gives each service its tracer provider by name (tests record spans
	// in memory); it wins over Trace.
	Tracer func(service string) trace.TracerProvider
	// ConsoleListen is where the web console serves (default 127.0.0.1:8080; "-" turns it
	// off). Listeners["console"] wins; with Listeners given and neither, there is no console.
	ConsoleListen string
	// ConsoleDev offers the console's one-click "sign in as" list of the local users.
	ConsoleDev bool
}

// NotifyFile is the all-in-one's local outbox of customer messages (one JSON line each, the
// one-time codes of the customer's page included).
func NotifyFile(dataDir string) string { return filepath.Join(dataDir, "notify-outbox.jsonl") }

// AuthDir is where a run keeps its local CA, service certificates, JWKS and local users'
// tokens (tokens/<role>.jwt).
func AuthDir(dataDir string) string { return filepath.Join(dataDir, "auth") }

// ClientOptions are the credentials to call a run under dataDir as one of its local users
// (auth.LocalPeople without "local-": "operator", "desk", "dealer", ...).
func ClientOptions(dataDir, who string) (rpc.ClientOptions, error) {
	tc, err := auth.ClientCA(filepath.Join(AuthDir(dataDir), "ca.pem"))
	if err != nil {
		return rpc.ClientOptions{}, err
	}
	return rpc.ClientOptions{Creds: credentials.NewTLS(tc), PerRPC: auth.TokenFile(filepath.Join(AuthDir(dataDir), "tokens", who+".jwt"))}, nil
}

// LocalIntegrator is the integrator whose certificate (<data-dir>/auth/integrator.pem) the
// CLI's events tail and demo read the events with.
const LocalIntegrator = "integrator"

// secureNATS gives the embedded NATS its certificate from the local CA and the Sanbao users:
// the four services and the local integrator, each named by its certificate.
func secureNATS(dataDir string, ncfg *natsembed.Config) error {
	local, err := auth.OpenLocal(AuthDir(dataDir))
	if err != nil {
		return err
	}
	f, err := local.IssueFiles(local.Dir, "nats", nil, 90*24*time.Hour)
	if err != nil {
		return err
	}
	if _, err := local.IssueFiles(local.Dir, LocalIntegrator, []*url.URL{auth.IntegratorURI(local.TrustDomain, "local")}, 90*24*time.Hour); err != nil {
		return err
	}
	rl, err := auth.NewReloader(f)
	if err != nil {
		return err
	}
	ncfg.TLS = rl.MutualServerConfig()
	ncfg.Users = auth.NATSUsers(local.TrustDomain, "local")
	return nil
}

// secure gives each service its certificate from the local CA and the local issuer's
// settings, and writes a fresh token for every local user; it returns the token files.
func secure(dataDir string, ds []*daemon.Config) (*auth.Local, map[string]string, error) {
	local, err := auth.OpenLocal(AuthDir(dataDir))
	if err != nil {
		return nil, nil, err
	}
	for _, d := range ds {
		f, err := local.ServiceFiles(d.Name)
		if err != nil {
			return nil, nil, err
		}
		d.Security = daemon.Security{TLSCert: f.Cert, TLSKey: f.Key, TLSCA: f.CA,
			TokenJWKS: local.JWKSFile(), TokenIssuer: local.Issuer, TokenAudience: local.Audience}
	}
	tokens, err := local.WriteTokens(time.Now(), 30*24*time.Hour)
	return local, tokens, err
}

// Run starts NATS and the four services and runs them until ctx ends; out gets the table of
// addresses once everything is serving.
func Run(ctx context.Context, cfg Config, log *zap.Logger, out io.Writer) error {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.NATSPort == 0 {
		cfg.NATSPort = 4222
	}
	ncfg := natsembed.Config{Host: cfg.Host, Port: cfg.NATSPort, StoreDir: filepath.Join(cfg.DataDir, "nats")}
	if !cfg.Insecure {
		if err := secureNATS(cfg.DataDir, &ncfg); err != nil {
			return fmt.Errorf("nats tls: %w", err)
		}
	}
	ns, err := natsembed.Start(ncfg)
	if err != nil {
		return err
	}
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	natsURL := ns.ClientURL() // tls:// when secured

	tc := ticket.DefaultConfig()
	wc := warranty.DefaultConfig()
	dc := dispatch.DefaultConfig()
	ic := inventory.DefaultConfig()
	ds := []*daemon.Config{&tc.Daemon, &wc.Daemon, &dc.Daemon, &ic.Daemon}
	for _, d := range ds {
		d.DataDir = filepath.Join(cfg.DataDir, d.Name)
		d.NATSURL = natsURL
		d.Security.Insecure = cfg.Insecure
		d.Trace = cfg.Trace
	}
	var local *auth.Local
	var tokens map[string]string
	if !cfg.Insecure {
		if local, tokens, err = secure(cfg.DataDir, ds); err != nil {
			return fmt.Errorf("local CA: %w", err)
		}
	}

	var con *consoleRun // started below, printed with the table
	var mu sync.Mutex
	ready := map[string]string{}
	allReady := make(chan struct{}) // closed once the four services serve
	var readyOnce sync.Once
	scheme := "https"
	if cfg.Insecure {
		scheme = "http"
	}
	onReady := func(name, addr, httpAddr, metrics string) func(*daemon.Platform) {
		return func(*daemon.Platform) {
			mu.Lock()
			defer mu.Unlock()
			face := "-"
			if httpAddr != "" {
				face = scheme + "://" + httpAddr
			}
			ready[name] = fmt.Sprintf("  %-10s gRPC %-17s HTTP %-24s metrics http://%s/metrics", name, addr, face, metrics)
			if len(ready) == 4 {
				readyOnce.Do(func() { close(allReady) })
				fmt.Fprintf(out, "\nSanbao is running (data in %s)\n  %-10s %s\n", cfg.DataDir, "nats", natsURL)
				for _, n := range []string{"ticket", "warranty", "dispatch", "inventory"} {
					fmt.Fprintln(out, ready[n])
				}
				con.print(out)
				fmt.Fprintf(out, "  %-10s %s   (customer messages: the one-time codes of the customer's page /u/<unit code>)\n", "outbox", tc.NotifyFile)
				if local == nil {
					fmt.Fprintf(out, "INSECURE (plaintext, no authentication). Try: grpcurl -plaintext %s list    |    go run ./cli/cmd/sanbao demo --insecure    |    Ctrl-C stops\n\n", tc.Daemon.Listen)
					return
				}
				fmt.Fprintf(out, "TLS on, every call needs a token. Local CA: %s\nTokens of the local users (one per role; operator holds every staff role):\n", local.CAFile())
				for _, p := range auth.LocalPeople {
					name := p.Subject[len("local-"):]
					fmt.Fprintf(out, "  %-11s %s\n", name, tokens[name])
				}
				fmt.Fprintf(out, "Try: grpcurl -cacert %[1]s -H \"authorization: Bearer $(cat %[2]s)\" -d '{}' %[3]s sanbao.ticket.v1.TicketService/ListTickets\n", local.CAFile(), tokens["operator"], tc.Daemon.Listen)
				if tc.Daemon.HTTP.Listen != "" {
					fmt.Fprintf(out, "     curl --cacert %s -H \"authorization: Bearer $(cat %s)\" https://%s/v1/tickets\n", local.CAFile(), tokens["operator"], tc.Daemon.HTTP.Listen)
				}
				fmt.Fprintf(out, "     go run ./cli/cmd/sanbao demo --ca %s --token-file %s    |    Ctrl-C stops\n\n", local.CAFile(), tokens["operator"])
			}
		}
	}
	opts := func(d *daemon.Config) daemon.Options {
		o := daemon.Options{Listener: cfg.Listeners[d.Name], MetricsListener: cfg.Listeners[d.Name+"-metrics"],
			AdminListener: cfg.Listeners[d.Name+"-admin"], HTTPListener: cfg.Listeners[d.Name+"-http"]}
		// Tests give listeners: a port they give none for is off, never a fixed default that
		// another package's suite, running at the same time, may hold.
		if cfg.Listeners != nil && o.AdminListener == nil {
			d.AdminListen = ""
		}
		if cfg.Listeners != nil && o.MetricsListener == nil {
			d.MetricsListen = ""
		}
		if cfg.Listeners != nil && o.HTTPListener == nil {
			d.HTTP.Listen = ""
		}
		if o.HTTPListener != nil {
			d.HTTP.Listen = o.HTTPListener.Addr().String()
		}
		if o.Listener != nil {
			d.Listen = o.Listener.Addr().String()
		}
		if o.MetricsListener != nil {
			d.MetricsListen = o.MetricsListener.Addr().String()
		}
		o.OnReady = onReady(d.Name, d.Listen, d.HTTP.Listen, d.MetricsListen)
		if cfg.Tracer != nil {
			o.TracerProvider = cfg.Tracer(d.Name)
		}
		return o
	}
	to, wo, do, io_ := opts(&tc.Daemon), opts(&wc.Daemon), opts(&dc.Daemon), opts(&ic.Daemon)
	if l := cfg.Listeners["warranty"]; l != nil {
		tc.WarrantyAddr = l.Addr().String()
	}
	if l := cfg.Listeners["dispatch"]; l != nil {
		tc.DispatchAddr = l.Addr().String()
	}
	if l := cfg.Listeners["inventory"]; l != nil {
		dc.InventoryAddr = l.Addr().String()
	}
	// The local outbox: what the customer would be sent (one-time codes), readable on a laptop.
	tc.NotifyFile = NotifyFile(cfg.DataDir)
	// The console calls the customer routes from loopback and forwards the customer's address
	// in X-Forwarded-For: the rate limits key on the customer, not on the console.
	if tc.TrustedProxies == "" {
		tc.TrustedProxies = "127.0.0.1/32,::1/128"
	}
	if tc.Attachments.HTTPListen == "" {
		// The attachments' HTTP face on a free loopback port, for the console's /files/ (the
		// technician's photos and signatures); the port is chosen here and taken by ticket.Run.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("attachments http: %w", err)
		}
		tc.Attachments.HTTPListen = l.Addr().String()
		_ = l.Close()
	}
	g, gctx := errgroup.WithContext(ctx)
	attachments := "https://" + tc.Attachments.HTTPListen // TLS as the services' HTTP faces
	if cfg.Insecure {
		attachments = "http://" + tc.Attachments.HTTPListen
	}
	if con, err = startConsole(gctx, g, cfg, log.Named("console"), []*daemon.Config{&tc.Daemon, &wc.Daemon, &dc.Daemon, &ic.Daemon}, attachments); err != nil {
		return err
	}
	g.Go(func() error {
		// The local technician's records, once the services serve: a failure is logged, not
		// fatal (the run works without them; the next start tries again).
		select {
		case <-gctx.Done():
			return nil
		case <-allReady:
		}
		copts := rpc.ClientOptions{}
		if local != nil {
			o, err := ClientOptions(cfg.DataDir, "operator")
			if err != nil {
				log.Warn("local technician not seeded", zap.Error(err))
				return nil
			}
			copts = o
		}
		if err := seedLocal(gctx, dc.Daemon.Listen, ic.Daemon.Listen, copts); err != nil && gctx.Err() == nil {
			log.Warn("local technician not seeded", zap.Error(err))
		}
		return nil
	})
	g.Go(func() error { return ticket.Run(gctx, tc, log.Named("ticket"), to) })
	g.Go(func() error { return warranty.Run(gctx, wc, log.Named("warranty"), wo) })
	g.Go(func() error { return dispatch.Run(gctx, dc, log.Named("dispatch"), do) })
	g.Go(func() error { return inventory.Run(gctx, ic, log.Named("inventory"), io_) })
	return g.Wait()
}
