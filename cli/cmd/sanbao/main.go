// Command sanbao is Sanbao's command-line tool: it runs the whole suite in one process (run),
// walks a ticket through its life against a running suite (demo), prints events as they happen
// (events tail), does a service desk's everyday work (ticket create, show, list, contact,
// close), serves the web console (console) and runs benchmarks (bench).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/desk"
	"github.com/sanbao/sanbao/cli/internal/report"
	"github.com/sanbao/sanbao/cli/internal/suite"
	"github.com/sanbao/sanbao/cli/internal/tail"
	"github.com/sanbao/sanbao/platform/daemon"
)

const usage = `sanbao — after-sales service platform (三包: repair, replace, refund)

Usage:
  sanbao run [--data-dir ./data] [--nats-port 4222] [--log-level info] [--insecure] [--console-listen 127.0.0.1:8080] [--console-dev]
        embedded NATS + ticket, warranty, dispatch, inventory and the web console in one process,
        with TLS and tokens from a throw-away local CA under <data-dir>/auth (it prints each
        role's token and console password)
  sanbao console --ticket-addr ... --warranty-addr ... --dispatch-addr ... --inventory-addr ... [flags]
        the web console on its own, in front of the four services (sanbao console -h)
  sanbao demo [--ticket-addr ...] [--nats-url ...] [--ca ...] [--token ... | --token-file ...]
        walk one ticket from intake to survey against a running suite, printing each step and event
  sanbao events tail [--nats-url tls://127.0.0.1:4222] [--nats-cert ... --nats-key ... --ca ...] [--subject 'sanbao.>'] [--history] [--json]
        print events readably as they happen; reconnects forever and says when it lost or regained the server
  sanbao ticket create|show|list|contact|close [flags]
        the service desk's everyday commands (sanbao ticket -h)
  sanbao bench [suite] [--duration 5s] [--walkers 64] [--rows a,b] [--cpuprofile f]
        start the suite on loopback and print the event-backbone figures beside their ceilings
  sanbao bench vrptw DIR [--budget 1s] [--seed N] [--bks FILE]
        benchmarks (sanbao bench -h): dispatch's day-plan solver on Solomon/Homberger instances
  sanbao import KIND FILE [--validate-only] [--json] [--lang zh|en] [--warranty-addr ...] [--ca ...] [--token ...]
        load units (and more kinds, sanbao import -h) from CSV/XLSX: every row checked, all or none
  sanbao kpi [--days 30 | --from 2026-11-01 --to 2026-12-01] [--organisation O] [--region R] [--product-line L] [--json]
        the service KPIs against their targets (GetServiceMetrics) as a table
  sanbao stock PART_ID [--location L] [--json]      a part's stock per location (GetStock)
  sanbao reservations --job J [--state active] [--json]    a job's parts reservations (ListReservations)
        (kpi, stock and reservations take --addr, --ca, --token/--token-file, --insecure)
  sanbao version
        the module version and the VCS revision the binary was built from
  sanbao deadletters list|show|retry|drop [--service ticket] [--admin-addr ...] [id]
        events a service parked because they could never be published or applied
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sanbao:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "run":
		return runSuite(ctx, args[1:])
	case "demo":
		return demo.Main(ctx, args[1:], os.Stdout)
	case "console":
		return runConsole(ctx, args[1:])
	case "events":
		if len(args) < 2 || args[1] != "tail" {
			return errors.New("usage: sanbao events tail [flags]")
		}
		return eventsTail(ctx, args[2:])
	case "ticket":
		return desk.Main(ctx, args[1:], os.Stdout)
	case "bench":
		return runBench(ctx, args[1:])
	case "deadletters":
		return deadLetters(ctx, args[1:], os.Stdout)
	case "kpi":
		return report.KPI(ctx, args[1:], os.Stdout)
	case "stock":
		return report.Stock(ctx, args[1:], os.Stdout)
	case "reservations":
		return report.Reservations(ctx, args[1:], os.Stdout)
	case "version", "--version":
		return version(os.Stdout)
	case "import":
		return importCmd(ctx, args[1:], os.Stdout, os.Stderr)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func runSuite(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var env daemon.Env
	var cfg suite.Config
	fs.StringVar(&cfg.DataDir, "data-dir", env.String("SANBAO_DATA_DIR", "./data"), "directory for every service's data and NATS's [SANBAO_DATA_DIR]")
	fs.IntVar(&cfg.NATSPort, "nats-port", 4222, "embedded NATS client port")
	level := fs.String("log-level", env.String("SANBAO_LOG_LEVEL", "info"), "debug, info, warn, error [SANBAO_LOG_LEVEL]")
	fs.BoolVar(&cfg.Insecure, "insecure", env.Bool("SANBAO_INSECURE", false), "plaintext without authentication (logs a warning); default: TLS and tokens from a local CA under <data-dir>/auth [SANBAO_INSECURE]")
	fs.StringVar(&cfg.Trace.Export, "trace-export", env.String("SANBAO_TRACE_EXPORT", ""), "spans of every service: off, stdout (printed, one JSON object per span) or otlp (a local collector at OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:4317); empty: otlp when that variable is set, else off [SANBAO_TRACE_EXPORT]")
	fs.Float64Var(&cfg.Trace.Sample, "trace-sample", env.Float("SANBAO_TRACE_SAMPLE", 1), "share of new traces recorded, 0 to 1 [SANBAO_TRACE_SAMPLE]")
	fs.StringVar(&cfg.ConsoleListen, "console-listen", env.String("SANBAO_CONSOLE_LISTEN", suite.DefaultConsoleListen), "where the web console serves; - for none [SANBAO_CONSOLE_LISTEN]")
	fs.BoolVar(&cfg.ConsoleDev, "console-dev", env.Bool("SANBAO_CONSOLE_DEV", false), "offer one-click \"sign in as\" of the local users on the console's sign-in page (development only) [SANBAO_CONSOLE_DEV]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := env.Err(); err != nil {
		return err
	}
	log, err := daemon.NewLogger(*level, "console")
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	return suite.Run(ctx, cfg, log, os.Stdout)
}

func eventsTail(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("events tail", flag.ContinueOnError)
	var env daemon.Env
	url := fs.String("nats-url", env.String("SANBAO_NATS_URL", creds.NATSURL), "NATS URL; tls:// presents --nats-cert [SANBAO_NATS_URL]")
	var cf creds.Flags
	cf.RegisterNATS(fs, &env)
	var o tail.Options
	fs.StringVar(&o.Subject, "subject", "sanbao.>", "subject filter")
	fs.BoolVar(&o.History, "history", false, "print what the streams hold first, then follow")
	fs.BoolVar(&o.JSON, "json", false, "print each event's whole body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nopts, err := cf.NATS(*url)
	if err != nil {
		return err
	}
	return tail.Follow(ctx, *url, nopts, os.Stdout, o, tail.DefaultBackoff)
}
