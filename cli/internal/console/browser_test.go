package console_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/suite"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/natstest"
)

// chromium finds the headless browser: $SANBAO_CHROMIUM, else chromium on the PATH. Without
// one the browser tests skip, except under CI=true, where a missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SANBAO_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium: CI must run the browser tests (tools/chromium/install installs Debian's chromium)")
	}
	t.Skip("no Chromium on this machine: `make test` installs it (tools/chromium/install); set SANBAO_CHROMIUM to use another")
	return ""
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// world is the all-in-one run with its console on loopback ports.
type world struct {
	dataDir   string
	console   string            // http://127.0.0.1:port/
	addrs     map[string]string // gRPC
	httpAddrs map[string]string // HTTP/JSON faces
	clients   *demo.Clients
}

func startWorld(t testing.TB) *world {
	t.Helper()
	lis := map[string]net.Listener{}
	for _, k := range []string{"ticket", "warranty", "dispatch", "inventory", "ticket-metrics", "warranty-metrics", "dispatch-metrics", "inventory-metrics",
		"ticket-http", "warranty-http", "dispatch-http", "inventory-http", "console"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lis[k] = l
	}
	w := &world{dataDir: t.TempDir(), console: "http://" + lis["console"].Addr().String() + "/"}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- suite.Run(ctx, suite.Config{DataDir: w.dataDir, NATSPort: -1, Listeners: lis, ConsoleDev: true},
			zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), out)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("suite.Run = %v, want a clean stop", err)
		}
	})
	natstest.Eventually(t, 60*time.Second, func() error {
		if !strings.Contains(out.String(), "Sanbao is running") {
			return errors.New("not running yet")
		}
		return nil
	})
	if !strings.Contains(out.String(), "console") {
		t.Fatalf("the run's table does not name the console:\n%s", out.String())
	}
	opts, err := suite.ClientOptions(w.dataDir, "operator")
	if err != nil {
		t.Fatal(err)
	}
	addr := func(n string) string { return lis[n].Addr().String() }
	w.addrs = map[string]string{"ticket": addr("ticket"), "warranty": addr("warranty"), "dispatch": addr("dispatch"), "inventory": addr("inventory")}
	w.httpAddrs = map[string]string{"ticket": addr("ticket-http")}
	if w.clients, err = demo.Dial(demo.Addrs{Ticket: addr("ticket"), Warranty: addr("warranty"), Dispatch: addr("dispatch"), Inventory: addr("inventory")}, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.clients.Close)
	return w
}

// browser drives one headless Chromium; every step is bounded, and a failed step leaves a
// screenshot whose path the failure names.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	dir   string
	n     int
	shots []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1000))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: base, dir: t.ArtifactDir()}
	// The first run starts the browser and ties it to its context: b.ctx, not a step's timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		keep := filepath.Join(os.TempDir(), "sanbao-console-screenshots", strings.ReplaceAll(t.Name(), "/", "_"))
		_ = os.MkdirAll(keep, 0o755)
		for _, s := range b.shots {
			if data, err := os.ReadFile(s); err == nil {
				_ = os.WriteFile(filepath.Join(keep, filepath.Base(s)), data, 0o644)
			}
		}
		t.Logf("screenshots of this run: %s", keep)
	})
	return b
}

// do runs actions within 30s; on failure it takes a screenshot and fails the test.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// fail fails the test with a screenshot and the page's text.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	path := b.shot("failed-" + what)
	bctx, bcancel := context.WithTimeout(b.ctx, 5*time.Second)
	body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#app")))
	bcancel()
	b.t.Fatalf("%s: %v\nscreenshot: %s\npage: %.2000s", what, err, path, body)
}

// shot writes a screenshot into the test's artifact directory and returns its path.
func (b *browser) shot(name string) string {
	b.n++
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '_'
		}
		return r
	}, name)))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	b.shots = append(b.shots, path)
	return path
}

// open loads the console afresh at a route (a full page load, not a hash change).
func (b *browser) open(route string) {
	b.t.Helper()
	b.n++
	b.do("open "+route, chromedp.Navigate(fmt.Sprintf("%s?v=%d#/%s", b.base, b.n, route)))
}

