package osrm

import (
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/osrm/osrmtest"
)

func TestTableInBlocks(t *testing.T) {
	var calls atomic.Int32
	srv := osrmtest.Start(t, 4, &calls)
	var pts []domain.Point
	for i := range 7 {
		pts = append(pts, domain.Point{Lat: 36 + float64(i)*0.1, Lon: 117 + float64(i%3)*0.05})
	}
	c := &Client{BaseURL: srv.URL, MaxLocations: 4}
	m, err := c.Table(context.Background(), pts)
	if err != nil {
		t.Fatalf("Table: %v", err)
	}
	if n := calls.Load(); n != 16 { // 7 points in blocks of 2: 4 × 4 blocks
		t.Fatalf("%d requests, want 16 blocks of at most 4 coordinates", n)
	}
	for _, a := range pts {
		for _, b := range pts {
			l, err := m.Leg(a, b)
			if err != nil {
				t.Fatalf("Leg(%v, %v): %v", a, b, err)
			}
			deg := math.Abs(a.Lat-b.Lat) + math.Abs(a.Lon-b.Lon)
			if want := time.Duration(deg * 1000 * float64(time.Second)); (l.Duration - want).Abs() > time.Millisecond {
				t.Fatalf("Leg(%v, %v) = %v, want %v", a, b, l.Duration, want)
			}
			if math.Abs(l.Km-deg*100) > 1e-6 {
				t.Fatalf("Leg(%v, %v) = %.3f km, want %.3f", a, b, l.Km, deg*100)
			}
		}
	}
}

func TestTableErrors(t *testing.T) {
	var calls atomic.Int32
	srv := osrmtest.Start(t, 4, &calls)
	pts := []domain.Point{{Lat: 36, Lon: 117}, {Lat: 36.1, Lon: 117.1}, {Lat: 36.2, Lon: 117.2}}
	// A server whose max-table-size is smaller than the client was told.
	if _, err := (&Client{BaseURL: srv.URL, MaxLocations: 10}).Table(context.Background(), append(pts, pts[0], pts[1])); err == nil ||
		!strings.Contains(err.Error(), "Too many table coordinates") {
		t.Fatalf("over the server's limit: %v, want its message", err)
	}
	// A point the engine cannot route is unknown to the matrix, not a zero drive.
	m, err := (&Client{BaseURL: srv.URL, MaxLocations: 4}).Table(context.Background(), append(pts[:1], domain.Point{}))
	if err != nil {
		t.Fatalf("Table: %v", err)
	}
	if _, err := m.Leg(pts[0], domain.Point{}); err == nil {
		t.Fatal("Leg to an unroutable point succeeded")
	}
	// A server that is not there.
	srv.Close()
	if _, err := (&Client{BaseURL: srv.URL}).Table(context.Background(), pts); err == nil {
		t.Fatal("Table against a closed server succeeded")
	}
}
