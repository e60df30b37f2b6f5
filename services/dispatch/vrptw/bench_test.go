package vrptw

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
)

// BenchmarkSolveIterations measures ruin-and-recreate iterations on Solomon instances (one
// op = one Solve of 1,000 iterations); allocs/op shows the hot loop does not allocate.
func BenchmarkSolveIterations(b *testing.B) {
	dir := filepath.Join(benchDir(b), "Solomon_100")
	for _, name := range []string{"R101", "RC201", "C201"} {
		matches, _ := filepath.Glob(filepath.Join(dir, name+".*.vrptw"))
		if len(matches) == 0 {
			b.Skip("instances not here")
		}
		in, err := ReadFile(matches[0])
		if err != nil {
			b.Fatal(err)
		}
		m := in.Model()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plan.Solve(context.Background(), m, plan.Options{Seed: 1, MaxIterations: 1000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
