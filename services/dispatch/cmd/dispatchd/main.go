// Command dispatchd runs Sanbao's dispatch service; --help lists its flags and their SANBAO_*
// variables.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // technicians' calendar zones work on images without a zoneinfo database

	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/services/dispatch"
)

func main() {
	cfg := dispatch.DefaultConfig()
	os.Exit(daemon.Main("dispatchd", &cfg, &cfg.Daemon, func(ctx context.Context, log *zap.Logger) error {
		return dispatch.Run(ctx, cfg, log, daemon.Options{})
	}))
}
