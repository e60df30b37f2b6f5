package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// proxy forwards the browser's Connect calls for one service to that service's HTTP/JSON face
// (its Connect protocol paths), with the session's token as the bearer and nothing else of the
// transport is the console's connection pool to one of the services' HTTP endpoints: TLS
// verified with the suite's CA for https:// (HTTP/2 when the server offers it, as ours do), no
// environment proxy, at most idle connections kept, an answer's headers within timeout.
func (s *Server) transport(u *url.URL, idle int, timeout time.Duration) *http.Transport {
	tr := &http.Transport{Proxy: nil, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: idle, IdleConnTimeout: 90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: timeout}
	if u.Scheme == "https" {
		tr.TLSClientConfig = s.cfg.HTTPTLS
	}
	s.transports = append(s.transports, tr)
	return tr
}

// browser's credentials; error answers get each detail decoded as JSON under "debug".
func (s *Server) proxy(svc, base string) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("console: the %s HTTP face %q is not an http(s):// URL", svc, base)
	}
	tr := s.transport(u, 32, callTimeout)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			method := pr.In.PathValue("method")
			pr.SetURL(u)
			pr.Out.URL.Path = strings.TrimSuffix(u.Path, "/") + "/" + svc + "/" + method
			pr.Out.URL.RawPath = ""
			pr.Out.URL.RawQuery = ""
			h := pr.Out.Header
			for _, k := range []string{"Cookie", "Origin", "Referer", CSRFHeader, "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", s.cfg.TokenHeader} {
				if k != "" {
					h.Del(k)
				}
			}
			h.Set("Authorization", "Bearer "+s.token(pr.In))
			h.Set("Connect-Protocol-Version", "1")
			h.Set("Connect-Timeout-Ms", strconv.Itoa(int(callTimeout/time.Millisecond)))
		},
		Transport:      tr,
		ModifyResponse: readableDetails,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				writeError(w, status.Newf(codes.ResourceExhausted, "request body over %d bytes", maxBody))
				return
			}
			s.log.Warn("console: service unreachable", zap.String("service", svc), zap.Error(err))
			writeError(w, status.Newf(codes.Unavailable, "the %s service cannot be reached", svc))
		},
	}
	return rp, nil
}

// readableDetails decodes the details of a Connect error answer (type and base64 protobuf
// value) into JSON under "debug", so the browser reads field violations, ErrorInfo reasons and
// localised messages without a protobuf decoder.
func readableDetails(resp *http.Response) error {
	if resp.StatusCode < 400 || resp.Header.Get("Content-Type") != "application/json" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	var e struct {
		Code    string       `json:"code"`
		Message string       `json:"message,omitempty"`
		Details []wireDetail `json:"details,omitempty"`
	}
	out := b
	if json.Unmarshal(b, &e) == nil {
		for i, d := range e.Details {
			if len(d.Debug) > 0 {
				continue
			}
			mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(d.Type))
			if err != nil {
				continue
			}
			raw, err := base64.RawStdEncoding.DecodeString(trimPad(d.Value))
			if err != nil {
				continue
			}
			m := mt.New().Interface()
			if protoUnmarshal(raw, m) == nil {
				if j, err := protojson.Marshal(m); err == nil {
					e.Details[i].Debug = j
				}
			}
		}
		if j, err := json.Marshal(e); err == nil {
			out = j
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	resp.ContentLength = int64(len(out))
	resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}

func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}
