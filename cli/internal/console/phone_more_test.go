package console_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sanbao/sanbao/cli/internal/demo"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

// phoneTicket opens a repair ticket for the seed's unit at its site, needing its part, for
// customer name, and returns it.
func phoneTicket(t *testing.T, w *world, seed *demo.Seed, id, name, phone string) *ticketv1.Ticket {
	t.Helper()
	created, err := w.clients.Ticket.CreateTicket(context.Background(), &ticketv1.CreateTicketRequest{RequestId: id, Ticket: &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_HIGH,
		Customer: &ticketv1.Customer{CustomerId: "cust-" + id, Contact: &typev1.Contact{Name: name, Phone: phone},
			Address: &typev1.Address{Region: "山东", City: "济南", Line: "历城区工业北路 1 号", Point: seed.Site}},
		Unit:              &ticketv1.Unit{Serial: seed.Serial, ProductLine: seed.ProductLine, Model: "TX-904"},
		Fault:             &ticketv1.Fault{FaultCode: "HYD-01", Symptom: "液压提升不保持", LikelyParts: []*ticketv1.PartNeed{{PartId: seed.PartID, Quantity: 1}}},
		RequestedRemedy:   ticketv1.Remedy_REMEDY_REPAIR,
		RequestedSolution: ticketv1.SolutionType_SOLUTION_TYPE_ON_SITE,
		OrganisationId:    "station-jinan",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return created.GetTicket()
}

// assignedJob waits until the ticket's first job is assigned to technician and returns its id.
func assignedJob(t *testing.T, w *world, ticketID, technician string) string {
	t.Helper()
	var jobID string
	natstest.Eventually(t, 60*time.Second, func() error {
		r, err := w.clients.Ticket.GetTicket(context.Background(), &ticketv1.GetTicketRequest{TicketId: ticketID})
		if err != nil {
			return err
		}
		if js := r.GetTicket().GetJobs(); len(js) > 0 && js[0].GetTechnicianId() == technician {
			jobID = js[0].GetJobId()
			return nil
		}

		return fmt.Errorf("ticket %s (%s, jobs %v): not assigned to %s yet", ticketID, r.GetTicket().GetState(), r.GetTicket().GetJobs(), technician)
	})
	return jobID
}

// apiStatus calls the console's gateway from the page as the signed-in person and returns
// the HTTP status.
func apiStatus(b *browser, service, method string, body string) int {
	b.t.Helper()
	return evalAwait[int](b, "call "+method, fmt.Sprintf(`fetch('/api/%s/%s', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Sanbao-Console': '1'},
		body: %q}).then(r => r.status)`, service, method, body))
}

// The technician's phone shows the van's stock and whether it holds the job's likely parts,
// the fault and the unit's history (an earlier owner's ticket by number only, a repair), and
// hands an accepted job to a colleague, then shows the job as handed over; another
// technician's van is NOT_FOUND to this technician.
func TestPhoneVanBriefAndTransfer(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	walk := &demo.Walk{C: w.clients, Run: demo.RunID()}
	seed, err := walk.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	colleague, err := (&demo.Walk{C: w.clients, Run: demo.RunID()}).Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The unit's history: a ticket of its previous owner (a consultation: no visit, so the
	// technician's day stays free whatever the hour), and a repair.
	earlier, err := w.clients.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "before-" + walk.Run, Ticket: &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_CONSULTATION, Channel: ticketv1.Channel_CHANNEL_PHONE,
		Customer: &ticketv1.Customer{CustomerId: "cust-before-" + walk.Run, Contact: &typev1.Contact{Name: "李四", Phone: "13900000001"},
			Address: &typev1.Address{Region: "河北", City: "保定", Line: "老街 9 号", Point: seed.Site}},
		Unit:  &ticketv1.Unit{Serial: seed.Serial, ProductLine: seed.ProductLine, Model: "TX-904"},
		Fault: &ticketv1.Fault{FaultCode: "HYD-00", Symptom: "李四 13900000001 问保养"}, OrganisationId: "station-jinan",
	}})
	if err != nil {
		t.Fatal(err)
	}
	before := earlier.GetTicket()
	ago := time.Now().AddDate(0, 0, -10) // the unit was sold 30 days ago
	if _, err := w.clients.Warranty.RecordRepair(ctx, &warrantyv1.RecordRepairRequest{RequestId: "repair-" + walk.Run, Repair: &warrantyv1.Repair{
		Serial: seed.Serial, FaultCode: "HYD-00", Outcome: warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED,
		RepairDate: &typev1.Date{Year: int32(ago.Year()), Month: int32(ago.Month()), Day: int32(ago.Day())}}}); err != nil {
		t.Fatal(err)
	}
	tk := phoneTicket(t, w, seed, "now-"+walk.Run, "王先生", "13800000000")
	jobID := assignedJob(t, w, tk.GetId(), seed.TechnicianID)

	b := newBrowser(t, w.console)
	b.phone()
	techSignIn(t, w, b, seed.TechnicianID)
	b.do("today's jobs", chromedp.Navigate(b.base+"tech/"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#jobs li[data-job=%q]`, jobID))),
		chromedp.WaitVisible(chromedp.CSS(`body[data-prefetched="true"]`)))

	// The van.
	b.do("the van", chromedp.Click(chromedp.CSS("#van-link")), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#van-lines li[data-part=%q]`, seed.PartID))))
	if got := b.text("#van"); !strings.Contains(got, "HP-"+walk.Run) || !strings.Contains(got, "Hydraulic pump") {
		t.Errorf("van screen = %q, want the pump by SKU and name", got)
	}
	b.noHorizontalScroll("the van")
	b.shot("phone-van")
	if got := apiStatus(b, "sanbao.inventory.v1.InventoryService", "ListLocationStock", fmt.Sprintf(`{"locationId": %q}`, colleague.VanID)); got != 404 {
		t.Errorf("the colleague's van read by this technician: HTTP %d, want 404", got)
	}
	if got := apiStatus(b, "sanbao.inventory.v1.InventoryService", "ListLocationStock", fmt.Sprintf(`{"technicianId": %q}`, colleague.TechnicianID)); got != 403 {
		t.Errorf("the colleague's van by technician id: HTTP %d, want 403", got)
	}

	// The job: the fault, the unit's history, the parts on the van.
	b.do("open the job", chromedp.Navigate(b.base+"tech/#/job/"+jobID), chromedp.WaitVisible(chromedp.CSS("#brief-symptom")))
	hist := b.text("#history")
	for _, want := range []string{"液压提升不保持", before.GetNumber(), "HYD-00", "TX-904"} {
		if !strings.Contains(hist, want) {
			t.Errorf("job history = %q, want %q in it", hist, want)
		}
	}
	for _, secret := range []string{"李四", "13900000001", "老街", "保定"} {
		if strings.Contains(eval[string](b, "read the page", `document.body.innerText`), secret) {
			t.Errorf("the job screen shows the earlier owner's %q", secret)
		}
	}
	b.do("the likely part is on the van", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#van-check li[data-part=%q][data-on-van="true"]`, seed.PartID))))
	b.noHorizontalScroll("the job with its history")
	b.shot("phone-brief")

	// Accept, then hand the job to the colleague.
	b.do("accept", chromedp.Click(chromedp.CSS("#accept")), chromedp.WaitVisible(chromedp.CSS("#travel")), chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	b.do("transfer", chromedp.Click(chromedp.CSS("#transfer summary")), chromedp.SetValue(chromedp.CSS("#transfer-to"), colleague.TechnicianID),
		chromedp.SetValue(chromedp.CSS("#transfer-reason"), "车坏了"), chromedp.Click(chromedp.CSS("#transfer-send")),
		chromedp.WaitVisible(chromedp.CSS("#handed")), chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	if got := b.text("#handed"); !strings.Contains(got, colleague.TechnicianID) {
		t.Errorf("after the transfer the job says %q, want it handed to %s", got, colleague.TechnicianID)
	}
	b.shot("phone-transferred")
	r, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
	if err != nil || r.GetJob().GetAssignment().GetTechnicianId() != colleague.TechnicianID || r.GetJob().GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("job after the transfer = %v, %v; want ASSIGNED to the colleague", r.GetJob().GetAssignment(), err)
	}
	b.do("back to the day", chromedp.Click(chromedp.CSS("#back")), chromedp.WaitVisible(chromedp.CSS("#jobs")))
	if n := eval[int](b, "count the job", fmt.Sprintf(`document.querySelectorAll('#jobs li[data-job=%q]').length`, jobID)); n != 0 {
		t.Errorf("the transferred job is still in the day")
	}
}

// gate is a TCP forwarder in front of the console that can be closed for real: a closed gate
// refuses connections and drops the open ones, so the page and its service worker both lose
// the server (Chromium's network emulation may not reach a service worker's fetches).
type gate struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	lis    net.Listener
	conns  map[net.Conn]bool
}

func newGate(t *testing.T, target string) *gate {
	t.Helper()
	g := &gate{t: t, target: target, conns: map[net.Conn]bool{}}
	g.open()
	t.Cleanup(g.close)
	return g
}

// open listens (again, on the same port after the first time) and forwards.
func (g *gate) open() {
	g.t.Helper()
	addr := g.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lis net.Listener
	natstest.Eventually(g.t, 10*time.Second, func() error { // the port was ours a moment ago
		var err error
		lis, err = net.Listen("tcp", addr)
		return err
	})
	g.mu.Lock()
	g.lis, g.addr = lis, lis.Addr().String()
	g.mu.Unlock()
	go g.serve(lis)
}

func (g *gate) serve(lis net.Listener) {
	for {
		c, err := lis.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", g.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		g.mu.Lock()
		if g.lis != lis { // closed meanwhile
			g.mu.Unlock()
			_ = c.Close()
			_ = up.Close()
			return
		}
		g.conns[c], g.conns[up] = true, true
		g.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// close stops listening and drops every open connection.
func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lis != nil {
		_ = g.lis.Close()
		g.lis = nil
	}
	for c := range g.conns {
		_ = c.Close()
	}
	g.conns = map[net.Conn]bool{}
}

// After one visit with signal, the server goes away for real (the gate in front of the console
// closes: the service worker's fetches fail too) and /tech/ is reloaded: the cached shell and
// today's cached jobs appear, an accept is queued and nothing reaches dispatch; when the server
// is back the queue replays by itself, once.
func TestPhoneOfflineShellForReal(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	walk := &demo.Walk{C: w.clients, Run: demo.RunID()}
	seed, err := walk.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tk := phoneTicket(t, w, seed, "shell-"+walk.Run, "王先生", "13800000000")
	jobID := assignedJob(t, w, tk.GetId(), seed.TechnicianID)

	g := newGate(t, strings.TrimSuffix(strings.TrimPrefix(w.console, "http://"), "/"))
	b := newBrowser(t, "http://"+g.addr+"/")
	b.phone()
	techSignIn(t, w, b, seed.TechnicianID)
	b.do("one visit with signal", chromedp.Navigate(b.base+"tech/"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#jobs li[data-job=%q]`, jobID))),
		chromedp.WaitVisible(chromedp.CSS(`body[data-prefetched="true"]`)))
	if !evalAwait[bool](b, "service worker", `navigator.serviceWorker.ready.then(r => !!r.active)`) {
		t.Fatal("the app's service worker is not active")
	}
	b.do("the service worker controls the page", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
	if !eval[bool](b, "controlled", `!!navigator.serviceWorker.controller`) {
		t.Fatal("the page is not controlled by the service worker")
	}

	g.close()
	if _, err := (&net.Dialer{Timeout: time.Second}).Dial("tcp", g.addr); err == nil {
		t.Fatal("the gate still answers")
	}
	b.do("reload with no server", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
		chromedp.WaitVisible(chromedp.CSS("#cached")), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#jobs li[data-job=%q]`, jobID))))
	if got := b.text("#net"); got != "离线" {
		t.Errorf("network badge = %q, want 离线 (the server is unreachable)", got)
	}
	b.shot("phone-shell-offline")
	b.do("open the job offline", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#jobs li[data-job=%q] a`, jobID))), chromedp.WaitVisible(chromedp.CSS("#accept")),
		chromedp.WaitVisible(chromedp.CSS("#brief-symptom")))
	b.do("accept offline", chromedp.Click(chromedp.CSS("#accept")), chromedp.WaitVisible(chromedp.CSS("#travel")), chromedp.WaitVisible(chromedp.CSS(`body[data-queued="1"]`)))
	if r, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID}); err != nil || r.GetJob().GetState() != dispatchv1.JobState_JOB_STATE_ASSIGNED {
		t.Fatalf("while the server is away the job is %v (%v), want still ASSIGNED", r.GetJob().GetState(), err)
	}

	g.open()
	// The app retries on its own (every 15 s, and on the browser's online event).
	var accepted *dispatchv1.Job
	natstest.Eventually(t, 60*time.Second, func() error {
		r, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
		if err != nil {
			return err
		}
		if s := r.GetJob().GetState(); s != dispatchv1.JobState_JOB_STATE_ACCEPTED {
			return fmt.Errorf("job is %s, want ACCEPTED once the server is back", s)
		}
		accepted = r.GetJob()
		return nil
	})
	b.do("the queue drains", chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	b.shot("phone-shell-synced")
	// Once: a reload and another round change nothing.
	b.do("reload with signal", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)), chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	again, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
	if err != nil || again.GetJob().GetEtag() != accepted.GetEtag() {
		t.Errorf("after a reload the job changed (etag %s → %s, %v): the accept was sent more than once", accepted.GetEtag(), again.GetJob().GetEtag(), err)
	}
}
