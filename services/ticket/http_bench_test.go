package ticket_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/svctest"
)

// BenchmarkGetTicketHTTPvsGRPC measures GetTicket calls per second with 8 parallel callers over
// gRPC and over the HTTP face (REST GET /v1/tickets/{id}, JSON), both with TLS and a token
// checked on every call, alternating rounds so a loaded machine weighs on both alike. It
// reports both rates and their ratio (what the transcoding and JSON cost).
func BenchmarkGetTicketHTTPvsGRPC(b *testing.B) {
	run := startSecureB(b)
	c := ticketv1.NewTicketServiceClient(run.Conn)
	tk, err := c.CreateTicket(context.Background(), &ticketv1.CreateTicketRequest{RequestId: "b1", Ticket: repair()})
	if err != nil {
		b.Fatal(err)
	}
	id := tk.GetTicket().GetId()
	client := run.HTTPClient(b)
	tok := "Bearer " + run.Token(b, svctest.Operator)
	calls := map[string]func() error{
		"grpc": func() error {
			_, err := c.GetTicket(context.Background(), &ticketv1.GetTicketRequest{TicketId: id})
			return err
		},
		"rest": func() error {
			req, err := http.NewRequest(http.MethodGet, run.HTTPURL+"/v1/tickets/"+id, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", tok)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET: %d", resp.StatusCode)
			}
			return nil
		},
	}
	const rounds, callers = 6, 8
	per := max(b.N/rounds, callers)
	spent := map[string]time.Duration{}
	b.ResetTimer()
	for range rounds {
		for _, mode := range []string{"grpc", "rest"} {
			start := time.Now()
			var wg sync.WaitGroup
			for w := range callers {
				wg.Go(func() {
					for i := w; i < per; i += callers {
						if err := calls[mode](); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			spent[mode] += time.Since(start)
		}
	}
	n := float64(rounds * per)
	g, r := n/spent["grpc"].Seconds(), n/spent["rest"].Seconds()
	b.ReportMetric(g, "grpc-calls/s")
	b.ReportMetric(r, "rest-calls/s")
	b.ReportMetric(r/g, "rest/grpc")
}
