package plan

import (
	"math"
	"testing"
)

func checkSol(t *testing.T, s *solver, x *sol) {
	t.Helper()
	c, used := 0.0, 0
	for v := range x.routes {
		r := &x.routes[v]
		old := r.cost
		s.update(v, r)
		if math.Abs(old-r.cost) > 1e-6 {
			t.Fatalf("route %d cost %v recomputed %v", v, old, r.cost)
		}
		c += r.cost
		if r.jobs() > 0 {
			used++
		}
		if r.bad {
			t.Fatalf("route %d infeasible", v)
		}
		for _, j := range r.path[1 : len(r.path)-1] {
			if x.where[j] != int32(v) {
				t.Fatalf("where[%d]=%d, on %d", j, x.where[j], v)
			}
		}
	}
	for _, j := range x.out {
		c += s.penalty[j]
		if x.where[j] != -1 {
			t.Fatalf("out job %d where %d", j, x.where[j])
		}
	}
	if math.Abs(c-x.cost) > 1e-3 || used != x.used {
		t.Fatalf("cost %v recomputed %v, used %d recomputed %d", x.cost, c, x.used, used)
	}
}

func TestConsistency(t *testing.T) {
	// random Euclidean instance
	m := randomModel(60, 8, 7)
	s := newSolver(m, 1)
	cur := s.newSol()
	s.recreate(cur, s.V, 0)
	checkSol(t, s, cur)
	for i := 0; i < 3000; i++ {
		s.ruin(cur)
		checkSol(t, s, cur)
		s.recreate(cur, 5, blinkRate)
		checkSol(t, s, cur)
	}
}
