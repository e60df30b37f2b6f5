// Command inventoryd runs Sanbao's inventory service; --help lists its flags and their SANBAO_* variables.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // --time-zone works on images without a zoneinfo database

	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/services/inventory"
)

func main() {
	cfg := inventory.DefaultConfig()
	os.Exit(daemon.Main("inventoryd", &cfg, &cfg.Daemon, func(ctx context.Context, log *zap.Logger) error {
		return inventory.Run(ctx, cfg, log, daemon.Options{})
	}))
}
