package ticket_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// TestJobBrief: the technician of a job reads the fault as reported, the unit, its earlier
// tickets (another owner's among them, with no name, phone or address of theirs) and its
// repairs without costs; a technician the job is not assigned to, or a job of another ticket,
// is NOT_FOUND.
func TestJobBrief(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	e.startWarranty()
	_, techID := e.startDispatch()
	// An earlier ticket of the same unit, by its previous owner.
	old := repair()
	old.Customer = &ticketv1.Customer{CustomerId: "cust-before", Contact: &typev1.Contact{Name: "Previous Owner", Phone: "13911112222"},
		Address: &typev1.Address{Line: "9 Old Street", Region: "Hebei", City: "Baoding", Point: site}}
	old.Fault = &ticketv1.Fault{FaultCode: "F-OLD", Symptom: "ring Previous Owner at 13911112222"}
	earlier := e.create(old)
	w := warrantyv1.NewWarrantyServiceClient(e.warranty.Conn)
	if _, err := w.RecordRepair(ctx, &warrantyv1.RecordRepairRequest{RequestId: "rep-1", Repair: &warrantyv1.Repair{Serial: "SN-1", FaultCode: "F-OLD",
		RepairDate: day(-30), Outcome: warrantyv1.RepairOutcome_REPAIR_OUTCOME_FIXED}}); err != nil {
		t.Fatalf("RecordRepair: %v", err)
	}
	tk := e.create(repair())
	got := e.waitState(tk.GetId(), ticketv1.TicketState_TICKET_STATE_DISPATCHED, func(tk *ticketv1.Ticket) error {
		if len(tk.GetJobs()) == 0 || tk.GetJobs()[0].GetTechnicianId() != techID {
			return status.Errorf(codes.Unavailable, "jobs = %v, want one assigned to %s", tk.GetJobs(), techID)
		}
		return nil
	})
	jobID := got.GetJobs()[0].GetJobId()

	resp, err := e.c.GetJobBrief(ctx, &ticketv1.GetJobBriefRequest{TicketId: tk.GetId(), JobId: jobID, TechnicianId: techID})
	if err != nil {
		t.Fatalf("GetJobBrief = %v", err)
	}
	b := resp.GetBrief()
	if b.GetNumber() != tk.GetNumber() || b.GetFault().GetSymptom() != "display flickers" || b.GetUnit().GetSerial() != "SN-1" {
		t.Errorf("brief = %v, want the ticket's number, symptom and unit", b)
	}
	if len(b.GetEarlierTickets()) != 1 || b.GetEarlierTickets()[0].GetNumber() != earlier.GetNumber() || b.GetEarlierTickets()[0].GetFaultCode() != "F-OLD" {
		t.Errorf("earlier tickets = %v, want the previous owner's ticket %s (F-OLD)", b.GetEarlierTickets(), earlier.GetNumber())
	}
	if len(b.GetRepairs()) != 1 || b.GetRepairs()[0].GetFaultCode() != "F-OLD" || b.GetRepairs()[0].GetCost() != nil || b.GetRepairsUnavailable() {
		t.Errorf("repairs = %v (unavailable %v), want the one repair without its cost", b.GetRepairs(), b.GetRepairsUnavailable())
	}
	text := protojson.Format(resp)
	for _, secret := range []string{"Previous Owner", "13911112222", "Old Street", "Baoding", "cust-before"} {
		if strings.Contains(text, secret) {
			t.Errorf("the brief reveals the previous owner's %q:\n%s", secret, text)
		}
	}

	for name, req := range map[string]*ticketv1.GetJobBriefRequest{
		"another technician":        {TicketId: tk.GetId(), JobId: jobID, TechnicianId: "tech-other"},
		"the job of another ticket": {TicketId: earlier.GetId(), JobId: jobID, TechnicianId: techID},
		"an unknown job":            {TicketId: tk.GetId(), JobId: "no-such-job", TechnicianId: techID},
	} {
		if _, err := e.c.GetJobBrief(ctx, req); status.Code(err) != codes.NotFound {
			t.Errorf("GetJobBrief(%s) = %v, want NOT_FOUND", name, err)
		}
	}
	if _, err := e.c.GetJobBrief(ctx, &ticketv1.GetJobBriefRequest{TicketId: tk.GetId()}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetJobBrief(no job id) = %v, want INVALID_ARGUMENT", err)
	}
}
