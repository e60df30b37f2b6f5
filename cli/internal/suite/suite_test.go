package suite_test

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/sanbao/sanbao/cli/internal/creds"
	"github.com/sanbao/sanbao/cli/internal/desk"
	"github.com/sanbao/sanbao/cli/internal/suite"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
)

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

// The all-in-one run comes up with every service serving and listed by reflection, and stops
// cleanly when its context ends.
func TestAllInOne(t *testing.T) {
	names := []string{"ticket", "warranty", "dispatch", "inventory"}
	want := map[string]string{
		"ticket": "sanbao.ticket.v1.TicketService", "warranty": "sanbao.warranty.v1.WarrantyService",
		"dispatch": "sanbao.dispatch.v1.DispatchService", "inventory": "sanbao.inventory.v1.InventoryService",
	}
	lis := map[string]net.Listener{}
	for _, n := range names {
		for _, k := range []string{n, n + "-metrics"} {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			lis[k] = l
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	dataDir := t.TempDir()
	go func() {
		done <- suite.Run(ctx, suite.Config{DataDir: dataDir, NATSPort: -1, Listeners: lis},
			zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), out)
	}()
	natstest.Eventually(t, 60*time.Second, func() error {
		if !strings.Contains(out.String(), "Sanbao is running") {
			return context.DeadlineExceeded
		}
		return nil
	})
	copts, err := suite.ClientOptions(dataDir, "operator")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		conn, err := rpc.Dial(lis[n].Addr().String(), copts)
		if err != nil {
			t.Fatal(err)
		}
		h, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: want[n]})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s health = %v, %v; want SERVING", n, h, err)
		}
		stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			got = append(got, s.GetName())
		}
		sort.Strings(got)
		if !contains(got, want[n]) || !contains(got, "grpc.health.v1.Health") {
			t.Errorf("%s lists %v by reflection, want %s and grpc.health.v1.Health", n, got, want[n])
		}
		_ = stream.CloseSend()
		conn.Close()
	}
	t.Run("a call without a token is refused", func(t *testing.T) {
		o := copts
		o.PerRPC = nil
		conn, err := rpc.Dial(lis["ticket"].Addr().String(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = ticketv1.NewTicketServiceClient(conn).ListTickets(context.Background(), &ticketv1.ListTicketsRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("ListTickets without a token = %v, want UNAUTHENTICATED", err)
		}
	})
	t.Run("the printed token of each role works", func(t *testing.T) {
		for _, who := range []string{"desk", "integrator", "dealer"} {
			if !strings.Contains(out.String(), filepath.Join("tokens", who+".jwt")) {
				t.Errorf("the run does not print where %s's token is:\n%s", who, out)
			}
		}
		o, err := suite.ClientOptions(dataDir, "warehouse")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := rpc.Dial(lis["ticket"].Addr().String(), o)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = ticketv1.NewTicketServiceClient(conn).ListTickets(context.Background(), &ticketv1.ListTicketsRequest{})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("ListTickets as the warehouse keeper = %v, want PERMISSION_DENIED", err)
		}
	})
	// The local integrator's certificate reads the events over TLS (and so proves the services
	// may publish theirs).
	cf := creds.Flags{CA: filepath.Join(suite.AuthDir(dataDir), "ca.pem"), NATSCert: filepath.Join(suite.AuthDir(dataDir), "integrator.pem"),
		NATSKey: filepath.Join(suite.AuthDir(dataDir), "integrator-key.pem")}
	nurl := strings.Fields(out.String()[strings.Index(out.String(), "nats "):])[1]
	nopts, err := cf.NATS(nurl)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(nurl, nopts...)
	if err != nil {
		t.Fatalf("integrator connects to %s: %v", nurl, err)
	}
	defer nc.Close()
	created, err := nc.SubscribeSync("sanbao.ticket.v1.ticket.created")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("sanbao.dispatch.v1.job.visit_completed", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	t.Run("service desk commands", func(t *testing.T) {
		flags := []string{"--addr=" + lis["ticket"].Addr().String(), "--ca=" + filepath.Join(suite.AuthDir(dataDir), "ca.pem"),
			"--token-file=" + filepath.Join(suite.AuthDir(dataDir), "tokens", "desk.jwt")}
		run := func(args ...string) (string, error) {
			var b bytes.Buffer
			err := desk.Main(context.Background(), append(args[:1:1], append(flags, args[1:]...)...), &b)
			return b.String(), err
		}
		out, err := run("create", "--kind", "return-exchange", "--channel", "visit", "--serial", "SN-DESK", "--symptom", "wrong colour", "--request-id", "desk-1")
		if err != nil || !strings.Contains(out, "created T-") {
			t.Fatalf("ticket create = %q, %v", out, err)
		}
		again, err := run("create", "--kind", "return-exchange", "--channel", "visit", "--serial", "SN-DESK", "--symptom", "wrong colour", "--request-id", "desk-1")
		if err != nil || again != out {
			t.Errorf("retried create = %q, %v; want the first answer %q", again, err, out)
		}
		id := strings.Fields(out)[3]
		if out, err := run("list", "--serial", "SN-DESK"); err != nil || strings.Count(out, "SN-DESK") != 1 {
			t.Errorf("ticket list --serial = %q, %v; want exactly the one ticket", out, err)
		}
		if out, err := run("show", id); err != nil || !strings.Contains(out, "SN-DESK") || !strings.Contains(out, id) || !strings.Contains(out, "state") {
			t.Errorf("ticket show = %q, %v; want the summary", out, err)
		}
		if out, err := run("show", id, "--json"); err != nil || !strings.Contains(out, `"SN-DESK"`) || !strings.Contains(out, id) {
			t.Errorf("ticket show --json = %q, %v", out, err)
		}
		if out, err := run("contact", id, "--direction", "outbound", "--summary", "called back"); err != nil || !strings.Contains(out, "recorded") {
			t.Errorf("ticket contact = %q, %v", out, err)
		}
		if _, err := run("close", id); status.Code(err) != codes.FailedPrecondition {
			t.Errorf("ticket close of an unresolved ticket = %v, want FAILED_PRECONDITION", err)
		}
		if _, err := run("create", "--kind", "teleport"); err == nil || !strings.Contains(err.Error(), "return-exchange") {
			t.Errorf("create --kind teleport = %v, want an error listing the kinds", err)
		}
	})
	if _, err := created.NextMsg(30 * time.Second); err != nil {
		t.Errorf("the integrator saw no ticket.created: %v", err)
	}
	if err := nc.LastError(); err == nil || !strings.Contains(err.Error(), "ermissions") {
		t.Errorf("the integrator's publish on dispatch's subject: last error %v, want a permissions violation", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("suite.Run = %v, want a clean stop", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("suite did not stop within 30s")
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
