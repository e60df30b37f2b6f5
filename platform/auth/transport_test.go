package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
)

// getTicket is a call every desk agent may make: the handler answers UNIMPLEMENTED.
func getTicket(conn *grpc.ClientConn) codes.Code {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := ticketv1.NewTicketServiceClient(conn).GetTicket(ctx, &ticketv1.GetTicketRequest{})
	return status.Code(err)
}

var agent = Person{Subject: "agent-1", Roles: []Role{RoleServiceDesk}}

func TestTransportRefusals(t *testing.T) {
	w := newWorld(t)
	other, err := OpenLocal(t.TempDir()) // another CA and issuer, same names
	if err != nil {
		t.Fatal(err)
	}
	now := w.clk.Now()
	mustIssue := func(tok string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	caTLS, err := ClientCA(w.local.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	foreignFiles, err := other.ServiceFiles("ticket")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := NewReloader(Files{Cert: foreignFiles.Cert, Key: foreignFiles.Key, CA: w.local.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	unnamedFiles, err := w.local.IssueFiles(t.TempDir(), "stranger", []*url.URL{{Scheme: "spiffe", Host: "elsewhere", Path: "/service/ticket"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	unnamed, err := NewReloader(unnamedFiles)
	if err != nil {
		t.Fatal(err)
	}
	expiredFiles, err := w.local.IssueFiles(t.TempDir(), "ticket", []*url.URL{ServiceURI(DefaultTrustDomain, "ticket")}, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := NewReloader(expiredFiles)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		conn func() *grpc.ClientConn
		want codes.Code
	}{
		{"valid token", func() *grpc.ClientConn { return w.person(t, w.token(t, agent)) }, codes.Unimplemented},
		{"valid service certificate", func() *grpc.ClientConn { return w.service(t, "dispatch") }, codes.Unimplemented},
		{"service certificate of a service without the grant", func() *grpc.ClientConn { return w.service(t, "inventory") }, codes.PermissionDenied},
		{"no certificate, no token", func() *grpc.ClientConn { return dial(t, w.addr, caTLS) }, codes.Unauthenticated},
		{"plaintext", func() *grpc.ClientConn {
			c, err := grpc.NewClient(w.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			return c
		}, codes.Unavailable},
		{"certificate from another CA", func() *grpc.ClientConn { return dial(t, w.addr, foreign.ClientConfig()) }, codes.Unavailable},
		{"expired certificate", func() *grpc.ClientConn { return dial(t, w.addr, expired.ClientConfig()) }, codes.Unavailable},
		{"certificate of another trust domain", func() *grpc.ClientConn { return dial(t, w.addr, unnamed.ClientConfig()) }, codes.Unauthenticated},
		{"server from another CA", func() *grpc.ClientConn {
			tc, err := ClientCA(other.CAFile())
			if err != nil {
				t.Fatal(err)
			}
			return dial(t, w.addr, tc, grpc.WithPerRPCCredentials(Token(w.token(t, agent))))
		}, codes.Unavailable},
		{"expired token", func() *grpc.ClientConn {
			return w.person(t, mustIssue(w.local.Issue(agent, now, -2*time.Minute)))
		}, codes.Unauthenticated},
		{"token within clock skew", func() *grpc.ClientConn {
			return w.person(t, mustIssue(w.local.Issue(agent, now.Add(-time.Hour), time.Hour-10*time.Second)))
		}, codes.Unimplemented},
		{"token for another audience", func() *grpc.ClientConn {
			return w.person(t, mustIssue(w.local.IssueFor(agent, "someone-else", now, time.Hour)))
		}, codes.Unauthenticated},
		{"token of another issuer's key", func() *grpc.ClientConn {
			return w.person(t, mustIssue(other.Issue(agent, now, time.Hour)))
		}, codes.Unauthenticated},
		{"token signed with a wrong key under our kid", func() *grpc.ClientConn {
			return w.person(t, forge(t, w.local, now))
		}, codes.Unauthenticated},
		{"token with alg none", func() *grpc.ClientConn { return w.person(t, algNone(w.local, now)) }, codes.Unauthenticated},
		{"token that is not a JWT", func() *grpc.ClientConn { return w.person(t, "hello") }, codes.Unauthenticated},
		{"token without roles", func() *grpc.ClientConn {
			return w.person(t, w.token(t, Person{Subject: "nobody"}))
		}, codes.PermissionDenied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := getTicket(tc.conn()); got != tc.want {
				t.Errorf("GetTicket = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("health stays open", func(t *testing.T) {
		h, err := healthpb.NewHealthClient(dial(t, w.addr, caTLS)).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Check = %v, %v; want SERVING", h, err)
		}
	})
}

// forge signs a token with a fresh key but names the local issuer's key id.
func forge(t *testing.T, l *Local, now time.Time) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", l.jwk.KeyID))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: l.Issuer, Subject: "mallory", Audience: jwt.Audience{l.Audience},
		Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Claims(Claims{Roles: []string{"admin"}}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// algNone is an unsigned token ("alg": "none") claiming every role.
func algNone(l *Local, now time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"none","typ":"JWT","kid":"` + l.jwk.KeyID + `"}`))
	body := enc([]byte(`{"iss":"` + l.Issuer + `","sub":"mallory","aud":"` + l.Audience + `","exp":` +
		itoa(now.Add(time.Hour).Unix()) + `,"roles":["admin","service-desk"]}`))
	return header + "." + body + "."
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReloadsRotatedCertificate: a server certificate replaced on disk is served to the next
// connection without a restart.
func TestReloadsRotatedCertificate(t *testing.T) {
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
	first, _ := rl.current()
	if _, err := local.IssueFiles(local.Dir, "ticket", []*url.URL{ServiceURI(DefaultTrustDomain, "ticket")}, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(files.Cert, later, later); err != nil {
		t.Fatal(err)
	}
	rl.mu.Lock()
	rl.checked = time.Time{} // the next handshake checks the files
	rl.mu.Unlock()
	second, _ := rl.current()
	if string(first.Certificate[0]) == string(second.Certificate[0]) {
		t.Fatal("certificate not reloaded after the files changed")
	}
}
