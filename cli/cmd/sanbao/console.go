package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc/credentials"

	"github.com/sanbao/sanbao/cli/internal/console"
	"github.com/sanbao/sanbao/cli/internal/importer"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/daemon"
	"github.com/sanbao/sanbao/platform/rpc"
)

// runConsole serves the web console on its own, in front of the four services: flags → config
// → console.New → serve until ctx ends.
func runConsole(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	var env daemon.Env
	listen := fs.String("listen", env.String("SANBAO_CONSOLE_LISTEN", ":8080"), "where the console serves HTTP (HTTPS with --tls-cert) [SANBAO_CONSOLE_LISTEN]")
	addrs, faces := map[string]*string{}, map[string]*string{}
	for i, name := range []string{"ticket", "warranty", "dispatch", "inventory"} {
		up := strings.ToUpper(name)
		addrs[name] = fs.String(name+"-addr", env.String("SANBAO_"+up+"_ADDR", fmt.Sprintf("127.0.0.1:%d", 50051+i)),
			fmt.Sprintf("the %s service's gRPC address, used when it has no --%s-http [SANBAO_%s_ADDR]", name, name, up))
		faces[name] = fs.String(name+"-http", env.String("SANBAO_"+up+"_HTTP", fmt.Sprintf("https://127.0.0.1:%d", 8081+i)),
			fmt.Sprintf("the base URL of the %s service's HTTP/JSON face (the console proxies to it); empty: call its gRPC address [SANBAO_%s_HTTP]", name, up))
	}
	ca := fs.String("ca", env.String("SANBAO_CA", ""), "PEM CA that verifies the services' certificates [SANBAO_CA]")
	insecure := fs.Bool("insecure", env.Bool("SANBAO_INSECURE", false), "call the services in plaintext (only a suite run with --insecure) [SANBAO_INSECURE]")
	tlsCert := fs.String("tls-cert", env.String("SANBAO_CONSOLE_TLS_CERT", ""), "serve HTTPS with this certificate (reloaded when it changes) [SANBAO_CONSOLE_TLS_CERT]")
	tlsKey := fs.String("tls-key", env.String("SANBAO_CONSOLE_TLS_KEY", ""), "its key [SANBAO_CONSOLE_TLS_KEY]")
	secureCookie := fs.Bool("secure-cookie", env.Bool("SANBAO_CONSOLE_SECURE_COOKIE", false), "mark the session cookie Secure although the console serves HTTP (behind a TLS-terminating proxy); always on with --tls-cert [SANBAO_CONSOLE_SECURE_COOKIE]")
	tokenHeader := fs.String("token-header", env.String("SANBAO_CONSOLE_TOKEN_HEADER", ""), "take the caller's token from this header set by an authenticating proxy in front (OIDC: oauth2-proxy's X-Forwarded-Access-Token) [SANBAO_CONSOLE_TOKEN_HEADER]")
	oidcIssuer := fs.String("oidc-issuer", env.String("SANBAO_CONSOLE_OIDC_ISSUER", ""), "sign people in through this OpenID Connect provider (its issuer URL; authorization code flow with PKCE) [SANBAO_CONSOLE_OIDC_ISSUER]")
	oidcDiscovery := fs.String("oidc-discovery-url", env.String("SANBAO_CONSOLE_OIDC_DISCOVERY_URL", ""), "read the provider's discovery document here when the console reaches it at another address than its issuer (inside the cluster) [SANBAO_CONSOLE_OIDC_DISCOVERY_URL]")
	oidcClient := fs.String("oidc-client-id", env.String("SANBAO_CONSOLE_OIDC_CLIENT_ID", ""), "the console's client id at the provider [SANBAO_CONSOLE_OIDC_CLIENT_ID]")
	oidcSecret := fs.String("oidc-client-secret-file", env.String("SANBAO_CONSOLE_OIDC_CLIENT_SECRET_FILE", ""), "a file holding the console's client secret (none: a public client) [SANBAO_CONSOLE_OIDC_CLIENT_SECRET_FILE]")
	oidcRedirect := fs.String("oidc-redirect-url", env.String("SANBAO_CONSOLE_OIDC_REDIRECT_URL", ""), "the console's callback as registered at the provider: https://<console>/session/oidc/callback [SANBAO_CONSOLE_OIDC_REDIRECT_URL]")
	oidcScopes := fs.String("oidc-scopes", env.String("SANBAO_CONSOLE_OIDC_SCOPES", "profile"), "comma-separated scopes asked for beside openid [SANBAO_CONSOLE_OIDC_SCOPES]")
	oidcName := fs.String("oidc-name", env.String("SANBAO_CONSOLE_OIDC_NAME", ""), "the provider's name on the sign-in button [SANBAO_CONSOLE_OIDC_NAME]")
	oidcIDToken := fs.Bool("oidc-id-token", env.Bool("SANBAO_CONSOLE_OIDC_ID_TOKEN", false), "call the services with the ID token (for a provider whose access tokens are not JWTs) [SANBAO_CONSOLE_OIDC_ID_TOKEN]")
	localDir := fs.String("local-dir", env.String("SANBAO_CONSOLE_LOCAL_DIR", ""), "a local CA and issuer directory (the all-in-one's <data-dir>/auth): its local users sign in with the passwords kept there; not for production [SANBAO_CONSOLE_LOCAL_DIR]")
	dev := fs.Bool("dev", env.Bool("SANBAO_CONSOLE_DEV", false), "one-click \"sign in as\" of the local users (needs --local-dir; development only) [SANBAO_CONSOLE_DEV]")
	attachments := fs.String("attachments-http", env.String("SANBAO_ATTACHMENTS_HTTP", ""), "the base URL of the ticket service's attachments face (its --attachments-http-listen), served under /files/ for the technician's phone app; empty: /files/ is off [SANBAO_ATTACHMENTS_HTTP]")
	level := fs.String("log-level", env.String("SANBAO_LOG_LEVEL", "info"), "debug, info, warn, error [SANBAO_LOG_LEVEL]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := env.Err(); err != nil {
		return err
	}
	log, err := daemon.NewLogger(*level, "json")
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	cfg := console.Config{Services: map[string]string{}, HTTP: map[string]string{}, TokenHeader: *tokenHeader, SecureCookie: *secureCookie || *tlsCert != "", Dev: *dev,
		Attachments: *attachments}
	for n, a := range addrs {
		cfg.Services[n] = *a
		if *insecure {
			*faces[n] = strings.Replace(*faces[n], "https://", "http://", 1)
		}
		cfg.HTTP[n] = *faces[n]
	}
	if !*insecure {
		if *ca == "" {
			return errors.New("console: --ca is required to verify the services (or --insecure against a plaintext suite)")
		}
		tc, err := auth.ClientCA(*ca)
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		cfg.Client = rpc.ClientOptions{Creds: credentials.NewTLS(tc)}
		cfg.HTTPTLS = tc
	}
	if *oidcIssuer != "" {
		o := &console.OIDC{Issuer: *oidcIssuer, DiscoveryURL: *oidcDiscovery, ClientID: *oidcClient, RedirectURL: *oidcRedirect,
			Name: *oidcName, UseIDToken: *oidcIDToken}
		for _, sc := range strings.Split(*oidcScopes, ",") {
			if sc = strings.TrimSpace(sc); sc != "" && sc != "openid" {
				o.Scopes = append(o.Scopes, sc)
			}
		}
		if *oidcSecret != "" {
			b, err := os.ReadFile(*oidcSecret)
			if err != nil {
				return fmt.Errorf("console: OIDC client secret: %w", err)
			}
			o.ClientSecret = strings.TrimSpace(string(b))
		}
		cfg.OIDC = o
	}
	if *localDir != "" {
		if cfg.Local, err = auth.OpenLocal(*localDir); err != nil {
			return fmt.Errorf("console: %w", err)
		}
		if cfg.Users, err = console.LocalPasswords(*localDir); err != nil {
			return fmt.Errorf("console: %w", err)
		}
	}
	var stc *tls.Config
	if *tlsCert != "" {
		rl, err := auth.NewReloader(auth.Files{Cert: *tlsCert, Key: *tlsKey, CA: *ca})
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		stc = rl.ServerConfig()
		get := stc.GetConfigForClient
		stc.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			c, err := get(hello)
			if c != nil {
				c.NextProtos = []string{"h2", "http/1.1"} // browsers and plain HTTP/1.1 clients
			}
			return c, err
		}
	}
	// The upload screen: the services' streaming imports over gRPC, with the caller's token.
	conns, closeConns, err := importer.Dial(cfg.Services, cfg.Client)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer closeConns()
	cfg.Upload = importer.Handler(conns)
	srv, err := console.New(cfg, log.Named("console"))
	if err != nil {
		return err
	}
	defer srv.Close()
	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	scheme := "http"
	if stc != nil {
		scheme = "https"
	}
	fmt.Fprintf(os.Stderr, "sanbao console serving %s://%s/ (services %v)\n", scheme, lis.Addr(), cfg.HTTP)
	return console.Serve(ctx, lis, srv.Handler(), stc)
}
