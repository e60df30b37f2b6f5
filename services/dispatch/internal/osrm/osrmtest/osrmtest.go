// Package osrmtest is a fake OSRM table service for tests.
package osrmtest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Seconds is the fake's drive between two points: 1,000 s per degree of latitude plus
// longitude.
func Seconds(lat1, lon1, lat2, lon2 float64) float64 {
	return (math.Abs(lat1-lat2) + math.Abs(lon1-lon2)) * 1000
}

// Metres is the fake's road distance: 100 km per degree of latitude plus longitude.
func Metres(lat1, lon1, lat2, lon2 float64) float64 {
	return (math.Abs(lat1-lat2) + math.Abs(lon1-lon2)) * 100000
}

// Start runs a fake OSRM server (a road engine is outside our system) that answers the table
// service like osrm-routed: durations of 1000 s per degree of
// latitude plus longitude (a grid of roads), distances of 100 km per degree, null to or from
// the point (0, 0), and an error for more than max coordinates.
func Start(t testing.TB, max int, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls != nil {
			calls.Add(1)
		}
		rest, ok := strings.CutPrefix(r.URL.Path, "/table/v1/driving/")
		if !ok {
			http.Error(w, `{"code":"InvalidUrl"}`, http.StatusBadRequest)
			return
		}
		var pts [][2]float64
		for _, c := range strings.Split(rest, ";") {
			lon, lat, _ := strings.Cut(c, ",")
			x, _ := strconv.ParseFloat(lon, 64)
			y, _ := strconv.ParseFloat(lat, 64)
			pts = append(pts, [2]float64{x, y})
		}
		if len(pts) > max {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code":"TooBig","message":"Too many table coordinates"}`)
			return
		}
		idx := func(s string) []int {
			var out []int
			for _, v := range strings.Split(s, ";") {
				n, _ := strconv.Atoi(v)
				out = append(out, n)
			}
			return out
		}
		// OSRM separates indices with ";", which net/url's query parsing refuses: read it raw.
		params := map[string]string{}
		for _, kv := range strings.Split(r.URL.RawQuery, "&") {
			k, v, _ := strings.Cut(kv, "=")
			params[k] = v
		}
		src, dst := idx(params["sources"]), idx(params["destinations"])
		var resp struct {
			Code      string       `json:"code"`
			Durations [][]*float64 `json:"durations"`
			Distances [][]*float64 `json:"distances"`
		}
		resp.Code = "Ok"
		for _, s := range src {
			var dr, sr []*float64
			for _, d := range dst {
				a, b := pts[s], pts[d]
				if a == [2]float64{} || b == [2]float64{} {
					dr, sr = append(dr, nil), append(sr, nil)
					continue
				}
				du, di := Seconds(a[1], a[0], b[1], b[0]), Metres(a[1], a[0], b[1], b[0])
				dr, sr = append(dr, &du), append(sr, &di)
			}
			resp.Durations, resp.Distances = append(resp.Durations, dr), append(resp.Distances, sr)
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(srv.Close)
	return srv
}
