package console

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxFile bounds an attachment upload through the console (the ticket service's largest kind,
// a video, is 50 MiB; it refuses by kind below that).
const maxFile = 64 << 20

// filesProxy forwards /files/v1/... to the ticket service's attachments HTTP face at base,
// with only the bearer token requireSession set: no cookie, origin or CSRF header of the
// browser's reaches the service.
func (s *Server) filesProxy(base string) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("console: the attachments face %q is not an http(s):// URL", base)
	}
	tr := s.transport(u, 8, 2*time.Minute)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			h := pr.Out.Header
			for _, k := range []string{"Cookie", "Origin", "Referer", CSRFHeader, s.cfg.TokenHeader} {
				if k != "" {
					h.Del(k)
				}
			}
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.log.Warn("attachments face unreachable", zap.Error(err))
			writeError(w, status.New(codes.Unavailable, "attachments: "+err.Error()))
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFile)
		rp.ServeHTTP(w, r)
	}), nil
}
