package sweep_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"

	"github.com/sanbao/sanbao/cli/internal/suite"
	"github.com/sanbao/sanbao/cli/internal/sweep"
)

// Services are the four services' descriptors, by name.
var services = map[string]*sweep.Target{
	"ticket":    {Service: ticketv1.File_sanbao_ticket_v1_ticket_service_proto.Services().Get(0)},
	"warranty":  {Service: warrantyv1.File_sanbao_warranty_v1_warranty_service_proto.Services().Get(0)},
	"dispatch":  {Service: dispatchv1.File_sanbao_dispatch_v1_dispatch_service_proto.Services().Get(0)},
	"inventory": {Service: inventoryv1.File_sanbao_inventory_v1_inventory_service_proto.Services().Get(0)},
}

// TestMalformedInputSweep runs the four services in-process (the all-in-one suite) and sends
// every RPC a handful of bad values in every field and in the fields of its messages: no
// answer may be INTERNAL, UNKNOWN or DATA_LOSS, and none may hang.
func TestMalformedInputSweep(t *testing.T) {
	lis := map[string]net.Listener{}
	for n := range services {
		for _, k := range []string{n, n + "-metrics"} {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			lis[k] = l
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() {
		done <- suite.Run(ctx, suite.Config{DataDir: dir, NATSPort: -1, Listeners: lis}, zap.NewNop(), io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("suite.Run = %v", err)
		}
	}()
	var targets []sweep.Target
	// Through TLS and the token check, as the operator (every staff role): bad input must get a
	// clear answer from the authorisation layer as from validation.
	var copts rpc.ClientOptions
	natstest.Eventually(t, 60*time.Second, func() error {
		var err error
		copts, err = suite.ClientOptions(dir, "operator") // written by the suite at start
		return err
	})
	copts.Attempts = 1
	for n, tg := range services {
		conn, err := rpc.Dial(lis[n].Addr().String(), copts)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		natstest.Eventually(t, 60*time.Second, func() error {
			h, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
			if err == nil && h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				err = context.DeadlineExceeded
			}
			return err
		})
		targets = append(targets, sweep.Target{Service: tg.Service, Conn: conn})
	}
	sctx, scancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer scancel()
	began := time.Now()
	r := sweep.Run(sctx, targets, sweep.Options{Depth: 2, PerCall: 20 * time.Second})
	for _, l := range r.Lines() {
		t.Log(l)
	}
	t.Logf("%d calls in %v; codes: %v", r.Calls, time.Since(began).Round(time.Millisecond), r.Totals())
	for _, f := range r.Failures {
		t.Error(f)
	}
	if r.Calls < 1000 || r.Totals()[codes.InvalidArgument] == 0 {
		t.Errorf("sweep made %d calls (%v), want thousands with INVALID_ARGUMENT among them", r.Calls, r.Totals())
	}
	if sctx.Err() != nil {
		t.Errorf("sweep did not finish within its time")
	}
}
