package bulk_test

import (
	"errors"
	"io"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/bulk"
	"github.com/sanbao/sanbao/platform/rpc"
)

func TestRejectMapsACallsAnswerToRows(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		fields []string
		fails  bool
	}{
		{"field violations", rpc.InvalidArgument(rpc.Violation{Field: "unit.serial", Description: "bad"}, rpc.Violation{Field: "unit.dates.sale", Description: "required"}), []string{"dates.sale", "serial"}, false},
		{"precondition naming its field", status.Error(codes.FailedPrecondition, "unit.policy_id: P version 0: unknown policy"), []string{"policy_id"}, false},
		{"already exists", status.Error(codes.AlreadyExists, "serial already registered"), []string{""}, false},
		{"internal is not the row's fault", rpc.Internal(errors.New("disk")), nil, true},
		{"plain error", errors.New("boom"), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r bulk.Report
			err := r.Reject(7, "unit.", tt.err)
			if (err != nil) != tt.fails {
				t.Fatalf("Reject(%v) = %v, want failure %v", tt.err, err, tt.fails)
			}
			got := r.Proto(false).GetRejected()
			if len(got) != len(tt.fields) {
				t.Fatalf("Reject(%v) rejected %v, want fields %v", tt.err, got, tt.fields)
			}
			for i, j := range got {
				if j.GetLine() != 7 || j.GetField() != tt.fields[i] || j.GetReason() == "" {
					t.Errorf("rejection %d = %v, want line 7 field %q with a reason", i, j, tt.fields[i])
				}
			}
		})
	}
}

// recvOf serves msgs, then io.EOF, or end as the stream's error.
func recvOf(end error, msgs ...*warrantyv1.ImportUnitsRequest) func() (*warrantyv1.ImportUnitsRequest, error) {
	return func() (*warrantyv1.ImportUnitsRequest, error) {
		if len(msgs) == 0 {
			return nil, end
		}
		m := msgs[0]
		msgs = msgs[1:]
		return m, nil
	}
}

func rows(n int) []*warrantyv1.ImportUnitRow {
	out := make([]*warrantyv1.ImportUnitRow, n)
	for i := range out {
		out[i] = &warrantyv1.ImportUnitRow{Line: int32(i + 2)}
	}
	return out
}

func TestReceive(t *testing.T) {
	count := func(m *warrantyv1.ImportUnitsRequest) int { return len(m.GetRows()) }
	v := protovalidate.GlobalValidator
	var got int
	add := func(m *warrantyv1.ImportUnitsRequest) { got += len(m.GetRows()) }

	opts, err := bulk.Receive(recvOf(io.EOF, &warrantyv1.ImportUnitsRequest{Options: &typev1.ImportOptions{ValidateOnly: true}, Rows: rows(3)},
		&warrantyv1.ImportUnitsRequest{Rows: rows(2)}), v, count, add)
	if err != nil || !opts.GetValidateOnly() || got != 5 {
		t.Fatalf("Receive = %v, %v, %d rows; want validate_only and 5 rows", opts, err, got)
	}
	if _, err := bulk.Receive(recvOf(status.Error(codes.Canceled, "client went away"), &warrantyv1.ImportUnitsRequest{Rows: rows(1)}), v, count, add); status.Code(err) != codes.Canceled {
		t.Errorf("Receive(stream broken before the client closed it) = %v, want its error", err)
	}
	if _, err := bulk.Receive(recvOf(io.EOF, &warrantyv1.ImportUnitsRequest{Rows: rows(1)}, &warrantyv1.ImportUnitsRequest{Options: &typev1.ImportOptions{}}), v, count, add); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Receive(options on a later message) = %v, want INVALID_ARGUMENT", err)
	}
	if _, err := bulk.Receive(recvOf(io.EOF, &warrantyv1.ImportUnitsRequest{Rows: rows(1001)}), v, count, add); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Receive(a chunk over 1000 rows) = %v, want INVALID_ARGUMENT", err)
	}
	many := make([]*warrantyv1.ImportUnitsRequest, bulk.MaxRows/1000+1)
	for i := range many {
		many[i] = &warrantyv1.ImportUnitsRequest{Rows: rows(1000)}
	}
	if _, err := bulk.Receive(recvOf(io.EOF, many...), v, count, func(*warrantyv1.ImportUnitsRequest) {}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Receive(more than MaxRows) = %v, want INVALID_ARGUMENT", err)
	}
}
