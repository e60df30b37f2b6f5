package auth

import (
	"context"
	"crypto/tls"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/clock"
)

// world is a TLS gRPC server guarded by auth, serving the four APIs unimplemented (a call that
// reaches a handler answers UNIMPLEMENTED), and the local CA and issuer that made its identity.
type world struct {
	customers *loadingCustomers
	local     *Local
	cust      *CustomerTokens
	addr      string
	clk       *clock.Fake
}

func newWorld(t *testing.T) *world {
	t.Helper()
	local, err := OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := local.ServiceFiles("ticket")
	if err != nil {
		t.Fatal(err)
	}
	rl, err := NewReloader(files)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	v, err := local.Verifier(TokenConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := OpenCustomerTokens(filepath.Join(t.TempDir(), "customer-token-key.pem"), clk)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := cust.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{Tokens: v, Customers: cv}
	s := grpc.NewServer(grpc.Creds(credentials.NewTLS(rl.ServerConfig())),
		grpc.ChainUnaryInterceptor(g.Unary), grpc.ChainStreamInterceptor(g.Stream))
	ticketv1.RegisterTicketServiceServer(s, ticketv1.UnimplementedTicketServiceServer{})
	ticketv1.RegisterAttachmentServiceServer(s, ticketv1.UnimplementedAttachmentServiceServer{})
	lc := &loadingCustomers{}
	ticketv1.RegisterCustomerServiceServer(s, lc)
	warrantyv1.RegisterWarrantyServiceServer(s, warrantyv1.UnimplementedWarrantyServiceServer{})
	dispatchv1.RegisterDispatchServiceServer(s, dispatchv1.UnimplementedDispatchServiceServer{})
	inventoryv1.RegisterInventoryServiceServer(s, inventoryv1.UnimplementedInventoryServiceServer{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return &world{customers: lc, local: local, cust: cust, addr: lis.Addr().String(), clk: clk}
}

// loadingCustomers is the customer API unimplemented, but a Loader: the stored unit code is the
// one set in owner (none: the call would create one), so the guard's check-first runs.
type loadingCustomers struct {
	ticketv1.UnimplementedCustomerServiceServer
	owner atomic.Pointer[string]
}

func (l *loadingCustomers) Load(_ context.Context, _ string, req proto.Message) (proto.Message, error) {
	o := l.owner.Load()
	if o == nil {
		return nil, nil
	}
	return &ticketv1.IssueUnitCodeResponse{UnitCode: &ticketv1.UnitCode{UnitSerial: req.(*ticketv1.IssueUnitCodeRequest).GetUnitSerial(), OrganisationId: *o}}, nil
}

func dial(t *testing.T, addr string, tc *tls.Config, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(tc))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// person dials as a person holding token.
func (w *world) person(t *testing.T, token string) *grpc.ClientConn {
	t.Helper()
	tc, err := ClientCA(w.local.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	return dial(t, w.addr, tc, grpc.WithPerRPCCredentials(Token(token)))
}

// token issues a valid token for p.
func (w *world) token(t *testing.T, p Person) string {
	t.Helper()
	tok, err := w.local.Issue(p, w.clk.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// customer dials as a customer of unit serial (a token of the customer issuer).
func (w *world) customer(t *testing.T, serial string) *grpc.ClientConn {
	t.Helper()
	tok, err := w.cust.Issue(serial, w.clk.Now(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return w.person(t, tok)
}

// service dials as our own service name (its certificate from the same CA).
func (w *world) service(t *testing.T, name string) *grpc.ClientConn {
	t.Helper()
	files, err := w.local.ServiceFiles(name)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := NewReloader(files)
	if err != nil {
		t.Fatal(err)
	}
	return dial(t, w.addr, rl.ClientConfig())
}
