package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
)

// Flags is a service's configuration, which registers its own flags.
type Flags interface {
	RegisterFlags(fs *flag.FlagSet)
}

// Main is the body of a service binary's main: it parses the flags of cfg (whose daemon part is
// d), builds the logger, runs until SIGTERM or SIGINT and returns the process exit code:
//
//	func main() {
//		cfg := ticket.DefaultConfig()
//		os.Exit(daemon.Main("ticketd", &cfg, &cfg.Daemon, func(ctx context.Context, log *zap.Logger) error {
//			return ticket.Run(ctx, cfg, log, daemon.Options{})
//		}))
//	}
func Main(binary string, cfg Flags, d *Config, run func(ctx context.Context, log *zap.Logger) error) int {
	fs := flag.NewFlagSet(binary, flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	log, err := NewLogger(d.LogLevel, d.LogFormat)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: --log-level: %v\n", binary, err)
		return 2
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, log); err != nil {
		log.Error("exiting", zap.Error(err))
		fmt.Fprintf(os.Stderr, "%s: %v\n", binary, err)
		return 1
	}
	return 0
}
