// Command inventoryd runs the Sanbao parts-inventory service.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // --time-zone works on images without a zoneinfo database

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/services/inventory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "inventoryd:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg := inventory.DefaultConfig()
	fs := flag.NewFlagSet("inventoryd", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	log, err := daemon.NewLogger(cfg.Daemon.LogLevel, cfg.Daemon.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return inventory.Run(ctx, cfg, log, daemon.Options{})
}
