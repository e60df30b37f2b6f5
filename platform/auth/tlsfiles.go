package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Files are the PEM files of a TLS identity: a certificate (chain) and its key, and the CA
// bundle that peers' certificates must chain to. cert-manager writes them as tls.crt, tls.key
// and ca.crt in a mounted secret.
type Files struct {
	Cert string
	Key  string
	CA   string
}

// Reloader serves the identity in Files and re-reads the files when one changes on disk
// (checked at most once a second, on a handshake), so a rotated secret is used without a
// restart. A file that does not parse keeps the previous identity in use.
type Reloader struct {
	files Files

	mu      sync.Mutex
	checked time.Time
	mtimes  [3]time.Time
	cert    *tls.Certificate
	pool    *x509.CertPool
}

// NewReloader loads files once (failing if they do not load) and returns the reloader.
func NewReloader(files Files) (*Reloader, error) {
	if files.Cert == "" || files.Key == "" || files.CA == "" {
		return nil, errors.New("tls: certificate, key and CA files are all required")
	}
	r := &Reloader{files: files}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reloader) load() error {
	cert, err := tls.LoadX509KeyPair(r.files.Cert, r.files.Key)
	if err != nil {
		return fmt.Errorf("tls: load %s: %w", r.files.Cert, err)
	}
	pem, err := os.ReadFile(r.files.CA)
	if err != nil {
		return fmt.Errorf("tls: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("tls: %s holds no PEM certificate", r.files.CA)
	}
	r.cert, r.pool = &cert, pool
	return nil
}

// current returns the identity, re-reading the files when they changed.
func (r *Reloader) current() (*tls.Certificate, *x509.CertPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= time.Second {
		r.checked = now
		var m [3]time.Time
		for i, p := range []string{r.files.Cert, r.files.Key, r.files.CA} {
			if st, err := os.Stat(p); err == nil {
				m[i] = st.ModTime()
			}
		}
		if m != r.mtimes {
			if err := r.load(); err == nil {
				r.mtimes = m
			}
		}
	}
	return r.cert, r.pool
}

// ServerConfig is the TLS configuration of a gRPC server: it presents the certificate and
// verifies a client certificate when one is given (our services); people and external systems
// connect without one and authenticate with a token.
func (r *Reloader) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool := r.current()
			return &tls.Config{
				MinVersion:   tls.VersionTLS12,
				Certificates: []tls.Certificate{*cert},
				ClientCAs:    pool,
				ClientAuth:   tls.VerifyClientCertIfGiven,
				NextProtos:   []string{"h2"},
			}, nil
		},
	}
}

// MutualServerConfig is a server TLS configuration that requires and verifies a client
// certificate from every client (NATS, where every client is named by its certificate).
func (r *Reloader) MutualServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ClientAuth: tls.RequireAndVerifyClientCert,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, pool := r.current()
			return &tls.Config{
				MinVersion:   tls.VersionTLS12,
				Certificates: []tls.Certificate{*cert},
				ClientCAs:    pool,
				ClientAuth:   tls.RequireAndVerifyClientCert,
			}, nil
		},
	}
}

// ClientConfig is the TLS configuration of a service calling a peer: it verifies the peer
// against the CA and presents the service's own certificate (mTLS).
func (r *Reloader) ClientConfig() *tls.Config {
	_, pool := r.current()
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, _ := r.current()
			return cert, nil
		},
	}
}

// ClientCA returns a client TLS configuration that verifies servers against the CA bundle in
// file and presents no certificate (people and the CLI, who authenticate with a token).
func ClientCA(file string) (*tls.Config, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls: %s holds no PEM certificate", file)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}, nil
}
