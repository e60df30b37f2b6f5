package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanbao/sanbao/cli/internal/demo"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// The customer's page of one unit never shows another unit's or customer's data, whatever is
// put in its URL: another unit's ticket number in the fragment, path tricks, a malformed code,
// the tracking call for another unit's ticket with or without a staff session in the browser
// (the console forwards no staff credential to the customer routes).
func TestCustomerPageShowsOnlyItsUnit(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	run := demo.RunID()
	unit := func(name, line, phone string) (code, number string) {
		serial := "SN-" + strings.ToUpper(name+run)
		uc, err := w.clients.Customer.IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{RequestId: "code-" + name + run, UnitSerial: serial,
			ProductLine: line, Contact: &typev1.Contact{Name: name, Phone: phone}})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := w.clients.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "cust-" + name + run, Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_CONSULTATION, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_NORMAL,
			Customer: &ticketv1.Customer{Contact: &typev1.Contact{Name: name, Phone: phone}},
			Unit:     &ticketv1.Unit{Serial: serial, ProductLine: line}, Fault: &ticketv1.Fault{Symptom: "secret symptom of " + name},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return uc.GetUnitCode().GetCode(), tk.GetTicket().GetNumber()
	}
	codeA, numA := unit("alice", "tractor", "13811110000")
	codeB, numB := unit("bob", "harvester", "13922220000")

	b := newBrowser(t, w.console)
	b.phone()
	page := func(path string) string {
		b.t.Helper()
		b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("#unit, #not-found")))
		return b.text("body")
	}
	got := page("u/" + codeA)
	if !strings.Contains(got, "tractor") || !strings.Contains(got, numA) {
		t.Errorf("unit A's page = %q, want its product line and ticket %s", got, numA)
	}
	b.noHorizontalScroll("the customer's page")
	b.shot("customer-unit")
	forbidden := []string{numB, "harvester", "bob", "13922220000", "secret symptom", "alice", "13811110000"}
	for _, path := range []string{
		"u/" + codeA, "u/" + codeA + "#" + numB, "u/" + strings.ToLower(codeA) + "#" + numB,
		"u/" + codeA + "%2F..%2F" + codeB, "u/..%2F" + codeB, "u/" + codeA + "%00" + codeB, "u/" + codeA + "%2F%2E%2E%2F" + codeB,
		"u/" + codeA + "?code=" + codeB + "#" + numB, "u/XXXXXXXXXX", "u/" + codeA + "/../" + codeA,
	} {
		got := page(path)
		for _, f := range forbidden {
			if f == "tractor" || (strings.Contains(path, codeA) && f == numA) {
				continue
			}
			if strings.Contains(got, f) {
				t.Errorf("%s shows %q:\n%s", path, f, got)
			}
		}
	}
	// The calls themselves: another unit's ticket through unit A's code, without a session,
	// with a made-up one, and with a desk person signed in on the console in the same browser.
	probe := func(what string) {
		for _, p := range []string{
			fmt.Sprintf("/c/v1/c/%s/tickets/%s", codeA, numB),
			fmt.Sprintf("/c/v1/c/%s/tickets/%s", codeB, numB),
			fmt.Sprintf("/c/v1/c/%s/tickets/%s", codeA, numA),
		} {
			for _, auth := range []string{"", "Bearer made-up-session"} {
				res := evalAwait[string](b, "probe "+p, fmt.Sprintf(`fetch(%q, {headers: %s}).then(async r => r.status + ' ' + await r.text())`,
					p, map[bool]string{true: "{}", false: fmt.Sprintf(`{Authorization: %q}`, auth)}[auth == ""]))
				if !strings.HasPrefix(res, "401") && !strings.HasPrefix(res, "404") {
					t.Errorf("%s: GET %s (auth %q) = %.200s, want 401 or 404", what, p, auth, res)
				}
				for _, f := range forbidden {
					if strings.Contains(res, f) {
						t.Errorf("%s: GET %s answers %q", what, p, f)
					}
				}
			}
		}
	}
	probe("no session")
	b.signIn("desk")
	probe("a desk session in the browser")
}
