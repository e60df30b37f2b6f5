package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // the error details the services send, readable as JSON
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The APIs the gateway forwards: registering them lets it read their requests as JSON.
	_ "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	_ "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// maxBody bounds a request body the gateway reads (the services cap messages at a few MiB).
const maxBody = 4 << 20

// callTimeout bounds one forwarded call.
const callTimeout = 20 * time.Second

// call forwards one unary Connect-protocol JSON call (POST /api/<service>/<method>, the body
// the request message in protobuf JSON) with the caller's token and language: to the service's
// HTTP/JSON face when the console knows it (a reverse proxy), else over gRPC, transcoding the
// JSON here. Either way it answers the response message, or a Connect error whose details are
// readable as JSON.
func (s *Server) call(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, status.New(codes.PermissionDenied, "cross-site request refused: the console's calls carry the X-Sanbao-Console header"))
		return
	}
	svc, method := r.PathValue("service"), r.PathValue("method")
	conn, p := s.conns[svc], s.proxies[svc]
	if conn == nil && p == nil {
		writeError(w, status.Newf(codes.NotFound, "no service %q behind this console", svc))
		return
	}
	in, out, err := messages(svc, method)
	if err != nil {
		writeError(w, status.New(codes.NotFound, err.Error()))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, status.Newf(codes.InvalidArgument, "Content-Type %q: the console gateway reads application/json", ct))
		return
	}
	token := s.token(r)
	if token == "" {
		writeError(w, status.New(codes.Unauthenticated, "not signed in"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, status.New(codes.InvalidArgument, "read body: "+err.Error()))
		return
	}
	if len(body) > maxBody {
		writeError(w, status.Newf(codes.ResourceExhausted, "request body over %d bytes", maxBody))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := protojson.Unmarshal(body, in); err != nil {
		writeError(w, status.Newf(codes.InvalidArgument, "request body is not a %s in JSON: %v", in.ProtoReflect().Descriptor().FullName(), err))
		return
	}
	if p != nil {
		// Read and checked here, so a bad body is the same readable error on either path.
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		p.ServeHTTP(w, r)
		return
	}
	md := metadata.Pairs("authorization", "Bearer "+token)
	if l := r.Header.Get("Accept-Language"); l != "" {
		md.Set("accept-language", l)
	}
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	defer cancel()
	ctx = metadata.NewOutgoingContext(ctx, md)
	if err := conn.Invoke(ctx, "/"+svc+"/"+method, in, out); err != nil {
		st := status.Convert(err)
		if st.Code() == codes.Internal || st.Code() == codes.Unknown {
			s.log.Warn("console call failed", zap.String("method", svc+"/"+method), zap.Error(err))
		}
		writeError(w, st)
		return
	}
	b, err := protojson.Marshal(out)
	if err != nil {
		s.log.Error("console: encode response", zap.String("method", svc+"/"+method), zap.Error(err))
		writeError(w, status.New(codes.Internal, "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// messages returns new request and response messages of svc's unary method.
func messages(svc, method string) (proto.Message, proto.Message, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, nil, errors.New("no service " + svc)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, nil, errors.New(svc + " is not a service")
	}
	m := sd.Methods().ByName(protoreflect.Name(method))
	if m == nil || m.IsStreamingClient() || m.IsStreamingServer() {
		return nil, nil, errors.New("no unary method " + svc + "/" + method)
	}
	it, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		return nil, nil, err
	}
	ot, err := protoregistry.GlobalTypes.FindMessageByName(m.Output().FullName())
	if err != nil {
		return nil, nil, err
	}
	return it.New().Interface(), ot.New().Interface(), nil
}

// connectCodes are the Connect protocol's names and HTTP statuses of the gRPC codes.
var connectCodes = map[codes.Code]struct {
	name string
	http int
}{
	codes.Canceled: {"canceled", 499}, codes.Unknown: {"unknown", 500}, codes.InvalidArgument: {"invalid_argument", 400},
	codes.DeadlineExceeded: {"deadline_exceeded", 504}, codes.NotFound: {"not_found", 404}, codes.AlreadyExists: {"already_exists", 409},
	codes.PermissionDenied: {"permission_denied", 403}, codes.ResourceExhausted: {"resource_exhausted", 429},
	codes.FailedPrecondition: {"failed_precondition", 400}, codes.Aborted: {"aborted", 409}, codes.OutOfRange: {"out_of_range", 400},
	codes.Unimplemented: {"unimplemented", 501}, codes.Internal: {"internal", 500}, codes.Unavailable: {"unavailable", 503},
	codes.DataLoss: {"data_loss", 500}, codes.Unauthenticated: {"unauthenticated", 401},
}

type wireDetail struct {
	Type  string          `json:"type"`
	Value string          `json:"value"`
	Debug json.RawMessage `json:"debug,omitempty"`
}

type wireError struct {
	Code    string       `json:"code"`
	Message string       `json:"message,omitempty"`
	Details []wireDetail `json:"details,omitempty"`
}

// writeError answers st as a Connect-protocol error: its code's HTTP status, and a JSON body
// with the code, the message and each detail (binary, and as JSON under "debug" so the
// browser can read field violations, ErrorInfo reasons and localized messages).
func writeError(w http.ResponseWriter, st *status.Status) {
	c, ok := connectCodes[st.Code()]
	if !ok {
		c = connectCodes[codes.Unknown]
	}
	e := wireError{Code: c.name, Message: st.Message()}
	for _, a := range st.Proto().GetDetails() {
		d := wireDetail{Type: strings.TrimPrefix(a.GetTypeUrl(), "type.googleapis.com/"), Value: base64.RawStdEncoding.EncodeToString(a.GetValue())}
		if m, err := a.UnmarshalNew(); err == nil {
			if b, err := protojson.Marshal(m); err == nil {
				d.Debug = b
			}
		}
		e.Details = append(e.Details, d)
	}
	b, _ := json.Marshal(e)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(c.http)
	_, _ = w.Write(b)
}

// protoUnmarshal decodes a binary protobuf message.
func protoUnmarshal(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }
