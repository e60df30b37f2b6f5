package plan

import (
	"math"
	"math/rand/v2"
)

// randomModel is a Euclidean VRPTW with n jobs and v vehicles at a central depot.
func randomModel(n, v int, seed uint64) *Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	N := n + 1
	x, y := make([]float64, N), make([]float64, N)
	x[0], y[0] = 50, 50
	for i := 1; i < N; i++ {
		x[i], y[i] = rng.Float64()*100, rng.Float64()*100
	}
	m := &Model{Nodes: N, Cost: make([]float64, N*N), MinimiseVehicles: true}
	for a := 0; a < N; a++ {
		for b := 0; b < N; b++ {
			m.Cost[a*N+b] = math.Hypot(x[a]-x[b], y[a]-y[b])
		}
	}
	m.Time = m.Cost
	for i := 1; i < N; i++ {
		o := rng.Float64() * 600
		m.Jobs = append(m.Jobs, Job{Node: i, Demand: 1 + rng.IntN(20), Service: 10, Open: o, Close: o + 60 + rng.Float64()*200, Due: NoDue})
	}
	for k := 0; k < v; k++ {
		m.Vehicles = append(m.Vehicles, Vehicle{Start: 0, End: 0, Open: 0, Close: 1000, Capacity: 200, Depot: -1})
	}
	return m
}
