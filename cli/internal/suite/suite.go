// Package suite runs the whole of Sanbao in one process: an embedded NATS server with JetStream
// and the four services, each with its bbolt file under one data directory. It is what
// `make run` starts.
package suite

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natsembed"
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
	// Listeners, when set, are where each service serves gRPC ("ticket", ...) and its metrics
	// ("ticket-metrics", ...) and admin endpoints ("ticket-admin", ...) instead of the fixed
	// ports; tests use them.
	Listeners map[string]net.Listener
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
	ns, err := natsembed.Start(natsembed.Config{Host: cfg.Host, Port: cfg.NATSPort, StoreDir: filepath.Join(cfg.DataDir, "nats")})
	if err != nil {
		return err
	}
	defer func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	}()
	natsURL := ns.ClientURL()

	tc := ticket.DefaultConfig()
	wc := warranty.DefaultConfig()
	dc := dispatch.DefaultConfig()
	ic := inventory.DefaultConfig()
	for _, d := range []*daemon.Config{&tc.Daemon, &wc.Daemon, &dc.Daemon, &ic.Daemon} {
		d.DataDir = filepath.Join(cfg.DataDir, d.Name)
		d.NATSURL = natsURL
	}

	var mu sync.Mutex
	ready := map[string]string{}
	onReady := func(name, addr, metrics string) func(*daemon.Platform) {
		return func(*daemon.Platform) {
			mu.Lock()
			defer mu.Unlock()
			ready[name] = fmt.Sprintf("  %-10s gRPC %-17s metrics http://%s/metrics", name, addr, metrics)
			if len(ready) == 4 {
				fmt.Fprintf(out, "\nSanbao is running (data in %s)\n  %-10s %s\n", cfg.DataDir, "nats", natsURL)
				for _, n := range []string{"ticket", "warranty", "dispatch", "inventory"} {
					fmt.Fprintln(out, ready[n])
				}
				fmt.Fprintf(out, "Try: grpcurl -plaintext %s list    |    go run ./cli/cmd/sanbao demo    |    Ctrl-C stops\n\n", tc.Daemon.Listen)
			}
		}
	}
	opts := func(d *daemon.Config) daemon.Options {
		o := daemon.Options{Listener: cfg.Listeners[d.Name], MetricsListener: cfg.Listeners[d.Name+"-metrics"],
			AdminListener: cfg.Listeners[d.Name+"-admin"]}
		if cfg.Listeners != nil && o.AdminListener == nil {
			d.AdminListen = "" // tests give listeners; no fixed ports
		}
		if o.Listener != nil {
			d.Listen = o.Listener.Addr().String()
		}
		if o.MetricsListener != nil {
			d.MetricsListen = o.MetricsListener.Addr().String()
		}
		o.OnReady = onReady(d.Name, d.Listen, d.MetricsListen)
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
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ticket.Run(gctx, tc, log.Named("ticket"), to) })
	g.Go(func() error { return warranty.Run(gctx, wc, log.Named("warranty"), wo) })
	g.Go(func() error { return dispatch.Run(gctx, dc, log.Named("dispatch"), do) })
	g.Go(func() error { return inventory.Run(gctx, ic, log.Named("inventory"), io_) })
	return g.Wait()
}
