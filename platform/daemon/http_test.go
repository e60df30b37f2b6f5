package daemon

import (
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
