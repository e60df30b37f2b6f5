// Package vrptw reads the Solomon and Gehring & Homberger benchmark instances of the vehicle
// routing problem with time windows (the TSPLIB-style .vrptw format distributed with LKH-3),
// solves them with dispatch's day-plan solver, and checks solutions independently of it.
//
// Distances are Euclidean at full float precision (the literature's convention), travel time
// equals distance, and the objective is hierarchical: vehicles, then total distance.
package vrptw

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
)

// Instance is one benchmark instance. Node 0 is the depot (node 1 in the file).
type Instance struct {
	Name     string
	Vehicles int
	Capacity int
	// X, Y, Demand, Ready, Due and Service are per node, depot first.
	X, Y    []float64
	Demand  []int
	Ready   []float64
	Due     []float64
	Service []float64
}

// Customers returns the number of customers (nodes without the depot).
func (in *Instance) Customers() int { return len(in.X) - 1 }

// Dist returns the Euclidean distance between nodes a and b.
func (in *Instance) Dist(a, b int) float64 {
	return math.Hypot(in.X[a]-in.X[b], in.Y[a]-in.Y[b])
}

// ReadFile reads an instance from a .vrptw file.
func ReadFile(path string) (*Instance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return in, nil
}

// Read parses the .vrptw format: header lines "KEY : value", then NODE_COORD_SECTION,
// DEMAND_SECTION, TIME_WINDOW_SECTION and DEPOT_SECTION (node 1 the depot). SERVICE_TIME
// applies to every customer, unless a SERVICE_TIME_SECTION gives them one by one.
func Read(r io.Reader) (*Instance, error) {
	in := &Instance{}
	dim := 0
	service := 0.0
	section := ""
	sc := bufio.NewScanner(r)
	line := 0
	var svcSet []bool
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if text == "EOF" {
			break
		}
		if k, v, ok := strings.Cut(text, ":"); ok {
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			var err error
			switch k {
			case "NAME":
				in.Name = v
			case "DIMENSION":
				dim, err = strconv.Atoi(v)
				if err == nil && (dim < 2 || dim > 1_000_000) {
					err = errors.New("out of range")
				}
				if err == nil {
					in.X, in.Y = make([]float64, dim), make([]float64, dim)
					in.Demand = make([]int, dim)
					in.Ready, in.Due = make([]float64, dim), make([]float64, dim)
					in.Service = make([]float64, dim)
					svcSet = make([]bool, dim)
				}
			case "VEHICLES":
				in.Vehicles, err = strconv.Atoi(v)
			case "CAPACITY":
				in.Capacity, err = strconv.Atoi(v)
			case "SERVICE_TIME":
				service, err = strconv.ParseFloat(v, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", line, k, err)
			}
			continue
		}
		if strings.HasSuffix(text, "_SECTION") {
			section = text
			if dim == 0 {
				return nil, fmt.Errorf("line %d: %s before DIMENSION", line, text)
			}
			continue
		}
		f := strings.Fields(text)
		if section == "DEPOT_SECTION" {
			if f[0] != "-1" && f[0] != "1" {
				return nil, fmt.Errorf("line %d: depot %s: only node 1 is supported", line, f[0])
			}
			continue
		}
		want := map[string]int{"NODE_COORD_SECTION": 3, "DEMAND_SECTION": 2,
			"TIME_WINDOW_SECTION": 3, "SERVICE_TIME_SECTION": 2}[section]
		if want == 0 {
			return nil, fmt.Errorf("line %d: data outside a known section", line)
		}
		if len(f) < want {
			return nil, fmt.Errorf("line %d: %s needs %d fields", line, section, want)
		}
		nums := make([]float64, want)
		for i := range nums {
			x, err := strconv.ParseFloat(f[i], 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("line %d: field %d: not a number", line, i+1)
			}
			nums[i] = x
		}
		id := int(nums[0]) - 1
		if id < 0 || id >= dim || float64(id+1) != nums[0] {
			return nil, fmt.Errorf("line %d: node %v out of 1..%d", line, nums[0], dim)
		}
		switch section {
		case "NODE_COORD_SECTION":
			in.X[id], in.Y[id] = nums[1], nums[2]
		case "DEMAND_SECTION":
			in.Demand[id] = int(nums[1])
		case "TIME_WINDOW_SECTION":
			in.Ready[id], in.Due[id] = nums[1], nums[2]
		case "SERVICE_TIME_SECTION":
			in.Service[id], svcSet[id] = nums[1], true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if dim == 0 {
		return nil, errors.New("no DIMENSION")
	}
	for i := 1; i < dim; i++ {
		if !svcSet[i] {
			in.Service[i] = service
		}
	}
	in.Service[0] = 0
	if in.Vehicles <= 0 {
		in.Vehicles = dim - 1
	}
	return in, nil
}

// Model builds the solver's model: one node per file node, Euclidean cost and time, identical
// vehicles at the depot, vehicles first in the objective. The model offers twice the
// instance's vehicles (at most one per customer) so the greedy construction never leaves a
// customer out; fleet minimisation then brings the count down and Check holds the solution to
// the instance's own limit.
func (in *Instance) Model() *plan.Model {
	n := len(in.X)
	m := &plan.Model{Nodes: n, Cost: make([]float64, n*n), MinimiseVehicles: true, FleetLimit: in.Vehicles}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			m.Cost[a*n+b] = in.Dist(a, b)
		}
	}
	m.Time = m.Cost
	for i := 1; i < n; i++ {
		m.Jobs = append(m.Jobs, plan.Job{Node: i, Demand: in.Demand[i], Service: in.Service[i],
			Open: in.Ready[i], Close: in.Due[i], Due: plan.NoDue})
	}
	fleet := min(2*in.Vehicles, in.Customers())
	for v := 0; v < fleet; v++ {
		m.Vehicles = append(m.Vehicles, plan.Vehicle{Start: 0, End: 0, Open: in.Ready[0],
			Close: in.Due[0], Capacity: in.Capacity, Depot: -1})
	}
	return m
}

