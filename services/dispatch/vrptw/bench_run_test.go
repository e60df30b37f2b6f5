package vrptw

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestBenchManual runs the benchmark when VRPTW_DIR is set (a development aid).
func TestBenchManual(t *testing.T) {
	dir := os.Getenv("VRPTW_DIR")
	if dir == "" {
		t.Skip("VRPTW_DIR not set")
	}
	known, _ := ReadBKS(os.Getenv("VRPTW_BKS"))
	b, _ := time.ParseDuration(os.Getenv("VRPTW_BUDGET"))
	it, _ := strconv.Atoi(os.Getenv("VRPTW_ITER"))
	seed, _ := strconv.Atoi(os.Getenv("VRPTW_SEED"))
	if b == 0 && it == 0 {
		b = time.Second
	}
	_, err := Bench(context.Background(), dir, BenchOptions{Budget: b, Iterations: it, Seed: uint64(seed), Known: known, Filter: os.Getenv("VRPTW_FILTER")}, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
}
