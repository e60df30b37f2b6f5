package domain

import "math"

// EarthRadiusKM is the mean Earth radius (IUGG) used for great-circle distances.
const EarthRadiusKM = 6371.0088

// Point is a WGS 84 position in degrees.
type Point struct {
	Lat float64
	Lon float64
}

// DistanceKM is the great-circle (haversine) distance between a and b in kilometres.
func DistanceKM(a, b Point) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * EarthRadiusKM * math.Asin(math.Min(1, math.Sqrt(h)))
}
