// Command warrantyd runs Sanbao's warranty-rules service; --help lists its flags and their
// SANBAO_* variables.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // policy time zones work on images without a zoneinfo database

	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/services/warranty"
)

func main() {
	cfg := warranty.DefaultConfig()
	os.Exit(daemon.Main("warrantyd", &cfg, &cfg.Daemon, func(ctx context.Context, log *zap.Logger) error {
		return warranty.Run(ctx, cfg, log, daemon.Options{})
	}))
}
