package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/vanguard"
	"connectrpc.com/vanguard/vanguardgrpc"
	"github.com/rs/cors"
	"go.uber.org/zap"

	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/rpc"
)

// HTTP is the service's HTTP/JSON face: the same gRPC server (and so the same authentication,
// limits, validation and metrics) spoken as REST from the google.api.http annotations, as the
// Connect protocol and as gRPC-web, by Vanguard's transcoder.
type HTTP struct {
	Listen string // listen address; empty turns the HTTP face off
	// CORSOrigins are the browser origins allowed to call from another site
	// ("https://console.example.com"); none (the default) turns CORS off.
	CORSOrigins []string
}

func (h *HTTP) registerFlags(fs *flag.FlagSet, env *Env) {
	fs.StringVar(&h.Listen, "http-listen", env.String("SANBAO_HTTP_LISTEN", h.Listen),
		"HTTP/JSON address (REST, Connect, gRPC-web; TLS as gRPC unless --insecure), empty to disable [SANBAO_HTTP_LISTEN]")
	h.CORSOrigins = splitList(env.String("SANBAO_HTTP_CORS_ORIGINS", strings.Join(h.CORSOrigins, ",")))
	fs.Func("http-cors-origins", "browser origins allowed to call the HTTP face, comma-separated (https://console.example.com); empty turns CORS off [SANBAO_HTTP_CORS_ORIGINS]",
		func(s string) error { h.CORSOrigins = splitList(s); return nil })
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (h HTTP) problems() []string {
	var bad []string
	for _, o := range h.CORSOrigins {
		if o != "*" && !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			bad = append(bad, fmt.Sprintf("http-cors-origins: %q is not an origin like https://console.example.com", o))
		}
	}
	return bad
}

// httpEnvelope is what the HTTP body may hold beyond the message itself (gRPC-web and Connect
// streaming frame headers, an end-of-stream frame).
const httpEnvelope = 64 << 10

// newHTTPHandler builds the HTTP/JSON face of srv: Vanguard's transcoder in front of the gRPC
// server's own handler, so every call runs the server's interceptors; bodies bounded by the
// server's message limit; CORS for the configured origins only.
func newHTTPHandler(srv *rpc.Server, cfg Config) (http.Handler, error) {
	limits := cfg.Limits
	if limits.MaxRecvBytes <= 0 {
		limits.MaxRecvBytes = rpc.DefaultMaxRecvBytes
	}
	t, err := vanguardgrpc.NewTranscoder(srv.GRPC, vanguard.WithCodec(newStrictJSON), vanguard.WithDefaultServiceOptions(
		vanguard.WithMaxMessageBufferBytes(uint32(limits.MaxRecvBytes)),
		vanguard.WithMaxGetURLBytes(64<<10),
	))
	if err != nil {
		return nil, fmt.Errorf("http transcoder: %w", err)
	}
	maxBody := int64(limits.MaxRecvBytes) + httpEnvelope
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			// Refused before reading: the transcoder would answer the same once it read maxBody.
			http.Error(w, fmt.Sprintf("request body of %d bytes is over the limit of %d", r.ContentLength, maxBody), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		t.ServeHTTP(w, r)
	})
	h = withErrorDetails(h, "sanbao."+cfg.Name)
	if len(cfg.HTTP.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins:   cfg.HTTP.CORSOrigins,
			AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowedHeaders:   corsAllowedHeaders,
			ExposedHeaders:   corsExposedHeaders,
			AllowCredentials: false, // bearer tokens travel in Authorization, not cookies
			MaxAge:           7200,
		}).Handler(h)
	}
	return h, nil
}

// corsAllowedHeaders are the request headers REST, Connect and gRPC-web clients send.
var corsAllowedHeaders = []string{"Authorization", "Content-Type", "Accept", "Accept-Language", "Accept-Encoding",
	"Connect-Protocol-Version", "Connect-Timeout-Ms", "Connect-Accept-Encoding", "Connect-Content-Encoding",
	"Grpc-Timeout", "X-Grpc-Web", "X-User-Agent"}

// corsExposedHeaders are the response headers such clients read.
var corsExposedHeaders = []string{"Grpc-Status", "Grpc-Message", "Grpc-Status-Details-Bin", "Content-Encoding",
	"Connect-Content-Encoding", "Retry-After"}

// httpTLS is the HTTP face's TLS configuration: the gRPC server's certificate and client
// verification (a service may present its certificate; people present tokens), offering
// HTTP/1.1 beside HTTP/2 for browsers and plain HTTP clients.
func (s Security) httpTLS() (*tls.Config, error) {
	if s.Insecure {
		return nil, nil
	}
	rl, err := auth.NewReloader(auth.Files{Cert: s.TLSCert, Key: s.TLSKey, CA: s.TLSCA})
	if err != nil {
		return nil, err
	}
	base := rl.ServerConfig()
	get := base.GetConfigForClient
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c, err := get(hello)
		if err != nil {
			return nil, err
		}
		c.NextProtos = []string{"h2", "http/1.1"}
		return c, nil
	}
	base.NextProtos = []string{"h2", "http/1.1"}
	return base, nil
}

// serveAPI serves the HTTP face on lis until ctx ends, then shuts it down within timeout.
func serveAPI(ctx context.Context, lis net.Listener, h http.Handler, tc *tls.Config, timeout time.Duration, log *zap.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          zap.NewStdLog(log.WithOptions(zap.IncreaseLevel(zap.WarnLevel))),
	}
	if tc != nil {
		hs.TLSConfig = tc
		lis = tls.NewListener(lis, tc)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			_ = hs.Close()
		}
	}()
	err := hs.Serve(lis)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve HTTP: %w", err)
}
