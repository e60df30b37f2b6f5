package daemon_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/outbox"
)

// An event too large to publish is parked; the admin endpoints list, show, retry and drop it,
// and the metrics count it.
func TestDeadLetterAdminEndpoints(t *testing.T) {
	nats := natstest.Run(t)
	cfg := daemon.Defaults("dl", 0, 0)
	cfg.DataDir = t.TempDir()
	cfg.NATSURL = nats.URL()
	cfg.Security.Insecure = true
	var lis [3]net.Listener
	for i := range lis {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lis[i] = l
	}
	ready := make(chan *daemon.Platform, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, cfg, zaptest.NewLogger(t, zaptest.Level(zap.FatalLevel)), nothing{}, daemon.Options{
			Listener: lis[0], MetricsListener: lis[1], AdminListener: lis[2], Retry: 50 * time.Millisecond,
			OnReady: func(p *daemon.Platform) { ready <- p }})
	}()
	var p *daemon.Platform
	select {
	case p = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("daemon.Run stopped before it was ready: %v", err)
	}
	defer func() { cancel(); <-done }()
	admin := "http://" + lis[2].Addr().String()
	err := p.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		_, err := outbox.Append(tx, outbox.Event{Subject: "sanbao.dl.v1.thing.changed", Resource: "things/1",
			Data: &typev1.Contact{Name: strings.Repeat("x", 2<<20)}, ID: "01JHUGE000000000000000000"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	type page struct {
		Outbox  int `json:"outbox"`
		Letters []struct {
			ID     string `json:"id"`
			Reason string `json:"reason"`
		} `json:"letters"`
	}
	var pg page
	natstest.Eventually(t, 10*time.Second, func() error {
		pg = page{}
		if code := getJSON(t, http.MethodGet, admin+"/deadletters", &pg); code != 200 || len(pg.Letters) != 1 {
			return errorf("GET /deadletters = %d %+v", code, pg)
		}
		return nil
	})
	id := pg.Letters[0].ID
	if pg.Outbox != 1 || !strings.Contains(pg.Letters[0].Reason, "max payload") {
		t.Errorf("letters = %+v", pg)
	}
	if body := scrape(t, lis[1].Addr().String()); !strings.Contains(body, `sanbao_dead_letters{kind="outbox"} 1`) ||
		!strings.Contains(body, `sanbao_dead_letters_total{kind="outbox"} 1`) {
		t.Errorf("metrics lack the dead letter:\n%s", grep(body, "dead_letters"))
	}
	var one struct {
		EventID string `json:"event_id"`
		Data    []byte `json:"data"`
	}
	if code := getJSON(t, http.MethodGet, admin+"/deadletters/"+id, &one); code != 200 || one.EventID != "01JHUGE000000000000000000" || len(one.Data) < 2<<20 {
		t.Errorf("GET one = %d, event %q, %d bytes", code, one.EventID, len(one.Data))
	}
	// Retry: back in the outbox, parked again (it is still too large).
	if code := getJSON(t, http.MethodPost, admin+"/deadletters/"+id+"/retry", &map[string]string{}); code != 200 {
		t.Errorf("retry = %d", code)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		pg = page{}
		if getJSON(t, http.MethodGet, admin+"/deadletters", &pg); len(pg.Letters) != 1 {
			return errorf("letters after retry = %+v", pg)
		}
		return nil
	})
	if code := getJSON(t, http.MethodDelete, admin+"/deadletters/"+id, &map[string]string{}); code != 200 {
		t.Errorf("drop = %d", code)
	}
	if code := getJSON(t, http.MethodGet, admin+"/deadletters/"+id, &map[string]string{}); code != 404 {
		t.Errorf("GET after drop = %d, want 404", code)
	}
	if body := scrape(t, lis[1].Addr().String()); !strings.Contains(body, `sanbao_dead_letters{kind="outbox"} 0`) {
		t.Errorf("metrics after drop:\n%s", grep(body, "dead_letters"))
	}
}

func getJSON(t *testing.T, method, url string, into any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(into)
	return resp.StatusCode
}

func grep(body, s string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
