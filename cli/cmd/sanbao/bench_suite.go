package main

import (
	"context"
	"os"

	"github.com/sanbao/sanbao/cli/internal/bench"
)

// suiteUsage is the suite row of `sanbao bench -h`.
const suiteUsage = "suite [--duration 5s] [--walkers 64] [--rows a,b] [--cpuprofile f]\n" +
	"      the suite on loopback: each event-backbone figure beside its ceiling, measured in the same run"

// benchSuite is `sanbao bench suite [flags]` (and `sanbao bench` with no argument or only
// flags): the event-backbone figures beside their ceilings, in one run (see package bench for
// the rows and the output format).
func benchSuite(ctx context.Context, args []string) error {
	return bench.Main(ctx, args, os.Stdout)
}
