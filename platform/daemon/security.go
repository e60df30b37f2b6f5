package daemon

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/rpc"
)

// Security configures who may talk to a service: TLS on its gRPC server and on its calls to
// peers (presenting its own certificate: mTLS), and the identity provider whose tokens people
// and external systems present. Plaintext without authentication only with Insecure.
type Security struct {
	TLSCert string // PEM certificate (chain) of the service; names it spiffe://<trust domain>/service/<name>
	TLSKey  string // its key
	TLSCA   string // CA bundle that peers' certificates chain to
	// TrustDomain of service certificates (default "sanbao").
	TrustDomain string
	// TokenJWKS is the identity provider's JWKS: an https URL or a file. Empty: only our own
	// services (by certificate) may call.
	TokenJWKS     string
	TokenIssuer   string        // required "iss"
	TokenAudience string        // required "aud"
	TokenLeeway   time.Duration // allowed clock skew
	// CustomerTokenKey is the PEM key (ECDSA P-256, made on first start, mode 0600) the
	// service signs and verifies customers' short-lived tokens with (auth.CustomerTokens):
	// the ticket service's, which mints them on a verified one-time code. Empty: no customer
	// tokens accepted.
	CustomerTokenKey string
	// Insecure serves and dials plaintext and authenticates nobody (a warning is logged).
	Insecure bool
}

func (s *Security) registerFlags(fs *flag.FlagSet, env *Env) {
	fs.StringVar(&s.TLSCert, "tls-cert", env.String("SANBAO_TLS_CERT", s.TLSCert), "PEM certificate of this service, reloaded when it changes [SANBAO_TLS_CERT]")
	fs.StringVar(&s.TLSKey, "tls-key", env.String("SANBAO_TLS_KEY", s.TLSKey), "PEM key of the certificate [SANBAO_TLS_KEY]")
	fs.StringVar(&s.TLSCA, "tls-ca", env.String("SANBAO_TLS_CA", s.TLSCA), "PEM CA bundle peers' certificates chain to [SANBAO_TLS_CA]")
	fs.StringVar(&s.TrustDomain, "trust-domain", env.String("SANBAO_TRUST_DOMAIN", s.TrustDomain), "trust domain of service certificates' spiffe:// URIs (default sanbao) [SANBAO_TRUST_DOMAIN]")
	fs.StringVar(&s.TokenJWKS, "token-jwks", env.String("SANBAO_TOKEN_JWKS", s.TokenJWKS), "identity provider's JWKS (https URL or file); empty: services only [SANBAO_TOKEN_JWKS]")
	fs.StringVar(&s.TokenIssuer, "token-issuer", env.String("SANBAO_TOKEN_ISSUER", s.TokenIssuer), "required token issuer (iss) [SANBAO_TOKEN_ISSUER]")
	fs.StringVar(&s.TokenAudience, "token-audience", env.String("SANBAO_TOKEN_AUDIENCE", s.TokenAudience), "required token audience (aud) [SANBAO_TOKEN_AUDIENCE]")
	fs.DurationVar(&s.TokenLeeway, "token-leeway", env.Duration("SANBAO_TOKEN_LEEWAY", s.TokenLeeway), "clock skew allowed on token times (default 1m) [SANBAO_TOKEN_LEEWAY]")
	fs.StringVar(&s.CustomerTokenKey, "customer-token-key", env.String("SANBAO_CUSTOMER_TOKEN_KEY", s.CustomerTokenKey), "PEM key of customers' one-unit tokens, made on first start (ticket service; default <data-dir>/customer-token-key.pem there) [SANBAO_CUSTOMER_TOKEN_KEY]")
	fs.BoolVar(&s.Insecure, "insecure", env.Bool("SANBAO_INSECURE", s.Insecure), "serve and dial plaintext, authenticate nobody: never with real customers [SANBAO_INSECURE]")
}

