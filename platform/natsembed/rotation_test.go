package natsembed_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/natsembed"
	"github.com/sanbao/sanbao/platform/natstest"
)

// TestCertificateRotation: NATS's certificate and a service's are replaced on disk while the
// service is connected. The connection stays up and keeps publishing (a TLS session is not
// re-checked); a new or re-established connection handshakes with the new certificates, and
// the service, re-reading its own files, is still its NATS user. No restart of either side.
func TestCertificateRotation(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sf, err := local.IssueFiles(dir, "nats", nil, time.Hour)
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

	sdir := t.TempDir()
	issueTicket := func() {
		if _, err := local.IssueFiles(sdir, "ticket", []*url.URL{auth.ServiceURI(auth.DefaultTrustDomain, "ticket")}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	issueTicket()
	rl, err := auth.NewReloader(auth.Files{Cert: sdir + "/ticket.pem", Key: sdir + "/ticket-key.pem", CA: local.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	connect := func() *nats.Conn {
		nc, err := nats.Connect(ns.ClientURL(), nats.Secure(rl.ClientConfig()), nats.Timeout(5*time.Second),
			nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	service := connect()
	ifl, err := local.IssueFiles(t.TempDir(), "acme", []*url.URL{auth.IntegratorURI(auth.DefaultTrustDomain, "acme")}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	irl, err := auth.NewReloader(ifl)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := nats.Connect(ns.ClientURL(), nats.Secure(irl.ClientConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reader.Close)
	sub, err := reader.SubscribeSync("sanbao.ticket.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Flush(); err != nil {
		t.Fatal(err)
	}
	delivers := func(nc *nats.Conn, n int) error {
		subject := fmt.Sprintf("sanbao.ticket.v1.ticket.rotated%d", n)
		if err := nc.Publish(subject, []byte("{}")); err != nil {
			return err
		}
		if err := nc.Flush(); err != nil {
			return err
		}
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			return err
		}
		if m.Subject != subject {
			return fmt.Errorf("got %s, want %s", m.Subject, subject)
		}
		return nil
	}
	serverSerial := func(nc *nats.Conn) string {
		st, err := nc.TLSConnectionState()
		if err != nil || len(st.PeerCertificates) == 0 {
			return ""
		}
		return st.PeerCertificates[0].SerialNumber.String()
	}
	before := serverSerial(service)
	if err := delivers(service, 0); err != nil {
		t.Fatalf("before rotation: %v", err)
	}

	// Rotate NATS's certificate and the service's.
	if _, err := local.IssueFiles(dir, "nats", nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	issueTicket()
	if err := delivers(service, 1); err != nil {
		t.Errorf("the connected service after rotation: %v", err)
	}
	// A new connection presents and sees the new certificates (the files are re-read within a
	// second of changing).
	natstest.Eventually(t, 10*time.Second, func() error {
		nc, err := nats.Connect(ns.ClientURL(), nats.Secure(rl.ClientConfig()), nats.Timeout(5*time.Second))
		if err != nil {
			return err
		}
		defer nc.Close()
		if s := serverSerial(nc); s == before {
			return fmt.Errorf("new connection still sees the old NATS certificate %s", s)
		}
		return delivers(nc, 2)
	})
	// The old connection, once it reconnects (a NATS restart, a network blip), handshakes anew.
	if err := service.ForceReconnect(); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, func() error {
		if !service.IsConnected() {
			return fmt.Errorf("not reconnected: %v", service.Status())
		}
		if s := serverSerial(service); s == before {
			return fmt.Errorf("reconnected to the old certificate %s", s)
		}
		return nil
	})
	if err := delivers(service, 3); err != nil {
		t.Errorf("the reconnected service: %v", err)
	}
}
