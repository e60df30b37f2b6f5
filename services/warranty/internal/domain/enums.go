package domain

// DateKind names one of a unit's dates that can start a warranty.
type DateKind int

// The dates of a unit.
const (
	DateUnspecified DateKind = iota
	DateSale
	DateDelivery
	DateInstallation
	DateAcceptance
	DateCommissioning
	DateSeaTrial
	DateManufacture
)

var dateKindNames = [...]string{"unspecified", "sale", "delivery", "installation", "acceptance", "commissioning", "sea trial", "manufacture"}

// String returns the date's name in words ("sea trial").
func (k DateKind) String() string {
	if k < 0 || int(k) >= len(dateKindNames) {
		return "unknown date"
	}
	return dateKindNames[k]
}

// Valid reports whether k names a date.
func (k DateKind) Valid() bool { return k > DateUnspecified && k <= DateManufacture }

// Cause is a reported cause of a fault.
type Cause int

// The causes. Lightning and flood are kinds of force majeure.
const (
	CauseUnspecified Cause = iota
	CauseQuality
	CauseMisuse
	CauseImproperOperation
	CauseHumanDamage
	CauseUnauthorisedDisassembly
	CauseForceMajeure
	CauseThirdPartyDamage
	CauseNonQuality
	CauseLightning
	CauseFlood
	CauseNotAsDescribed
)

var causeNames = [...]string{"UNSPECIFIED", "QUALITY", "MISUSE", "IMPROPER_OPERATION", "HUMAN_DAMAGE",
	"UNAUTHORISED_DISASSEMBLY", "FORCE_MAJEURE", "THIRD_PARTY_DAMAGE", "NON_QUALITY", "LIGHTNING", "FLOOD",
	"NOT_AS_DESCRIBED"}

var causeWords = [...]string{"an unspecified cause", "a quality fault", "misuse", "improper operation", "human damage",
	"unauthorised disassembly", "force majeure", "third-party damage", "a cause other than design, manufacturing or quality",
	"lightning", "flood", "the product not being as described"}

// String returns the cause's name as used in CEL conditions ("LIGHTNING").
func (c Cause) String() string {
	if !c.known() {
		return "UNKNOWN"
	}
	return causeNames[c]
}

// Words returns the cause for a sentence read to a customer ("unauthorised disassembly").
func (c Cause) Words() string {
	if !c.known() {
		return "an unknown cause"
	}
	return causeWords[c]
}

func (c Cause) known() bool { return c >= 0 && int(c) < len(causeNames) }

// Valid reports whether c names a cause.
func (c Cause) Valid() bool { return c > CauseUnspecified && c <= CauseNotAsDescribed }

// Category returns the cause that c is a kind of (force majeure for lightning and flood), or c.
func (c Cause) Category() Cause {
	switch c {
	case CauseLightning, CauseFlood:
		return CauseForceMajeure
	default:
		return c
	}
}

// Remedy is what a customer may choose for a covered fault.
type Remedy int

// The remedies.
const (
	RemedyUnspecified Remedy = iota
	RemedyRefund
	RemedyExchange
	RemedyRepair
	RemedyThirdPartyRepair
)

var remedyNames = [...]string{"UNSPECIFIED", "REFUND", "EXCHANGE", "REPAIR", "THIRD_PARTY_REPAIR"}
var remedyWords = [...]string{"no remedy", "a refund", "an exchange", "a repair", "a repair by a third party at our cost"}

// String returns the remedy's name ("EXCHANGE").
func (r Remedy) String() string {
	if r < 0 || int(r) >= len(remedyNames) {
		return "UNKNOWN"
	}
	return remedyNames[r]
}

// Words returns the remedy for a sentence ("an exchange").
func (r Remedy) Words() string {
	if r < 0 || int(r) >= len(remedyWords) {
		return "an unknown remedy"
	}
	return remedyWords[r]
}

// Valid reports whether r names a remedy.
func (r Remedy) Valid() bool { return r > RemedyUnspecified && r <= RemedyThirdPartyRepair }

// Coverage is who pays.
type Coverage int

// The coverages.
const (
	CoverageUnspecified Coverage = iota
	CoverageFree
	CoveragePaid
	CoverageNotCovered
)

var coverageNames = [...]string{"UNSPECIFIED", "FREE", "PAID", "NOT_COVERED"}

// String returns the coverage's name.
func (c Coverage) String() string {
	if c < 0 || int(c) >= len(coverageNames) {
		return "UNKNOWN"
	}
	return coverageNames[c]
}

// CardAction is what a late or missing warranty card does.
type CardAction int

// The card actions. Unspecified behaves as CardIgnore.
const (
	CardUnspecified CardAction = iota
	CardIgnore
	CardVoid
	CardRestart
)

// Valid reports whether a is a known action (unspecified included).
func (a CardAction) Valid() bool { return a >= CardUnspecified && a <= CardRestart }

// ConditionEffect is what a custom condition does when true.
type ConditionEffect int

// The effects.
const (
	EffectUnspecified ConditionEffect = iota
	EffectExclude
	EffectCover
	EffectCharge
	EffectAllowRemedy
)

// Valid reports whether e names an effect.
func (e ConditionEffect) Valid() bool { return e > EffectUnspecified && e <= EffectAllowRemedy }

// LineKind is what a claim line is for.
type LineKind int

// The line kinds.
const (
	LineUnspecified LineKind = iota
	LinePart
	LineLabour
	LineTravel
	LineExpense
)

// Valid reports whether k names a line kind.
func (k LineKind) Valid() bool { return k > LineUnspecified && k <= LineExpense }

// PeriodKind names a warranty period.
type PeriodKind int

// The periods.
const (
	PeriodUnspecified PeriodKind = iota
	PeriodRefund
	PeriodExchange
	PeriodReturn
	PeriodFreeRepair
	PeriodPaidService
	PeriodPart
	PeriodWarrantyCard
)

// RepairOutcome is how a repair ended.
type RepairOutcome int

// The outcomes.
const (
	OutcomeUnspecified RepairOutcome = iota
	OutcomeFixed
	OutcomeNotFixed
	OutcomeUnrepairable
	OutcomeExchanged
	OutcomeRefunded
)

// Valid reports whether o names an outcome.
func (o RepairOutcome) Valid() bool { return o > OutcomeUnspecified && o <= OutcomeRefunded }

// VisitKind is what a handling of a unit was for. Only repairs count toward the repeat-failure
// and third-party rules; the other kinds are kept in the unit's service history as what they are.
type VisitKind int

// The visit kinds. Unspecified is read as a repair (records made before kinds were recorded).
const (
	VisitUnspecified VisitKind = iota
	VisitRepair
	VisitMaintenance
	VisitInspection
	VisitInstallation
)

var visitKindNames = [...]string{"repair", "repair", "maintenance", "inspection", "installation"}

// String returns the kind in words ("maintenance").
func (k VisitKind) String() string {
	if k < 0 || int(k) >= len(visitKindNames) {
		return "unknown visit"
	}
	return visitKindNames[k]
}

// Valid reports whether k is a known kind (unspecified included: it means a repair).
func (k VisitKind) Valid() bool { return k >= VisitUnspecified && k <= VisitInstallation }

// IsRepair reports whether a handling of kind k is a repair of a fault.
func (k VisitKind) IsRepair() bool { return k == VisitUnspecified || k == VisitRepair }

// NoFaultCode is the fault code of a handling or claim that names no fault: one spelling in
// every service ("UNSPECIFIED", like the zero value of the API's enums).
const NoFaultCode = "UNSPECIFIED"
