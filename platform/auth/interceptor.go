package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Guard authenticates every call (a verified client certificate naming one of our services,
// or a bearer token) and authorises it against the policy table, narrowing a scoped caller to
// its own data, recording the caller as the actor, and redacting personal data for roles that
// must not see it. Health and reflection stay open.
type Guard struct {
	// Tokens verifies bearer tokens; nil accepts service certificates only.
	Tokens *Verifier
	// TrustDomain of service certificates (default DefaultTrustDomain).
	TrustDomain string
	// Customers verifies the customers' tokens (CustomerTokens.Verifier: the ticket service's
	// own key, role customer only); a token naming its issuer goes to it. Nil: none accepted.
	Customers *Verifier
}

// Authenticate returns the caller of ctx's call, or an UNAUTHENTICATED status.
func (g *Guard) Authenticate(ctx context.Context) (*Caller, error) {
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.VerifiedChains) > 0 && len(ti.State.VerifiedChains[0]) > 0 {
			td := g.TrustDomain
			if td == "" {
				td = DefaultTrustDomain
			}
			name, err := ServiceName(ti.State.VerifiedChains[0][0], td)
			if err != nil {
				return nil, status.Error(codes.Unauthenticated, err.Error())
			}
			return serviceCaller(name), nil
		}
	}
	raw := bearer(ctx)
	if raw == "" {
		return nil, status.Error(codes.Unauthenticated, "no credentials: present a bearer token (authorization: Bearer …) or a service certificate")
	}
	return g.Verify(ctx, raw)
}

// Verify turns a bearer token into its caller: a customer token (its issuer is the customer
// verifier's) by Customers, any other by Tokens; an UNAUTHENTICATED status when it does not
// verify. The services' HTTP faces authenticate with it too.
func (g *Guard) Verify(ctx context.Context, raw string) (*Caller, error) {
	v := g.Tokens
	if g.Customers != nil && issuerOf(raw) == g.Customers.Issuer() {
		v = g.Customers
	}
	if v == nil {
		return nil, status.Error(codes.Unauthenticated, "this server accepts service certificates only")
	}
	c, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	return c, nil
}

func bearer(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if t, ok := cutPrefixFold(v, "bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	return ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Authorize returns the scopes the caller's call of method is narrowed to (none: all data),
// or a PERMISSION_DENIED status.
func Authorize(c *Caller, method string) (Rule, []Scope, error) {
	r, ok := Lookup(method)
	if !ok {
		return r, nil, status.Errorf(codes.PermissionDenied, "%s is in no policy rule: denied to everyone", method)
	}
	var scopes []Scope
	allowed := false
	for _, role := range c.Roles {
		s, ok := r.Allows(role)
		if !ok {
			continue
		}
		if s == ScopeAll {
			return r, nil, nil
		}
		allowed = true
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	if !allowed {
		return r, nil, status.Errorf(codes.PermissionDenied, "%s may not call %s", describe(c), method)
	}
	return r, scopes, nil
}

func describe(c *Caller) string {
	if len(c.Roles) == 0 {
		return fmt.Sprintf("%s (no roles)", c.Subject)
	}
	rs := make([]string, len(c.Roles))
	for i, r := range c.Roles {
		rs[i] = string(r)
	}
	return fmt.Sprintf("%s (%s)", c.Subject, strings.Join(rs, ", "))
}

// Unary is the unary server interceptor.
func (g *Guard) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if Open(info.FullMethod) {
		return h(ctx, req)
	}
	c, err := g.Authenticate(ctx)
	if err != nil {
		return nil, err
	}
	rule, scopes, err := Authorize(c, info.FullMethod)
	if err != nil {
		return nil, err
	}
	m, ok := req.(proto.Message)
	if !ok {
		return nil, status.Error(codes.Internal, "request is not a protobuf message")
	}
	for _, s := range scopes {
		if err := narrow(m.ProtoReflect(), s, c); err != nil {
			return nil, err
		}
	}
	if len(scopes) > 0 && rule.Loads {
		if err := loadFirst(ctx, info, m, scopes, c); err != nil {
			return nil, err
		}
	}
	if c.Kind == KindPerson {
		for _, path := range rule.Actor {
			setActor(m.ProtoReflect(), path, c.Subject)
		}
	}
	resp, err := h(NewContext(onBehalfOf(ctx, c), c), req)
	if err != nil {
		return resp, err
	}
	out, ok := resp.(proto.Message)
	if !ok {
		return resp, nil
	}
	for _, s := range scopes {
		if rule.Handover {
			break // the handler refused a record the caller does not hold
		}
		if !owned(out.ProtoReflect(), s, c, rule.SelfScoped) {
			return nil, status.Error(codes.NotFound, "not found")
		}
	}
	if rule.Personal && !seesPersonalData(c) {
		out = clone(out)
		redact(out.ProtoReflect())
	}
	return out, nil
}

// Loader is implemented by a service with Loads methods: Load returns the stored record a
// scoped mutation would change, as the method's response would hold it (nil: there is none,
// the call creates it), so the guard checks its owner before anything is written.
type Loader interface {
	Load(ctx context.Context, method string, req proto.Message) (proto.Message, error)
}

// loadFirst refuses a scoped mutation of another's record before its handler runs: NOT_FOUND,
// as the response check would say, but with nothing written. A service that cannot load is
// refused (closed, not open).
func loadFirst(ctx context.Context, info *grpc.UnaryServerInfo, req proto.Message, scopes []Scope, c *Caller) error {
	l, ok := info.Server.(Loader)
	if !ok {
		return status.Errorf(codes.PermissionDenied, "%s: the service cannot check the record's owner first; denied to scoped callers", info.FullMethod)
	}
	stored, err := l.Load(ctx, info.FullMethod, req)
	if err != nil {
		return err
	}
	if stored == nil {
		return nil
	}
	for _, s := range scopes {
		if !owned(stored.ProtoReflect(), s, c, false) {
			return status.Error(codes.NotFound, "not found")
		}
	}
	return nil
}

// Stream is the stream server interceptor: it authenticates and authorises. A scoped caller
// may stream only a SelfScoped method, whose handler narrows it (the attachments' upload and
// download); health's Watch and reflection stay open.
func (g *Guard) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if Open(info.FullMethod) {
		return h(srv, ss)
	}
	c, err := g.Authenticate(ss.Context())
	if err != nil {
		return err
	}
	if rule, scopes, err := Authorize(c, info.FullMethod); err != nil {
		return err
	} else if len(scopes) > 0 && !rule.SelfScoped {
		return status.Errorf(codes.PermissionDenied, "%s: scoped callers may not stream", info.FullMethod)
	}
	return h(srv, &callerStream{ServerStream: ss, ctx: NewContext(ss.Context(), c)})
}

type callerStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *callerStream) Context() context.Context { return s.ctx }

// IsDenied reports whether err is an authentication or authorisation refusal.
func IsDenied(err error) bool {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return false
	}
	c := se.GRPCStatus().Code()
	return c == codes.Unauthenticated || c == codes.PermissionDenied
}
