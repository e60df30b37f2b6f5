package ticket_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/svctest"
)

// due is when a ticket is next due, as the work queue reads it: the earliest deadline of its
// running or paused clocks; ok false for none.
func due(t *ticketv1.Ticket) (time.Time, bool) {
	var d time.Time
	for _, c := range t.GetClocks() {
		s := c.GetState()
		if (s == ticketv1.SlaClockState_SLA_CLOCK_STATE_RUNNING || s == ticketv1.SlaClockState_SLA_CLOCK_STATE_PAUSED) && c.GetDeadline() != nil {
			if x := c.GetDeadline().AsTime(); d.IsZero() || x.Before(d) {
				d = x
			}
		}
	}
	return d, !d.IsZero()
}

// listAll follows next_page_token through every page of req.
func listAll(t *testing.T, c ticketv1.TicketServiceClient, req *ticketv1.ListTicketsRequest) []*ticketv1.Ticket {
	t.Helper()
	var out []*ticketv1.Ticket
	for range 1000 {
		resp, err := c.ListTickets(context.Background(), req)
		if err != nil {
			t.Fatalf("ListTickets(%v): %v", req, err)
		}
		out = append(out, resp.GetTickets()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
	t.Fatal("ListTickets: no last page after 1000 pages")
	return nil
}

func ids(ts []*ticketv1.Ticket) []string {
	out := make([]string, len(ts))
	for i, tk := range ts {
		out[i] = tk.GetNumber()
	}
	return out
}

// TestListTicketsOrderByDueTime: the work queue ordered by due time, read in small pages, is
// every ticket sorted by due time (tickets without a running clock last, ties by create time);
// the other orders hold too, with filters; a bad order_by is INVALID_ARGUMENT naming order_by.
func TestListTicketsOrderByDueTime(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	// Tickets created over a day: consultations (first response 4h) and repairs, some
	// cancelled (no running clock), so due times interleave with creation.
	for i := range 23 {
		tk := consultation(fmt.Sprintf("cust-%d", i))
		if i%3 == 1 {
			tk = repair()
			tk.Customer.CustomerId = fmt.Sprintf("cust-%d", i)
		}
		created := e.create(tk)
		if i%5 == 4 {
			if _, err := e.c.CancelTicket(ctx, &ticketv1.CancelTicketRequest{RequestId: e.rid(), TicketId: created.GetId(), Reason: "duplicate"}); err != nil {
				t.Fatalf("CancelTicket: %v", err)
			}
		}
		e.clock.Advance(time.Duration(37+i*11) * time.Minute)
	}
	all := listAll(t, e.c, &ticketv1.ListTicketsRequest{PageSize: 500})
	if len(all) != 23 {
		t.Fatalf("listed %d tickets, want 23", len(all))
	}
	want := slices.Clone(all)
	slices.SortStableFunc(want, func(a, b *ticketv1.Ticket) int {
		da, oka := due(a)
		db, okb := due(b)
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case oka && !da.Equal(db):
			return da.Compare(db)
		}
		return a.GetCreateTime().AsTime().Compare(b.GetCreateTime().AsTime())
	})
	withDue := 0
	for _, tk := range want {
		if _, ok := due(tk); ok {
			withDue++
		}
	}
	if withDue == 0 || withDue == len(want) {
		t.Fatalf("%d of %d tickets have a due time: the test needs both kinds", withDue, len(want))
	}
	created := slices.DeleteFunc(reversed(slices.Clone(all)), func(tk *ticketv1.Ticket) bool { _, ok := due(tk); return !ok })
	if slices.Equal(ids(created), ids(want[:withDue])) {
		t.Fatalf("due order is creation order: the test needs due times that interleave\n%v", ids(want))
	}

	got := listAll(t, e.c, &ticketv1.ListTicketsRequest{PageSize: 4, OrderBy: "due_time"})
	if !slices.Equal(ids(got), ids(want)) {
		t.Errorf("order_by due_time in pages of 4:\n got %v\nwant %v", ids(got), ids(want))
	}
	got = listAll(t, e.c, &ticketv1.ListTicketsRequest{PageSize: 5, OrderBy: " due_time  desc "})
	if r := slices.Clone(want); !slices.Equal(ids(got), ids(reversed(r))) {
		t.Errorf("order_by due_time desc:\n got %v\nwant %v", ids(got), ids(reversed(r)))
	}
	got = listAll(t, e.c, &ticketv1.ListTicketsRequest{PageSize: 3, OrderBy: "create_time"})
	if !slices.Equal(ids(got), ids(reversed(slices.Clone(all)))) {
		t.Errorf("order_by create_time (oldest first):\n got %v\nwant %v", ids(got), ids(reversed(slices.Clone(all))))
	}
	got = listAll(t, e.c, &ticketv1.ListTicketsRequest{PageSize: 3, OrderBy: "priority desc"})
	if len(got) != 23 || !slices.IsSortedFunc(got, func(a, b *ticketv1.Ticket) int { return int(b.GetPriority()) - int(a.GetPriority()) }) {
		t.Errorf("order_by priority desc: %d tickets, priorities not descending", len(got))
	}
	// A filter with an order: the received consultations, by due time.
	kind := ticketv1.TicketKind_TICKET_KIND_CONSULTATION
	var wantKind []string
	for _, tk := range want {
		if tk.GetKind() == kind {
			wantKind = append(wantKind, tk.GetNumber())
		}
	}
	got = listAll(t, e.c, &ticketv1.ListTicketsRequest{PageSize: 2, OrderBy: "due_time", Kind: kind})
	if !slices.Equal(ids(got), wantKind) {
		t.Errorf("kind CONSULTATION by due_time:\n got %v\nwant %v", ids(got), wantKind)
	}

	// A token is for its own order.
	first, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{PageSize: 2, OrderBy: "due_time"})
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"due_time desc", "priority", ""} {
		_, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{PageSize: 2, OrderBy: other, PageToken: first.GetNextPageToken()})
		if status.Code(err) != codes.InvalidArgument || grpcAnswer(err).reason != string(rpc.ReasonPageTokenInvalid) {
			t.Errorf("due_time token with order_by %q = %v, want PAGE_TOKEN_INVALID", other, err)
		}
	}

	for _, bad := range []string{"number", "due_time sideways", "due_time, priority", "DUE_TIME", "due_time desc desc"} {
		_, err := e.c.ListTickets(ctx, &ticketv1.ListTicketsRequest{OrderBy: bad})
		a := grpcAnswer(err)
		if status.Code(err) != codes.InvalidArgument || a.reason != string(rpc.ReasonOrderByInvalid) || a.violations["order_by"] == "" {
			t.Errorf("order_by %q = %v (%+v), want ORDER_BY_INVALID on order_by", bad, err, a)
		}
	}
}

