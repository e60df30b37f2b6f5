package console_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sanbao/sanbao/cli/internal/demo"
	"github.com/sanbao/sanbao/cli/internal/suite"
	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/natstest"
)

// evalAwait evaluates js in the page, waits for the promise it returns and gives its value.
func evalAwait[T any](b *browser, what, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// phone sets the browser to a phone: 360×740 CSS pixels, mobile, touch.
func (b *browser) phone() {
	b.t.Helper()
	b.do("phone viewport", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// network switches the browser's signal: offline makes every request of the page and of its
// service worker fail and navigator.onLine false (the 'offline' event fires), online undoes it.
func (b *browser) network(offline bool) {
	b.t.Helper()
	b.do(fmt.Sprintf("network offline=%v", offline), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, emulateNetworkConditions, networkConditions{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
			return fmt.Errorf("emulateNetworkConditions: %w", err)
		}
		if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline}); err != nil {
			return fmt.Errorf("overrideNetworkState: %w", err)
		}
		return nil
	}))
}

// emulateNetworkConditions is Network.emulateNetworkConditions (deprecated, so cdproto no
// longer generates it; the Chromium in use refuses its replacement's parameters).
var emulateNetworkConditions = cdp.Command[networkConditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

type networkConditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

// noHorizontalScroll fails when the page is wider than the phone.
func (b *browser) noHorizontalScroll(what string) {
	b.t.Helper()
	if w := eval[int](b, "measure "+what, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		b.t.Errorf("%s scrolls sideways by %dpx at 360px", what, w)
	}
}

// techSignIn signs the browser in with a technician's token through the console's sign-in
// (POST /session/login with a pasted token), as an identity provider's token would be.
func techSignIn(t *testing.T, w *world, b *browser, techID string) {
	t.Helper()
	local, err := auth.OpenLocal(suite.AuthDir(w.dataDir))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := local.Issue(auth.Person{Subject: "tech-" + techID, Roles: []auth.Role{auth.RoleTechnician}, TechnicianID: techID}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b.do("open the phone app", chromedp.Navigate(b.base+"tech/"), chromedp.WaitVisible(chromedp.CSS(`#signin-needed`)))
	if got := evalAwait[int](b, "sign in", fmt.Sprintf(`fetch('/session/login', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Sanbao-Console': '1'},
		body: JSON.stringify({token: %q})}).then(r => r.status)`, tok)); got != 200 && got != 204 {
		t.Fatalf("sign-in with the technician's token: HTTP %d", got)
	}
}

func smallPNG(t *testing.T, dir, name string, c color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A technician works a job on the phone app at a phone's width: today's jobs, accept and
// travel with signal; then offline (the browser's network emulation, which reaches the
// service worker too: the app reloads from its cached shell) check-in by location, photos
// before and after, the report and the customer's signature are queued and shown as waiting to
// send; back online the queue replays in order, and the report lands once with its photos and
// a sign-off that names the signature attachment.
func TestPhoneWorksAJobOffline(t *testing.T) {
	w := startWorld(t)
	ctx := context.Background()
	walk := &demo.Walk{C: w.clients, Run: demo.RunID()}
	seed, err := walk.Seed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := w.clients.Ticket.CreateTicket(ctx, &ticketv1.CreateTicketRequest{RequestId: "phone-" + walk.Run, Ticket: &ticketv1.Ticket{
		Kind: ticketv1.TicketKind_TICKET_KIND_REPAIR, Channel: ticketv1.Channel_CHANNEL_PHONE, Priority: ticketv1.Priority_PRIORITY_HIGH,
		Customer: &ticketv1.Customer{CustomerId: "cust-" + walk.Run, Contact: &typev1.Contact{Name: "王先生", Phone: "13800000000"},
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
	tid := created.GetTicket().GetId()
	var jobID string
	natstest.Eventually(t, 60*time.Second, func() error {
		r, err := w.clients.Ticket.GetTicket(ctx, &ticketv1.GetTicketRequest{TicketId: tid})
		if err != nil {
			return err
		}
		if js := r.GetTicket().GetJobs(); len(js) > 0 && js[0].GetTechnicianId() == seed.TechnicianID {
			jobID = js[0].GetJobId()
			return nil
		}
		return fmt.Errorf("ticket %s: not assigned to %s yet", tid, seed.TechnicianID)
	})

	b := newBrowser(t, w.console)
	b.phone()
	techSignIn(t, w, b, seed.TechnicianID)
	b.do("today's jobs", chromedp.Navigate(b.base+"tech/"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#jobs li[data-job=%q]`, jobID))))
	if got := b.text("#jobs"); !strings.Contains(got, seed.Serial) || !strings.Contains(got, "待接单") {
		t.Errorf("today's jobs = %q, want the unit and 待接单", got)
	}
	b.noHorizontalScroll("today's jobs")
	b.shot("phone-day")
	// The van and the day's briefs are kept for the road.
	b.do("van and briefs fetched", chromedp.WaitVisible(chromedp.CSS(`body[data-prefetched="true"]`)))
	// The service worker holds the shell before the signal goes.
	if !evalAwait[bool](b, "service worker", `navigator.serviceWorker.ready.then(r => !!r.active)`) {
		t.Fatal("the app's service worker is not active")
	}

	b.do("open the job", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#jobs li[data-job=%q] a`, jobID))), chromedp.WaitVisible(chromedp.CSS("#accept")))
	geo := eval[string](b, "read the navigation link", `document.getElementById('nav-geo').getAttribute('href')`)
	if !strings.HasPrefix(geo, fmt.Sprintf("geo:%v,%v", seed.Site.GetLatitude(), seed.Site.GetLongitude())) {
		t.Errorf("navigation link = %q, want a geo: URI of the site", geo)
	}
	if amap := eval[string](b, "read the Amap link", `document.getElementById('nav-amap').href`); !strings.HasPrefix(amap, "https://uri.amap.com/marker?position=") {
		t.Errorf("Amap link = %q", amap)
	}
	b.noHorizontalScroll("the job")
	b.do("accept", chromedp.Click(chromedp.CSS("#accept")), chromedp.WaitVisible(chromedp.CSS("#travel")), chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	// The phone has heard back for both before the signal goes (else the travel is simply
	// sent again, under its request id, with the rest).
	b.do("travel", chromedp.Click(chromedp.CSS("#travel")), chromedp.WaitVisible(chromedp.CSS("#checkin")), chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	natstest.Eventually(t, 30*time.Second, func() error {
		r, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
		if err != nil {
			return err
		}
		if s := r.GetJob().GetState(); s != dispatchv1.JobState_JOB_STATE_EN_ROUTE {
			return fmt.Errorf("job is %s, want EN_ROUTE (sent with signal)", s)
		}
		return nil
	})

	// The signal goes. The app reloads from its cached shell and works from its queue.
	b.do("grant the location", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		lat, lng, acc := seed.Site.GetLatitude(), seed.Site.GetLongitude(), 10.0
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lng, Accuracy: &acc})
		return err
	}))
	b.network(true)
	b.do("reload offline", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#checkin")))
	if got := b.text("#net"); got != "离线" {
		t.Errorf("network badge = %q, want 离线", got)
	}
	b.do("check in offline", chromedp.Click(chromedp.CSS("#checkin")), chromedp.WaitVisible(chromedp.CSS("#report")))
	dir := t.TempDir()
	b.do("photo before", chromedp.SetUploadFiles(chromedp.CSS("#photo-before"), []string{smallPNG(t, dir, "before.png", color.RGBA{200, 30, 30, 255})}),
		chromedp.WaitVisible(chromedp.CSS("#photos-before li")))
	b.do("photo after", chromedp.SetUploadFiles(chromedp.CSS("#photo-after"), []string{smallPNG(t, dir, "after.png", color.RGBA{30, 200, 30, 255})}),
		chromedp.WaitVisible(chromedp.CSS("#photos-after li")))
	// The part used is picked from the van's stock, fetched with signal and kept.
	b.do("a part used from the van", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#van-pick button[data-part=%q]`, seed.PartID))),
		chromedp.WaitVisible(chromedp.CSS("#parts-used li")))
	r := `#report [name="%s"]`
	b.do("fill in the report", chromedp.SetValue(chromedp.CSS(fmt.Sprintf(r, "diagnosis")), "液压泵密封磨损"),
		chromedp.SetValue(chromedp.CSS(fmt.Sprintf(r, "workDone")), "更换液压泵"), chromedp.SetValue(chromedp.CSS(fmt.Sprintf(r, "signer")), "王先生"))
	// The customer signs on the glass: a stroke of pointer events across the canvas.
	b.do("show the signature pad", chromedp.ScrollIntoView(chromedp.CSS("#signature")))
	box := eval[[]float64](b, "locate the pad", `(() => { const r = document.getElementById('signature').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	b.do("sign", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Evaluate[bool](`(() => { const c = document.getElementById('signature'); const r = c.getBoundingClientRect();
			const ev = (type, i) => c.dispatchEvent(new PointerEvent(type, {pointerId: 7, bubbles: true, clientX: r.left + 20 + i * 12, clientY: r.top + 40 + (i % 5) * 18, pointerType: 'touch', isPrimary: true}));
			ev('pointerdown', 0); for (let i = 1; i < 20; i++) ev('pointermove', i); ev('pointerup', 20); return true; })()`)(ctx, t); err != nil {
			return err
		}
		return nil
	}))
	_ = box
	b.do("complete offline", chromedp.Click(chromedp.CSS("#complete")), chromedp.WaitVisible(chromedp.CSS(`#job-state[data-state="JOB_STATE_COMPLETED"]`)))
	waiting := b.text("#waiting")
	if !strings.Contains(waiting, "5 项等待发送") {
		t.Errorf("queue line = %q, want 5 项等待发送 (check-in, two photos, signature, report)", waiting)
	}
	b.shot("phone-offline-queued")
	if r, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID}); err != nil || r.GetJob().GetState() != dispatchv1.JobState_JOB_STATE_EN_ROUTE {
		t.Fatalf("while offline the job is %v (%v), want still EN_ROUTE: nothing may reach the service", r.GetJob().GetState(), err)
	}

	// Back online: the queue replays in order.
	b.network(false)
	b.do("the queue drains", chromedp.WaitVisible(chromedp.CSS(`body[data-queued="0"]`)))
	b.shot("phone-synced")
	var job *dispatchv1.Job
	natstest.Eventually(t, 30*time.Second, func() error {
		r, err := w.clients.Dispatch.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
		if err != nil {
			return err
		}
		if s := r.GetJob().GetState(); s != dispatchv1.JobState_JOB_STATE_COMPLETED {
			return fmt.Errorf("job is %s, want COMPLETED", s)
		}
		job = r.GetJob()
		return nil
	})
	list, err := w.clients.Attachments.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: tid, JobId: jobID})
	if err != nil {
		t.Fatal(err)
	}
	var photos, sigs []*ticketv1.Attachment
	for _, a := range list.GetAttachments() {
		switch a.GetKind() {
		case ticketv1.AttachmentKind_ATTACHMENT_KIND_PHOTO:
			photos = append(photos, a)
		case ticketv1.AttachmentKind_ATTACHMENT_KIND_SIGNATURE:
			sigs = append(sigs, a)
		}
	}
	if len(photos) != 2 || len(sigs) != 1 {
		t.Fatalf("attachments of the job: %d photos, %d signatures; want 2 and 1 (each once)", len(photos), len(sigs))
	}
	if sigs[0].GetContentType() != "image/png" {
		t.Errorf("signature content type = %q, want image/png", sigs[0].GetContentType())
	}
	rep := job.GetReport()
	if got := rep.GetSignOff().GetSignatureRef(); got != sigs[0].GetId() {
		t.Errorf("sign-off signature_ref = %q, want the signature attachment %s", got, sigs[0].GetId())
	}
	if rep.GetSignOff().GetSignerName() != "王先生" || rep.GetDiagnosis() != "液压泵密封磨损" || len(rep.GetPartsUsed()) != 1 || rep.GetPartsUsed()[0].GetPartId() != seed.PartID {
		t.Errorf("report = %v, want the diagnosis, the part and the signer from the phone", rep)
	}
	if job.GetCheckIn() == nil {
		t.Errorf("job has no check-in")
	}
	// A second replay round (the app retries every 15 s) changes nothing: the requests carry
	// their ids and the queue is empty.
	eval[bool](b, "reload", `(location.reload(), true)`)
	b.do("reloaded", chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
	again, err := w.clients.Attachments.ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: tid, JobId: jobID})
	if err != nil || len(again.GetAttachments()) != 3 {
		t.Errorf("after a reload the job has %d attachments (%v), want 3", len(again.GetAttachments()), err)
	}
}
