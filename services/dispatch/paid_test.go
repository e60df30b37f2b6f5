package dispatch_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// TestPaidJobNeedsApproval: a paid job (有偿服务) is approved by a manager other than its
// requester before the technician sets off or checks in, and its resolved report records the
// money collected (seeds 000, 002); the finding on site reaches the visit event.
func TestPaidJobNeedsApproval(t *testing.T) {
	e := startDispatch(t, "", nil)
	ctx := context.Background()
	tech := e.createTech(t, technician("near", 0.1))
	tid := tech.GetId()

	in := jobInput("T-PAID")
	in.Paid = true
	for name, bad := range map[string]func(*dispatchv1.Job){
		"job.requested_by": func(j *dispatchv1.Job) { j.Fee = &typev1.Money{CurrencyCode: "CNY", AmountMinor: 270_00} },
		"job.fee":          func(j *dispatchv1.Job) { j.RequestedBy = "u-desk" },
	} {
		j := jobInput("T-BAD")
		j.Paid = true
		bad(j)
		_, err := e.client.CreateJob(ctx, &dispatchv1.CreateJobRequest{RequestId: "bad-" + name, Job: j})
		wantField(t, err, name)
	}
	in.RequestedBy, in.Fee = "u-desk", &typev1.Money{CurrencyCode: "CNY", AmountMinor: 270_00}
	j := e.createJob(t, in)
	if !j.GetPaid() || j.GetFee().GetAmountMinor() != 270_00 || j.GetApproval() != nil {
		t.Fatalf("CreateJob(paid) = paid %v fee %v approval %v, want paid, 270.00, not approved", j.GetPaid(), j.GetFee(), j.GetApproval())
	}
	if _, err := e.client.AcceptJob(ctx, &dispatchv1.AcceptJobRequest{RequestId: "a1", JobId: j.GetId(), TechnicianId: tid}); err != nil {
		t.Fatalf("AcceptJob: %v", err)
	}
	_, err := e.client.StartTravel(ctx, &dispatchv1.StartTravelRequest{RequestId: "t0", JobId: j.GetId(), TechnicianId: tid})
	wantCode(t, err, codes.FailedPrecondition, "StartTravel(unapproved paid job)")
	_, err = e.client.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c0", JobId: j.GetId(), TechnicianId: tid, Point: site})
	wantCode(t, err, codes.FailedPrecondition, "CheckIn(unapproved paid job)")
	_, err = e.client.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: "ap0", JobId: j.GetId(), ApproverId: "u-desk"})
	wantCode(t, err, codes.PermissionDenied, "ApproveJob(by its requester)")

	resp, err := e.client.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: "ap1", JobId: j.GetId(), ApproverId: "u-manager", Note: "quote accepted"})
	if err != nil || resp.GetJob().GetApproval().GetApproverId() != "u-manager" {
		t.Fatalf("ApproveJob(manager) = %v, %v", resp.GetJob().GetApproval(), err)
	}
	_, err = e.client.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: "ap2", JobId: j.GetId(), ApproverId: "u-manager-2"})
	wantCode(t, err, codes.FailedPrecondition, "ApproveJob(twice)")

	e.clock.Advance(time.Hour)
	if _, err := e.client.CheckIn(ctx, &dispatchv1.CheckInRequest{RequestId: "c1", JobId: j.GetId(), TechnicianId: tid, Point: site}); err != nil {
		t.Fatalf("CheckIn(approved): %v", err)
	}
	e.clock.Advance(time.Hour)
	rep := &dispatchv1.ServiceReport{Resolved: true, WorkDone: "replaced the pump", Responsibility: dispatchv1.Responsibility_RESPONSIBILITY_CUSTOMER,
		Causes: []string{"misuse"}, PartOpened: true, SignOff: signed(e.clock.Now())}
	_, err = e.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v0", JobId: j.GetId(), TechnicianId: tid, Report: rep})
	wantField(t, err, "report.collected")
	rep.Collected = &typev1.Money{CurrencyCode: "CNY", AmountMinor: 270_00}
	if _, err := e.client.CompleteVisit(ctx, &dispatchv1.CompleteVisitRequest{RequestId: "v1", JobId: j.GetId(), TechnicianId: tid, Report: rep}); err != nil {
		t.Fatalf("CompleteVisit(with the money): %v", err)
	}
	e.waitEvents(t, j.GetId(), "created", "assigned", "accepted", "approved", "checked_in", "visit_completed")
	var vc dispatchv1.VisitCompleted
	if err := protojson.Unmarshal(e.events.body(j.GetId(), "visit_completed"), &vc); err != nil {
		t.Fatal(err)
	}
	r := vc.GetReport()
	if r.GetCollected().GetAmountMinor() != 270_00 || !r.GetPartOpened() || len(r.GetCauses()) != 1 || !vc.GetJob().GetPaid() ||
		vc.GetJob().GetApproval().GetApproverId() != "u-manager" {
		t.Errorf("visit_completed = %v; want the finding, the money collected and the approval", &vc)
	}

	// A free job needs no approval.
	free := e.createJob(t, jobInput("T-FREE"))
	_, err = e.client.ApproveJob(ctx, &dispatchv1.ApproveJobRequest{RequestId: "ap3", JobId: free.GetId(), ApproverId: "u-manager"})
	wantCode(t, err, codes.FailedPrecondition, "ApproveJob(free job)")
}
