package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

var dealerA = &Caller{Subject: "d-a", Kind: KindPerson, Roles: []Role{RoleDealer}, Org: "dealer-a"}
var techA = &Caller{Subject: "t-a", Kind: KindPerson, Roles: []Role{RoleTechnician}, TechnicianID: "tech-a"}
var custA = &Caller{Subject: "customer:unit-a", Kind: KindPerson, Roles: []Role{RoleCustomer}, UnitSerial: "unit-a"}

func TestNarrow(t *testing.T) {
	cases := []struct {
		name   string
		in     proto.Message
		scope  Scope
		caller *Caller
		want   proto.Message // nil: PERMISSION_DENIED
	}{
		{"empty list filter becomes the dealer's", &warrantyv1.ListUnitsRequest{}, ScopeOrg, dealerA, &warrantyv1.ListUnitsRequest{DealerId: "dealer-a"}},
		{"own filter kept", &ticketv1.ListTicketsRequest{OrganisationId: "dealer-a"}, ScopeOrg, dealerA, &ticketv1.ListTicketsRequest{OrganisationId: "dealer-a"}},
		{"another's filter refused", &ticketv1.ListTicketsRequest{OrganisationId: "dealer-b"}, ScopeOrg, dealerA, nil},
		{"nested resource forced", &ticketv1.CreateTicketRequest{Ticket: &ticketv1.Ticket{}}, ScopeOrg, dealerA,
			&ticketv1.CreateTicketRequest{Ticket: &ticketv1.Ticket{OrganisationId: "dealer-a"}}},
		{"nested resource of another refused", &warrantyv1.RegisterUnitRequest{Unit: &warrantyv1.Unit{DealerId: "dealer-b"}}, ScopeOrg, dealerA, nil},
		{"technician acts as itself", &dispatchv1.CheckInRequest{}, ScopeOwnJobs, techA, &dispatchv1.CheckInRequest{TechnicianId: "tech-a"}},
		{"technician acting as another refused", &dispatchv1.CheckInRequest{TechnicianId: "tech-b"}, ScopeOwnJobs, techA, nil},
		{"token without an organisation refused", &warrantyv1.ListUnitsRequest{}, ScopeOrg, &Caller{Roles: []Role{RoleDealer}}, nil},
		{"customer's unit filled in", &ticketv1.IssueUnitCodeRequest{}, ScopeOwnUnit, custA, &ticketv1.IssueUnitCodeRequest{UnitSerial: "unit-a"}},
		{"customer naming another unit refused", &ticketv1.IssueUnitCodeRequest{UnitSerial: "unit-b"}, ScopeOwnUnit, custA, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := proto.Clone(tc.in)
			err := narrow(m.ProtoReflect(), tc.scope, tc.caller)
			if tc.want == nil {
				want := codes.PermissionDenied
				if tc.scope == ScopeOwnUnit {
					want = codes.NotFound // another unit is as if absent
				}
				if status.Code(err) != want {
					t.Fatalf("narrow(%v) = %v, want %v", tc.in, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("narrow(%v) = %v", tc.in, err)
			}
			if d := cmp.Diff(tc.want, m, protocmp.Transform()); d != "" {
				t.Errorf("narrow(%v) (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestOwned(t *testing.T) {
	cases := []struct {
		name   string
		resp   proto.Message
		scope  Scope
		caller *Caller
		want   bool
		self   bool // the handler scoped it
	}{
		{"own unit", &warrantyv1.GetUnitResponse{Unit: &warrantyv1.Unit{DealerId: "dealer-a"}}, ScopeOrg, dealerA, true, false},
		{"another's unit", &warrantyv1.GetUnitResponse{Unit: &warrantyv1.Unit{DealerId: "dealer-b"}}, ScopeOrg, dealerA, false, false},
		{"another's ticket", &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{OrganisationId: "dealer-b"}}, ScopeOrg, dealerA, false, false},
		{"a list with another's ticket", &ticketv1.ListTicketsResponse{Tickets: []*ticketv1.Ticket{{OrganisationId: "dealer-a"}, {OrganisationId: "dealer-b"}}}, ScopeOrg, dealerA, false, false},
		{"own job", &dispatchv1.GetJobResponse{Job: &dispatchv1.Job{Assignment: &dispatchv1.Assignment{TechnicianId: "tech-a"}}}, ScopeOwnJobs, techA, true, false},
		{"own job, once offered to another", &dispatchv1.GetJobResponse{Job: &dispatchv1.Job{Assignment: &dispatchv1.Assignment{TechnicianId: "tech-a"},
			PreviousAssignments: []*dispatchv1.Assignment{{TechnicianId: "tech-b"}}}}, ScopeOwnJobs, techA, true, false},
		{"own job, parts from another's van", &dispatchv1.GetJobResponse{Job: &dispatchv1.Job{Assignment: &dispatchv1.Assignment{TechnicianId: "tech-a"},
			PartsReservation: &dispatchv1.PartsReservation{TechnicianId: "tech-b"}}}, ScopeOwnJobs, techA, true, false},
		{"own jobs listed", &dispatchv1.ListJobsResponse{Jobs: []*dispatchv1.Job{{Assignment: &dispatchv1.Assignment{TechnicianId: "tech-a"}}}}, ScopeOwnJobs, techA, true, false},
		{"another's job listed", &dispatchv1.ListJobsResponse{Jobs: []*dispatchv1.Job{{Assignment: &dispatchv1.Assignment{TechnicianId: "tech-b"}}}}, ScopeOwnJobs, techA, false, false},
		{"another's job", &dispatchv1.GetJobResponse{Job: &dispatchv1.Job{Assignment: &dispatchv1.Assignment{TechnicianId: "tech-b"}}}, ScopeOwnJobs, techA, false, false},
		{"another's return", &inventoryv1.GetReturnResponse{OldPartReturn: &inventoryv1.OldPartReturn{OrganisationId: "dealer-b"}}, ScopeOrg, dealerA, false, false},
		{"customer's own unit's ticket", &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{Unit: &ticketv1.Unit{Serial: "unit-a"}}}, ScopeOwnUnit, custA, true, false},
		{"another unit's ticket", &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{Unit: &ticketv1.Unit{Serial: "unit-b"}}}, ScopeOwnUnit, custA, false, false},
		{"a ticket naming no unit", &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{Id: "t"}}, ScopeOwnUnit, custA, false, false},
		{"a list with another unit's ticket", &ticketv1.ListTicketsResponse{Tickets: []*ticketv1.Ticket{
			{Unit: &ticketv1.Unit{Serial: "unit-a"}}, {Unit: &ticketv1.Unit{Serial: "unit-b"}}}}, ScopeOwnUnit, custA, false, false},
		{"another unit's code", &ticketv1.IssueUnitCodeResponse{UnitCode: &ticketv1.UnitCode{UnitSerial: "unit-b"}}, ScopeOwnUnit, custA, false, false},
		{"own unit's code", &ticketv1.IssueUnitCodeResponse{UnitCode: &ticketv1.UnitCode{UnitSerial: "unit-a"}}, ScopeOwnUnit, custA, true, false},
		{"an attachment its handler scoped", &ticketv1.GetAttachmentResponse{Attachment: &ticketv1.Attachment{Id: "a"}}, ScopeOwnUnit, custA, true, true},
		{"an attachment nobody scoped", &ticketv1.GetAttachmentResponse{Attachment: &ticketv1.Attachment{Id: "a"}}, ScopeOwnUnit, custA, false, false},
		{"a customer token naming no unit", &ticketv1.GetTicketResponse{}, ScopeOwnUnit, &Caller{Roles: []Role{RoleCustomer}}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := owned(tc.resp.ProtoReflect(), tc.scope, tc.caller, tc.self); got != tc.want {
				t.Errorf("owned(%v) = %v, want %v", tc.resp, got, tc.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	resp := &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{Id: "t1", Customer: &ticketv1.Customer{
		CustomerId: "crm-7", OrganisationName: "Acme", Contact: &typev1.Contact{Name: "Li Lei", Phone: "138"},
		Address: &typev1.Address{Postcode: "100000"}}}}
	redact(resp.ProtoReflect())
	want := &ticketv1.GetTicketResponse{Ticket: &ticketv1.Ticket{Id: "t1", Customer: &ticketv1.Customer{
		CustomerId: "crm-7", Contact: &typev1.Contact{}, Address: &typev1.Address{}}}}
	if d := cmp.Diff(want, resp, protocmp.Transform()); d != "" {
		t.Errorf("redact (-want +got):\n%s", d)
	}
	if seesPersonalData(&Caller{Roles: []Role{RoleIntegrator, RoleServiceDesk}}) {
		t.Error("an integrator sees personal data")
	}
	if !seesPersonalData(&Caller{Roles: []Role{RoleServiceDesk}}) {
		t.Error("the service desk does not see personal data")
	}
}
