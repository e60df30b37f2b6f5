// Package osrm is dispatch's client of a road-network engine the operator runs: OSRM's table
// service (http://project-osrm.org/docs/v5.24.0/api/#table-service), which answers the driving
// durations and distances between a set of points. The day plan asks it for the matrix of a
// day's points instead of estimating straight lines.
package osrm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain/plan"
)

// Client calls one OSRM server.
type Client struct {
	// BaseURL is the server, e.g. http://osrm:5000.
	BaseURL string
	// Profile is the routing profile in the URL (default "driving").
	Profile string
	// MaxLocations is the server's max-table-size (osrm-routed --max-table-size, default
	// 100): a matrix of more points is asked for in blocks of sources × destinations that
	// each stay under it.
	MaxLocations int
	// Parallel bounds the block requests in flight (default 4).
	Parallel int
	// HTTP is the client (default: 10 s timeout).
	HTTP *http.Client
}

// maxAnswer bounds one table answer's body (100 × 100 numbers with annotations is ~300 KB).
const maxAnswer = 8 << 20

// Table returns the matrix between pts, every point a source and a destination. Pairs OSRM
// cannot route are -1 (plan.Matrix reports them as unknown).
func (c *Client) Table(ctx context.Context, pts []domain.Point) (*plan.Matrix, error) {
	n := len(pts)
	if n == 0 {
		return plan.NewMatrix(nil, nil, nil, 0.01)
	}
	block := max(c.MaxLocations, 2) / 2
	if c.MaxLocations == 0 {
		block = 50
	}
	dur, dist := square(n), square(n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(c.Parallel, 1))
	if c.Parallel == 0 {
		g.SetLimit(4)
	}
	for si := 0; si < n; si += block {
		for di := 0; di < n; di += block {
			src := span{si, min(si+block, n)}
			dst := span{di, min(di+block, n)}
			g.Go(func() error { return c.block(gctx, pts, src, dst, dur, dist) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return plan.NewMatrix(pts, dur, dist, 0.01)
}

type span struct{ from, to int }

func square(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

// table is the part of OSRM's answer the client reads.
type table struct {
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	Durations [][]*float64 `json:"durations"`
	Distances [][]*float64 `json:"distances"`
}

// block asks for the durations from the points in src to those in dst and writes them into
// dur and dist (disjoint cells per block, so blocks run in parallel).
func (c *Client) block(ctx context.Context, pts []domain.Point, src, dst span, dur, dist [][]float64) error {
	// Coordinates: the sources, then the destinations that are not among them.
	var coords []string
	var sources, dests []string
	index := map[int]int{}
	add := func(i int) int {
		if k, ok := index[i]; ok {
			return k
		}
		index[i] = len(coords)
		coords = append(coords, strconv.FormatFloat(pts[i].Lon, 'f', 6, 64)+","+strconv.FormatFloat(pts[i].Lat, 'f', 6, 64))
		return index[i]
	}
	for i := src.from; i < src.to; i++ {
		sources = append(sources, strconv.Itoa(add(i)))
	}
	for i := dst.from; i < dst.to; i++ {
		dests = append(dests, strconv.Itoa(add(i)))
	}
	profile := c.Profile
	if profile == "" {
		profile = "driving"
	}
	u := strings.TrimRight(c.BaseURL, "/") + "/table/v1/" + url.PathEscape(profile) + "/" + strings.Join(coords, ";") +
		"?annotations=duration,distance&sources=" + strings.Join(sources, ";") + "&destinations=" + strings.Join(dests, ";")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("osrm table: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("osrm table: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("osrm table: %w", err)
	}
	if len(body) > maxAnswer {
		return errors.New("osrm table: answer over 8 MiB")
	}
	var t table
	if err := json.Unmarshal(body, &t); err != nil {
		return fmt.Errorf("osrm table: HTTP %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || t.Code != "Ok" {
		return fmt.Errorf("osrm table: HTTP %d, code %q: %s", resp.StatusCode, t.Code, t.Message)
	}
	rows, cols := src.to-src.from, dst.to-dst.from
	if len(t.Durations) != rows || (t.Distances != nil && len(t.Distances) != rows) {
		return fmt.Errorf("osrm table: %d duration rows for %d sources", len(t.Durations), rows)
	}
	for r := range rows {
		if len(t.Durations[r]) != cols || (t.Distances != nil && len(t.Distances[r]) != cols) {
			return fmt.Errorf("osrm table: row %d has %d columns for %d destinations", r, len(t.Durations[r]), cols)
		}
		for k := range cols {
			dur[src.from+r][dst.from+k] = value(t.Durations[r][k])
			dist[src.from+r][dst.from+k] = -1
			if t.Distances != nil {
				dist[src.from+r][dst.from+k] = value(t.Distances[r][k])
			}
		}
	}
	return nil
}

// value is a JSON number, or -1 for null (no route).
func value(x *float64) float64 {
	if x == nil {
		return -1
	}
	return *x
}
