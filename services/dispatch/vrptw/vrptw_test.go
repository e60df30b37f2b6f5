package vrptw

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
)

// benchDir is the shared benchmark folder beside the repository (../shared/benchmarks/vrptw
// from its root), found from this package's directory; absent, the test is skipped.
func benchDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "benchmarks", "vrptw")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("benchmark instances not here (%s)", dir)
	}
	return dir
}

func TestSolveAndCheckInstances(t *testing.T) {
	dir := benchDir(t)
	for _, name := range []string{"Solomon_100/C101.100.10.vrptw", "Solomon_100/R201.100.4.vrptw", "Homberger_200/RC1_2_1.200.20.vrptw"} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			matches, _ := filepath.Glob(filepath.Join(dir, strings.SplitN(name, ".", 2)[0]+".*.vrptw"))
			if len(matches) == 0 {
				t.Skipf("%s not found", name)
			}
			in, err := ReadFile(matches[0])
			if err != nil {
				t.Fatal(err)
			}
			rs, sol, err := in.Solve(context.Background(), plan.Options{Seed: 1, MaxIterations: 300})
			if err != nil {
				t.Fatal(err)
			}
			if len(sol.Unassigned) > 0 {
				t.Fatalf("%d customers unassigned", len(sol.Unassigned))
			}
			// 300 iterations may not reach the instance's fleet; check everything else.
			in.Vehicles = max(in.Vehicles, len(rs))
			d, err := in.Check(rs)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d vehicles, distance %.2f", in.Name, len(rs), d)
		})
	}
}

const tiny = `NAME : TINY
TYPE : CVRPTW
DIMENSION : 4
VEHICLES : 2
CAPACITY : 10
SERVICE_TIME : 1
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 -3 -4
DEMAND_SECTION
1 0
2 4
3 5
4 6
TIME_WINDOW_SECTION
1 0 100
2 0 10
3 0 20
4 50 60
DEPOT_SECTION
1
-1
EOF
`

func TestReadAndCheck(t *testing.T) {
	in, err := Read(strings.NewReader(tiny))
	if err != nil {
		t.Fatal(err)
	}
	if in.Customers() != 3 || in.Service[1] != 1 || in.Service[0] != 0 || in.Due[3] != 60 || in.Demand[3] != 6 {
		t.Fatalf("read %+v", in)
	}
	d, err := in.Check(Routes{{1, 2}, {3}})
	if err != nil || d != 5+5+10+5+5 {
		t.Fatalf("good solution: %v, %v", d, err)
	}
	for name, rs := range map[string]Routes{
		"missing":      {{1, 2}},
		"twice":        {{1, 2}, {3, 1}},
		"capacity":     {{1, 2, 3}},
		"window":       {{2, 1}, {3}},
		"too many":     {{1}, {2}, {3}},
		"not customer": {{1, 2}, {3, 0}},
	} {
		if _, err := in.Check(rs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, text := range map[string]string{
		"no dimension": "NAME : X\nNODE_COORD_SECTION\n1 0 0\n",
		"bad number":   strings.Replace(tiny, "2 3 4", "2 3 x", 1),
		"node range":   strings.Replace(tiny, "4 -3 -4", "9 -3 -4", 1),
	} {
		if _, err := Read(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	rs, _, err := in.Solve(context.Background(), plan.Options{Seed: 1, MaxIterations: 200})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := in.Check(rs); err != nil || d > 30+1e-9 {
		t.Fatalf("solved: %v %v %v", rs, d, err)
	}
}

func TestReadBKS(t *testing.T) {
	dir := benchDir(t)
	bks, err := ReadBKS(filepath.Join(dir, "bks-solomon-100.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if k := bks["C101"]; k.Vehicles != 10 || k.Distance != 828.94 {
		t.Fatalf("C101: %+v", k)
	}
	lkh, err := ReadBKS(filepath.Join(dir, "lkh3-homberger-200-runs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if k := lkh["C1_2_5"]; k.Distance != 2702.041 {
		t.Fatalf("C1_2_5: %+v", k)
	}
}
