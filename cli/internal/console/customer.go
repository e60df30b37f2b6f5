package console

import (
	"io/fs"
	"net/http"
	"net/http/httputil"
	"net/url"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// customerPage serves the customer's page for /u/{code} (what the printed QR code opens); the
// page reads the code from its own address.
func customerPage(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(Assets(), "cust/index.html")
	if err != nil {
		http.Error(w, "no customer page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

// customerOnly lets through a customer's call: changes must come from the page (the console's
// CSRF header, same origin); the only credential that passes is the customer's own session in
// Authorization, never the console's session cookie, so a desk person's session cannot be
// borrowed by the public page and the page reaches only the unit its session is for.
// Bodies are at most limit bytes (JSON: 64 KiB; a photo or video: maxFile).
func customerOnly(h http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !sameOrigin(r) {
			writeError(w, status.New(codes.PermissionDenied, "cross-site request refused"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	})
}

// customerProxy forwards /c/v1/c/... to the ticket service's public customer routes (the same
// face as the attachments) with no cookie, origin or CSRF header of the browser's, and the
// customer's address in X-Forwarded-For.
func (s *Server) customerProxy(base string) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	tr := s.transport(u, 8, callTimeout)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			// The customer's address for the service's rate limits (it believes it only from a
			// proxy it trusts: --trusted-proxies); a client's own X-Forwarded-For is kept
			// before it, and the service reads past it only through trusted hops.
			pr.SetXForwarded()
			for _, k := range []string{"Cookie", "Origin", "Referer", CSRFHeader, s.cfg.TokenHeader} {
				if k != "" {
					pr.Out.Header.Del(k)
				}
			}
		},
		Transport: tr,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			writeError(w, status.New(codes.Unavailable, "customer page: "+err.Error()))
		},
	}, nil
}
