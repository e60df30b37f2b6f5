package domain

import "math"

// Point is a position in degrees (WGS 84).
type Point struct {
	Lat, Lon float64
}

// Distance estimates the road distance between two points in kilometres. The default is
// great-circle times a road factor; a real distance matrix can replace it.
type Distance interface {
	RoadKm(from, to Point) float64
}

// earthRadiusKm is the mean Earth radius (IUGG), a physical constant, not a policy.
const earthRadiusKm = 6371.0088

// GreatCircleKm returns the haversine distance between a and b in kilometres.
func GreatCircleKm(a, b Point) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	s := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(s)))
}

// RoadFactor estimates road distance as great-circle distance times Factor.
type RoadFactor struct {
	// Factor multiplies the great-circle distance (Policy.RoadFactor).
	Factor float64
}

var _ Distance = RoadFactor{}

// RoadKm returns GreatCircleKm(from, to) * Factor.
func (r RoadFactor) RoadKm(from, to Point) float64 {
	return GreatCircleKm(from, to) * r.Factor
}
