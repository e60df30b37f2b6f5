package auth

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
)

// checkedBeforeWrite are the scoped mutations whose owner is checked before anything is
// written without the guard's load-first (Loads), and how. A new scoped mutation must be in
// one of the two, or TestScopedMutationsCheckFirst fails: a scope checked only on the
// response runs after the commit.
var checkedBeforeWrite = map[string]string{
	// Creations: the request's owner field is forced to the caller's (narrow); a replayed
	// request id of someone else's answers the stored response, which is checked, and writes nothing.
	"/sanbao.ticket.v1.TicketService/CreateTicket":        "creates; ticket.organisation_id forced",
	"/sanbao.warranty.v1.WarrantyService/RegisterUnit":    "creates; unit.dealer_id forced (an existing serial is ALREADY_EXISTS)",
	"/sanbao.inventory.v1.InventoryService/ReturnOldPart": "creates; organisation_id forced",
	// A technician's job steps: technician_id is forced to the caller's and the handler's
	// requireAssignee refuses another's job inside the transaction, before the commit.
	"/sanbao.dispatch.v1.DispatchService/AcceptJob":             "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/DeclineJob":            "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/ScheduleAppointment":   "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/RescheduleAppointment": "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/StartTravel":           "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/CheckIn":               "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/RecordWork":            "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/CompleteVisit":         "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/TransferJob":           "requireAssignee in the transaction",
	"/sanbao.dispatch.v1.DispatchService/PickJob":               "a pool job has no technician; the pick assigns the caller (technician_id forced)",
	// Streams scope in their handler before any byte is stored (SelfScoped).
	"/sanbao.ticket.v1.AttachmentService/UploadAttachment": "reach() before the bytes are stored",
}

// readOnly reports whether a method only reads (its name says so).
func readOnly(method string) bool {
	name := method[strings.LastIndexByte(method, '/')+1:]
	for _, p := range []string{"Get", "List", "Download", "Rank", "Plan", "Compare", "Suggest", "Quote", "Evaluate"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// TestScopedMutationsCheckFirst: every mutation a scoped role may call checks the owner before
// it writes — by the guard's load-first, or by a way listed in checkedBeforeWrite.
func TestScopedMutationsCheckFirst(t *testing.T) {
	for _, m := range Methods() {
		r, _ := Lookup(m)
		scoped := false
		for _, s := range r.Grants {
			scoped = scoped || s != ScopeAll
		}
		if !scoped || readOnly(m) {
			continue
		}
		_, listed := checkedBeforeWrite[m]
		switch {
		case r.Loads && listed:
			t.Errorf("%s is both Loads and in checkedBeforeWrite", m)
		case !r.Loads && !listed:
			t.Errorf("%s: a scoped mutation whose owner is checked only on the response, after the commit: mark it storedFirst (and implement Loader) or say in checkedBeforeWrite how it checks first", m)
		}
	}
	for m := range checkedBeforeWrite {
		if _, ok := Lookup(m); !ok {
			t.Errorf("checkedBeforeWrite names %s, which is in no policy rule", m)
		}
	}
}

// TestLoadFirst: a dealer's IssueUnitCode for a serial whose code is another dealer's is
// NOT_FOUND before the handler runs (nothing can be written); its own, or a new one, reaches
// the handler.
func TestLoadFirst(t *testing.T) {
	w := newWorld(t)
	dealer := ticketv1.NewCustomerServiceClient(w.person(t, w.token(t, Person{Subject: "d-a", Roles: []Role{RoleDealer}, Org: "dealer-a"})))
	desk := ticketv1.NewCustomerServiceClient(w.person(t, w.token(t, Person{Subject: "desk", Roles: []Role{RoleServiceDesk}})))
	ctx := context.Background()
	req := &ticketv1.IssueUnitCodeRequest{UnitSerial: "SN-B", ProductLine: "x"}
	other := "dealer-b"
	w.customers.owner.Store(&other)
	if _, err := dealer.IssueUnitCode(ctx, req); status.Code(err) != codes.NotFound {
		t.Errorf("dealer A on dealer B's unit code = %v, want NotFound before the handler", err)
	}
	if _, err := desk.IssueUnitCode(ctx, req); status.Code(err) != codes.Unimplemented {
		t.Errorf("the desk (unscoped) = %v, want the handler (Unimplemented)", err)
	}
	own := "dealer-a"
	w.customers.owner.Store(&own)
	if _, err := dealer.IssueUnitCode(ctx, req); status.Code(err) != codes.Unimplemented {
		t.Errorf("dealer A on its own unit code = %v, want the handler (Unimplemented)", err)
	}
	w.customers.owner.Store(nil)
	if _, err := dealer.IssueUnitCode(ctx, req); status.Code(err) != codes.Unimplemented {
		t.Errorf("dealer A on a new unit code = %v, want the handler (Unimplemented)", err)
	}
}
