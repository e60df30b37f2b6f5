package e2e_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
)

// suite is the four service binaries and a nats-server, each a separate process.
type suite struct {
	t     *testing.T
	dir   string
	bins  map[string]string
	nats  *proc
	natsP int
	svcs  map[string]*proc
	addrs map[string]string
	mets  map[string]string // metrics addresses
	admin map[string]string // admin (backup) addresses
	auth  *auth.Local       // the CA of every service's certificate and the token issuer
	copts rpc.ClientOptions // TLS + the operator's token
}

// proc is a running child process whose output goes to a log file in the test's temp dir.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	mu   sync.Mutex
	err  error
}

var services = []string{"inventory", "warranty", "dispatch", "ticket"}

// repoRoot is the workspace root (this package is cli/e2e).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// build compiles the service binaries into dir, and finds or builds nats-server.
func build(t *testing.T, dir string) map[string]string {
	t.Helper()
	root := repoRoot(t)
	bins := map[string]string{}
	args := []string{"build", "-o", dir + string(os.PathSeparator)}
	for _, s := range services {
		args = append(args, "./services/"+s+"/cmd/"+s+"d")
		bins[s] = filepath.Join(dir, s+"d")
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build services: %v\n%s", err, out)
	}
	if p := os.Getenv("SANBAO_NATS_SERVER_BIN"); p != "" {
		bins["nats-server"] = p
		return bins
	}
	cmd = exec.Command("go", "build", "-o", filepath.Join(dir, "nats-server"), "github.com/nats-io/nats-server/v2")
	cmd.Dir = filepath.Join(root, "tools")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build nats-server (set SANBAO_NATS_SERVER_BIN to skip): %v\n%s", err, out)
	}
	bins["nats-server"] = filepath.Join(dir, "nats-server")
	return bins
}

// freePort returns a loopback port that is free now, for a process started later. It is taken
// below Linux's ephemeral range (32768 and up): the kernel hands ports of that range to every
// outgoing connection and every listener on port 0, so one of them could take the port between
// this check and the process's bind on a busy machine.
// Ports handed out once are not handed out again in this test binary.
var ports = struct {
	sync.Mutex
	given map[int]bool
}{given: map[int]bool{}}

