package suite

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/cli/internal/console"
	"github.com/sanbao/sanbao/cli/internal/importer"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

// DefaultConsoleListen is where the all-in-one serves its web console.
const DefaultConsoleListen = "127.0.0.1:8080"

// consoleRun is the all-in-one's console: where it serves and the local users' passwords.
type consoleRun struct {
	url       string
	passwords map[string]string
	dev       bool
}

// startConsole serves the web console in front of the services ds under g: the local issuer
// signs its local users in (passwords under <data-dir>/auth), and it calls each service's
// HTTP/JSON face (its gRPC address when it has none) over TLS with the local CA unless the run
// is insecure. Nil when the console is off.
func startConsole(ctx context.Context, g *errgroup.Group, cfg Config, log *zap.Logger, ds []*daemon.Config, attachments string) (*consoleRun, error) {
	lis := cfg.Listeners["console"]
	if lis == nil {
		addr := cfg.ConsoleListen
		if addr == "-" || (cfg.Listeners != nil && addr == "") { // tests give listeners; no fixed ports
			return nil, nil
		}
		if addr == "" {
			return nil, nil
		}
		var err error
		if lis, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("console: %w", err)
		}
	}
	local, err := auth.OpenLocal(AuthDir(cfg.DataDir))
	if err != nil {
		_ = lis.Close()
		return nil, fmt.Errorf("console: %w", err)
	}
	pw, err := console.LocalPasswords(AuthDir(cfg.DataDir))
	if err != nil {
		_ = lis.Close()
		return nil, fmt.Errorf("console: %w", err)
	}
	ccfg := console.Config{Services: map[string]string{}, HTTP: map[string]string{}, Local: local, Users: pw, Dev: cfg.ConsoleDev, Attachments: attachments}
	scheme := "http://"
	if !cfg.Insecure {
		tc, err := auth.ClientCA(local.CAFile())
		if err != nil {
			_ = lis.Close()
			return nil, fmt.Errorf("console: %w", err)
		}
		ccfg.Client = rpc.ClientOptions{Creds: credentials.NewTLS(tc)}
		ccfg.HTTPTLS = tc
		scheme = "https://"
	}
	for _, d := range ds {
		ccfg.Services[d.Name] = d.Listen
		if d.HTTP.Listen != "" {
			ccfg.HTTP[d.Name] = scheme + d.HTTP.Listen
		}
	}
	// The upload screen imports through the services' streaming imports (gRPC), as the CLI does.
	conns, closeConns, err := importer.Dial(ccfg.Services, ccfg.Client)
	if err != nil {
		_ = lis.Close()
		return nil, fmt.Errorf("console: %w", err)
	}
	ccfg.Upload = importer.Handler(conns)
	srv, err := console.New(ccfg, log)
	if err != nil {
		_ = lis.Close()
		closeConns()
		return nil, err
	}
	g.Go(func() error {
		defer closeConns()
		defer srv.Close()
		return console.Serve(ctx, lis, srv.Handler(), nil)
	})
	return &consoleRun{url: "http://" + lis.Addr().String() + "/", passwords: pw, dev: cfg.ConsoleDev}, nil
}

// print writes the console's address and the local users' passwords.
func (c *consoleRun) print(out io.Writer) {
	if c == nil {
		return
	}
	fmt.Fprintf(out, "  %-10s %s   (web console, 中文/English)\n", "console", c.url)
	fmt.Fprintf(out, "  %-10s %stech/   (the technician's phone app, installable; sign in on the console first as technician: tech-1, van VAN-TECH-1; assign it a job)\n", "phone", c.url)
	names := make([]string, 0, len(c.passwords))
	for n := range c.passwords {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, " %s/%s", n, c.passwords[n])
	}
	fmt.Fprintf(out, "  console sign-in (user/password):%s\n", b.String())
	if c.dev {
		fmt.Fprintln(out, "  console dev mode: one-click \"sign in as\" on the sign-in page")
	}
}
