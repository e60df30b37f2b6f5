package daemon

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/rpc"
)

// apiFiles are the four services' API files.
var apiFiles = []protoreflect.FileDescriptor{
	ticketv1.File_sanbao_ticket_v1_ticket_service_proto,
	warrantyv1.File_sanbao_warranty_v1_warranty_service_proto,
	dispatchv1.File_sanbao_dispatch_v1_dispatch_service_proto,
	inventoryv1.File_sanbao_inventory_v1_inventory_service_proto,
}

// TestEveryMethodHasHTTPRule: every RPC of the four services has a google.api.http rule with a
// resource-style /v1/ path, reads are GET without a body and changes are not GET, so that a
// method added without one fails here rather than being missing from the HTTP face.
func TestEveryMethodHasHTTPRule(t *testing.T) {
	n := 0
	for _, f := range apiFiles {
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			for j := range s.Methods().Len() {
				m := s.Methods().Get(j)
				n++
				full := string(m.FullName())
				rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
				if rule == nil || rule.GetPattern() == nil {
					t.Errorf("%s has no google.api.http option: add one in %s (see docs/api-conventions.md)", full, f.Path())
					continue
				}
				verb, path := httpPattern(rule)
				if !strings.HasPrefix(path, "/v1/") {
					t.Errorf("%s: path %q does not start with /v1/", full, path)
				}
				read := strings.HasPrefix(string(m.Name()), "Get") || strings.HasPrefix(string(m.Name()), "List")
				if read && verb != "get" {
					t.Errorf("%s reads but is %s %s, want GET", full, strings.ToUpper(verb), path)
				}
				if verb == "get" && rule.GetBody() != "" {
					t.Errorf("%s: GET with body %q", full, rule.GetBody())
				}
				if verb != "get" && rule.GetBody() != "*" {
					t.Errorf("%s: %s %s has body %q, want \"*\" (the JSON body is the request message)", full, strings.ToUpper(verb), path, rule.GetBody())
				}
			}
		}
	}
	if n < 90 {
		t.Fatalf("found %d methods, want the whole API", n)
	}
}

func httpPattern(r *annotations.HttpRule) (verb, path string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "get", p.Get
	case *annotations.HttpRule_Post:
		return "post", p.Post
	case *annotations.HttpRule_Put:
		return "put", p.Put
	case *annotations.HttpRule_Patch:
		return "patch", p.Patch
	case *annotations.HttpRule_Delete:
		return "delete", p.Delete
	case *annotations.HttpRule_Custom:
		return p.Custom.GetKind(), p.Custom.GetPath()
	}
	return "", ""
}

// TestHTTPRulesBuild: the transcoder accepts every service's rules together (path variables
// name real fields, no two routes collide).
func TestHTTPRulesBuild(t *testing.T) {
	srv, err := rpc.NewServer(zap.NewNop(), rpc.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ticketv1.RegisterTicketServiceServer(srv.GRPC, ticketv1.UnimplementedTicketServiceServer{})
	warrantyv1.RegisterWarrantyServiceServer(srv.GRPC, warrantyv1.UnimplementedWarrantyServiceServer{})
	dispatchv1.RegisterDispatchServiceServer(srv.GRPC, dispatchv1.UnimplementedDispatchServiceServer{})
	inventoryv1.RegisterInventoryServiceServer(srv.GRPC, inventoryv1.UnimplementedInventoryServiceServer{})
	if _, err := newHTTPHandler(srv, Config{}); err != nil {
		t.Fatal(err)
	}
}

// TestHTTPCORSAndLimits: no CORS headers unless origins are configured; a configured origin's
// preflight is answered and others get none; a body over the receive limit is refused unread.
func TestHTTPCORSAndLimits(t *testing.T) {
	srv, err := rpc.NewServer(zap.NewNop(), rpc.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ticketv1.RegisterTicketServiceServer(srv.GRPC, ticketv1.UnimplementedTicketServiceServer{})
	preflight := func(h http.Handler, origin string) http.Header {
		r := httptest.NewRequest(http.MethodOptions, "/v1/tickets", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", http.MethodPost)
		r.Header.Set("Access-Control-Request-Headers", "accept-language,authorization,content-type")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result().Header
	}
	off, err := newHTTPHandler(srv, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if h := preflight(off, "https://console.example.com"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS off by default, but preflight answered %v", h)
	}
	on, err := newHTTPHandler(srv, Config{HTTP: HTTP{CORSOrigins: []string{"https://console.example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if h := preflight(on, "https://console.example.com"); h.Get("Access-Control-Allow-Origin") != "https://console.example.com" ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("preflight of the allowed origin: %v", h)
	}
	if h := preflight(on, "https://evil.example.com"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of another origin answered %v", h)
	}

	small, err := newHTTPHandler(srv, Config{Limits: rpc.Limits{MaxRecvBytes: 1024}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/tickets", strings.NewReader(strings.Repeat(" ", 1024+httpEnvelope+1)))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	small.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: %d %s, want 413", w.Code, w.Body)
	}
}

func TestHTTPConfig(t *testing.T) {
	c := Defaults("ticket", 50051, 9101)
	if c.HTTP.Listen != "127.0.0.1:8081" {
		t.Errorf("all-in-one HTTP address %q, want 127.0.0.1:8081", c.HTTP.Listen)
	}
	c.Security.Insecure = true
	c.HTTP.CORSOrigins = []string{"console.example.com"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "http-cors-origins") {
		t.Errorf("an origin without a scheme: %v", err)
	}
}
