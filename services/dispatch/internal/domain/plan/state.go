package plan

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Stops are indexed internally: jobs 0..J-1, vehicle starts J..J+V-1, vehicle ends
// J+V..J+2V-1, depots J+2V..J+3V-1. Every per-stop array and the S×S matrices use that index.

const (
	defaultLate    = 1e7
	defaultPenalty = 1e9
	infeasible     = 1e15
)

// solver holds the precomputed problem and the scratch space of one Solve.
type solver struct {
	m       *Model
	J, V, S int
	d, t    []float64 // S×S cost and time
	svc     []float64
	open    []float64
	close   []float64
	due     []float64
	dem     []int
	penalty []float64
	ok      []bool // J×V: job may go on vehicle
	pickup  []bool // J×V: job needs the vehicle's depot stop first (nil when none)
	pinned  []bool
	simple  bool // no soft deadlines, no depot stops: O(1) insertion checks
	twins   bool // every vehicle alike and every job allowed on each: one empty route to try
	lateW   float64
	neigh   [][]int32 // jobs by cost from each job, nearest first
	rng     *rand.Rand

	// scratch
	order   []int32
	removed []bool
	ruined  []bool
	keys    []float64
}

func (s *solver) start(v int) int32 { return int32(s.J + v) }
func (s *solver) end(v int) int32   { return int32(s.J + s.V + v) }
func (s *solver) depot(v int) int32 { return int32(s.J + 2*s.V + v) }

