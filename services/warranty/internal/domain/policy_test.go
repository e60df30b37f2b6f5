package domain

import (
	"strings"
	"testing"
	"time"
)

// TestTemplatesCompile: every shipped template is a valid policy with the DOMAIN.md numbers.
func TestTemplatesCompile(t *testing.T) {
	for _, tp := range Templates() {
		t.Run(tp.Name, func(t *testing.T) {
			if _, err := engine(t).Compile(tp.Policy); err != nil {
				t.Fatalf("Compile(%s) = %v", tp.Name, err)
			}
		})
	}
	c, _ := TemplateByName(TemplateConsumer)
	if p := c.Policy; p.RefundWindowDays != 7 || p.ExchangeWindowDays != 15 || p.ReturnWindowWorkingDays != 3 ||
		p.ReturnProcessingWorkingDays != 5 || p.RepeatFailure.Repairs != 2 || p.WarrantyCard.DeadlineDays != 20 ||
		p.FreeRepair[0].Length.Months != 12 {
		t.Errorf("consumer template = %+v, want 7/15 days, 3/5 working days, 2 repairs, card 20 days, 12 months", p)
	}
	pg, _ := TemplateByName(TemplateProject)
	if p := pg.Policy; p.FreeRepair[0].Start != DateAcceptance || p.PaidService.Months != 36 || p.ThirdPartyRepairAfter != 2 {
		t.Errorf("project template = %+v, want 12 months from acceptance + 36 paid, third party after 2", p)
	}
	if _, ok := TemplateByName("nope"); ok {
		t.Error("TemplateByName(nope) found a template")
	}
}

