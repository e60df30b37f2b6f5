package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/vrptw"
)

// benchCommand is one `sanbao bench <name>` row: its usage and how it runs. Another benchmark
// is one more row in benchCommands.
type benchCommand struct {
	usage string
	run   func(ctx context.Context, args []string) error
}

// benchCommands are the benchmarks by name.
var benchCommands = map[string]benchCommand{
	"suite": {
		usage: suiteUsage,
		run:   benchSuite,
	},
	"vrptw": {
		usage: vrptwUsage,
		run:   benchVRPTW,
	},
}

// runBench runs `sanbao bench <name> [flags]`; with no name, or flags only, the suite.
func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return benchSuite(ctx, args)
	}
	if len(args) > 0 {
		if c, ok := benchCommands[args[0]]; ok {
			return c.run(ctx, args[1:])
		}
	}
	fmt.Fprint(os.Stderr, benchUsage())
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown benchmark %q", args[0])
}

func benchUsage() string {
	names := make([]string, 0, len(benchCommands))
	for n := range benchCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: sanbao bench <benchmark> [flags]\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  sanbao bench %s\n", benchCommands[n].usage)
	}
	return b.String()
}

const vrptwUsage = "vrptw DIR [--budget 1s] [--iterations N] [--seed N] [--bks FILE] [--only NAME] [--cpu]\n" +
	"      dispatch's day-plan solver on every Solomon/Homberger .vrptw instance in DIR: each solution\n" +
	"      checked, vehicles, distance, gap to the best-known table and time per instance and class"

// benchVRPTW is `sanbao bench vrptw DIR [flags]` (flags before or after DIR).
func benchVRPTW(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench vrptw", flag.ContinueOnError)
	budget := fs.Duration("budget", time.Second, "time budget per instance (0: the iteration bound alone)")
	iters := fs.Int("iterations", 0, "iteration bound per instance, reproducible on any machine (0: the budget alone)")
	seed := fs.Uint64("seed", 0, "random seed")
	bks := fs.String("bks", "", "best-known CSV: bks-solomon-100.csv, or the LKH-3 runs CSV (Value = distance×1000, best seed kept)")
	only := fs.String("only", "", "only the instances whose name contains this")
	cpu := fs.Bool("cpu", false, "read the budget from the process's CPU time (one core's second with GOMAXPROCS=1 on a shared machine)")
	var dir string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		if dir != "" {
			return fmt.Errorf("bench vrptw: one DIR, got %q and %q", dir, rest[0])
		}
		dir, rest = rest[0], rest[1:]
	}
	if dir == "" {
		return errors.New("usage: sanbao bench " + vrptwUsage)
	}
	if *budget <= 0 && *iters <= 0 {
		return errors.New("bench vrptw: --budget or --iterations must be positive")
	}
	var known map[string]vrptw.Known
	if *bks != "" {
		var err error
		if known, err = vrptw.ReadBKS(*bks); err != nil {
			return err
		}
	}
	_, err := vrptw.Bench(ctx, dir, vrptw.BenchOptions{Budget: *budget, Iterations: *iters, Seed: *seed,
		Known: known, Filter: *only, CPUClock: *cpu}, os.Stdout)
	return err
}
