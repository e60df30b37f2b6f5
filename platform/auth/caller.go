// Package auth holds who may call Sanbao and what they may do: the caller in the context,
// token (JWT against a JWKS) and certificate (mTLS) verification, the one policy table of every
// method's roles and scope, the gRPC interceptors that enforce it, TLS files with hot reload,
// a throw-away local CA and token issuer for the all-in-one run and tests, and the NATS users
// and permissions of every service.
package auth

import (
	"context"
	"slices"
)

// Kind says whether a caller is a person (or an external system holding a token) or one of
// Sanbao's own services (identified by its client certificate).
type Kind string

// The kinds of caller.
const (
	KindPerson  Kind = "person"
	KindService Kind = "service"
)

// Role is what a caller may do; the policy table grants methods to roles.
type Role string

// The people's roles, as they appear in a token's "roles" claim.
const (
	RoleServiceDesk Role = "service-desk" // service-desk agent: intake, contacts, closing
	RoleDispatcher  Role = "dispatcher"   // assigns and follows jobs
	RoleTechnician  Role = "technician"   // works the jobs assigned to them
	RoleWarehouse   Role = "warehouse"    // warehouse keeper: stock, requisitions, returns
	RoleDealer      Role = "dealer"       // a dealer: its own units, tickets, stock, returns
	RoleTechnical   Role = "technical"    // technical department: appraisal, complex faults
	RoleManager     Role = "manager"      // approvals, metrics
	RoleIntegrator  Role = "integrator"   // an external system: read-only, no personal data
	RoleAdmin       Role = "admin"        // reference data: policies, calendars, parts, locations
	// RoleCustomer is a customer on a unit's page after a one-time code to the phone on record:
	// one unit (token claim "unit_serial") and that unit's tickets, for 30 minutes. Only the
	// ticket service mints it (CustomerTokens); an identity provider's token never carries it.
	RoleCustomer Role = "customer"
)

// The roles of Sanbao's own services, given to a caller whose client certificate names it.
const (
	RoleTicketService    Role = "service:ticket"
	RoleWarrantyService  Role = "service:warranty"
	RoleDispatchService  Role = "service:dispatch"
	RoleInventoryService Role = "service:inventory"
)

// PersonRoles are every role a token may carry, in a stable order.
var PersonRoles = append(append([]Role{}, StaffRoles...), RoleCustomer)

// StaffRoles are the roles an identity provider's token may carry: every person's role but
// the customer's.
var StaffRoles = []Role{RoleServiceDesk, RoleDispatcher, RoleTechnician, RoleWarehouse, RoleDealer,
	RoleTechnical, RoleManager, RoleIntegrator, RoleAdmin}

// ServiceRoles are the roles of our own services, in a stable order.
var ServiceRoles = []Role{RoleTicketService, RoleWarrantyService, RoleDispatchService, RoleInventoryService}

// ServiceRole is the role of the service called name ("ticket" → service:ticket).
func ServiceRole(name string) Role { return Role("service:" + name) }

// Caller is the authenticated identity of a call.
type Caller struct {
	// Subject is the caller's stable id: the token's "sub", or "service:<name>" for a service.
	// It is what records and events name as the actor; never personal data.
	Subject string
	// Kind is person or service.
	Kind Kind
	// Roles are the caller's roles (unknown roles in a token are dropped).
	Roles []Role
	// Org is the dealer or service-station organisation a dealer acts for (token claim "org").
	Org string
	// TechnicianID is the technician a technician acts as (token claim "technician_id").
	TechnicianID string
	// UnitSerial is the one unit a customer acts for (token claim "unit_serial").
	UnitSerial string
}

// Has reports whether the caller holds role r.
func (c *Caller) Has(r Role) bool { return c != nil && slices.Contains(c.Roles, r) }

type callerKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller of the call ctx belongs to, or nil when there is none
// (servers run with --insecure, or a call made inside the service).
func FromContext(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey{}).(*Caller)
	return c
}

type actorKey struct{}

// WithActor returns ctx carrying subject as the one on whose behalf the work in it is done:
// a timer fires, or an event is applied, for whoever made the change that scheduled or
// published it; one of our services calls a peer for the person it serves (OnBehalfOf).
func WithActor(ctx context.Context, subject string) context.Context {
	if subject == "" {
		return ctx
	}
	return context.WithValue(ctx, actorKey{}, subject)
}

// Actor is the id to record as the author of a change made in ctx: a person's subject when a
// person calls; else the subject the work is done on behalf of (WithActor: a peer service's
// call for a person, a timer, an event); else the calling service's subject; else fallback
// (an --insecure server, work of nobody's).
func Actor(ctx context.Context, fallback string) string {
	c := FromContext(ctx)
	if c != nil && c.Kind == KindPerson && c.Subject != "" {
		return c.Subject
	}
	if s, _ := ctx.Value(actorKey{}).(string); s != "" {
		return s
	}
	if c != nil && c.Subject != "" {
		return c.Subject
	}
	return fallback
}
