// Package plan orders technicians' days: a vehicle routing solver with time windows (VRPTW)
// and the field-service constraints dispatch needs (start and end points, working hours,
// skills, capacity, parts on the van, fixed appointments, soft deadlines, jobs left out with a
// reason).
//
// The solver works on a Model: indexed stops with travel cost and travel time matrices. The
// literature benchmark (Solomon, Homberger) builds a Model directly; the field-service day plan
// (Day, PlanDay) builds one from technicians, jobs and a Travel source. The method is the one of
// Christiaens & Vanden Berghe (2020), "Slack Induction by String Removals for Vehicle Routing
// Problems": a greedy construction, a fleet-minimisation phase (remove a route, reinsert its
// customers, absence counters steer the search) and adjacent-string ruin with greedy insertion
// with blinks under simulated annealing. Time-window feasibility of an insertion is O(1) through
// per-route earliest-start and latest-start arrays when the model has no soft deadlines and no
// depot stops; otherwise the route is simulated.
//
// The solver is deterministic for a seed and an iteration count; the time budget is read only
// through the clock passed in Options.
package plan

import (
	"errors"
	"fmt"
	"math"
)

// Model is the indexed problem the solver works on. Travel matrices are indexed by node:
// Cost[a*Nodes+b] is what the objective counts for driving from a to b (distance for the
// literature problem, seconds for a day plan) and Time[a*Nodes+b] how long the drive takes.
type Model struct {
	// Nodes is the number of locations; Cost and Time hold Nodes×Nodes entries.
	Nodes int
	Cost  []float64
	Time  []float64
	// Jobs are the visits to make.
	Jobs []Job
	// Vehicles are the routes available (one per technician).
	Vehicles []Vehicle
	// MinimiseVehicles puts the number of vehicles used first in the objective (the
	// literature's hierarchical objective: vehicles, then distance). Without it the objective
	// is late arrivals, then cost, then each used vehicle's FixedCost.
	MinimiseVehicles bool
	// FleetLimit, with MinimiseVehicles, is the most vehicles a solution may use when
	// Vehicles offers more (room for the construction): the fleet phase runs past its share
	// of the budget until it gets there. 0 means len(Vehicles).
	FleetLimit int
	// LateWeight is what one late arrival (service starting after Job.Due) costs in the
	// objective; 0 means 1e7, enough to rank late arrivals before any travel.
	LateWeight float64
}

// Job is one visit.
type Job struct {
	// Node is the job's location.
	Node int
	// Demand is what the job takes of a vehicle's capacity.
	Demand int
	// Service is how long the visit takes on site.
	Service float64
	// Open and Close bound the start of service (a hard window); waiting for Open is allowed.
	Open, Close float64
	// Due is a soft deadline: a service starting after it is a late arrival. Use
	// math.Inf(1) (or NoDue) for none.
	Due float64
	// Penalty is what leaving the job out costs; 0 means 1e9 (urgent jobs get more).
	Penalty float64
	// Allowed lists the vehicles that may serve the job; nil means every vehicle.
	Allowed []int
	// Pickup lists the vehicles that must make their depot stop before serving the job
	// (their van lacks the parts); they must also appear in Allowed or Allowed be nil.
	Pickup []int
	// Pinned marks a fixed appointment: Allowed names its one vehicle and the window is
	// the agreed start ([t, t]). The solver places pinned jobs first and never moves them.
	Pinned bool
}

// NoDue is Job.Due for a job without a soft deadline.
var NoDue = math.Inf(1)

// Vehicle is one route: where it starts and ends, when it may work, what it carries.
type Vehicle struct {
	// Start and End are nodes; they may be the same.
	Start, End int
	// Open is the earliest departure; Close the latest return to End.
	Open, Close float64
	// Capacity bounds the sum of the demands served.
	Capacity int
	// FixedCost is added to the objective when the vehicle serves any job.
	FixedCost float64
	// Depot is the node of the stock location visited first when a job needs it (see
	// Job.Pickup); -1 for none. DepotService is the time spent there.
	Depot        int
	DepotService float64
}

// ErrModel marks a Model that cannot be solved as given.
var ErrModel = errors.New("plan: invalid model")

// Validate checks sizes and indexes; it returns an error wrapping ErrModel naming the first
// problem.
func (m *Model) Validate() error {
	n := m.Nodes
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrModel, fmt.Sprintf(format, a...))
	}
	if n <= 0 {
		return bad("no nodes")
	}
	if len(m.Cost) != n*n || len(m.Time) != n*n {
		return bad("cost and time need %d entries, have %d and %d", n*n, len(m.Cost), len(m.Time))
	}
	for i, c := range m.Cost {
		if math.IsNaN(c) || math.IsNaN(m.Time[i]) || c < 0 || m.Time[i] < 0 {
			return bad("cost or time %d is negative or NaN", i)
		}
	}
	if len(m.Vehicles) == 0 {
		return bad("no vehicles")
	}
	for i, v := range m.Vehicles {
		if v.Start < 0 || v.Start >= n || v.End < 0 || v.End >= n || v.Depot >= n {
			return bad("vehicle %d: node out of range", i)
		}
		if v.Close < v.Open || v.Capacity < 0 {
			return bad("vehicle %d: close before open or negative capacity", i)
		}
	}
	for i, j := range m.Jobs {
		if j.Node < 0 || j.Node >= n {
			return bad("job %d: node out of range", i)
		}
		if j.Close < j.Open || j.Service < 0 || j.Demand < 0 {
			return bad("job %d: close before open, negative service or demand", i)
		}
		for _, v := range append(append([]int(nil), j.Allowed...), j.Pickup...) {
			if v < 0 || v >= len(m.Vehicles) {
				return bad("job %d: vehicle %d out of range", i, v)
			}
		}
		for _, v := range j.Pickup {
			if m.Vehicles[v].Depot < 0 {
				return bad("job %d: vehicle %d has no depot for the pickup", i, v)
			}
		}
		if j.Pinned && len(j.Allowed) != 1 {
			return bad("job %d: pinned needs exactly one allowed vehicle", i)
		}
	}
	return nil
}