func freePort(t *testing.T) int {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	for range 200 {
		port := 20000 + rand.IntN(12000)
		if ports.given[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		ports.given[port] = true
		return port
	}
	t.Fatal("no free loopback port in 20000-31999")
	return 0
}

// start launches everything and waits until each service is SERVING.
func start(t *testing.T, env map[string][]string) *suite {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts separate processes")
	}
	dir := t.TempDir()
	s := &suite{t: t, dir: dir, bins: build(t, dir), svcs: map[string]*proc{}, addrs: map[string]string{}, mets: map[string]string{}, admin: map[string]string{}}
	// TLS and tokens on, as in production: a CA and token issuer of the test's own.
	local, err := auth.OpenLocal(filepath.Join(dir, "auth"))
	if err != nil {
		t.Fatal(err)
	}
	s.auth = local
	tok, err := local.Issue(svctest.Operator, svctest.Now(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := auth.ClientCA(local.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	s.copts = rpc.ClientOptions{Creds: credentials.NewTLS(tc), PerRPC: auth.Token(tok)}
	s.natsP = freePort(t)
	conf := filepath.Join(dir, "nats.conf")
	// The production settings: JetStream on file storage, every write synced before the ack.
	// TLS with every client named by its certificate, and the Sanbao users' permissions.
	nf, err := local.IssueFiles(local.Dir, "nats", nil, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.IssueFiles(local.Dir, "integrator", []*url.URL{auth.IntegratorURI(local.TrustDomain, "e2e")}, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	tlsConf := fmt.Sprintf("tls {\n  cert_file: %q\n  key_file: %q\n  ca_file: %q\n  verify_and_map: true\n  timeout: 5\n}\n", nf.Cert, nf.Key, nf.CA)
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("listen: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n  sync_interval: always\n}\n",
		s.natsP, filepath.Join(dir, "jetstream"))+tlsConf+auth.NATSAuthorization(auth.NATSUsers(local.TrustDomain, "e2e"))), 0o600); err != nil {
		t.Fatal(err)
	}
	s.nats = s.spawn("nats-server", s.bins["nats-server"], []string{"-c", conf}, nil)
	for _, name := range services {
		s.addrs[name] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		s.mets[name] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		s.admin[name] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	}
	for _, name := range services {
		s.startService(name, env[name])
	}
	t.Cleanup(s.stop)
	return s
}

func (s *suite) startService(name string, extra []string) {
	s.t.Helper()
	files, err := s.auth.ServiceFiles(name)
	if err != nil {
		s.t.Fatal(err)
	}
	env := []string{
		"SANBAO_TLS_CERT=" + files.Cert,
		"SANBAO_TLS_KEY=" + files.Key,
		"SANBAO_TLS_CA=" + files.CA,
		"SANBAO_TOKEN_JWKS=" + s.auth.JWKSFile(),
		"SANBAO_TOKEN_ISSUER=" + s.auth.Issuer,
		"SANBAO_TOKEN_AUDIENCE=" + s.auth.Audience,
		"SANBAO_LISTEN=" + s.addrs[name],
		"SANBAO_DATA_DIR=" + filepath.Join(s.dir, "data", name),
		"SANBAO_NATS_URL=tls://127.0.0.1:" + strconv.Itoa(s.natsP),
		"SANBAO_METRICS_LISTEN=" + s.mets[name],
		"SANBAO_ADMIN_LISTEN=" + s.admin[name],
		// Never the fixed defaults (8081..8084): other packages' suites run at the same time.
		"SANBAO_HTTP_LISTEN=127.0.0.1:" + strconv.Itoa(freePort(s.t)),
		"SANBAO_LOG_LEVEL=info",
		"SANBAO_WARRANTY_ADDR=" + s.addrs["warranty"],
		"SANBAO_DISPATCH_ADDR=" + s.addrs["dispatch"],
		"SANBAO_INVENTORY_ADDR=" + s.addrs["inventory"],
		// The whole world lives at svctest.Now: years ahead when SANBAO_TEST_NOW says so.
		"SANBAO_CLOCK_OFFSET=" + svctest.Shift().String(),
	}
	s.svcs[name] = s.spawn(name, s.bins[name], nil, append(env, extra...))
	s.waitServing(name)
}

// ticketAs returns a ticket client calling as p (a token from the suite's issuer over TLS).
func (s *suite) ticketAs(t *testing.T, p auth.Person) ticketv1.TicketServiceClient {
	t.Helper()
	tok, err := s.auth.Issue(p, svctest.Now(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	o := s.copts
	o.PerRPC = auth.Token(tok)
	conn, err := rpc.Dial(s.addrs["ticket"], o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return ticketv1.NewTicketServiceClient(conn)
}

func (s *suite) spawn(name, bin string, args, env []string) *proc {
	s.t.Helper()
	logPath := filepath.Join(s.dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p
}

func (s *suite) waitServing(name string) {
	s.t.Helper()
	o := s.copts
	o.Timeout = time.Second
	conn, err := rpc.Dial(s.addrs[name], o)
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	natstest.Eventually(s.t, 60*time.Second, func() error {
		select {
		case <-s.svcs[name].done:
			s.t.Fatalf("%s exited: %v\n%s", name, s.svcs[name].err, tail(s.svcs[name].log))
		default:
		}
		h, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%s is %v", name, h.GetStatus())
		}
		return nil
	})
}

// natsConnect connects to the suite's NATS as the e2e integrator (read-only).
func (s *suite) natsConnect() (*nats.Conn, error) {
	return s.natsConnectFiles(auth.Files{Cert: filepath.Join(s.auth.Dir, "integrator.pem"), Key: filepath.Join(s.auth.Dir, "integrator-key.pem"), CA: s.auth.CAFile()})
}

// openStream opens a service's stream as the integrator, with its state now; call done to
// close the connection (callers poll, so it must not wait for the test's end).
func (s *suite) openStream(ctx context.Context, t *testing.T, stream string) (st jetstream.Stream, info *jetstream.StreamInfo, done func()) {
	t.Helper()
	nc, err := s.natsConnect()
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if st, err = js.Stream(ctx, stream); err == nil {
		info, err = st.Info(ctx)
	}
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	return st, info, nc.Close
}

// natsConnectAs connects to NATS as service's own user (its certificate).
func (s *suite) natsConnectAs(service string) (*nats.Conn, error) {
	files, err := s.auth.ServiceFiles(service)
	if err != nil {
		return nil, err
	}
	return s.natsConnectFiles(auth.Files{Cert: files.Cert, Key: files.Key, CA: files.CA})
}

func (s *suite) natsConnectFiles(f auth.Files) (*nats.Conn, error) {
	rl, err := auth.NewReloader(f)
	if err != nil {
		return nil, err
	}
	return nats.Connect(fmt.Sprintf("tls://127.0.0.1:%d", s.natsP), nats.Secure(rl.ClientConfig()))
}

// stopProc sends SIGTERM and waits for a clean exit.
func (s *suite) stopProc(p *proc) {
	s.t.Helper()
	if p == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		p.mu.Lock()
		err := p.err
		p.mu.Unlock()
		if err != nil && p.name != "nats-server" {
			s.t.Errorf("%s exited with %v after SIGTERM\n%s", p.name, err, tail(p.log))
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		s.t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
	}
}

func (s *suite) stop() {
	for i := len(services) - 1; i >= 0; i-- {
		s.stopProc(s.svcs[services[i]])
	}
	s.stopProc(s.nats)
	if s.t.Failed() {
		for _, name := range services {
			if p := s.svcs[name]; p != nil {
				s.t.Logf("--- %s log (tail)\n%s", name, tail(p.log))
			}
		}
	}
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// scrape returns the service's /metrics page.
func (s *suite) scrape(name string) string {
	s.t.Helper()
	return s.get("http://" + s.mets[name] + "/metrics")
}

// get returns the body of an HTTP GET.
func (s *suite) get(url string) string {
	s.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return string(b)
}

// kill ends a service with SIGKILL: no shutdown, no flush, as in a crash or an OOM kill.
func (s *suite) kill(name string) {
	s.t.Helper()
	p := s.svcs[name]
	_ = p.cmd.Process.Kill()
	<-p.done
}
