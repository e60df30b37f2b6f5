// Command ticketd runs Sanbao's ticket service; --help lists its flags and their SANBAO_*
// variables.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // calendar time zones work on images without a zoneinfo database

	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/services/ticket"
)

func main() {
	cfg := ticket.DefaultConfig()
	os.Exit(daemon.Main("ticketd", &cfg, &cfg.Daemon, func(ctx context.Context, log *zap.Logger) error {
		return ticket.Run(ctx, cfg, log, daemon.Options{})
	}))
}
