// Package natsembed runs a NATS server with JetStream inside the process, for the all-in-one run
// and for tests.
package natsembed

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/sanbao/sanbao/platform/auth"
)

// Config configures the embedded server.
type Config struct {
	Host     string // listen host (default 127.0.0.1)
	Port     int    // client port; -1 picks a free one (default 4222)
	StoreDir string // JetStream file store directory (required)
	// NoSync turns off syncing every JetStream write to disk. Leave it false outside benchmarks:
	// without sync, an acknowledged event can be lost when the machine crashes.
	NoSync bool
	// Name is the server name (default "sanbao").
	Name string
	// TLS, when set, is the server's TLS configuration (clients must use TLS); with Users, it
	// must verify client certificates against the CA (ClientCAs).
	TLS *tls.Config
	// Users, when set, are the only users: each client is the user its certificate's URI
	// names (verify_and_map), with that user's permissions (platform/auth.NATSUsers). Needs TLS.
	Users []auth.NATSUser
}

// Start starts a server and waits until it accepts connections.
func Start(cfg Config) (*server.Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("natsembed: StoreDir is required")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = 4222
	}
	if cfg.Name == "" {
		cfg.Name = "sanbao"
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: !cfg.NoSync,
		NoSigs:     true,
		NoLog:      true,
	}
	if len(cfg.Users) > 0 && cfg.TLS == nil {
		return nil, errors.New("natsembed: Users need TLS (clients are named by their certificates)")
	}
	if cfg.TLS != nil {
		opts.TLSConfig = cfg.TLS
		opts.TLS = true
		opts.TLSTimeout = 5
	}
	if len(cfg.Users) > 0 {
		opts.TLSVerify, opts.TLSMap = true, true
		opts.TLSConfig.ClientAuth = tls.RequireAndVerifyClientCert
		for _, u := range cfg.Users {
			opts.Users = append(opts.Users, &server.User{Username: u.Name, Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: u.Publish.Allow, Deny: u.Publish.Deny},
				Subscribe: &server.SubjectPermission{Allow: u.Subscribe.Allow, Deny: u.Subscribe.Deny},
			}})
		}
	}
	if cfg.Port > 0 {
		// Say plainly when the port is taken (another NATS, another `make run`): the server
		// itself would only fail to become ready.
		l, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
		if err != nil {
			return nil, fmt.Errorf("nats server: %w", err)
		}
		_ = l.Close()
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server on %s:%d did not become ready", cfg.Host, cfg.Port)
	}
	return s, nil
}
