package desk

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sanbao/sanbao/cli/internal/style"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// Summary writes a ticket as a person reads it: what, for whom, its state, the coverage
// decision with its clauses, the SLA clocks with the time left, the jobs, the contacts and the
// survey. now is the moment "time left" is measured from.
func Summary(w io.Writer, t *ticketv1.Ticket, contacts []*ticketv1.ContactRecord, now time.Time, s style.Style) {
	head := fmt.Sprintf("Ticket %s  %s", orDash(t.GetNumber()), t.GetId())
	fmt.Fprintln(w, s.Bold(head))
	state := short(t.GetState())
	if t.GetBreached() {
		state += "  " + s.Red("SLA BREACHED")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("state", state)
	row("kind", short(t.GetKind())+" via "+short(t.GetChannel())+", priority "+short(t.GetPriority()))
	if u := t.GetUnit(); u != nil {
		unit := orDash(u.GetSerial())
		if u.GetModel() != "" {
			unit += "  model " + u.GetModel()
		}
		if u.GetProductLine() != "" {
			unit += "  line " + u.GetProductLine()
		}
		row("unit", unit)
	}
	if c := t.GetCustomer(); c != nil {
		who := firstOf(c.GetContact().GetName(), c.GetOrganisationName(), c.GetCustomerId())
		if p := c.GetContact().GetPhone(); p != "" {
			who += "  " + p
		}
		row("customer", orDash(who))
	}
	if f := t.GetFault(); f != nil {
		row("fault", strings.TrimSpace(orDash(f.GetFaultCode())+"  "+f.GetSymptom()))
	}
	row("opened", stamp(t.GetCreateTime()))
	if t.GetEscalationLevel() > 0 {
		row("escalated", s.Yellow(fmt.Sprintf("level %d", t.GetEscalationLevel())))
	}
	tw.Flush()

	if tr := t.GetTriage(); tr != nil {
		fmt.Fprintln(w, s.Bold("Coverage"))
		cov := short(tr.GetCoverage())
		line := fmt.Sprintf("  %s under policy %s v%d", cov, orDash(tr.GetWarrantyPolicyId()), tr.GetWarrantyPolicyVersion())
		if tr.GetFee() != nil && tr.GetFee().GetAmountMinor() != 0 {
			line += ", fee " + money(tr.GetFee())
		}
		if tr.GetSolution() != 0 {
			line += ", solution " + short(tr.GetSolution())
		}
		fmt.Fprintln(w, line)
		for _, c := range tr.GetClauses() {
			fmt.Fprintf(w, "    %s: %s\n", c.GetClause(), c.GetExplanation())
		}
	}

	if len(t.GetClocks()) > 0 {
		fmt.Fprintln(w, s.Bold("Clocks"))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range t.GetClocks() {
			left := ""
			switch {
			case c.GetBreached():
				left = s.Red("breached " + human(now.Sub(c.GetDeadline().AsTime())) + " ago")
			case c.GetStopTime() != nil:
				left = s.Green("met")
			case c.GetDeadline() != nil:
				d := c.GetDeadline().AsTime().Sub(now)
				left = human(d) + " left"
				if c.GetWarned() {
					left = s.Yellow(left)
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\tdue %s\t%s\n", c.GetName(), short(c.GetState()), stamp(c.GetDeadline()), left)
		}
		tw.Flush()
	}

	if len(t.GetJobs()) > 0 {
		fmt.Fprintln(w, s.Bold("Jobs"))
		for _, j := range t.GetJobs() {
			line := fmt.Sprintf("  visit %d  %s  %s", j.GetVisit(), j.GetJobId(), short(j.GetState()))
			if j.GetTechnicianId() != "" {
				line += "  technician " + j.GetTechnicianId()
			}
			if j.GetResolved() {
				line += "  " + s.Green("fixed")
			}
			fmt.Fprintln(w, line)
			if j.GetReportSummary() != "" {
				fmt.Fprintf(w, "    report: %s\n", j.GetReportSummary())
			}
		}
	}

	if f := t.GetFault(); f.GetFaultyPartId() != "" {
		fmt.Fprintln(w, s.Bold("Parts"))
		fmt.Fprintf(w, "  faulty part %s %s\n", f.GetFaultyPartId(), f.GetFaultyPartSerial())
	}

	if r := t.GetResolution(); r != nil {
		fmt.Fprintln(w, s.Bold("Resolution"))
		fmt.Fprintf(w, "  %s (resolved %s", orDash(r.GetSolution()), stamp(r.GetResolveTime()))
		if r.GetFirstVisitFix() {
			fmt.Fprint(w, ", first-visit fix")
		}
		if r.GetCustomerConfirmed() {
			fmt.Fprint(w, ", confirmed by the customer")
		}
		fmt.Fprintln(w, ")")
	}

	fmt.Fprintln(w, s.Bold(fmt.Sprintf("Contacts (%d)", t.GetContactCount())))
	for _, c := range contacts {
		fmt.Fprintf(w, "  %s  %s %s  %s", stamp(c.GetContactTime()), short(c.GetChannel()), short(c.GetDirection()), c.GetSummary())
		if c.GetOutcome() != "" {
			fmt.Fprintf(w, " → %s", c.GetOutcome())
		}
		fmt.Fprintln(w)
	}

	if sv := t.GetSurvey(); sv != nil {
		fmt.Fprintln(w, s.Bold("Survey"))
		verdict := s.Red("not satisfied")
		if sv.GetSatisfied() {
			verdict = s.Green("satisfied")
		}
		fmt.Fprintf(w, "  mean %.1f, %s", sv.GetMeanScore(), verdict)
		if sv.GetComment() != "" {
			fmt.Fprintf(w, ": %q", sv.GetComment())
		}
		fmt.Fprintln(w)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// stamp renders a time in the local zone to the minute.
func stamp(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().Local().Format("2006-01-02 15:04")
}

// human renders a duration as days, hours and minutes ("1d 3h", "45m").
func human(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}

func money(m *typev1.Money) string {
	c := m.GetCurrencyCode()
	if c == "" {
		c = "CNY"
	}
	a := m.GetAmountMinor()
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, a/100, a%100, c)
}
