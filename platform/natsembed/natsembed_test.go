package natsembed_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/events"
	"github.com/sanbao/sanbao/platform/natsembed"
)

// secured starts a server with TLS and the Sanbao users, and returns a connect function that
// connects as the holder of the named certificate.
func secured(t *testing.T) (*auth.Local, string, func(t *testing.T, certName string, uri *url.URL) *nats.Conn) {
	t.Helper()
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sf, err := local.IssueFiles(t.TempDir(), "nats", nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srl, err := auth.NewReloader(sf)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := natsembed.Start(natsembed.Config{Port: -1, StoreDir: t.TempDir(), TLS: srl.MutualServerConfig(),
		Users: auth.NATSUsers(auth.DefaultTrustDomain, "acme")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return local, ns.ClientURL(), func(t *testing.T, name string, uri *url.URL) *nats.Conn {
		t.Helper()
		var uris []*url.URL
		if uri != nil {
			uris = []*url.URL{uri}
		}
		f, err := local.IssueFiles(t.TempDir(), name, uris, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := auth.NewReloader(f)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := nats.Connect(ns.ClientURL(), nats.Secure(rl.ClientConfig()), nats.Timeout(5*time.Second))
		if err != nil {
			t.Fatalf("connect as %s: %v", name, err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
}

// short is the context of a call that must be refused: a denied request gets no answer, so it
// ends at this deadline.
func short(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func js(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	j, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestServiceUsersPublishOnlyTheirOwnSubjects(t *testing.T) {
	_, _, connect := secured(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	as := func(svc string) jetstream.JetStream {
		return js(t, connect(t, svc, auth.ServiceURI(auth.DefaultTrustDomain, svc)))
	}
	dispatch, ticket, inventory := as("dispatch"), as("ticket"), as("inventory")
	for svc, j := range map[string]jetstream.JetStream{"dispatch": dispatch, "ticket": ticket} {
		if _, err := events.EnsureStream(ctx, j, events.StreamConfig{Service: svc}); err != nil {
			t.Fatalf("%s provisions its own stream: %v", svc, err)
		}
	}
	if _, err := events.EnsureStream(short(t), ticket, events.StreamConfig{Service: "warranty"}); err == nil {
		t.Error("ticket provisioned warranty's stream")
	}
	if _, err := dispatch.Publish(ctx, "sanbao.dispatch.v1.job.cancelled", []byte(`{}`)); err != nil {
		t.Fatalf("dispatch publishes its own event: %v", err)
	}
	if _, err := ticket.Publish(short(t), "sanbao.dispatch.v1.job.visit_completed", []byte(`{}`)); err == nil {
		t.Error("ticket published on dispatch's subject")
	}
	// inventory reads DISPATCH through its own durable, and nothing else.
	c, err := inventory.CreateOrUpdateConsumer(ctx, "DISPATCH", jetstream.ConsumerConfig{Durable: "inventory-job-cancelled",
		FilterSubjects: []string{"sanbao.dispatch.v1.job.cancelled"}, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("inventory creates its durable on DISPATCH: %v", err)
	}
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		if err := m.Ack(); err != nil {
			t.Errorf("ack: %v", err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("inventory fetched %d events from DISPATCH, want 1", n)
	}
	if _, err := inventory.CreateOrUpdateConsumer(short(t), "DISPATCH", jetstream.ConsumerConfig{Durable: "ticket-jobs"}); err == nil {
		t.Error("inventory changed ticket's durable consumer")
	}
}

func TestIntegratorReadsAndForgesNothing(t *testing.T) {
	_, _, connect := secured(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dispatch := js(t, connect(t, "dispatch", auth.ServiceURI(auth.DefaultTrustDomain, "dispatch")))
	if _, err := events.EnsureStream(ctx, dispatch, events.StreamConfig{Service: "dispatch"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dispatch.Publish(ctx, "sanbao.dispatch.v1.job.created", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	integrator := js(t, connect(t, "acme", auth.IntegratorURI(auth.DefaultTrustDomain, "acme")))
	if _, err := integrator.Publish(short(t), "sanbao.dispatch.v1.job.visit_completed", []byte(`{"forged":true}`)); err == nil {
		t.Error("the integrator published a job.visit_completed")
	}
	if _, err := integrator.CreateOrUpdateConsumer(short(t), "DISPATCH", jetstream.ConsumerConfig{Durable: "ticket-jobs"}); err == nil {
		t.Error("the integrator took over ticket's durable consumer")
	}
	// The stream holds only dispatch's own event: no consumer can apply the forged one.
	s, err := dispatch.Stream(ctx, "DISPATCH")
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Errorf("DISPATCH holds %d events, want 1 (the forged one must not be there)", info.State.Msgs)
	}
	// It reads every event through a consumer of its own.
	oc, err := integrator.OrderedConsumer(ctx, "DISPATCH", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("integrator reads DISPATCH: %v", err)
	}
	m, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("integrator reads an event: %v", err)
	}
	if m.Subject() != "sanbao.dispatch.v1.job.created" {
		t.Errorf("integrator read %s", m.Subject())
	}
}

func TestUnknownClientsAreRefused(t *testing.T) {
	local, addr, _ := secured(t)
	tc, err := auth.ClientCA(local.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(addr, nats.Secure(tc), nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Error("a client without a certificate connected")
	}
	f, err := local.IssueFiles(t.TempDir(), "stranger", []*url.URL{auth.ServiceURI(auth.DefaultTrustDomain, "stranger")}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := auth.NewReloader(f)
	if err != nil {
		t.Fatal(err)
	}
	if nc, err := nats.Connect(addr, nats.Secure(rl.ClientConfig()), nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Error("a certificate naming no user connected")
	}
	if nc, err := nats.Connect(addr, nats.Timeout(5*time.Second)); err == nil {
		nc.Close()
		t.Error("a plaintext client connected")
	}
}
