package warranty_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/clock"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/warranty"
)

// TestDealerScope: with TLS and tokens on, dealer A registers, reads and lists only its own
// units; dealer B's are NOT_FOUND or PERMISSION_DENIED through every method and filter; an
// integrator never sees the customer's personal data.
func TestDealerScope(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "dispatch", "inventory")
	run := svctest.Start(t, warranty.New(warranty.DefaultConfig()), svctest.Options{Name: "warranty", Clock: clock.NewFake(t0), NATS: ns, Auth: local})
	ctx := context.Background()
	as := func(p auth.Person) warrantyv1.WarrantyServiceClient {
		return warrantyv1.NewWarrantyServiceClient(run.DialAs(t, p))
	}
	admin := warrantyv1.NewWarrantyServiceClient(run.Conn)
	dealerA := as(auth.Person{Subject: "dealer-a-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-a"})
	dealerB := as(auth.Person{Subject: "dealer-b-user", Roles: []auth.Role{auth.RoleDealer}, Org: "dealer-b"})
	integrator := as(auth.Person{Subject: "crm", Roles: []auth.Role{auth.RoleIntegrator}})

	p, err := admin.CreatePolicy(ctx, &warrantyv1.CreatePolicyRequest{RequestId: "p", Template: "instrument",
		Policy: &warrantyv1.Policy{Name: "P", Models: []string{"M1"}}})
	if err != nil {
		t.Fatal(err)
	}
	register := func(c warrantyv1.WarrantyServiceClient, serial, dealer string) (*warrantyv1.Unit, error) {
		resp, err := c.RegisterUnit(ctx, &warrantyv1.RegisterUnitRequest{RequestId: "u-" + serial, Unit: &warrantyv1.Unit{
			Serial: serial, Model: "M1", PolicyId: p.GetPolicy().GetId(), DealerId: dealer,
			Customer: &warrantyv1.Customer{CustomerId: "c-" + serial, Contact: &typev1.Contact{Name: "Zhang San", Phone: "13800000000"}},
			Dates:    &warrantyv1.UnitDates{Sale: date(2026, 11, 1)}}})
		return resp.GetUnit(), err
	}
	a, err := register(dealerA, "SN-A", "") // the dealer id comes from the token
	if err != nil {
		t.Fatal(err)
	}
	if a.GetDealerId() != "dealer-a" {
		t.Errorf("unit registered by dealer A has dealer_id %q, want dealer-a", a.GetDealerId())
	}
	b, err := register(dealerB, "SN-B", "dealer-b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := register(dealerA, "SN-X", "dealer-b"); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A registering a unit for dealer B = %v, want PERMISSION_DENIED", err)
	}

	list, err := dealerA.ListUnits(ctx, &warrantyv1.ListUnitsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range list.GetUnits() {
		if u.GetDealerId() != "dealer-a" {
			t.Errorf("dealer A's ListUnits returned %s of %s", u.GetSerial(), u.GetDealerId())
		}
	}
	if len(list.GetUnits()) != 1 {
		t.Errorf("dealer A's ListUnits = %d units, want its one", len(list.GetUnits()))
	}
	if _, err := dealerA.ListUnits(ctx, &warrantyv1.ListUnitsRequest{DealerId: "dealer-b"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's ListUnits(dealer_id=dealer-b) = %v, want PERMISSION_DENIED", err)
	}
	for _, filter := range []*warrantyv1.ListUnitsRequest{{Model: "M1"}, {PolicyId: p.GetPolicy().GetId()}} {
		resp, err := dealerA.ListUnits(ctx, filter)
		for _, u := range resp.GetUnits() {
			if u.GetDealerId() != "dealer-a" {
				t.Errorf("dealer A's ListUnits(%v) returned dealer B's %s", filter, u.GetSerial())
			}
		}
		_ = err // refused or narrowed; never B's units
	}
	for _, req := range []*warrantyv1.GetUnitRequest{{Id: b.GetId()}, {Serial: "SN-B"}} {
		if _, err := dealerA.GetUnit(ctx, req); status.Code(err) != codes.NotFound {
			t.Errorf("dealer A's GetUnit(%v) of dealer B's unit = %v, want NOT_FOUND", req, err)
		}
	}
	if got, err := dealerA.GetUnit(ctx, &warrantyv1.GetUnitRequest{Id: a.GetId()}); err != nil || got.GetUnit().GetCustomer().GetContact().GetPhone() == "" {
		t.Errorf("dealer A's GetUnit of its own unit = %v, %v; want it with its customer", got, err)
	}
	if _, err := dealerA.ReturnWarrantyCard(ctx, &warrantyv1.ReturnWarrantyCardRequest{RequestId: "card", Serial: "SN-B"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("dealer A's ReturnWarrantyCard of dealer B's unit = %v, want PERMISSION_DENIED", err)
	}

	got, err := integrator.GetUnit(ctx, &warrantyv1.GetUnitRequest{Id: a.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.GetUnit().GetCustomer(); c.GetContact().GetName() != "" || c.GetContact().GetPhone() != "" || c.GetCustomerId() == "" {
		t.Errorf("the integrator's GetUnit customer = %v, want the id only", c)
	}
}
