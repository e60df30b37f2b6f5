package vrptw

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
)

// Known is a reference result for an instance: vehicles (0 when unknown) and distance.
type Known struct {
	Vehicles int
	Distance float64
}

// ReadBKS reads a best-known table: a CSV with a header and rows "instance,vehicles,distance"
// (bks-solomon-100.csv), or the LKH-3 runs CSV "Instance,Trials,Seed,Value,Penalty,Time(s)"
// whose Value is the distance × 1000 (the best of its seeds is kept). Instance names are cut
// at the first dot.
func ReadBKS(path string) (map[string]Known, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("read %s: empty", path)
	}
	head := rows[0]
	out := map[string]Known{}
	lkh := len(head) >= 4 && strings.EqualFold(head[3], "Value")
	for i, r := range rows[1:] {
		if len(r) < 3 || (lkh && len(r) < 4) {
			return nil, fmt.Errorf("read %s: row %d: too few fields", path, i+2)
		}
		name, _, _ := strings.Cut(r[0], ".")
		var k Known
		if lkh {
			v, err := strconv.ParseFloat(r[3], 64)
			if err != nil {
				return nil, fmt.Errorf("read %s: row %d: value: %w", path, i+2, err)
			}
			k.Distance = v / 1000
		} else {
			k.Vehicles, err = strconv.Atoi(r[1])
			if err != nil {
				return nil, fmt.Errorf("read %s: row %d: vehicles: %w", path, i+2, err)
			}
			k.Distance, err = strconv.ParseFloat(r[2], 64)
			if err != nil {
				return nil, fmt.Errorf("read %s: row %d: distance: %w", path, i+2, err)
			}
		}
		if old, ok := out[name]; !ok || k.Distance < old.Distance {
			out[name] = k
		}
	}
	return out, nil
}

// Result is one instance solved and checked.
type Result struct {
	Name     string
	Class    string
	Vehicles int
	Distance float64
	Known    Known
	HasKnown bool
	Elapsed  time.Duration
	CPU      time.Duration
	Iter     int
	Err      error
}

// Gap returns (distance − known) / known in percent.
func (r Result) Gap() float64 {
	return 100 * (r.Distance - r.Known.Distance) / r.Known.Distance
}

// Class returns an instance's class from its name: C101 → C1, RC2_2_3 → RC2.
func Class(name string) string {
	i := 0
	for i < len(name) && name[i] >= 'A' && name[i] <= 'Z' {
		i++
	}
	if i < len(name) {
		return name[:i+1]
	}
	return name
}

// BenchOptions steer Bench.
type BenchOptions struct {
	Budget time.Duration
	// Iterations bounds each instance's search by iterations instead (reproducible on any
	// machine); 0 means the budget alone.
	Iterations int
	Seed       uint64
	// Known maps instance names to reference results; nil prints no gaps.
	Known map[string]Known
	// Filter keeps instances whose name contains it ("" keeps all).
	Filter string
	// CPUClock reads the budget from the process's CPU time instead of the wall clock: on a
	// shared machine, one second of one core (run with GOMAXPROCS=1).
	CPUClock bool
}

// Bench solves every .vrptw file in dir, checks each solution, and writes a table per instance,
// one per class and the averages to w. It returns the results.
func Bench(ctx context.Context, dir string, o BenchOptions, w io.Writer) ([]Result, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.vrptw"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .vrptw files in %s", dir)
	}
	sort.Slice(files, func(i, j int) bool { return natLess(filepath.Base(files[i]), filepath.Base(files[j])) })
	clock := "wall clock"
	if o.CPUClock && haveCPUClock {
		clock = "process CPU time"
	}
	fmt.Fprintf(w, "%s: budget %v (%s), %d iterations (0: no bound) per instance, seed %d, GOMAXPROCS %d\n\n",
		dir, o.Budget, clock, o.Iterations, o.Seed, runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "instance\tvehicles\tdistance\tbks veh\tbks dist\tgap %\ttime\tcpu\titer\t")
	var res []Result
	for _, f := range files {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		in, err := ReadFile(f)
		if err != nil {
			return res, err
		}
		if o.Filter != "" && !strings.Contains(in.Name, o.Filter) {
			continue
		}
		r := Result{Name: in.Name, Class: Class(in.Name)}
		r.Known, r.HasKnown = o.Known[in.Name]
		opts := plan.Options{Seed: o.Seed, Budget: o.Budget, MaxIterations: o.Iterations}
		if o.CPUClock {
			opts.Now = cpuNow
		}
		start, cpu0 := time.Now(), cpuNow()
		rs, sol, err := in.Solve(ctx, opts)
		r.Elapsed, r.CPU = time.Since(start), cpuNow().Sub(cpu0)
		r.Iter = sol.Iterations
		if err == nil {
			r.Distance, err = in.Check(rs)
			r.Vehicles = len(rs)
		}
		r.Err = err
		res = append(res, r)
		writeRow(tw, r)
	}
	tw.Flush()
	fmt.Fprintln(w)
	writeSummary(w, res)
	return res, nil
}

