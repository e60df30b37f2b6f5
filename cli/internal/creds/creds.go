// Package creds holds the CLI's connection credentials: the CA that verifies the services'
// certificates and the caller's bearer token (from a flag, the environment or a file).
package creds

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

// Flags are the credential flags every command that calls a service takes.
type Flags struct {
	CA        string // PEM CA bundle that verifies the services
	Token     string // bearer token
	TokenFile string // file holding the bearer token (read when Token is empty)
	Insecure  bool   // plaintext, no token (a suite run with --insecure)
	NATSCert  string // client certificate for a tls:// NATS (an integrator's: read-only)
	NATSKey   string // its key
}

// NATSURL is the default NATS URL: the all-in-one run's, over TLS.
const NATSURL = "tls://127.0.0.1:4222"

// NATS returns the NATS option for url: for tls://, the server verified against --ca and the
// --nats-cert certificate presented (NATS knows its holder by it).
func (f Flags) NATS(url string) ([]nats.Option, error) {
	if !strings.HasPrefix(url, "tls://") {
		return nil, nil
	}
	rl, err := auth.NewReloader(auth.Files{Cert: f.NATSCert, Key: f.NATSKey, CA: f.CA})
	if err != nil {
		return nil, fmt.Errorf("%w (NATS over TLS needs --nats-cert, --nats-key and --ca; `sanbao run` writes an integrator's under <data-dir>/auth)", err)
	}
	return []nats.Option{nats.Secure(rl.ClientConfig())}, nil
}

// RegisterNATS defines --nats-cert and --nats-key on fs (and --ca, if Register was not called).
func (f *Flags) RegisterNATS(fs *flag.FlagSet, env *daemon.Env) {
	if fs.Lookup("ca") == nil {
		fs.StringVar(&f.CA, "ca", env.String("SANBAO_CA", filepath.Join(LocalDir, "ca.pem")), "PEM CA that verifies the servers' certificates [SANBAO_CA]")
	}
	fs.StringVar(&f.NATSCert, "nats-cert", env.String("SANBAO_NATS_CERT", filepath.Join(LocalDir, "integrator.pem")), "client certificate for a tls:// NATS [SANBAO_NATS_CERT]")
	fs.StringVar(&f.NATSKey, "nats-key", env.String("SANBAO_NATS_KEY", filepath.Join(LocalDir, "integrator-key.pem")), "its key [SANBAO_NATS_KEY]")
}

// LocalDir is where the all-in-one run (data dir ./data) keeps its local CA and tokens.
const LocalDir = "./data/auth"

// Register defines --ca, --token, --token-file and --insecure on fs, defaulting to the
// all-in-one run's local CA and operator token.
func (f *Flags) Register(fs *flag.FlagSet, env *daemon.Env) {
	fs.StringVar(&f.CA, "ca", env.String("SANBAO_CA", filepath.Join(LocalDir, "ca.pem")), "PEM CA that verifies the services' certificates [SANBAO_CA]")
	fs.StringVar(&f.Token, "token", env.String("SANBAO_TOKEN", ""), "bearer token (a JWT from your identity provider) [SANBAO_TOKEN]")
	fs.StringVar(&f.TokenFile, "token-file", env.String("SANBAO_TOKEN_FILE", filepath.Join(LocalDir, "tokens", "operator.jwt")), "file holding the bearer token, used when --token is empty [SANBAO_TOKEN_FILE]")
	fs.BoolVar(&f.Insecure, "insecure", env.Bool("SANBAO_INSECURE", false), "plaintext without a token (only against a suite run with --insecure) [SANBAO_INSECURE]")
}

// Options are the client options the flags say.
func (f Flags) Options() (rpc.ClientOptions, error) {
	if f.Insecure {
		return rpc.ClientOptions{}, nil
	}
	tc, err := auth.ClientCA(f.CA)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return rpc.ClientOptions{}, fmt.Errorf("%w (give the services' CA with --ca or SANBAO_CA; `sanbao run` writes it under <data-dir>/auth)", err)
		}
		return rpc.ClientOptions{}, err
	}
	o := rpc.ClientOptions{Creds: credentials.NewTLS(tc)}
	switch {
	case f.Token != "":
		o.PerRPC = auth.Token(f.Token)
	case f.TokenFile != "":
		if _, err := os.Stat(f.TokenFile); err != nil {
			return rpc.ClientOptions{}, fmt.Errorf("token: %w (give one with --token, SANBAO_TOKEN or --token-file)", err)
		}
		o.PerRPC = auth.TokenFile(f.TokenFile)
	default:
		return rpc.ClientOptions{}, errors.New("no token: give one with --token, SANBAO_TOKEN or --token-file")
	}
	return o, nil
}
