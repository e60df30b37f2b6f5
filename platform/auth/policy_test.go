package auth

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// serviceFiles are the four services' API files: the descriptors every test here is
// generated from, so that a new method without a rule fails.
var serviceFiles = []protoreflect.FileDescriptor{
	ticketv1.File_sanbao_ticket_v1_ticket_service_proto,
	warrantyv1.File_sanbao_warranty_v1_warranty_service_proto,
	dispatchv1.File_sanbao_dispatch_v1_dispatch_service_proto,
	inventoryv1.File_sanbao_inventory_v1_inventory_service_proto,
	ticketv1.File_sanbao_ticket_v1_attachment_proto,
	ticketv1.File_sanbao_ticket_v1_customer_proto,
}

// apiMethod is one RPC of the four services.
type apiMethod struct {
	full string // /pkg.Service/Method
	desc protoreflect.MethodDescriptor
}

func apiMethods(t *testing.T) []apiMethod {
	t.Helper()
	var ms []apiMethod
	for _, f := range serviceFiles {
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			for j := range s.Methods().Len() {
				m := s.Methods().Get(j)
				ms = append(ms, apiMethod{full: "/" + string(s.FullName()) + "/" + string(m.Name()), desc: m})
			}
		}
	}
	if len(ms) < 90 {
		t.Fatalf("found %d methods in the service descriptors, want the whole API", len(ms))
	}
	return ms
}

func TestPolicyCoversEveryMethod(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range apiMethods(t) {
		seen[m.full] = true
		r, ok := Lookup(m.full)
		if !ok {
			t.Errorf("%s has no rule in the policy table (platform/auth/policy.go): add one", m.full)
			continue
		}
		if len(r.Grants) == 0 {
			t.Errorf("%s: rule grants no role", m.full)
		}
	}
	for _, m := range Methods() {
		if !seen[m] {
			t.Errorf("policy rule for %s names no method of the API (renamed or removed?)", m)
		}
	}
}

// read reports whether a method only reads (its scope can be checked on the response).
func read(name protoreflect.Name) bool {
	for _, p := range []string{"Get", "List", "Compare", "Suggest", "Rank"} {
		if strings.HasPrefix(string(name), p) {
			return true
		}
	}
	return false
}

// hasOwner reports whether d (or its message fields down to level) declares an owner field.
func hasOwner(d protoreflect.MessageDescriptor, names []protoreflect.Name, level int) bool {
	fs := d.Fields()
	for i := range fs.Len() {
		f := fs.Get(i)
		if isOwner(f, names) {
			return true
		}
		if f.Kind() == protoreflect.MessageKind && !f.IsMap() && level > 0 && hasOwner(f.Message(), names, level-1) {
			return true
		}
	}
	return false
}

// TestPolicyScopesAreEnforceable: a scoped grant of a change needs an owner field in the
// request (checked before the change); a scoped read needs one in the request or response.
func TestPolicyScopesAreEnforceable(t *testing.T) {
	for _, m := range apiMethods(t) {
		r, _ := Lookup(m.full)
		if r.SelfScoped {
			continue // a streaming method whose handler scopes (its service's tests prove it)
		}
		for role, s := range r.Grants {
			if s == ScopeAll {
				continue
			}
			sf := scopeFields[s]
			inReq := hasOwner(m.desc.Input(), sf.names, sf.level)
			inResp := hasOwner(m.desc.Output(), sf.names, sf.level)
			switch {
			case read(m.desc.Name()) && !inReq && !inResp:
				t.Errorf("%s: %s is scoped to %s but neither request nor response has %v", m.full, role, s, sf.names)
			case !read(m.desc.Name()) && !inReq:
				t.Errorf("%s: %s is scoped to %s but the request has no %v to check before the change", m.full, role, s, sf.names)
			}
		}
	}
}

func TestPolicyActorFieldsExist(t *testing.T) {
	for _, m := range apiMethods(t) {
		r, _ := Lookup(m.full)
		for _, path := range r.Actor {
			d := m.desc.Input()
			parts := strings.Split(path, ".")
			for i, p := range parts {
				f := d.Fields().ByName(protoreflect.Name(p))
				if f == nil || f.IsList() {
					t.Errorf("%s: actor field %q: %s is not a singular field of %s", m.full, path, p, d.FullName())
					break
				}
				if i == len(parts)-1 {
					if f.Kind() != protoreflect.StringKind {
						t.Errorf("%s: actor field %q is not a string", m.full, path)
					}
					break
				}
				d = f.Message()
				if d == nil {
					t.Errorf("%s: actor field %q: %s is not a message", m.full, path, p)
					break
				}
			}
		}
	}
}
