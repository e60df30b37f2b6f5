package auth

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/clock"
)

// actorEcho answers GetTicket with the actor the handler sees as the ticket's id.
type actorEcho struct {
	ticketv1.UnimplementedTicketServiceServer
}

func (actorEcho) GetTicket(ctx context.Context, _ *ticketv1.GetTicketRequest) (*ticketv1.GetTicketResponse, error) {
	return &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{Id: Actor(ctx, "nobody")}}, nil
}

// The actor of a call is the person calling, whatever the call's metadata names; one of our
// services (known by its certificate) may name the person it calls for (OnBehalfOf), and
// without that the actor is the service.
func TestActorOnBehalfOf(t *testing.T) {
	local, err := OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := local.ServiceFiles("dispatch")
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
	g := &Guard{Tokens: v}
	s := grpc.NewServer(grpc.Creds(credentials.NewTLS(rl.ServerConfig())), grpc.ChainUnaryInterceptor(g.Unary))
	ticketv1.RegisterTicketServiceServer(s, actorEcho{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	w := &world{local: local, addr: lis.Addr().String(), clk: clk}

	person := w.person(t, w.token(t, Person{Subject: "agent-7", Roles: []Role{RoleServiceDesk}}))
	svc := w.service(t, "dispatch")
	svcFwd := dial(t, w.addr, mustClient(t, local, "dispatch"), grpc.WithChainUnaryInterceptor(OnBehalfOf))
	withActor := func(ctx context.Context, a string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, OnBehalfOfHeader, a)
	}
	for _, c := range []struct {
		name string
		conn *grpc.ClientConn
		ctx  context.Context
		want string
	}{
		{"a person is the actor", person, context.Background(), "agent-7"},
		{"a person cannot claim to act for another", person, withActor(context.Background(), "agent-9"), "agent-7"},
		{"a service alone is the actor", svc, context.Background(), "service:dispatch"},
		{"a service names whom it calls for", svc, withActor(context.Background(), "agent-9"), "agent-9"},
		{"a service's forwarded actor", svcFwd, WithActor(context.Background(), "agent-3"), "agent-3"},
		{"an invalid forwarded actor is ignored", svc, withActor(context.Background(), "Li Lei 13900000000"), "service:dispatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ticketv1.NewTicketServiceClient(c.conn).GetTicket(c.ctx, &ticketv1.GetTicketRequest{TicketId: "t1"})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetTicket().GetId() != c.want {
				t.Errorf("actor = %q, want %q", got.GetTicket().GetId(), c.want)
			}
		})
	}
}

func mustClient(t *testing.T, l *Local, name string) *tls.Config {
	t.Helper()
	files, err := l.ServiceFiles(name)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := NewReloader(files)
	if err != nil {
		t.Fatal(err)
	}
	return rl.ClientConfig()
}
