// Package natsembed runs a NATS server with JetStream inside the process, for the all-in-one run
// and for tests.
package natsembed

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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
