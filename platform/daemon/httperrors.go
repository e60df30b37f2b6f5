package daemon

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sanbao/sanbao/platform/rpc"
)

// strictJSON is Vanguard's JSON codec whose decoding failures are the client's fault
// (INVALID_ARGUMENT), not UNKNOWN: a body or query value that is not the method's JSON.
type strictJSON struct{ *vanguard.JSONCodec }

func newStrictJSON(res vanguard.TypeResolver) vanguard.Codec {
	return strictJSON{vanguard.NewJSONCodec(res)}
}

func (c strictJSON) Unmarshal(data []byte, msg proto.Message) error {
	if err := c.JSONCodec.Unmarshal(data, msg); err != nil {
		return connect.NewError(connect.CodeInvalidArgument,
			fmt.Errorf("the body is not the JSON of %s: %v", msg.ProtoReflect().Descriptor().FullName(), err))
	}
	return nil
}

func (c strictJSON) UnmarshalField(data []byte, msg proto.Message, fd protoreflect.FieldDescriptor) error {
	if err := c.JSONCodec.UnmarshalField(data, msg, fd); err != nil {
		return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("invalid parameter %q: %v", fd.Name(), err))
	}
	return nil
}

// withErrorDetails gives the errors the HTTP face answers by itself, before a call reaches the
// gRPC server (a body that is not JSON, a bad query value, an unknown path, a body over the
// limit), the same details as the server's: ErrorInfo in domain and a LocalizedMessage in the
// caller's Accept-Language. Answers that carry an ErrorInfo already pass unchanged; only error
// answers (status 400 and up) are buffered.
func withErrorDetails(next http.Handler, domain string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ew := &errorWriter{ResponseWriter: w}
		next.ServeHTTP(ew, r)
		if ew.code < 400 {
			return
		}
		body := ew.buf.Bytes()
		out := detailed(ew.code, body, domain, rpc.ParseLanguage(r.Header.Get("Accept-Language")), r)
		if out == nil {
			out = body
		} else {
			// The answer is JSON now, and none of the gRPC handler's headers apply to it.
			for k := range w.Header() {
				if strings.HasPrefix(k, "Grpc-") || k == "Trailer" || k == "X-Content-Type-Options" {
					w.Header().Del(k)
				}
			}
			w.Header().Set("Content-Type", "application/json")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.WriteHeader(ew.code)
		_, _ = w.Write(out)
	})
}

// errorWriter buffers an error answer (status ≥ 400) and passes any other through.
type errorWriter struct {
	http.ResponseWriter
	code int
	buf  bytes.Buffer
}

func (w *errorWriter) WriteHeader(code int) {
	if w.code != 0 {
		return
	}
	w.code = code
	if code < 400 {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *errorWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.code >= 400 {
		return w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *errorWriter) Flush() {
	if w.code != 0 && w.code < 400 {
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *errorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// detailed rewrites an error body without an ErrorInfo (nil: leave it as it is).
func detailed(code int, body []byte, domain string, lang rpc.Language, r *http.Request) []byte {
	var probe struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Details []struct {
			Type  string `json:"type"`
			AType string `json:"@type"`
		} `json:"details"`
	}
	if json.Unmarshal(body, &probe) != nil || len(probe.Code) == 0 {
		// The router's own answers (unknown path, wrong method) and the body limit's.
		c := codes.Unknown
		switch code {
		case http.StatusNotFound:
			c = codes.NotFound
		case http.StatusMethodNotAllowed:
			c = codes.Unimplemented
		case http.StatusRequestEntityTooLarge:
			c = codes.ResourceExhausted
		case http.StatusUnsupportedMediaType, http.StatusBadRequest:
			c = codes.InvalidArgument
		}
		msg := strings.TrimSpace(string(body))
		if msg == "" || msg == http.StatusText(code) {
			msg = fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, strings.ToLower(http.StatusText(code)))
		}
		return restStatus(rpc.Localize(status.Error(c, msg), domain, lang))
	}
	for _, d := range probe.Details {
		if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") || strings.HasSuffix(d.AType, "google.rpc.ErrorInfo") {
			return nil
		}
	}
	if probe.Code[0] == '"' { // Connect: {"code": "invalid_argument", "message": …, "details": […]}
		var name string
		_ = json.Unmarshal(probe.Code, &name)
		var c codes.Code
		if c.UnmarshalJSON([]byte(strconv.Quote(strings.ToUpper(name)))) != nil {
			c = codes.Unknown
		}
		return connectError(rpc.Localize(asMalformed(status.Error(c, probe.Message)), domain, lang))
	}
	st := &spb.Status{}
	if protojson.Unmarshal(body, st) != nil {
		return nil
	}
	return restStatus(rpc.Localize(asMalformed(status.FromProto(st).Err()), domain, lang))
}

// malformedPrefixes begin the messages of requests the transcoder could not decode (strictJSON's
// and Vanguard's query parameter errors).
var malformedPrefixes = []string{"the body is not the JSON of ", "invalid parameter ", "request body "}

// asMalformed gives an INVALID_ARGUMENT the transcoder answered for an undecodable request the
// reason MALFORMED_REQUEST.
func asMalformed(err error) error {
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		return err
	}
	for _, p := range malformedPrefixes {
		if strings.HasPrefix(st.Message(), p) {
			return &rpc.Error{Reason: rpc.ReasonMalformed, Message: st.Message()}
		}
	}
	return err
}

// restStatus is err as REST answers it: a google.rpc.Status in JSON.
func restStatus(err error) []byte {
	b, mErr := protojson.Marshal(status.Convert(err).Proto())
	if mErr != nil {
		return []byte(`{"code":13,"message":"internal error"}`)
	}
	return b
}

// connectError is err as the Connect protocol answers it.
func connectError(err error) []byte {
	st := status.Convert(err)
	type detail struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	out := struct {
		Code    string   `json:"code"`
		Message string   `json:"message,omitempty"`
		Details []detail `json:"details,omitempty"`
	}{Code: connect.Code(st.Code()).String(), Message: st.Message()}
	for _, a := range st.Proto().GetDetails() {
		out.Details = append(out.Details, detail{Type: strings.TrimPrefix(a.GetTypeUrl(), "type.googleapis.com/"),
			Value: base64.RawStdEncoding.EncodeToString(a.GetValue())})
	}
	b, _ := json.Marshal(out)
	return b
}