// Routes are a solution: each route lists customers (node numbers, depot 0 excluded) in
// order; the depot is implied at both ends.
type Routes [][]int

// Solve solves the instance and returns the non-empty routes.
func (in *Instance) Solve(ctx context.Context, opts plan.Options) (Routes, plan.Solution, error) {
	sol, err := plan.Solve(ctx, in.Model(), opts)
	if err != nil {
		return nil, sol, err
	}
	var rs Routes
	for _, r := range sol.Routes {
		if len(r.Visits) == 0 {
			continue
		}
		route := make([]int, len(r.Visits))
		for i, v := range r.Visits {
			route[i] = v.Job + 1
		}
		rs = append(rs, route)
	}
	return rs, sol, nil
}

// Check verifies routes against the instance on its own terms (it shares nothing with the
// solver): at most the instance's vehicles, every customer exactly once, capacity, every
// time window (waiting allowed), the return to the depot before it closes. It returns the
// total Euclidean distance, recomputed.
func (in *Instance) Check(rs Routes) (float64, error) {
	n := len(in.X)
	if len(rs) > in.Vehicles {
		return 0, fmt.Errorf("%d routes, %d vehicles", len(rs), in.Vehicles)
	}
	seen := make([]bool, n)
	total := 0.0
	for ri, r := range rs {
		load := 0
		t := in.Ready[0]
		prev := 0
		for _, c := range r {
			if c <= 0 || c >= n {
				return 0, fmt.Errorf("route %d: node %d is not a customer", ri, c)
			}
			if seen[c] {
				return 0, fmt.Errorf("route %d: customer %d served twice", ri, c)
			}
			seen[c] = true
			load += in.Demand[c]
			d := in.Dist(prev, c)
			total += d
			t = math.Max(t+in.Service[prev]+d, in.Ready[c])
			if t > in.Due[c]+1e-9 {
				return 0, fmt.Errorf("route %d: customer %d starts at %.3f after its window closes at %.0f", ri, c, t, in.Due[c])
			}
			prev = c
		}
		if load > in.Capacity {
			return 0, fmt.Errorf("route %d: load %d over capacity %d", ri, load, in.Capacity)
		}
		d := in.Dist(prev, 0)
		total += d
		if t+in.Service[prev]+d > in.Due[0]+1e-9 {
			return 0, fmt.Errorf("route %d: back at the depot at %.3f after %.0f", ri, t+in.Service[prev]+d, in.Due[0])
		}
	}
	for c := 1; c < n; c++ {
		if !seen[c] {
			return 0, fmt.Errorf("customer %d not served", c)
		}
	}
	return total, nil
}
