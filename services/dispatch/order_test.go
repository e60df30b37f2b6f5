package dispatch_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/rpc"
)

func listJobs(t *testing.T, c dispatchv1.DispatchServiceClient, req *dispatchv1.ListJobsRequest) []string {
	t.Helper()
	var out []string
	for range 1000 {
		resp, err := c.ListJobs(context.Background(), req)
		if err != nil {
			t.Fatalf("ListJobs(%v): %v", req, err)
		}
		for _, j := range resp.GetJobs() {
			out = append(out, j.GetTicketId())
		}
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
	t.Fatal("no last page")
	return nil
}

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if i, ok := d.(*errdetails.ErrorInfo); ok {
			return i.GetReason()
		}
	}
	return ""
}

// TestListJobsOrderBy: the open jobs by due time (the earliest of their deadlines; none last),
// read in pages, are all the jobs sorted; priority and create time orders hold; a token is for
// its own order; a bad order_by is ORDER_BY_INVALID.
func TestListJobsOrderBy(t *testing.T) {
	e := startDispatch(t, "", nil)
	type job struct {
		ticket   string
		due      time.Time // zero: none
		priority dispatchv1.Priority
		created  int
	}
	var jobs []job
	for i := range 17 {
		in := jobInput(fmt.Sprintf("TK-%02d", i))
		in.ArriveBy, in.FixBy, in.ArrangeBy = nil, nil, nil
		in.Priority = []dispatchv1.Priority{dispatchv1.Priority_PRIORITY_LOW, dispatchv1.Priority_PRIORITY_NORMAL, dispatchv1.Priority_PRIORITY_HIGH}[i%3]
		var due time.Time
		switch i % 4 {
		case 0:
			due = start.Add(time.Duration(48-i) * time.Hour)
			in.ArriveBy = timestamppb.New(due)
		case 1:
			due = start.Add(time.Duration(30+i) * time.Hour)
			in.FixBy = timestamppb.New(due) // the earlier one counts
			in.ArriveBy = timestamppb.New(due.Add(time.Hour))
		case 2:
			due = start.Add(time.Duration(i) * 90 * time.Minute)
			in.ArrangeBy = timestamppb.New(due)
		}
		e.createJob(t, in)
		e.clock.Advance(time.Minute)
		jobs = append(jobs, job{in.GetTicketId(), due, in.GetPriority(), i})
	}
	byDue := slices.Clone(jobs)
	slices.SortStableFunc(byDue, func(a, b job) int {
		switch {
		case a.due.IsZero() != b.due.IsZero():
			if a.due.IsZero() {
				return 1
			}
			return -1
		case !a.due.Equal(b.due):
			return a.due.Compare(b.due)
		}
		return a.created - b.created
	})
	tickets := func(js []job) []string {
		out := make([]string, len(js))
		for i, j := range js {
			out[i] = j.ticket
		}
		return out
	}
	if d := cmp.Diff(tickets(byDue), listJobs(t, e.client, &dispatchv1.ListJobsRequest{PageSize: 4, OrderBy: "due_time"})); d != "" {
		t.Errorf("order_by due_time (-want +got):\n%s", d)
	}
	rev := tickets(byDue)
	slices.Reverse(rev)
	if d := cmp.Diff(rev, listJobs(t, e.client, &dispatchv1.ListJobsRequest{PageSize: 5, OrderBy: "due_time desc"})); d != "" {
		t.Errorf("order_by due_time desc (-want +got):\n%s", d)
	}
	byPriority := slices.Clone(jobs)
	slices.SortStableFunc(byPriority, func(a, b job) int {
		if a.priority != b.priority {
			return int(b.priority - a.priority)
		}
		return b.created - a.created
	})
	if d := cmp.Diff(tickets(byPriority), listJobs(t, e.client, &dispatchv1.ListJobsRequest{PageSize: 3, OrderBy: "priority desc"})); d != "" {
		t.Errorf("order_by priority desc (-want +got):\n%s", d)
	}
	created := tickets(jobs)
	slices.Reverse(created)
	if d := cmp.Diff(created, listJobs(t, e.client, &dispatchv1.ListJobsRequest{PageSize: 6, OrderBy: "create_time desc"})); d != "" {
		t.Errorf("order_by create_time desc (-want +got):\n%s", d)
	}

	ctx := context.Background()
	first, err := e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{PageSize: 2, OrderBy: "due_time"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{PageSize: 2, OrderBy: "priority", PageToken: first.GetNextPageToken()}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("due_time token with order_by priority = %v, want INVALID_ARGUMENT", err)
	}
	for _, bad := range []string{"fix_by", "due_time up", "priority,due_time"} {
		_, err := e.client.ListJobs(ctx, &dispatchv1.ListJobsRequest{OrderBy: bad})
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != string(rpc.ReasonOrderByInvalid) {
			t.Errorf("order_by %q = %v, want ORDER_BY_INVALID", bad, err)
		}
	}
}
