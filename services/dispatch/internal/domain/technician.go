package domain

// OrgKind is the kind of organisation a technician works for.
type OrgKind int

// Organisation kinds (the API's OrganisationKind order).
const (
	OrgUnspecified OrgKind = iota
	OrgTechnicalDepartment
	OrgServiceStation
	OrgDealer
)

// Level is the difficulty a technician handles or a job needs.
type Level int

// Levels (the API's TechnicianLevel order). A job's unspecified level means routine.
const (
	LevelUnspecified Level = iota
	LevelRoutine
	LevelExpert
)

// Covers reports whether a technician of level l may take a job needing level need: experts
// take everything, routine technicians routine jobs only.
func (l Level) Covers(need Level) bool {
	if need == LevelUnspecified {
		need = LevelRoutine
	}
	return l >= need
}

// Technician is what matching needs to know about a technician.
type Technician struct {
	ID             string
	OrganisationID string
	Kind           OrgKind
	Level          Level
	// Skills maps a product line to the set of skills for it.
	Skills map[string]map[string]bool
	Base   Point
	// RadiusKm is the service radius in road km; 0 means the policy's default.
	RadiusKm       float64
	Calendar       Calendar
	CapacityPerDay int
	Active         bool
	// VanLocationID is the parts-inventory location of the technician's van, if any.
	VanLocationID string
	// Quals holds the technician's qualification per product line (FoldQualifications).
	Quals map[string]Qualification
}

// HasSkills reports whether the technician has every skill in need for the product line.
func (t *Technician) HasSkills(productLine string, need []string) bool {
	skills, ok := t.Skills[productLine]
	if !ok {
		return false
	}
	for _, s := range need {
		if !skills[s] {
			return false
		}
	}
	return true
}

// Routed reports whether an organisation of kind k is where a job needing level need belongs:
// routine jobs to dealers and service stations, expert jobs to the technical department.
func (k OrgKind) Routed(need Level) bool {
	if need == LevelExpert {
		return k == OrgTechnicalDepartment
	}
	return k == OrgDealer || k == OrgServiceStation
}
