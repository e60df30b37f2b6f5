package domain

import (
	"testing"
	"time"
)

// FuzzCompile: policy validation never panics, whatever the numbers and expressions.
func FuzzCompile(f *testing.F) {
	f.Add(12, 0, 7, 15, 3, 2, 20, "running_hours > 2000.0", "Asia/Shanghai", int64(8000), uint8(1))
	f.Add(-1, 99999, -7, 1, 400, -2, 0, "attributes[", "", int64(-5), uint8(200))
	f.Add(1200, 36500, 3650, 3650, 365, 100, 3650, "[1,2,3].all(x, x > 0)", "UTC", int64(0), uint8(9))
	e := engine(f)
	f.Fuzz(func(t *testing.T, months, days, refund, exchange, ret, repairs, card int, expr, tz string, rate int64, bits uint8) {
		p := Policy{
			Name: "fuzz", Calendar: CalendarSpec{TimeZone: tz},
			FreeRepair:         []PeriodOption{{Start: DateKind(bits % 9), Length: Span{Months: months, Days: days, Unlimited: bits&16 != 0}}},
			PaidService:        Span{Months: days, Days: months},
			RefundWindowDays:   refund,
			ExchangeWindowDays: exchange, ReturnWindowWorkingDays: ret,
			RepeatFailure: RepeatFailureRule{Repairs: repairs, Remedies: []Remedy{Remedy(bits % 6)}},
			WarrantyCard:  CardRule{Required: bits&1 != 0, DeadlineDays: card, LateAction: CardAction(bits % 5), MissingAction: CardAction(bits % 4), RestartFrom: DateKind(bits % 8)},
			Exclusions:    ExclusionRule{Excluded: []Cause{Cause(bits % 13)}, Reincluded: []Cause{Cause(bits % 11)}},
			Fees:          FeeSchedule{LabourPerHour: rate, TravelPerKm: rate},
			CustomConditions: []CustomCondition{{Clause: "c", Expression: expr, Effect: ConditionEffect(bits % 6),
				Remedy: Remedy(bits % 5), Explanation: "x"}},
		}
		cp, err := e.Compile(p)
		if err != nil {
			return
		}
		u := Unit{ID: "u", Serial: "S", Model: "M", Dates: UnitDates{Sale: mustDate("2026-03-02")}}
		c := Claim{FaultCode: "F", Reported: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, refund&1023)}
		_, _ = Evaluate(cp, u, nil, nil, c, time.Time{})
	})
}

// FuzzEvaluate: claim evaluation never panics, whatever the dates, causes, lines and history.
func FuzzEvaluate(f *testing.F) {
	f.Add(0, 30, 400, 10, "F", uint8(1), int64(100), int64(3600), 12.5, "")
	f.Add(-5, 99999, -1, 0, "", uint8(255), int64(-1), int64(-1), -3.0, "2026-02-30")
	f.Add(800, 1, 3, 5000, "WEAR", uint8(77), int64(1e12), int64(1e15), 1e9, "2026-05-01")
	e := engine(f)
	pols := make([]*Compiled, 0, 4)
	for _, tp := range Templates() {
		p := tp.Policy
		p.ID, p.Version = tp.Name, 1
		p.CustomConditions = []CustomCondition{{Clause: "hours", Expression: `running_hours > 100.0 && attributes["k"] == "v"`, Effect: EffectCharge, Explanation: "x"}}
		cp, err := e.Compile(p)
		if err != nil {
			f.Fatal(err)
		}
		pols = append(pols, cp)
	}
	f.Fuzz(func(t *testing.T, saleOff, claimOff, repairOff, partOff int, fault string, bits uint8, cost, labourSec int64, km float64, extra string) {
		cp := pols[int(bits)%len(pols)]
		p := cp.Policy()
		sale := mustDate("2026-03-02").AddDays(saleOff % 20000)
		u := Unit{ID: "u", Serial: "S", Model: "M", PolicyID: p.ID, PolicyVersion: p.Version, Dates: UnitDates{Sale: sale}}
		if d, err := calendarParse(extra); err == nil {
			u.Dates.Delivery, u.Dates.SeaTrial, u.Dates.Acceptance, u.Dates.Installation = d, d.AddDays(partOff%500), d, d
		}
		if bits&1 != 0 {
			u.Card = WarrantyCard{Returned: true, Received: sale.AddDays(partOff % 100), Late: bits&2 != 0}
		}
		if bits&4 != 0 {
			u.RestartDate = sale.AddDays(repairOff % 1000)
		}
		u.ReplacedParts = []ReplacedPart{{PartID: "P", Serial: "PS", Date: sale.AddDays(partOff % 3000)}}
		hist := []Repair{{ID: "r", FaultCode: fault, Date: sale.AddDays(repairOff % 3000), Outcome: RepairOutcome(bits % 7)}}
		camps := []Campaign{{ID: "c", Model: "M", Remedy: Remedy(bits % 5), Start: sale, DateFrom: sale, FaultCodes: []string{fault}}}
		c := Claim{FaultCode: fault, Reported: sale.Time(time.UTC).AddDate(0, 0, claimOff%40000), Causes: []Cause{Cause(bits % 13)},
			RequestedRemedy: Remedy(bits % 6), RunningHours: km, Attributes: map[string]string{"k": extra},
			Unrepairable: bits&8 != 0, ProofOfPurchase: bits&16 != 0, PackagingIntact: bits&32 != 0,
			Lines: []Line{{Kind: LineKind(bits % 6), PartID: "P", PartSerial: extra, Quantity: cost % 20000, UnitCost: cost, Labour: time.Duration(labourSec) * time.Second, TravelKm: km, Amount: cost}}}
		_, _ = Evaluate(cp, u, hist, camps, c, time.Time{})
		_, _ = QuoteFee(cp, &u, sale.AddDays(claimOff%40000), QuoteInput{TravelKm: km, Labour: time.Duration(labourSec), Materials: []Material{{PartID: "P", Quantity: cost % 20000, UnitCost: cost}}})
	})
}
