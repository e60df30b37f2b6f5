// Command dispatchd runs Sanbao's dispatch service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/services/dispatch"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dispatchd:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := dispatch.DefaultConfig()
	fs := flag.NewFlagSet("dispatchd", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := daemon.NewLogger(cfg.Daemon.LogLevel, cfg.Daemon.LogFormat)
	if err != nil {
		return fmt.Errorf("logger: %w", err)
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return dispatch.Run(ctx, cfg, log, daemon.Options{})
}