func (s Security) problems() []string {
	if s.Insecure {
		return nil
	}
	var bad []string
	if s.TLSCert == "" || s.TLSKey == "" || s.TLSCA == "" {
		bad = append(bad, "tls-cert, tls-key and tls-ca are required (or --insecure for plaintext without authentication)")
	}
	if s.TokenJWKS != "" && (s.TokenIssuer == "" || s.TokenAudience == "") {
		bad = append(bad, "token-jwks needs token-issuer and token-audience")
	}
	return bad
}

// PeerOptions are the client options for calling a peer service: TLS verified against the CA,
// presenting this service's certificate (mTLS); plaintext when Insecure or no TLS is
// configured (Validate refuses the latter for a server).
func (s Security) PeerOptions() (rpc.ClientOptions, error) {
	if s.Insecure || s.TLSCert == "" {
		return rpc.ClientOptions{}, nil
	}
	rl, err := auth.NewReloader(auth.Files{Cert: s.TLSCert, Key: s.TLSKey, CA: s.TLSCA})
	if err != nil {
		return rpc.ClientOptions{}, err
	}
	return rpc.ClientOptions{Creds: credentials.NewTLS(rl.ClientConfig())}, nil
}

// serverOptions returns the gRPC server's credentials and guard, and the customer tokens when
// configured.
func (s Security) serverOptions(clk clock.Clock, log *zap.Logger) (rpc.ServerOptions, *auth.CustomerTokens, error) {
	if s.Insecure {
		log.Warn("INSECURE: serving plaintext gRPC without authentication (--insecure); never run it so with real customers")
		return rpc.ServerOptions{}, nil, nil
	}
	rl, err := auth.NewReloader(auth.Files{Cert: s.TLSCert, Key: s.TLSKey, CA: s.TLSCA})
	if err != nil {
		return rpc.ServerOptions{}, nil, err
	}
	g := &auth.Guard{TrustDomain: s.TrustDomain}
	if s.TokenJWKS != "" {
		if g.Tokens, err = auth.NewVerifier(auth.TokenConfig{Keys: auth.NewKeySource(s.TokenJWKS), Issuer: s.TokenIssuer,
			Audience: s.TokenAudience, Leeway: s.TokenLeeway, Clock: clk}); err != nil {
			return rpc.ServerOptions{}, nil, fmt.Errorf("tokens: %w", err)
		}
	} else {
		log.Warn("no token issuer configured (--token-jwks): only Sanbao's own services can call")
	}
	var ct *auth.CustomerTokens
	if s.CustomerTokenKey != "" {
		if ct, err = auth.OpenCustomerTokens(s.CustomerTokenKey, clk); err != nil {
			return rpc.ServerOptions{}, nil, err
		}
		if g.Customers, err = ct.Verifier(); err != nil {
			return rpc.ServerOptions{}, nil, err
		}
	}
	log.Info("TLS on; callers authenticated", zap.String("cert", s.TLSCert), zap.String("jwks", s.TokenJWKS),
		zap.String("issuer", s.TokenIssuer), zap.String("audience", s.TokenAudience))
	return rpc.ServerOptions{
		Creds:  credentials.NewTLS(rl.ServerConfig()),
		Unary:  []grpc.UnaryServerInterceptor{g.Unary},
		Stream: []grpc.StreamServerInterceptor{g.Stream},
	}, ct, nil
}

// natsOptions is the NATS TLS option for a tls:// URL: the server verified against the CA and
// this service's certificate presented (the NATS user is the certificate's spiffe:// URI).
func (s Security) natsOptions(url string) (nats.Option, error) {
	if s.Insecure || !strings.HasPrefix(url, "tls://") {
		return nil, nil
	}
	rl, err := auth.NewReloader(auth.Files{Cert: s.TLSCert, Key: s.TLSKey, CA: s.TLSCA})
	if err != nil {
		return nil, fmt.Errorf("nats tls: %w", err)
	}
	return nats.Secure(rl.ClientConfig()), nil
}