// signIn signs in as a local user with the dev list (signing out whoever was in).
func (b *browser) signIn(user string) {
	b.t.Helper()
	b.open("login")
	b.do("sign in as "+user, chromedp.Click(chromedp.CSS(`button[data-user="`+user+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#who`)))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	return eval[string](b, "read "+sel, fmt.Sprintf("document.querySelector(%q).innerText", sel))
}

// eval evaluates js in the page within 30s and returns its value.
func eval[T any](b *browser, what, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// A repair ticket walks from intake to survey through the console in Chinese: the desk opens
// it with the unit looked up and its coverage read out, the dispatcher records the visit on the
// technician's behalf, the desk confirms, closes and records the survey; then the console
// switches to English, the work queue is ordered by what falls due first, and the manager's
// KPI charts count the survey.
func TestConsoleWalksARepairTicket(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	walk := &demo.Walk{C: w.clients, Run: demo.RunID()}
	seed, err := walk.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, w.console)

	// Intake, in zh-CN (the default).
	b.signIn("desk")
	if got := b.text("#who"); !strings.Contains(got, "服务台") {
		t.Errorf("signed-in line = %q, want the role in Chinese (服务台)", got)
	}
	b.open("new")
	f := `#new-ticket [name="%s"]`
	set := func(name, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS(fmt.Sprintf(f, name)), v)
	}
	b.do("look up the unit", set("serial", seed.Serial), chromedp.Click(chromedp.CSS("#lookup")), chromedp.WaitVisible(chromedp.CSS("#coverage-value")))
	if got := b.text("#coverage"); !strings.Contains(got, "三包期内免费") || !strings.Contains(got, "本次服务免费") || !strings.Contains(got, "包修期：") {
		t.Errorf("coverage read out = %q, want the free-repair decision in Chinese", got)
	}
	b.shot("coverage")
	b.do("fill in the ticket", set("priority", "PRIORITY_HIGH"), set("productLine", seed.ProductLine), set("name", "王先生"), set("phone", "13800000000"),
		set("region", "山东"), set("city", "济南"), set("lat", fmt.Sprint(seed.Site.GetLatitude())), set("lng", fmt.Sprint(seed.Site.GetLongitude())),
		set("faultCode", "HYD-01"), set("symptom", "液压提升不保持"), set("likelyPart", seed.PartID), set("org", "station-jinan"),
		chromedp.Click(chromedp.CSS("#create")), chromedp.WaitVisible(chromedp.CSS("#ticket-state")))
	hash := eval[string](b, "read the ticket's route", `location.hash`)
	id := strings.TrimPrefix(hash, "#/tickets/")
	if id == "" || id == hash {
		t.Fatalf("after create the console shows %q, want #/tickets/<id>", hash)
	}
	// Triage and automatic dispatch happen in the services.
	var jobID string
	natstest.Eventually(t, 60*time.Second, func() error {
		r, err := w.clients.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: id})
		if err != nil {
			return err
		}
		if js := r.GetTicket().GetJobs(); len(js) > 0 && js[0].GetTechnicianId() != "" {
			jobID = js[0].GetJobId()
			return nil
		}
		return fmt.Errorf("ticket %s: no assigned job yet (state %s)", id, r.GetTicket().GetState())
	})
	b.open("tickets/" + id)
	if got := b.text("#timeline"); !strings.Contains(got, "受理工单") || !strings.Contains(got, "派给") {
		t.Errorf("timeline = %q, want the intake and the assignment in Chinese", got)
	}

	// The visit, recorded by the dispatcher on the technician's behalf.
	b.signIn("dispatcher")
	b.open("jobs/" + jobID)
	b.do("accept", chromedp.Click(chromedp.CSS("#accept")), chromedp.WaitVisible(chromedp.CSS("#travel")))
	b.do("travel", chromedp.Click(chromedp.CSS("#travel")), chromedp.WaitVisible(chromedp.CSS("#checkin")))
	b.do("check in", chromedp.Click(chromedp.CSS("#checkin")), chromedp.WaitVisible(chromedp.CSS("#report")))
	r := `#report [name="%s"]`
	b.do("complete the visit", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(r, "diagnosis")), "液压泵密封磨损"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(r, "workDone")), "更换液压泵"), chromedp.SetValue(chromedp.CSS(fmt.Sprintf(r, "signer")), "王先生"),
		chromedp.Click(chromedp.CSS("#report button")), chromedp.WaitVisible(chromedp.CSS(`#job-state[data-state="JOB_STATE_COMPLETED"]`)))
	b.shot("visit-completed")

	// Confirm, close and survey at the desk.
	natstest.Eventually(t, 60*time.Second, func() error {
		r, err := w.clients.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: id})
		if err != nil {
			return err
		}
		if s := r.GetTicket().GetState(); s != ticketv1.TicketState_TICKET_STATE_RESOLVED {
			return fmt.Errorf("ticket %s is %s, want RESOLVED", id, s)
		}
		return nil
	})
	b.signIn("desk")
	b.open("tickets/" + id)
	b.do("confirm", chromedp.Click(chromedp.CSS("#confirm")), chromedp.WaitNotPresent(chromedp.CSS("#confirm")), chromedp.WaitVisible(chromedp.CSS("#close")))
	b.do("close", chromedp.Click(chromedp.CSS("#close")), chromedp.WaitVisible(chromedp.CSS(`#ticket-state[data-state="TICKET_STATE_CLOSED"]`)))
	b.do("survey", chromedp.SetValue(chromedp.CSS(`#survey [name="quality"]`), "4"), chromedp.SetValue(chromedp.CSS(`#survey [name="comment"]`), "很满意"),
		chromedp.Click(chromedp.CSS("#survey button")), chromedp.WaitVisible(chromedp.CSS("#survey-result")))
	if got := b.text("#survey-result"); !strings.Contains(got, "平均分 4.67") || !strings.Contains(got, "满意") {
		t.Errorf("survey result = %q, want 平均分 4.67 · 满意", got)
	}
	if got := b.text("#ticket-state"); got != "已关闭" {
		t.Errorf("state = %q, want 已关闭", got)
	}
	tl := b.text("#timeline")
	for _, want := range []string{"受理工单", "派给", "技师到场", "已修复", "客户确认已解决", "工单关闭", "回访完成"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl)
		}
	}
	b.shot("closed-zh")

	// English, kept across a reload.
	b.do("switch to English", chromedp.SetValue(chromedp.CSS("#lang"), "en"),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.getElementById('lang').dispatchEvent(new Event('change'))`)(ctx, t)
			return err
		}),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Ticket")]`)))
	b.open("tickets/" + id)
	if got := b.text("#ticket-state"); got != "Closed" {
		t.Errorf("state in English = %q, want Closed", got)
	}
	if got := b.text("#timeline"); !strings.Contains(got, "Ticket received") || !strings.Contains(got, "Survey: mean 4.67") {
		t.Errorf("timeline in English = %q", got)
	}
	b.shot("closed-en")

	// The work queue: open tickets, the first due on top.
	for i, p := range []ticketv1.Priority{ticketv1.Priority_PRIORITY_LOW, ticketv1.Priority_PRIORITY_URGENT, ticketv1.Priority_PRIORITY_NORMAL} {
		if _, err := w.clients.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: fmt.Sprintf("console-queue-%s-%d", walk.Run, i), Ticket: &ticketv1.Ticket{
			Kind: ticketv1.TicketKind_TICKET_KIND_CONSULTATION, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: p,
			Customer: &ticketv1.Customer{Contact: &typev1.Contact{Name: "Zhao", Phone: "13900000000"}},
			Unit:     &ticketv1.Unit{Serial: seed.Serial}, Fault: &ticketv1.Fault{Symptom: "how do I grease the lift arm"},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	b.open("queue")
	b.do("wait for the queue", chromedp.WaitVisible(chromedp.CSS("#queue tbody tr")))
	dues := eval[[]string](b, "read the queue", `Array.from(document.querySelectorAll('#queue tbody tr')).map(r => r.dataset.due)`)
	if len(dues) < 3 {
		t.Fatalf("queue shows %d tickets, want the 3 open ones", len(dues))
	}
	var times []time.Time
	for i, d := range dues {
		if d == "" {
			if slices.ContainsFunc(dues[i:], func(s string) bool { return s != "" }) {
				t.Errorf("queue %v: a ticket without a clock comes before one with a deadline", dues)
			}
			break
		}
		tm, err := time.Parse(time.RFC3339Nano, d)
		if err != nil {
			t.Fatalf("queue row due %q: %v", d, err)
		}
		times = append(times, tm)
	}
	if len(times) < 2 || !slices.IsSortedFunc(times, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Errorf("queue deadlines %v: want at least two, earliest first", dues)
	}
	b.shot("queue")

	// A complaint with its clocks, verified and answered by two managers (in English now).
	cr, err := w.clients.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "console-complaint-" + walk.Run, Ticket: &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_COMPLAINT, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_HIGH,
		Customer: &ticketv1.Customer{Contact: &typev1.Contact{Name: "Sun", Phone: "13600000000"}},
		Unit:     &ticketv1.Unit{Serial: seed.Serial}, Fault: &ticketv1.Fault{Symptom: "the pump failed again after the repair"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cid := cr.GetTicket().GetId()
	b.signIn("manager")
	b.open("complaints")
	if got := b.text(`#complaints tbody`); !strings.Contains(got, cr.GetTicket().GetNumber()) || !strings.Contains(got, "left") {
		t.Errorf("complaints = %q, want %s with a running clock", got, cr.GetTicket().GetNumber())
	}
	// Four eyes on a serious complaint: the operator (who holds the manager role) verifies it,
	// the manager answers it; the verifier may not answer their own (SELF_APPROVAL).
	b.signIn("operator")
	b.open("tickets/" + cid)
	v := `#verify [name="%s"]`
	b.do("verify the complaint", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(v, "severity")), "COMPLAINT_SEVERITY_SERIOUS"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(v, "substantiated"))), chromedp.SetValue(chromedp.CSS(fmt.Sprintf(v, "finding")), "seal batch out of tolerance"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(v, "department")), "quality"), chromedp.Click(chromedp.CSS("#verify button")), chromedp.WaitVisible(chromedp.CSS("#answer")))
	b.signIn("manager")
	b.open("tickets/" + cid)
	an := `#answer [name="%s"]`
	b.do("answer the complaint", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(an, "text")), "we replace the seal free of charge"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(an, "rootCause")), "supplier seal batch"), chromedp.SetValue(chromedp.CSS(fmt.Sprintf(an, "prevention")), "incoming inspection"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(an, "signOffs")), "quality, sales, management"), chromedp.Click(chromedp.CSS("#answer button")),
		chromedp.WaitNotPresent(chromedp.CSS("#answer")))
	if got := b.text("#timeline"); !strings.Contains(got, "Complaint verified") || !strings.Contains(got, "Complaint answered") {
		t.Errorf("complaint timeline = %q, want it verified and answered", got)
	}
	b.shot("complaint")

	// The manager's KPI charts count this week's survey.
	b.open("manager")
	b.do("wait for the KPI chart", chromedp.WaitVisible(chromedp.CSS(`svg[data-kpi="satisfaction_rate"]`)))
	bars := eval[int](b, "count the bars", `document.querySelectorAll('svg[data-kpi="satisfaction_rate"] rect.bar').length`)
	sample := eval[int](b, "read this week's sample", `Number(Array.from(document.querySelectorAll('svg[data-kpi="satisfaction_rate"] rect.bar')).pop().dataset.sample)`)
	if bars != 8 || sample < 1 {
		t.Errorf("satisfaction chart: %d bars, this week's sample %d; want 8 weeks and the survey counted", bars, sample)
	}
	b.do("wait for the breakdown", chromedp.WaitVisible(chromedp.CSS(`svg[data-kpi="timeliness_rate-org"] rect.bar`)))
	if orgs := eval[int](b, "count the organisations", `document.querySelectorAll('svg[data-kpi="timeliness_rate-org"] rect.bar').length`); orgs < 1 {
		t.Errorf("timeliness by organisation: %d bars, want the seeded technician's station", orgs)
	}
	if got := b.text("#kpis"); !strings.Contains(got, "Satisfaction") || !strings.Contains(got, "First-visit fix") {
		t.Errorf("KPI charts = %q, want their English names", got)
	}
	b.shot("kpis")
}