func reversed[T any](s []T) []T {
	slices.Reverse(s)
	return s
}

// TestHTTPOrderBy: the REST list takes order_by from the query.
func TestHTTPOrderBy(t *testing.T) {
	run := startSecure(t)
	client := run.HTTPClient(t)
	tok := run.Token(t, svctest.Operator)
	for i := range 3 {
		body := fmt.Appendf(nil, `{"requestId": "o%d", "ticket": {"kind": "TICKET_KIND_CONSULTATION", "channel": "CHANNEL_WEB", "customer": {"customerId": "c%d"}, "unit": {"productLine": "instrument"}}}`, i, i)
		if code, out := (httpCall{http.MethodPost, "/v1/tickets", body, bearer(tok)}).do(t, run, client); code != http.StatusOK {
			t.Fatalf("POST /v1/tickets = %d %s", code, out)
		}
	}
	code, out := httpCall{http.MethodGet, "/v1/tickets?orderBy=create_time&pageSize=2", nil, bearer(tok)}.do(t, run, client)
	list := &ticketv1.ListTicketsResponse{}
	if code != http.StatusOK || protojson.Unmarshal(out, list) != nil || len(list.GetTickets()) != 2 || list.GetNextPageToken() == "" {
		t.Fatalf("GET /v1/tickets?orderBy=create_time = %d %s", code, out)
	}
	if list.GetTickets()[0].GetCustomer().GetCustomerId() != "c0" {
		t.Errorf("oldest first: first is %s", list.GetTickets()[0].GetCustomer().GetCustomerId())
	}
	code, out = httpCall{http.MethodGet, "/v1/tickets?orderBy=colour", nil, map[string]string{"Authorization": "Bearer " + tok, "Accept-Language": "zh-CN"}}.do(t, run, client)
	if a := decodeError(t, code, out, false); code != http.StatusBadRequest || a.reason != string(rpc.ReasonOrderByInvalid) || a.violations["order_by"] == "" {
		t.Errorf("orderBy=colour = %d %s", code, out)
	}
}
