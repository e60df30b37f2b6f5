package plan

import (
	"math"
	"slices"
)

// SISR parameters (Christiaens & Vanden Berghe 2020, table 3), and a large ruin now and then.
const (
	avgRemoved = 10   // c̄: average customers removed per ruin
	maxString  = 10   // Lmax: longest string removed from one route
	splitRate  = 0.5  // probability of a split string rather than a string
	splitGrow  = 0.5  // probability of keeping one more job inside a split string
	blinkRate  = 0.01 // probability of skipping an insertion position
	// One ruin in twenty is large (c̄ 40, strings up to 30): on short runs it frees solutions
	// stuck with long routes in the wrong clusters (C2, RC2).
	bigRate = 0.05
	bigC    = 40
	bigL    = 30
)

// ruin removes adjacent strings of jobs around a random seed job (SISR's ruin). Pinned jobs
// stay where they are.
func (s *solver) ruin(x *sol) {
	jobs := 0
	used := 0
	for v := range x.routes {
		if n := x.routes[v].jobs(); n > 0 {
			jobs += n
			used++
		}
		s.ruined[v] = false
	}
	if used == 0 {
		return
	}
	cbar, lmax := float64(avgRemoved), float64(maxString)
	if s.rng.Float64() < bigRate {
		cbar, lmax = bigC, bigL
	}
	lsMax := math.Min(lmax, float64(jobs)/float64(used))
	ksMax := 4*cbar/(1+lsMax) - 1
	ks := int(math.Floor(1 + s.rng.Float64()*ksMax))
	seed := s.rng.IntN(s.J)
	done := 0
	for _, c := range s.neigh[seed] {
		if done >= ks {
			break
		}
		v := x.where[c]
		if v < 0 || s.ruined[v] {
			continue
		}
		r := &x.routes[v]
		ltMax := math.Min(float64(r.jobs()), lsMax)
		lt := int(math.Floor(1 + s.rng.Float64()*ltMax))
		if lt < 1 {
			lt = 1
		}
		if s.rng.Float64() < splitRate && lt < r.jobs() {
			s.removeSplit(x, int(v), c, lt)
		} else {
			s.removeString(x, int(v), c, lt)
		}
		s.ruined[v] = true
		done++
	}
}

func indexOf(p []int32, c int32) int {
	for i, x := range p {
		if x == c {
			return i
		}
	}
	return -1
}

// removeString removes l consecutive jobs containing c from route v.
func (s *solver) removeString(x *sol, v int, c int32, l int) {
	r := &x.routes[v]
	n := len(r.path)
	pos := indexOf(r.path, c)
	lo := max(1, pos-l+1)
	hi := min(pos, n-1-l)
	st := lo
	if hi > lo {
		st += s.rng.IntN(hi - lo + 1)
	}
	s.cut(x, v, st, st+l, -1, -1)
}

// removeSplit removes l jobs from a window of l+m consecutive jobs containing c, keeping m
// consecutive ones inside it (m grows by one with probability splitGrow).
func (s *solver) removeSplit(x *sol, v int, c int32, l int) {
	r := &x.routes[v]
	jobs := r.jobs()
	m := 1
	for m < jobs-l && s.rng.Float64() < splitGrow {
		m++
	}
	w := l + m
	n := len(r.path)
	pos := indexOf(r.path, c)
	lo := max(1, pos-w+1)
	hi := min(pos, n-1-w)
	st := lo
	if hi > lo {
		st += s.rng.IntN(hi - lo + 1)
	}
	keep := st + s.rng.IntN(l+1)
	s.cut(x, v, st, st+w, keep, keep+m)
}

// cut removes the jobs at path positions [from, to) of route v except those in [keepFrom,
// keepTo) and pinned ones, putting them out.
func (s *solver) cut(x *sol, v, from, to, keepFrom, keepTo int) {
	r := &x.routes[v]
	old := r.cost
	p := r.path
	w := from
	for k := from; k < len(p); k++ {
		j := p[k]
		if k < to && (k < keepFrom || k >= keepTo) && !s.pinned[j] {
			x.where[j] = -1
			x.out = append(x.out, j)
			x.cost += s.penalty[j]
			continue
		}
		p[w] = j
		w++
	}
	r.path = p[:w]
	s.update(v, r)
	x.cost += r.cost - old
	if r.jobs() == 0 && w != len(p) {
		x.used--
	}
}

// removeRoute empties route v (pinned jobs stay).
func (s *solver) removeRoute(x *sol, v int) {
	r := &x.routes[v]
	if r.jobs() == 0 {
		return
	}
	s.cut(x, v, 1, len(r.path)-1, -1, -1)
}

// recreate inserts the jobs left out, each at its cheapest feasible place (SISR's greedy
// insertion with blinks), opening at most maxUsed routes in all.
func (s *solver) recreate(x *sol, maxUsed int, blink float64) {
	if len(x.out) == 0 {
		return
	}
	s.sortOut(x)
	rest := s.order[:0]
	for _, u := range x.out {
		bv, bp, bd := -1, -1, math.Inf(1)
		triedEmpty := false
		for v := 0; v < s.V; v++ {
			empty := x.routes[v].jobs() == 0
			if empty && (x.used >= maxUsed || (triedEmpty && s.twins)) {
				continue
			}
			pos, d := s.bestInsert(x, v, u, blink, bd)
			if empty && s.ok[int(u)*s.V+v] {
				triedEmpty = true
			}
			if pos >= 0 {
				bv, bp, bd = v, pos, d
			}
		}
		if bv < 0 {
			rest = append(rest, u)
			continue
		}
		s.insert(x, bv, u, bp)
	}
	s.order = rest
	x.out = append(x.out[:0], rest...)
}

// sortOut orders the jobs to insert: pinned first, then by penalty (urgent first), then by
// one of SISR's orders drawn at random (random 4, demand 4, far 2, close 1).
func (s *solver) sortOut(x *sol) {
	k := s.rng.IntN(11)
	for _, u := range x.out {
		var key float64
		switch {
		case k < 4:
			key = s.rng.Float64()
		case k < 8:
			key = -float64(s.dem[u])
		case k < 10:
			key = -s.d[int(s.start(0))*s.S+int(u)]
		default:
			key = s.d[int(s.start(0))*s.S+int(u)]
		}
		s.keys[u] = key
	}
	slices.SortFunc(x.out, func(a, b int32) int {
		if s.pinned[a] != s.pinned[b] {
			if s.pinned[a] {
				return -1
			}
			return 1
		}
		if s.penalty[a] != s.penalty[b] {
			if s.penalty[a] > s.penalty[b] {
				return -1
			}
			return 1
		}
		ka, kb := s.keys[a], s.keys[b]
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return int(a - b)
	})
}
