package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sanbao/sanbao/platform/calendar"
)

// Clause names cited by decisions (custom conditions add their own).
const (
	ClauseWarrantyStart    = "warranty_start"
	ClauseFreeRepair       = "free_repair_period"
	ClausePaidService      = "paid_service_period"
	ClauseOutOfWarranty    = "out_of_warranty"
	ClauseRefundWindow     = "refund_window"
	ClauseExchangeWindow   = "exchange_window"
	ClauseReturnWindow     = "return_window"
	ClauseRepeatFailure    = "repeat_failure"
	ClauseThirdPartyRepair = "third_party_repair"
	ClauseUnrepairable     = "unrepairable"
	ClauseCardLate         = "warranty_card_late"
	ClauseCardMissing      = "warranty_card_missing"
	ClauseCardDeadline     = "warranty_card_deadline"
	ClauseExclusion        = "exclusion"
	ClauseReinclusion      = "reinclusion"
	ClausePartWarranty     = "part_warranty"
	ClauseExchangeRestart  = "exchange_restart"
	ClauseFeeSchedule      = "fee_schedule"
	ClauseCampaign         = "campaign"
	ClauseUnitRefunded     = "unit_refunded"
	ClauseSlipMissing      = "warranty_slip_missing"
	ClauseSiteFinding      = "site_finding"
)

// Evaluate decides claim c on unit u under policy p, given the unit's repair history, the
// service campaigns of its model, and asOf, the instant of the evaluation (a claim reported after
// asOf's day is invalid). It is a pure function: the same inputs give the same decision.
func Evaluate(p *Compiled, u Unit, history []Repair, campaigns []Campaign, c Claim, asOf time.Time) (Decision, error) {
	if u.PolicyID != p.policy.ID || u.PolicyVersion != p.policy.Version {
		return Decision{}, fmt.Errorf("unit %s under %s v%d, policy %s v%d: %w", u.ID, u.PolicyID, u.PolicyVersion, p.policy.ID, p.policy.Version, ErrPolicyMismatch)
	}
	if err := ValidateClaim(c); err != nil {
		return Decision{}, err
	}
	loc := p.Location()
	day := calendar.DateOf(c.Reported, loc)
	if !asOf.IsZero() && day.After(calendar.DateOf(asOf, loc)) {
		return Decision{}, &ValidationError{Violations: []Violation{{Field: "reported_time", Rule: fmt.Sprintf("must not be after today (%s), got %s", calendar.DateOf(asOf, loc), day)}}}
	}
	if day.Before(u.Dates.Sale) {
		return Decision{}, &ValidationError{Violations: []Violation{{Field: "reported_time", Rule: fmt.Sprintf("must not be before the unit's sale date %s, got %s", u.Dates.Sale, day)}}}
	}
	e := &evaluation{p: p, pol: &p.policy, u: u, c: c, day: day, remedies: map[Remedy]bool{}}
	e.history = sortedHistory(history)
	e.periods()
	e.finding()
	e.decide(campaigns)
	e.lines()
	return e.d, nil
}

type evaluation struct {
	p       *Compiled
	pol     *Policy
	u       Unit
	c       Claim
	day     calendar.Date
	history []Repair

	d        Decision
	remedies map[Remedy]bool

	free, paid              *Period
	refund, exchange, ret   *Period
	void                    bool
	voidClause              Clause
	excluded                bool
	reincluded              []Cause
	sameFault               []Repair
	coverageClause          Clause
	matched                 []compiledCondition
	warrantyStartFellBackTo DateKind
	claimPart               *Period
}