// TestCompileErrors: each broken rule is a violation naming the field (and the clause for CEL).
func TestCompileErrors(t *testing.T) {
	base := func() Policy { return template(t, TemplateConsumer) }
	tests := []struct {
		name   string
		mutate func(*Policy)
		field  string
		rule   string
	}{
		{"no name", func(p *Policy) { p.Name = "" }, "name", "must not be empty"},
		{"no free period", func(p *Policy) { p.FreeRepair = nil }, "free_repair.options", "at least one"},
		{"zero free length", func(p *Policy) { p.FreeRepair[0].Length = Span{} }, "free_repair.options[0].length", "must not be zero"},
		{"manufacture start", func(p *Policy) { p.FreeRepair[0].Start = DateManufacture }, "free_repair.options[0].start", "must be"},
		{"negative months", func(p *Policy) { p.FreeRepair[0].Length.Months = -1 }, "free_repair.options[0].length.months", "between 0 and 1200"},
		{"exchange shorter than refund", func(p *Policy) { p.ExchangeWindowDays = 5 }, "exchange_window_days", "must not be shorter"},
		{"negative refund", func(p *Policy) { p.RefundWindowDays = -1 }, "refund_window_days", "between 0"},
		{"bad time zone", func(p *Policy) { p.Calendar.TimeZone = "Mars/Olympus" }, "calendar.time_zone", "IANA"},
		{"all week off", func(p *Policy) {
			p.Calendar.WeekendDays = []time.Weekday{0, 1, 2, 3, 4, 5, 6}
		}, "calendar.weekend_days", "at least one"},
		{"bad holiday", func(p *Policy) { p.Calendar.Holidays = []calendarDate{{Year: 2026, Month: 2, Day: 30}} }, "calendar.holidays[0]", "real date"},
		{"card without deadline", func(p *Policy) { p.WarrantyCard.DeadlineDays = 0 }, "warranty_card.deadline_days", "between 1"},
		{"restart without date", func(p *Policy) { p.WarrantyCard.RestartFrom = DateUnspecified }, "warranty_card.restart_from", "must name"},
		{"excluding quality", func(p *Policy) { p.Exclusions.Excluded = append(p.Exclusions.Excluded, CauseQuality) }, "exclusions.excluded[7]", "QUALITY"},
		{"re-including what is not excluded", func(p *Policy) {
			p.Exclusions.Excluded = []Cause{CauseMisuse}
			p.Exclusions.Reincluded = []Cause{CauseLightning}
		}, "exclusions.reincluded[0]", "excluded"},
		{"bad currency", func(p *Policy) { p.Fees.Currency = "yuan" }, "fees.currency_code", "ISO 4217"},
		{"negative labour rate", func(p *Policy) { p.Fees.LabourPerHour = -1 }, "fees.labour_per_hour.amount_minor", "between 0"},
		{"bad repeat remedy", func(p *Policy) { p.RepeatFailure.Remedies = []Remedy{0} }, "repeat_failure.remedies[0]", "remedy"},
		{"CEL syntax error", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "hours_limit", Expression: "running_hours >", Effect: EffectExclude, Explanation: "x"}}
		}, "custom_conditions[0].expression", `clause "hours_limit": does not compile`},
		{"CEL type error", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "hours_limit", Expression: `running_hours > "a"`, Effect: EffectExclude, Explanation: "x"}}
		}, "custom_conditions[0].expression", `clause "hours_limit"`},
		{"CEL unknown variable", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "odd", Expression: `mileage > 3`, Effect: EffectExclude, Explanation: "x"}}
		}, "custom_conditions[0].expression", `clause "odd"`},
		{"CEL not bool", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "num", Expression: `running_hours + 1.0`, Effect: EffectExclude, Explanation: "x"}}
		}, "custom_conditions[0].expression", "must be a bool expression"},
		{"duplicate clause", func(p *Policy) {
			c := CustomCondition{Clause: "a", Expression: "true", Effect: EffectCover, Explanation: "x"}
			p.CustomConditions = []CustomCondition{c, c}
		}, "custom_conditions[1].clause", "unique"},
		{"bad clause name", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "Hours Limit", Expression: "true", Effect: EffectCover, Explanation: "x"}}
		}, "custom_conditions[0].clause", "snake case"},
		{"allow remedy without remedy", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "a", Expression: "true", Effect: EffectAllowRemedy, Explanation: "x"}}
		}, "custom_conditions[0].remedy", "must name"},
		{"no explanation", func(p *Policy) {
			p.CustomConditions = []CustomCondition{{Clause: "a", Expression: "true", Effect: EffectCover}}
		}, "custom_conditions[0].explanation", "must say"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.mutate(&p)
			_, err := engine(t).Compile(p)
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Compile() error = %v, want a ValidationError", err)
			}
			for _, v := range ve.Violations {
				if v.Field == tc.field && strings.Contains(v.Rule, tc.rule) {
					return
				}
			}
			t.Errorf("Compile() violations %v, want %s: ...%s...", ve.Violations, tc.field, tc.rule)
		})
	}
}

// TestSpanEnd: calendar-month arithmetic with month ends clamped and leap days.
func TestSpanEnd(t *testing.T) {
	tests := []struct {
		start string
		span  Span
		want  string
	}{
		{"2026-01-31", Span{Months: 1}, "2026-02-28"},
		{"2028-01-31", Span{Months: 1}, "2028-02-29"},
		{"2028-02-29", Span{Months: 12}, "2029-02-28"},
		{"2026-03-02", Span{Months: 12}, "2027-03-02"},
		{"2026-01-10", Span{Months: 18}, "2027-07-10"},
		{"2027-06-01", Span{Days: 365}, "2028-05-31"},
		{"2026-03-02", Span{Days: 7}, "2026-03-09"},
		{"2026-08-31", Span{Months: 6, Days: 1}, "2027-03-01"},
	}
	for _, tc := range tests {
		if got := tc.span.End(mustDate(tc.start)).String(); got != tc.want {
			t.Errorf("Span%+v.End(%s) = %s, want %s", tc.span, tc.start, got, tc.want)
		}
	}
}
