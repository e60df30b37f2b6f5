package domain

// Template is a ready policy from the source manuals.
type Template struct {
	Name        string
	Description string
	Policy      Policy
}

// Template names.
const (
	TemplateConsumer   = "consumer-sanbao"
	TemplateProject    = "project-goods"
	TemplateMarine     = "marine-engine"
	TemplateInstrument = "instrument"
)

// defaultFees is the fee schedule the templates start from. The manuals give no rates ("no
// arbitrary pricing": each company sets its own), so these are placeholders to edit.
func defaultFees() FeeSchedule {
	return FeeSchedule{Currency: DefaultCurrency, CallOut: 50_00, TravelPerKm: 1_50, LabourPerHour: 80_00, ChargeMaterials: true}
}

// commonExclusions are the causes every manual excludes.
func commonExclusions() []Cause {
	return []Cause{CauseMisuse, CauseImproperOperation, CauseHumanDamage, CauseUnauthorisedDisassembly,
		CauseForceMajeure, CauseThirdPartyDamage, CauseNonQuality}
}

// Templates returns the four shipped policy templates with the numbers of DOMAIN.md §3 as their
// settings. Each call returns fresh values.
func Templates() []Template {
	return []Template{
		{
			Name: TemplateConsumer,
			Description: "Consumer 三包 (seeds 000, 001): refund, exchange or repair within 7 days of the sale, exchange or repair " +
				"within 15 days, 1 year free repair from the sale, free exchange after 2 repairs of the same fault, return within " +
				"3 working days with intact packaging, warranty card due 20 days after the sale, replaced parts warranted 1 year.",
			Policy: Policy{
				Name:                         "Consumer 三包",
				FreeRepair:                   []PeriodOption{{Start: DateSale, Length: Span{Months: 12}}},
				RefundWindowDays:             7,
				ExchangeWindowDays:           15,
				ReturnWindowWorkingDays:      3,
				ReturnProcessingWorkingDays:  5,
				RepeatFailure:                RepeatFailureRule{Repairs: 2, Remedies: []Remedy{RemedyExchange, RemedyRepair}},
				UnrepairableExchangeOrRefund: true,
				WarrantyCard: CardRule{Required: true, DeadlineDays: 20, LateAction: CardVoid,
					MissingAction: CardRestart, RestartFrom: DateInstallation},
				Exclusions:               ExclusionRule{Excluded: commonExclusions()},
				PartWarranty:             PartWarrantyRule{Length: Span{Months: 12}},
				ExchangeRestartsWarranty: true,
				Fees:                     defaultFees(),
			},
		},
		{
			Name: TemplateProject,
			Description: "Project goods (seed 003): 1 year free warranty from acceptance, then 3 years paid warranty at the agreed " +
				"rates; the same problem handled twice and still not fixed may be fixed by a third party at our cost; lightning " +
				"is covered although force majeure is not.",
			Policy: Policy{
				Name:                  "Project goods",
				FreeRepair:            []PeriodOption{{Start: DateAcceptance, Length: Span{Months: 12}}},
				PaidService:           Span{Months: 36},
				ThirdPartyRepairAfter: 2,
				Exclusions: ExclusionRule{Excluded: commonExclusions(),
					Reincluded: []Cause{CauseLightning}},
				PartWarranty: PartWarrantyRule{Length: Span{Months: 12}},
				Fees:         defaultFees(),
			},
		},
		{
			Name: TemplateMarine,
			Description: "Marine engine (seed 004): free repair and parts for 18 months after delivery or 12 months after the sea " +
				"trial, whichever comes first; damage from improper use is charged.",
			Policy: Policy{
				Name: "Marine engine",
				FreeRepair: []PeriodOption{
					{Start: DateDelivery, Length: Span{Months: 18}},
					{Start: DateSeaTrial, Length: Span{Months: 12}},
				},
				Exclusions:   ExclusionRule{Excluded: commonExclusions()},
				PartWarranty: PartWarrantyRule{Length: Span{Months: 12}},
				Fees:         defaultFees(),
			},
		},
		{
			Name: TemplateInstrument,
			Description: "Instrument (seed 002): 1 year free warranty after installation and commissioning, then lifetime " +
				"maintenance charging materials and basic labour (no travel).",
			Policy: Policy{
				Name:         "Instrument",
				FreeRepair:   []PeriodOption{{Start: DateInstallation, Length: Span{Months: 12}}},
				PaidService:  Span{Unlimited: true},
				Exclusions:   ExclusionRule{Excluded: commonExclusions()},
				PartWarranty: PartWarrantyRule{Length: Span{Months: 12}},
				Fees:         FeeSchedule{Currency: DefaultCurrency, LabourPerHour: 80_00, ChargeMaterials: true},
			},
		},
	}
}

// TemplateByName returns the template named name.
func TemplateByName(name string) (Template, bool) {
	for _, t := range Templates() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}
