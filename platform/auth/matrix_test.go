package auth

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestMatrix calls every RPC of the four services as every role over real TLS (tokens for
// people, client certificates for our services) and checks the policy table's answer: allowed
// calls reach the handler (UNIMPLEMENTED here), denied ones are PERMISSION_DENIED, and a scoped
// caller naming someone else's organisation or technician is PERMISSION_DENIED too (another
// unit, for a customer, NOT_FOUND).
func TestMatrix(t *testing.T) {
	w := newWorld(t)
	conns := map[Role]*grpc.ClientConn{}
	for _, r := range StaffRoles {
		conns[r] = w.person(t, w.token(t, Person{Subject: "u-" + string(r), Roles: []Role{r}, Org: "dealer-a", TechnicianID: "tech-a"}))
	}
	conns[RoleCustomer] = w.customer(t, "unit-a")
	for _, r := range ServiceRoles {
		conns[r] = w.service(t, string(r)[len("service:"):])
	}
	roles := append(append([]Role{}, PersonRoles...), ServiceRoles...)
	ctx := context.Background()
	calls := 0
	for _, m := range apiMethods(t) {
		rule, _ := Lookup(m.full)
		for _, role := range roles {
			scope, allowed := rule.Allows(role)
			want := codes.PermissionDenied
			if allowed {
				want = codes.Unimplemented
			}
			got := invoke(ctx, conns[role], m, nil)
			calls++
			if got != want {
				t.Errorf("%s as %s = %v, want %v (allowed %v)", m.full, role, got, want, allowed)
			}
			if !allowed || scope == ScopeAll {
				continue
			}
			sf := scopeFields[scope]
			f := topOwner(m.desc.Input(), sf.names)
			if f == nil {
				continue // a read checked on its response
			}
			got = invoke(ctx, conns[role], m, func(msg protoreflect.Message) {
				msg.Set(f, protoreflect.ValueOfString("someone-else"))
			})
			calls++
			refused := codes.PermissionDenied
			if scope == ScopeOwnUnit {
				refused = codes.NotFound // another unit is as if absent
			}
			if got != refused {
				t.Errorf("%s as %s with %s=someone-else = %v, want %v", m.full, role, f.Name(), got, refused)
			}
		}
	}
	t.Logf("%d calls over TLS", calls)
}

func topOwner(d protoreflect.MessageDescriptor, names []protoreflect.Name) protoreflect.FieldDescriptor {
	for _, n := range names {
		if f := d.Fields().ByName(n); f != nil && isOwner(f, names) {
			return f
		}
	}
	return nil
}

// invoke calls m with an empty request (changed by edit, if given) and returns the code.
func invoke(ctx context.Context, conn *grpc.ClientConn, m apiMethod, edit func(protoreflect.Message)) codes.Code {
	req := dynamicpb.NewMessage(m.desc.Input())
	if edit != nil {
		edit(req)
	}
	resp := dynamicpb.NewMessage(m.desc.Output())
	err := conn.Invoke(ctx, m.full, req, resp)
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	panic(fmt.Sprintf("not a status: %v", err))
}
