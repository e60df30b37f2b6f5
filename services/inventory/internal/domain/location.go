package domain

// LocationKind is what a stock location is. The values match sanbao.inventory.v1.LocationKind.
type LocationKind int

// Location kinds.
const (
	LocationCentral   LocationKind = 1
	LocationStation   LocationKind = 2
	LocationDealer    LocationKind = 3
	LocationVan       LocationKind = 4
	LocationReusable  LocationKind = 5
	LocationScrap     LocationKind = 6
	LocationInTransit LocationKind = 7
)

// CheckLocation validates a new location: a VAN names its technician; other kinds do not.
func CheckLocation(kind LocationKind, technicianID string) error {
	if kind < LocationCentral || kind > LocationInTransit {
		return Invalid("location.kind", "must be a defined kind, got %d", int(kind))
	}
	if kind == LocationVan && technicianID == "" {
		return Invalid("location.technician_id", "required for a VAN location")
	}
	if kind != LocationVan && technicianID != "" {
		return Invalid("location.technician_id", "only a VAN location has a technician")
	}
	return nil
}

// Usable reports whether stock at a location of this kind can be reserved, issued or
// transferred out: scrap is not usable stock, and in-transit stock only moves on arrival.
func Usable(kind LocationKind) bool {
	return kind != LocationScrap
}

// Reservable reports whether stock at a location of this kind can be reserved for a job.
func Reservable(kind LocationKind) bool {
	return kind != LocationScrap && kind != LocationInTransit
}
