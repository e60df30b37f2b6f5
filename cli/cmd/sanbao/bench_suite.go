package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sanbao/sanbao/cli/internal/bench"
)

// benchSuite is `sanbao bench suite [flags]` (and `sanbao bench` with no argument or only
// flags): the event-backbone figures beside their ceilings, in one run (see package bench for
// the rows and the output format).
func benchSuite(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "suite" {
		args = args[1:]
	}
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		return fmt.Errorf("unknown bench %q (sanbao bench suite)", args[0])
	}
	return bench.Main(ctx, args, os.Stdout)
}