func writeRow(tw io.Writer, r Result) {
	if r.Err != nil {
		fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t%.2fs\t%.2fs\t%d\t  INFEASIBLE: %v\n", r.Name, r.Elapsed.Seconds(), r.CPU.Seconds(), r.Iter, r.Err)
		return
	}
	bv, bd, gap := "-", "-", "-"
	if r.HasKnown {
		if r.Known.Vehicles > 0 {
			bv = strconv.Itoa(r.Known.Vehicles)
		}
		bd = fmt.Sprintf("%.2f", r.Known.Distance)
		gap = fmt.Sprintf("%+.2f", r.Gap())
		if r.Known.Vehicles > 0 && r.Vehicles > r.Known.Vehicles {
			gap += "*"
		}
	}
	fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%s\t%s\t%.2fs\t%.2fs\t%d\t\n", r.Name, r.Vehicles, r.Distance, bv, bd, gap, r.Elapsed.Seconds(), r.CPU.Seconds(), r.Iter)
}

type agg struct {
	n, feasible, known, more, fewer int
	veh, bksVeh, bksVehN            int
	dist, gap, gapSame              float64
	same                            int
	secs, cpu                       float64
}

func (a *agg) add(r Result) {
	a.n++
	a.secs += r.Elapsed.Seconds()
	a.cpu += r.CPU.Seconds()
	if r.Err != nil {
		return
	}
	a.feasible++
	a.veh += r.Vehicles
	a.dist += r.Distance
	if !r.HasKnown {
		return
	}
	a.known++
	a.gap += r.Gap()
	if r.Known.Vehicles > 0 {
		a.bksVeh += r.Known.Vehicles
		a.bksVehN++
	}
	switch {
	case r.Known.Vehicles > 0 && r.Vehicles > r.Known.Vehicles:
		a.more++
	case r.Known.Vehicles > 0 && r.Vehicles < r.Known.Vehicles:
		a.fewer++
		a.gapSame += r.Gap()
		a.same++
	default:
		a.gapSame += r.Gap()
		a.same++
	}
}

func writeSummary(w io.Writer, res []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\tinstances\tfeasible\tavg veh\tavg bks veh\tavg dist\tavg gap %\tmore veh\tgap % at ≤ bks veh\tavg time\tavg cpu\t")
	var classes []string
	by := map[string]*agg{}
	all := &agg{}
	for _, r := range res {
		if by[r.Class] == nil {
			by[r.Class] = &agg{}
			classes = append(classes, r.Class)
		}
		by[r.Class].add(r)
		all.add(r)
	}
	row := func(name string, a *agg) {
		f := func(x float64, n int) string {
			if n == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", x/float64(n))
		}
		g := func(x float64, n int) string {
			if n == 0 {
				return "-"
			}
			return fmt.Sprintf("%+.2f", x/float64(n))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%.2fs\t%.2fs\t\n", name, a.n, a.feasible,
			f(float64(a.veh), a.feasible), f(float64(a.bksVeh), a.bksVehN), f(a.dist, a.feasible),
			g(a.gap, a.known), a.more, g(a.gapSame, a.same), a.secs/math.Max(1, float64(a.n)), a.cpu/math.Max(1, float64(a.n)))
	}
	for _, c := range classes {
		row(c, by[c])
	}
	row("all", all)
	tw.Flush()
	fmt.Fprintf(w, "\ngap = (distance − bks) / bks; * and \"more veh\": more vehicles than the best-known solution.\n")
}

// natLess orders names with embedded numbers numerically (C1_2_2 before C1_2_10).
func natLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			x, _ := strconv.Atoi(a[:da])
			y, _ := strconv.Atoi(b[:db])
			if x != y {
				return x < y
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
