package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

// Leg is one drive: how long it takes and how far it is.
type Leg struct {
	Duration time.Duration
	Km       float64
}

// Travel gives the drive between two points. StraightLine is the default; Matrix serves a road
// engine's recorded answers (OSRM's table service).
type Travel interface {
	Leg(from, to domain.Point) (Leg, error)
}

// ErrUnknownPoint is a Travel without an answer for a point.
var ErrUnknownPoint = errors.New("plan: point not in the travel matrix")

// StraightLine estimates a drive as the great-circle distance times a road factor, at an
// average speed.
type StraightLine struct {
	// RoadFactor multiplies the great-circle distance (1.3 is typical).
	RoadFactor float64
	// SpeedKmh is the average driving speed.
	SpeedKmh float64
}

var _ Travel = StraightLine{}

// Leg returns the estimate; it never fails.
func (s StraightLine) Leg(from, to domain.Point) (Leg, error) {
	km := domain.GreatCircleKm(from, to) * s.RoadFactor
	if s.SpeedKmh <= 0 {
		return Leg{}, fmt.Errorf("straight line: speed %v km/h must be positive", s.SpeedKmh)
	}
	return Leg{Km: km, Duration: time.Duration(km / s.SpeedKmh * float64(time.Hour))}, nil
}

// Matrix is a recorded road-network matrix: durations and distances between a set of points.
// A point is matched to the nearest location of the matrix within Tolerance km (road engines
// snap points to the road network, so the recorded locations differ slightly from the
// requested ones).
type Matrix struct {
	points    []domain.Point
	durations [][]float64 // seconds
	distances [][]float64 // metres
	exact     map[domain.Point]int
	// Tolerance is the farthest, in km, a point may be from its matched location.
	Tolerance float64
}

var _ Travel = (*Matrix)(nil)

// osrmTable is the body of OSRM's /table/v1 answer with annotations=duration,distance.
type osrmTable struct {
	Code      string       `json:"code"`
	Durations [][]*float64 `json:"durations"` // null: no route
	Distances [][]*float64 `json:"distances"`
	Sources   []struct {
		Location []float64 `json:"location"` // [lon, lat]
	} `json:"sources"`
	Destinations []struct {
		Location []float64 `json:"location"`
	} `json:"destinations"`
}

// NewMatrix is a matrix over points: durations in seconds and distances in metres (nil: no
// distances), rows by source, -1 for a pair without a route; points are matched within
// tolerance km.
func NewMatrix(points []domain.Point, durations, distances [][]float64, tolerance float64) (*Matrix, error) {
	n := len(points)
	if len(durations) != n || (distances != nil && len(distances) != n) {
		return nil, fmt.Errorf("matrix: %d points, %d duration rows, %d distance rows", n, len(durations), len(distances))
	}
	for i := range n {
		if len(durations[i]) != n || (distances != nil && len(distances[i]) != n) {
			return nil, fmt.Errorf("matrix: row %d: need %d columns", i, n)
		}
	}
	m := &Matrix{points: points, durations: durations, distances: distances, Tolerance: tolerance,
		exact: make(map[domain.Point]int, n)}
	for i, p := range points {
		m.exact[p] = i
	}
	return m, nil
}

// Points returns the distinct points of a day: the technicians' start, end and depot, and the
// jobs' sites, in that order.
func (d Day) Points() []domain.Point {
	seen := map[domain.Point]bool{}
	var out []domain.Point
	add := func(p domain.Point) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, t := range d.Technicians {
		add(t.Start)
		add(t.End)
		if t.Depot != nil {
			add(*t.Depot)
		}
	}
	for _, j := range d.Jobs {
		add(j.Location)
	}
	return out
}

// ParseOSRMTable reads an OSRM table-service answer (all points as both sources and
// destinations, annotations=duration,distance) into a Matrix with a 0.2 km tolerance.
func ParseOSRMTable(data []byte) (*Matrix, error) {
	var t osrmTable
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("osrm table: %w", err)
	}
	if t.Code != "" && t.Code != "Ok" {
		return nil, fmt.Errorf("osrm table: code %q", t.Code)
	}
	n := len(t.Sources)
	if n == 0 || len(t.Destinations) != n || len(t.Durations) != n {
		return nil, fmt.Errorf("osrm table: need a square matrix, have %d sources, %d destinations, %d rows",
			n, len(t.Destinations), len(t.Durations))
	}
	m := &Matrix{durations: unnull(t.Durations), distances: unnull(t.Distances), Tolerance: 0.2}
	for i, s := range t.Sources {
		if len(s.Location) != 2 {
			return nil, fmt.Errorf("osrm table: source %d: location needs [lon, lat]", i)
		}
		m.points = append(m.points, domain.Point{Lat: s.Location[1], Lon: s.Location[0]})
		if len(t.Durations[i]) != n || (t.Distances != nil && len(t.Distances[i]) != n) {
			return nil, fmt.Errorf("osrm table: row %d: need %d columns", i, n)
		}
	}
	if t.Distances != nil && len(t.Distances) != n {
		return nil, fmt.Errorf("osrm table: %d distance rows, need %d", len(t.Distances), n)
	}
	return m, nil
}

// unnull turns a JSON matrix with nulls into one with -1 for them.
func unnull(rows [][]*float64) [][]float64 {
	if rows == nil {
		return nil
	}
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = make([]float64, len(r))
		for j, x := range r {
			out[i][j] = -1
			if x != nil {
				out[i][j] = *x
			}
		}
	}
	return out
}

func (m *Matrix) index(p domain.Point) (int, error) {
	if i, ok := m.exact[p]; ok {
		return i, nil
	}
	best, bi := math.Inf(1), -1
	for i, q := range m.points {
		if d := domain.GreatCircleKm(p, q); d < best {
			best, bi = d, i
		}
	}
	if bi < 0 || best > m.Tolerance {
		return 0, fmt.Errorf("%w: (%.5f, %.5f)", ErrUnknownPoint, p.Lat, p.Lon)
	}
	return bi, nil
}

// Leg returns the recorded drive between the matrix locations nearest from and to. A pair the
// engine could not route (null) is an error.
func (m *Matrix) Leg(from, to domain.Point) (Leg, error) {
	a, err := m.index(from)
	if err != nil {
		return Leg{}, err
	}
	b, err := m.index(to)
	if err != nil {
		return Leg{}, err
	}
	sec := m.durations[a][b]
	if math.IsNaN(sec) || sec < 0 {
		return Leg{}, fmt.Errorf("%w: no route from %d to %d", ErrUnknownPoint, a, b)
	}
	l := Leg{Duration: time.Duration(sec * float64(time.Second))}
	if m.distances != nil && m.distances[a][b] >= 0 {
		l.Km = m.distances[a][b] / 1000
	}
	return l, nil
}
