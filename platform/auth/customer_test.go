package auth

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/clock"
)

// TestCustomerTokens: a customer token verifies only with the customer verifier and grants
// role customer for its unit; an identity provider's token cannot grant the customer role.
func TestCustomerTokens(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewFake(time.Now())
	ct, err := OpenCustomerTokens(filepath.Join(dir, "new", "customer-key.pem"), clk)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := ct.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	local, err := OpenLocal(filepath.Join(dir, "local"))
	if err != nil {
		t.Fatal(err)
	}
	staff, err := local.Verifier(TokenConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tok, err := ct.Issue("SN-1", clk.Now(), 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cv.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Has(RoleCustomer) || c.UnitSerial != "SN-1" || c.Subject != "customer:SN-1" || len(c.Roles) != 1 {
		t.Errorf("customer token = %+v, want role customer of unit SN-1", c)
	}
	if _, err := staff.Verify(ctx, tok); !errors.Is(err, ErrToken) {
		t.Errorf("the staff verifier took a customer token: %v", err)
	}
	// An identity provider's token claiming the customer role gets no role from it.
	idp, err := local.Issue(Person{Subject: "mallory", Roles: []Role{RoleCustomer, RoleDealer}}, clk.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := staff.Verify(ctx, idp); err != nil || c.Has(RoleCustomer) || !c.Has(RoleDealer) {
		t.Errorf("an identity provider's customer role = %+v, %v; want dropped", c, err)
	}
	if _, err := cv.Verify(ctx, idp); !errors.Is(err, ErrToken) {
		t.Errorf("the customer verifier took an identity provider's token: %v", err)
	}
	// Reopened, the key is the same: tokens survive a restart within their half hour.
	again, err := OpenCustomerTokens(filepath.Join(dir, "new", "customer-key.pem"), clk)
	if err != nil {
		t.Fatal(err)
	}
	av, _ := again.Verifier()
	if _, err := av.Verify(ctx, tok); err != nil {
		t.Errorf("after reopening the key: %v", err)
	}
	clk.Advance(31*time.Minute + 2*time.Minute)
	if _, err := av.Verify(ctx, tok); !errors.Is(err, ErrToken) {
		t.Errorf("an expired customer token verified: %v", err)
	}
	if _, err := ct.Issue("", clk.Now(), time.Minute); err == nil {
		t.Error("a customer token for no unit was issued")
	}
}

// TestCustomerOverTLS: a customer of unit A calling over the guard reaches the attachments
// grant, and a request naming unit B is NOT_FOUND.
func TestCustomerOverTLS(t *testing.T) {
	w := newWorld(t)
	conn := w.customer(t, "unit-a")
	ctx := context.Background()
	_, err := ticketv1.NewAttachmentServiceClient(conn).ListAttachments(ctx, &ticketv1.ListAttachmentsRequest{TicketId: "t"})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("customer ListAttachments = %v, want to reach the handler (Unimplemented)", err)
	}
	_, err = ticketv1.NewCustomerServiceClient(conn).IssueUnitCode(ctx, &ticketv1.IssueUnitCodeRequest{UnitSerial: "unit-b"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("customer IssueUnitCode = %v, want PermissionDenied (not a customer's method)", err)
	}
}