func sortedHistory(h []Repair) []Repair {
	out := slices.Clone(h)
	slices.SortStableFunc(out, func(a, b Repair) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func (e *evaluation) clause(name, format string, args ...any) Clause {
	cl := Clause{Clause: name, Explanation: fmt.Sprintf(format, args...)}
	e.d.Clauses = append(e.d.Clauses, cl)
	return cl
}

func (e *evaluation) addPeriod(p Period) *Period {
	p.Active = p.contains(e.day)
	e.d.Periods = append(e.d.Periods, p)
	return &p
}

// periods computes the unit's windows and periods and the warranty-card effects.
func (e *evaluation) periods() {
	pol, u := e.pol, e.u
	sale := u.Dates.Sale
	e.d.PolicyID, e.d.PolicyVersion, e.d.ClaimDate, e.d.Currency = pol.ID, pol.Version, e.day, e.p.Currency()
	if n := pol.RefundWindowDays; n > 0 {
		e.refund = e.addPeriod(Period{Kind: PeriodRefund, Start: sale, End: sale.AddDays(n), Clause: ClauseRefundWindow})
	}
	if n := pol.ExchangeWindowDays; n > 0 {
		e.exchange = e.addPeriod(Period{Kind: PeriodExchange, Start: sale, End: sale.AddDays(n), Clause: ClauseExchangeWindow})
	}
	if n := pol.ReturnWindowWorkingDays; n > 0 {
		if end, err := e.p.cal.AddWorkingDays(sale, n); err == nil {
			e.ret = e.addPeriod(Period{Kind: PeriodReturn, Start: sale, End: end, Clause: ClauseReturnWindow})
		}
	}

	restart := calendar.Date{}
	if isSet(u.RestartDate) {
		restart = u.RestartDate
		e.clause(ClauseExchangeRestart, "This unit was exchanged on %s, so its warranty restarted on that day.", restart)
	} else if rule := pol.WarrantyCard; rule.Required {
		deadline := sale.AddDays(rule.DeadlineDays)
		e.addPeriod(Period{Kind: PeriodWarrantyCard, Start: sale, End: deadline, Clause: ClauseCardDeadline})
		var action CardAction
		var name, why string
		switch {
		case u.Card.Returned && u.Card.Late:
			action, name = rule.LateAction, ClauseCardLate
			why = fmt.Sprintf("The warranty card reached us on %s, after the deadline of %s (%d days after the sale)", u.Card.Received, deadline, rule.DeadlineDays)
		case !u.Card.Returned && e.day.After(deadline):
			// The dealer never sent the card back: the same as a late card (seed 000).
			action, name = rule.LateAction, ClauseCardMissing
			why = fmt.Sprintf("The dealer never sent us the warranty card, which was due by %s (%d days after the sale), which counts as a late card", deadline, rule.DeadlineDays)
		}
		if (action == CardUnspecified || action == CardIgnore) && e.c.NoWarrantySlip && !u.Card.Returned {
			// The customer's own slip is not found at the visit and we hold no card: the
			// warranty counts from completion (seed 000 "以竣工时间为保修开始时间").
			action, name = rule.MissingAction, ClauseSlipMissing
			why = "The customer could not show the warranty slip at the visit and we hold no warranty card for this unit"
		}
		switch action {
		case CardVoid:
			e.void = true
			e.voidClause = e.clause(name, "%s, so the company does not recognise warranty service on it.", why)
		case CardRestart:
			restart = u.Dates.Of(rule.RestartFrom)
			if isSet(restart) {
				e.clause(name, "%s, so the warranty counts from the %s date, %s.", why, rule.RestartFrom, restart)
			} else {
				e.clause(name, "%s; the warranty would count from the %s date, which is not on record, so it counts from the sale date.", why, rule.RestartFrom)
			}
		}
	}
	e.freePeriod(restart)
	if e.free != nil && !pol.PaidService.IsZero() && !e.free.Unlimited {
		p := Period{Kind: PeriodPaidService, Start: e.free.End.AddDays(1), Clause: ClausePaidService}
		if pol.PaidService.Unlimited {
			p.Unlimited = true
		} else {
			p.End = pol.PaidService.End(e.free.End)
		}
		e.paid = e.addPeriod(p)
	}
	e.partPeriods()
}

// freePeriod computes the free-repair period: whichever of the options ends first, each from its
// own start date (or all from restart when the warranty restarted).
func (e *evaluation) freePeriod(restart calendar.Date) {
	type cand struct {
		opt        PeriodOption
		start, end calendar.Date
	}
	var cands []cand
	for _, o := range e.pol.FreeRepair {
		start := restart
		if !isSet(start) {
			start = e.u.Dates.Of(o.Start)
		}
		if !isSet(start) {
			continue
		}
		cands = append(cands, cand{opt: o, start: start, end: o.Length.End(start)})
	}
	if len(cands) == 0 {
		// No start date on record: count from the sale so the customer is never worse off than
		// a consumer sale.
		o := e.pol.FreeRepair[0]
		e.warrantyStartFellBackTo = o.Start
		cands = append(cands, cand{opt: o, start: e.u.Dates.Sale, end: o.Length.End(e.u.Dates.Sale)})
		e.clause(ClauseWarrantyStart, "The unit has no %s date on record, so its warranty counts from the sale date, %s.", o.Start, e.u.Dates.Sale)
	}
	p := Period{Kind: PeriodFreeRepair, Start: cands[0].start, Unlimited: true, Clause: ClauseFreeRepair}
	var finite []cand
	for _, c := range cands {
		if c.start.Before(p.Start) {
			p.Start = c.start
		}
		if !c.opt.Length.Unlimited {
			finite = append(finite, c)
			if p.Unlimited || c.end.Before(p.End) {
				p.Unlimited, p.End = false, c.end
			}
		}
	}
	e.free = e.addPeriod(p)
	if len(e.pol.FreeRepair) > 1 {
		parts := make([]string, 0, len(finite))
		for _, c := range finite {
			parts = append(parts, fmt.Sprintf("%s after %s (to %s)", c.opt.Length, c.opt.Start, c.end))
		}
		if len(parts) > 0 {
			e.clause(ClauseWarrantyStart, "Free repair runs %s, whichever comes first: it ends on %s.", strings.Join(parts, " or "), p.End)
		}
	}
}

// partPeriods computes each replaced part's own warranty from its replacement date.
func (e *evaluation) partPeriods() {
	rule := e.pol.PartWarranty
	if rule.Length.IsZero() {
		return
	}
	for _, rp := range e.u.ReplacedParts {
		p := Period{Kind: PeriodPart, Start: rp.Date, PartID: rp.PartID, PartSerial: rp.Serial, Clause: ClausePartWarranty}
		if rule.Length.Unlimited {
			p.Unlimited = true
		} else {
			p.End = rule.Length.End(rp.Date)
		}
		if rule.AtLeastUnitPeriod && e.free != nil && !p.Unlimited {
			if e.free.Unlimited {
				p.Unlimited, p.End = true, calendar.Date{}
			} else if e.free.End.After(p.End) {
				p.End = e.free.End
			}
		}
		e.addPeriod(p)
	}
}

// partWarranty finds the own warranty of the part a line names: by serial, else the latest
// replacement of that part number.
func (e *evaluation) partWarranty(l Line) *Period {
	var found *Period
	for i := range e.d.Periods {
		p := &e.d.Periods[i]
		if p.Kind != PeriodPart {
			continue
		}
		if l.PartSerial != "" {
			if p.PartSerial == l.PartSerial {
				found = p
			}
			continue
		}
		if p.PartID == l.PartID {
			found = p // periods are in replacement order: the latest wins
		}
	}
	if found == nil {
		return nil
	}
	cp := *found
	return &cp
}

// finding applies the technician's on-site finding: its causes replace the reported ones.
func (e *evaluation) finding() {
	f := e.c.Finding
	if f == nil {
		return
	}
	e.c.Causes = f.causes()
	words := make([]string, len(e.c.Causes))
	for i, c := range e.c.Causes {
		words[i] = c.Words()
	}
	var facts []string
	if f.OutOfScope {
		facts = append(facts, "the fault is outside the warranty's scope")
	}
	if f.PartOpened {
		facts = append(facts, "the faulty part had been opened")
	}
	facts = append(facts, "the fault was caused by "+strings.Join(words, " and "))
	visit := "on site"
	if f.JobID != "" {
		visit = "on the visit of job " + f.JobID
	}
	e.clause(ClauseSiteFinding, "The technician found %s that %s; that finding decides the coverage.", visit, strings.Join(facts, ", "))
}

// exclusions applies the excluded and re-included causes.
func (e *evaluation) exclusions() (excludedBy []Cause) {
	x := e.pol.Exclusions
	for _, c := range e.c.Causes {
		hit := slices.Contains(x.Excluded, c) || slices.Contains(x.Excluded, c.Category())
		switch {
		case hit && slices.Contains(x.Reincluded, c):
			if !slices.Contains(e.reincluded, c) {
				e.reincluded = append(e.reincluded, c)
			}
		case hit && !slices.Contains(excludedBy, c):
			excludedBy = append(excludedBy, c)
		}
	}
	return excludedBy
}

func (e *evaluation) conditionInput() conditionInput {
	in := conditionInput{
		faultCode: e.c.FaultCode, causes: e.c.Causes, requestedRemedy: e.c.RequestedRemedy,
		serial: e.u.Serial, model: e.u.Model, batch: e.u.Batch, runningHours: e.c.RunningHours,
		daysSinceSale:    calendar.DaysBetween(e.u.Dates.Sale, e.day),
		repairsSameFault: len(e.sameFault), repairsTotal: e.repairsTotal(),
		attributes: e.c.Attributes,
	}
	if e.free != nil {
		in.daysSinceStart = calendar.DaysBetween(e.free.Start, e.day)
		in.inFreePeriod = e.free.Active
	}
	return in
}

// before reports whether handling r came before the claim: on an earlier day, or earlier on
// the claim's day (recorded before the claim was reported).
func (e *evaluation) before(r Repair) bool {
	return r.Date.Before(e.day) || r.Date == e.day && !r.Recorded.IsZero() && r.Recorded.Before(e.c.Reported)
}

// repairsTotal counts the repairs in the history (not maintenance, inspection or installation).
func (e *evaluation) repairsTotal() int {
	n := 0
	for _, r := range e.history {
		if r.Kind.IsRepair() {
			n++
		}
	}
	return n
}

// decide sets the coverage and the remedies.
func (e *evaluation) decide(campaigns []Campaign) {
	// Handlings of the same fault since the warranty (re)started, before the claim: every
	// warranty repair counts, a failed one (NOT_FIXED) too; maintenance, inspection and
	// installation visits are not repairs and paid service is not a 三包 repair: they never count.
	for _, r := range e.history {
		if r.Kind.IsRepair() && !r.Paid && r.FaultCode == e.c.FaultCode && e.before(r) && (e.free == nil || !r.Date.Before(e.free.Start)) {
			e.sameFault = append(e.sameFault, r)
		}
	}
	if e.c.PartID != "" || e.c.PartSerial != "" {
		e.claimPart = e.partWarranty(Line{PartID: e.c.PartID, PartSerial: e.c.PartSerial})
	}
	partCovers := e.claimPart != nil && e.claimPart.Active && (e.void || !e.free.Active)
	excludedBy := e.exclusions()
	act := e.conditionInput().activation()
	for _, cond := range e.p.conds {
		ok, err := cond.matches(act)
		if err != nil {
			e.clause(cond.Clause, "This policy rule could not be applied to the claim (%s), so it was ignored.", firstLine(err.Error()))
			continue
		}
		if ok {
			e.matched = append(e.matched, cond)
		}
	}
	condWith := func(effect ConditionEffect) *compiledCondition {
		for i := range e.matched {
			if e.matched[i].Effect == effect {
				return &e.matched[i]
			}
		}
		return nil
	}
	campaign := e.campaign(campaigns)

	switch {
	case isSet(e.u.RefundDate):
		e.setCoverage(CoverageNotCovered, e.clause(ClauseUnitRefunded, "This unit was returned and refunded on %s; it has no warranty any more.", e.u.RefundDate))
	case len(excludedBy) > 0:
		e.excluded = true
		words := make([]string, len(excludedBy))
		for i, c := range excludedBy {
			words[i] = c.Words()
		}
		e.setCoverage(CoverageNotCovered, e.clause(ClauseExclusion, "The fault was caused by %s, which the warranty does not cover; we can repair it as paid service.", strings.Join(words, " and ")), RemedyRepair)
	case condWith(EffectExclude) != nil:
		cond := condWith(EffectExclude)
		e.excluded = true
		e.setCoverage(CoverageNotCovered, e.clause(cond.Clause, "%s", cond.Explanation), RemedyRepair)
	case campaign != nil:
		e.d.CampaignID = campaign.ID
		why := campaign.Explanation
		if why == "" {
			why = fmt.Sprintf("This unit is part of the service campaign %q, which covers it free whatever its age.", campaign.Name)
		}
		e.setCoverage(CoverageFree, e.clause(ClauseCampaign, "%s", why), campaign.Remedy)
	case partCovers:
		pw := e.claimPart
		end := "without an end date"
		if !pw.Unlimited {
			end = "to " + pw.End.String()
		}
		e.setCoverage(CoverageFree, e.clause(ClausePartWarranty,
			"The fault is in part %s, which we fitted on %s; that part has its own warranty %s, so the whole repair is free: we bear travel, labour and the part.",
			partName(Line{PartID: e.c.PartID, PartSerial: e.c.PartSerial}), pw.Start, end), RemedyRepair)
	case e.void:
		e.setCoverage(CoverageNotCovered, e.voidClause, RemedyRepair)
	case condWith(EffectCover) != nil:
		cond := condWith(EffectCover)
		e.setCoverage(CoverageFree, e.clause(cond.Clause, "%s", cond.Explanation), RemedyRepair)
	default:
		e.decideByPeriod()
	}
	for _, c := range e.reincluded {
		if e.d.Coverage != CoverageNotCovered || !e.excluded {
			e.clause(ClauseReinclusion, "Damage by %s is covered by this policy even though %s is otherwise excluded.", c.Words(), c.Category().Words())
		}
	}
	if cond := condWith(EffectCharge); cond != nil && e.d.Coverage == CoverageFree {
		e.setCoverage(CoveragePaid, e.clause(cond.Clause, "%s", cond.Explanation), RemedyRepair)
	}
	if !isSet(e.u.RefundDate) {
		for _, cond := range e.matched {
			if cond.Effect == EffectAllowRemedy && !e.remedies[cond.Remedy] {
				e.remedies[cond.Remedy] = true
				e.clause(cond.Clause, "%s", cond.Explanation)
			}
		}
	}
	for r := RemedyRefund; r <= RemedyThirdPartyRepair; r++ {
		if e.remedies[r] {
			e.d.Remedies = append(e.d.Remedies, r)
		}
	}
	e.d.RequestedRemedyAllowed = e.c.RequestedRemedy == RemedyUnspecified || e.remedies[e.c.RequestedRemedy]
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (e *evaluation) setCoverage(c Coverage, why Clause, remedies ...Remedy) {
	e.d.Coverage = c
	e.coverageClause = why
	clear(e.remedies)
	for _, r := range remedies {
		e.remedies[r] = true
	}
}

// allow adds remedies; the clause that allows them is already recorded.
func (e *evaluation) allow(_ Clause, remedies ...Remedy) {
	for _, r := range remedies {
		e.remedies[r] = true
	}
}

// campaign returns the first campaign (by id) that covers the claim.
func (e *evaluation) campaign(campaigns []Campaign) *Campaign {
	var best *Campaign
	for i := range campaigns {
		c := &campaigns[i]
		if c.Affects(e.u, e.c.FaultCode, e.day) && (best == nil || c.ID < best.ID) {
			best = c
		}
	}
	return best
}

// decideByPeriod applies the windows and periods to a claim that no exclusion, card rule,
// campaign or custom condition decided.
func (e *evaluation) decideByPeriod() {
	pol, day := e.pol, e.day
	sale := e.u.Dates.Sale
	elapsed := calendar.DaysBetween(sale, day)
	switch {
	case e.refund != nil && e.refund.Active:
		e.setCoverage(CoverageFree, e.clause(ClauseRefundWindow,
			"The fault appeared %d days after the sale, within the %d-day window (to %s), so you may choose a refund, an exchange or a repair.",
			elapsed, pol.RefundWindowDays, e.refund.End), RemedyRefund, RemedyExchange, RemedyRepair)
	case e.exchange != nil && e.exchange.Active:
		e.setCoverage(CoverageFree, e.clause(ClauseExchangeWindow,
			"The fault appeared %d days after the sale, within the %d-day exchange window (to %s), so you may choose an exchange or a repair.",
			elapsed, pol.ExchangeWindowDays, e.exchange.End), RemedyExchange, RemedyRepair)
	case e.free.Active:
		end := "it has no end date"
		if !e.free.Unlimited {
			end = "it runs to " + e.free.End.String()
		}
		e.setCoverage(CoverageFree, e.clause(ClauseFreeRepair,
			"The unit is inside its free warranty period (from %s; %s), so the repair is free: we bear travel, labour and parts.", e.free.Start, end), RemedyRepair)
		e.freeExtras()
	case day.Before(e.free.Start):
		e.setCoverage(CoverageNotCovered, e.clause(ClauseWarrantyStart,
			"The warranty starts on %s; this fault was reported before that, so it is not covered by the warranty.", e.free.Start), RemedyRepair)
	case e.paid != nil && e.paid.Active:
		end := "for the life of the unit"
		if !e.paid.Unlimited {
			end = "to " + e.paid.End.String()
		}
		e.setCoverage(CoveragePaid, e.clause(ClausePaidService,
			"The free warranty ended on %s; the unit is in its paid warranty period (%s), so the repair is charged at the policy's rates.", e.free.End, end), RemedyRepair)
	default:
		last := e.free.End
		if e.paid != nil && !e.paid.Unlimited {
			last = e.paid.End
		}
		e.setCoverage(CoverageNotCovered, e.clause(ClauseOutOfWarranty,
			"The warranty ended on %s; we can repair the unit as paid service (travel, labour and materials at cost).", last), RemedyRepair)
	}
	if e.ret != nil && e.ret.Active && e.d.Coverage == CoverageFree {
		if e.c.ProofOfPurchase && e.c.PackagingIntact {
			e.allow(e.clause(ClauseReturnWindow,
				"The unit is within %d working days of the sale (to %s) with proof of purchase and intact packaging, so it may be returned for a refund or an exchange; we process it within %d working days and pay the shipping.",
				pol.ReturnWindowWorkingDays, e.ret.End, pol.ReturnProcessingWorkingDays), RemedyRefund, RemedyExchange)
		} else {
			e.clause(ClauseReturnWindow, "A return within %d working days of the sale (to %s) needs proof of purchase and the intact original packaging.", pol.ReturnWindowWorkingDays, e.ret.End)
		}
	}
}

// freeExtras applies the rules that add remedies inside the free period.
func (e *evaluation) freeExtras() {
	pol := e.pol
	n := len(e.sameFault)
	dates := make([]string, n)
	for i, r := range e.sameFault {
		dates[i] = r.Date.String()
		if r.Outcome == OutcomeNotFixed {
			dates[i] += " not fixed"
		}
	}
	if rf := pol.RepeatFailure; rf.Repairs > 0 && n >= rf.Repairs {
		rem := rf.Remedies
		if len(rem) == 0 {
			rem = []Remedy{RemedyExchange, RemedyRepair}
		}
		words := make([]string, len(rem))
		for i, r := range rem {
			words[i] = r.Words()
		}
		e.allow(e.clause(ClauseRepeatFailure,
			"This fault was handled %d times in the warranty period (%s) and has come back, so you may choose %s, proven by the repair records.",
			n, strings.Join(dates, ", "), strings.Join(words, " or ")), rem...)
	}
	lastUnrepairable := n > 0 && e.sameFault[n-1].Outcome == OutcomeUnrepairable
	if pol.UnrepairableExchangeOrRefund && (e.c.Unrepairable || lastUnrepairable) {
		e.allow(e.clause(ClauseUnrepairable, "The unit cannot be repaired, so you may choose an exchange or a refund."), RemedyExchange, RemedyRefund)
	}
	if k := pol.ThirdPartyRepairAfter; k > 0 && n >= k {
		e.allow(e.clause(ClauseThirdPartyRepair,
			"We have handled this problem %d times (%s) and it is still not fixed, so you may have a third party repair it at our cost.",
			n, strings.Join(dates, ", ")), RemedyThirdPartyRepair)
	}
}

// lines decides each claim line and sums the charges and costs.
func (e *evaluation) lines() {
	fees := e.pol.Fees
	for i, l := range e.c.Lines {
		ld := LineDecision{Index: i, Coverage: e.d.Coverage}
		if e.coverageClause.Clause != "" {
			ld.Clauses = append(ld.Clauses, e.coverageClause)
		}
		if l.Kind == LinePart {
			if pw := e.partWarranty(l); pw != nil {
				ld.PartWarranty = pw
				if pw.Active && ld.Coverage != CoverageFree && !e.excluded && !isSet(e.u.RefundDate) {
					ld.Coverage = CoverageFree
					end := "without an end date"
					if !pw.Unlimited {
						end = "to " + pw.End.String()
					}
					ld.Clauses = []Clause{{Clause: ClausePartWarranty, Explanation: fmt.Sprintf(
						"Part %s was replaced on %s and has its own warranty %s, so it is replaced free.", partName(l), pw.Start, end)}}
				}
			}
		}
		price := fees.price(l)
		ld.CustomerCharge = fees.chargeable(l.Kind, ld.Coverage, price)
		if ld.Coverage != CoverageNotCovered {
			ld.CompanyCost = price - ld.CustomerCharge
		}
		if ld.Coverage != CoverageFree {
			ld.Clauses = append(ld.Clauses, Clause{Clause: ClauseFeeSchedule, Explanation: feeSentence(fees, l, ld.Coverage, ld.CustomerCharge, e.p.Currency())})
		}
		e.d.CustomerCharge += ld.CustomerCharge
		switch l.Kind {
		case LinePart:
			e.d.CompanyCost.Parts += ld.CompanyCost
		case LineLabour:
			e.d.CompanyCost.Labour += ld.CompanyCost
		case LineTravel:
			e.d.CompanyCost.Travel += ld.CompanyCost
		case LineExpense:
			e.d.CompanyCost.Expenses += ld.CompanyCost
		}
		e.d.Lines = append(e.d.Lines, ld)
	}
}

func partName(l Line) string {
	switch {
	case l.PartID != "" && l.PartSerial != "":
		return l.PartID + " (serial " + l.PartSerial + ")"
	case l.PartSerial != "":
		return "serial " + l.PartSerial
	default:
		return l.PartID
	}
}

// FormatMinor formats an amount in minor units as "123.45 CNY".
func FormatMinor(v int64, currency string) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, v/100, v%100, currency)
}

func feeSentence(f FeeSchedule, l Line, c Coverage, charge int64, cur string) string {
	what := map[LineKind]string{LinePart: "Materials are charged at cost", LineLabour: fmt.Sprintf("Labour is charged at %s per hour, per started quarter hour", FormatMinor(f.LabourPerHour, cur)),
		LineTravel:  fmt.Sprintf("Travel is charged at %s per km plus %s call-out", FormatMinor(f.TravelPerKm, cur), FormatMinor(f.CallOut, cur)),
		LineExpense: "Expenses are charged as incurred"}[l.Kind]
	switch {
	case charge == 0 && l.Kind == LinePart && !f.ChargeMaterials:
		return "Materials are not charged under this policy."
	case charge == 0 && c == CoveragePaid && f.MaterialsOnlyInPaidPeriod:
		return "In the paid warranty period only materials are charged; this line is free."
	default:
		return fmt.Sprintf("%s: %s.", what, FormatMinor(charge, cur))
	}
}