func newSolver(m *Model, seed uint64) *solver {
	J, V := len(m.Jobs), len(m.Vehicles)
	S := J + 3*V
	s := &solver{m: m, J: J, V: V, S: S, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	node := make([]int, S)
	s.svc = make([]float64, S)
	s.open = make([]float64, S)
	s.close = make([]float64, S)
	s.due = make([]float64, S)
	s.dem = make([]int, S)
	for i := range s.due {
		s.due[i] = math.Inf(1)
	}
	s.penalty = make([]float64, J)
	s.pinned = make([]bool, J)
	s.ok = make([]bool, J*V)
	s.simple = true
	for j, job := range m.Jobs {
		node[j] = job.Node
		s.svc[j], s.open[j], s.close[j], s.dem[j] = job.Service, job.Open, job.Close, job.Demand
		if !math.IsInf(job.Due, 1) && !math.IsNaN(job.Due) && job.Due != 0 {
			s.due[j] = job.Due
			s.simple = false
		}
		s.penalty[j] = job.Penalty
		if s.penalty[j] == 0 {
			s.penalty[j] = defaultPenalty
		}
		s.pinned[j] = job.Pinned
		if job.Allowed == nil {
			for v := 0; v < V; v++ {
				s.ok[j*V+v] = true
			}
		} else {
			for _, v := range job.Allowed {
				s.ok[j*V+v] = true
			}
		}
		if len(job.Pickup) > 0 {
			if s.pickup == nil {
				s.pickup = make([]bool, J*V)
			}
			s.simple = false
			for _, v := range job.Pickup {
				s.pickup[j*V+v] = true
			}
		}
	}
	for v, veh := range m.Vehicles {
		st, en, dp := s.start(v), s.end(v), s.depot(v)
		node[st], node[en] = veh.Start, veh.End
		s.open[st], s.close[st] = veh.Open, veh.Close
		s.open[en], s.close[en] = veh.Open, veh.Close
		node[dp] = veh.Start
		if veh.Depot >= 0 {
			node[dp] = veh.Depot
		}
		s.svc[dp] = veh.DepotService
		s.open[dp], s.close[dp] = veh.Open, veh.Close
	}
	s.twins = s.pickup == nil
	for j := 0; j < J && s.twins; j++ {
		for v := 0; v < V; v++ {
			if !s.ok[j*V+v] {
				s.twins = false
				break
			}
		}
	}
	for v := 1; v < V && s.twins; v++ {
		if m.Vehicles[v] != m.Vehicles[0] {
			s.twins = false
		}
	}
	s.d = make([]float64, S*S)
	s.t = make([]float64, S*S)
	n := m.Nodes
	for a := 0; a < S; a++ {
		for b := 0; b < S; b++ {
			s.d[a*S+b] = m.Cost[node[a]*n+node[b]]
			s.t[a*S+b] = m.Time[node[a]*n+node[b]]
		}
	}
	s.lateW = m.LateWeight
	if s.lateW == 0 {
		s.lateW = defaultLate
	}
	s.neigh = make([][]int32, J)
	for j := 0; j < J; j++ {
		l := make([]int32, 0, J)
		for k := 0; k < J; k++ {
			l = append(l, int32(k))
		}
		row := s.d[j*S:]
		sort.SliceStable(l, func(a, b int) bool {
			if l[a] == int32(j) || l[b] == int32(j) {
				return l[a] == int32(j) && l[b] != int32(j)
			}
			return row[l[a]] < row[l[b]]
		})
		s.neigh[j] = l
	}
	s.removed = make([]bool, J)
	s.ruined = make([]bool, V)
	s.keys = make([]float64, J)
	return s
}

// route is one vehicle's day: path holds start, jobs, end.
type route struct {
	path    []int32
	es, ls  []float64 // simple mode: earliest and latest start of service per position
	load    int
	travel  float64
	late    int
	pickups int // jobs on the route that need the depot stop
	cost    float64
	bad     bool // infeasible (only after a removal on a matrix without the triangle inequality)
}

func (r *route) jobs() int { return len(r.path) - 2 }

// sol is a solution: every vehicle's route and the jobs left out.
type sol struct {
	routes []route
	where  []int32 // job → vehicle, -1 when unassigned
	out    []int32 // unassigned jobs
	cost   float64 // routes + penalties
	used   int
}

func (s *solver) newSol() *sol {
	x := &sol{routes: make([]route, s.V), where: make([]int32, s.J)}
	for v := range x.routes {
		r := &x.routes[v]
		r.path = append(make([]int32, 0, 16), s.start(v), s.end(v))
		r.es = make([]float64, 2, 16)
		r.ls = make([]float64, 2, 16)
		s.update(v, r)
	}
	for j := range x.where {
		x.where[j] = -1
		x.out = append(x.out, int32(j))
	}
	s.total(x)
	return x
}

// copyInto makes dst equal to src reusing dst's memory.
func copyInto(dst, src *sol) {
	if len(dst.routes) != len(src.routes) {
		dst.routes = make([]route, len(src.routes))
	}
	for i := range src.routes {
		d, r := &dst.routes[i], &src.routes[i]
		d.path = append(d.path[:0], r.path...)
		d.es = append(d.es[:0], r.es...)
		d.ls = append(d.ls[:0], r.ls...)
		d.load, d.travel, d.late, d.pickups, d.cost, d.bad = r.load, r.travel, r.late, r.pickups, r.cost, r.bad
	}
	dst.where = append(dst.where[:0], src.where...)
	dst.out = append(dst.out[:0], src.out...)
	dst.cost, dst.used = src.cost, src.used
}

// total recomputes the solution's cost and vehicles used from its routes.
func (s *solver) total(x *sol) {
	c, used := 0.0, 0
	for v := range x.routes {
		r := &x.routes[v]
		c += r.cost
		if r.jobs() > 0 {
			used++
		}
	}
	for _, j := range x.out {
		c += s.penalty[j]
	}
	x.cost, x.used = c, used
}

// update recomputes a route's schedule, load and cost after a change.
func (s *solver) update(v int, r *route) {
	S := s.S
	p := r.path
	n := len(p)
	load, travel, pick := 0, 0.0, 0
	for k := 1; k < n-1; k++ {
		j := p[k]
		load += s.dem[j]
		if s.pickup != nil && s.pickup[int(j)*s.V+v] {
			pick++
		}
	}
	r.load, r.pickups = load, pick
	if cap(r.es) < n {
		r.es = make([]float64, n, 2*n)
		r.ls = make([]float64, n, 2*n)
	}
	r.es, r.ls = r.es[:n], r.ls[:n]
	veh := &s.m.Vehicles[v]
	bad := load > veh.Capacity
	late := 0
	if s.simple {
		r.es[0] = veh.Open
		for k := 1; k < n; k++ {
			a, b := p[k-1], p[k]
			travel += s.d[int(a)*S+int(b)]
			arr := r.es[k-1] + s.svc[a] + s.t[int(a)*S+int(b)]
			if arr < s.open[b] {
				arr = s.open[b]
			}
			r.es[k] = arr
			if arr > s.close[b] {
				bad = true
			}
		}
		r.ls[n-1] = s.close[p[n-1]]
		for k := n - 2; k >= 0; k-- {
			a, b := p[k], p[k+1]
			l := r.ls[k+1] - s.svc[a] - s.t[int(a)*S+int(b)]
			if l > s.close[a] {
				l = s.close[a]
			}
			r.ls[k] = l
		}
	} else {
		var ok bool
		travel, late, ok = s.simulate(v, p, -1, 0, pick > 0)
		bad = bad || !ok
	}
	r.travel, r.late, r.bad = travel, late, bad
	r.cost = s.routeCost(v, n-2, travel, late, bad)
}

func (s *solver) routeCost(v, jobs int, travel float64, late int, bad bool) float64 {
	if jobs == 0 {
		return 0
	}
	c := travel + float64(late)*s.lateW + s.m.Vehicles[v].FixedCost
	if bad {
		c += infeasible
	}
	return c
}

// simulate drives path (with job u inserted before position at, when u ≥ 0) and returns the
// travel cost, the late arrivals and whether every hard window, and the return, hold.
func (s *solver) simulate(v int, p []int32, u int32, at int, depot bool) (float64, int, bool) {
	S := s.S
	veh := &s.m.Vehicles[v]
	now := veh.Open
	prev := p[0]
	travel := 0.0
	late := 0
	ok := true
	if depot {
		dp := s.depot(v)
		travel += s.d[int(prev)*S+int(dp)]
		now += s.t[int(prev)*S+int(dp)] + s.svc[dp]
		prev = dp
	}
	n := len(p)
	for k := 1; k < n; k++ {
		if int(u) >= 0 && k == at {
			travel += s.d[int(prev)*S+int(u)]
			now += s.t[int(prev)*S+int(u)]
			if now < s.open[u] {
				now = s.open[u]
			}
			if now > s.close[u] {
				return travel, late, false
			}
			if now > s.due[u] {
				late++
			}
			now += s.svc[u]
			prev = u
		}
		b := p[k]
		travel += s.d[int(prev)*S+int(b)]
		now += s.t[int(prev)*S+int(b)]
		if now < s.open[b] {
			now = s.open[b]
		}
		if now > s.close[b] {
			ok = false
		}
		if now > s.due[b] {
			late++
		}
		now += s.svc[b]
		prev = b
	}
	return travel, late, ok
}

// bestInsert finds the cheapest feasible place for job u in route v; it returns the position
// (insert before path[pos]) and the cost delta, or pos -1. blink skips a position with that
// probability (SISR's blinks).
func (s *solver) bestInsert(x *sol, v int, u int32, blink float64, best float64) (int, float64) {
	if !s.ok[int(u)*s.V+v] {
		return -1, 0
	}
	r := &x.routes[v]
	veh := &s.m.Vehicles[v]
	if r.load+s.dem[u] > veh.Capacity {
		return -1, 0
	}
	S := s.S
	p := r.path
	n := len(p)
	pos := -1
	fixed := 0.0
	if n == 2 {
		fixed = veh.FixedCost
	}
	if s.simple {
		du := s.d[int(u)*S:]
		tu := s.t[int(u)*S:]
		cl, op, sv := s.close[u], s.open[u], s.svc[u]
		for k := 0; k < n-1; k++ {
			a, b := p[k], p[k+1]
			dep := r.es[k] + s.svc[a]
			if dep > cl {
				break
			}
			delta := s.d[int(a)*S+int(u)] + du[b] - s.d[int(a)*S+int(b)] + fixed
			if delta >= best {
				continue
			}
			st := dep + s.t[int(a)*S+int(u)]
			if st > cl {
				continue
			}
			if st < op {
				st = op
			}
			if st+sv+tu[b] > r.ls[k+1] {
				continue
			}
			if blink > 0 && s.rng.Float64() < blink {
				continue
			}
			best, pos = delta, k+1
		}
		return pos, best
	}
	depot := r.pickups > 0 || (s.pickup != nil && s.pickup[int(u)*s.V+v])
	for k := 1; k < n; k++ {
		travel, late, ok := s.simulate(v, p, u, k, depot)
		if !ok {
			continue
		}
		delta := s.routeCost(v, n-1, travel, late, false) - r.cost
		if delta >= best {
			continue
		}
		if blink > 0 && s.rng.Float64() < blink {
			continue
		}
		best, pos = delta, k
	}
	return pos, best
}

// insert puts job u into route v before path[pos].
func (s *solver) insert(x *sol, v int, u int32, pos int) {
	r := &x.routes[v]
	old := r.cost
	wasEmpty := r.jobs() == 0
	r.path = append(r.path, 0)
	copy(r.path[pos+1:], r.path[pos:])
	r.path[pos] = u
	s.update(v, r)
	x.where[u] = int32(v)
	x.cost += r.cost - old - s.penalty[u]
	if wasEmpty {
		x.used++
	}
}
