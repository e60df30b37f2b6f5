package auth

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/clock"
)

// A Handover rule (TransferJob) still narrows a technician's request to themselves, and its
// answer, the job now someone else's, reaches them; the same answer from a method without the
// mark (GetJob) is NOT_FOUND.
func TestHandoverAnswerIsNotScoped(t *testing.T) {
	local, err := OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Now())
	v, err := local.Verifier(TokenConfig{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{Tokens: v}
	tok, err := local.Issue(Person{Subject: "tech-a-user", Roles: []Role{RoleTechnician}, TechnicianID: "tech-a"}, clk.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+tok))
	handed := &dispatchv1.Job{Id: "j1", Assignment: &dispatchv1.Assignment{TechnicianId: "tech-b"}}

	var seen *dispatchv1.TransferJobRequest
	transfer := func(_ context.Context, req any) (any, error) {
		seen = req.(*dispatchv1.TransferJobRequest)
		return &dispatchv1.TransferJobResponse{JobId: "j1", ToTechnicianId: "tech-b", Job: handed}, nil
	}
	resp, err := g.Unary(ctx, &dispatchv1.TransferJobRequest{JobId: "j1", ToTechnicianId: "tech-b", Reason: "r"},
		&grpc.UnaryServerInfo{FullMethod: dispatchService + "TransferJob"}, transfer)
	if err != nil || resp.(*dispatchv1.TransferJobResponse).GetJob().GetId() != "j1" {
		t.Fatalf("TransferJob through the guard = %v, %v; want the job handed over", resp, err)
	}
	if seen.GetTechnicianId() != "tech-a" {
		t.Errorf("TransferJob's technician_id = %q, want the caller's tech-a", seen.GetTechnicianId())
	}
	if _, err := g.Unary(ctx, &dispatchv1.TransferJobRequest{JobId: "j1", TechnicianId: "tech-b", ToTechnicianId: "tech-a", Reason: "r"},
		&grpc.UnaryServerInfo{FullMethod: dispatchService + "TransferJob"}, transfer); status.Code(err) != codes.PermissionDenied {
		t.Errorf("TransferJob of another's job = %v, want PERMISSION_DENIED", err)
	}
	get := func(context.Context, any) (any, error) { return &dispatchv1.GetJobResponse{Job: handed}, nil }
	if _, err := g.Unary(ctx, &dispatchv1.GetJobRequest{JobId: "j1"}, &grpc.UnaryServerInfo{FullMethod: dispatchService + "GetJob"}, get); status.Code(err) != codes.NotFound {
		t.Errorf("GetJob of a job now another's = %v, want NOT_FOUND", err)
	}
}
