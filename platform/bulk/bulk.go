// Package bulk is the server side of the Import<Kind>s RPCs: it receives every row of a client
// stream before anything is applied, and builds the report of what became of each row.
package bulk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"buf.build/go/protovalidate"
	"go.etcd.io/bbolt"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/platform/store"
)

// MaxRows is the most rows one import takes: all of them are committed in one transaction.
const MaxRows = 100_000

// Request is one message of an import stream.
type Request interface {
	proto.Message
	GetOptions() *typev1.ImportOptions
}

// Receive reads a client stream until the client closes it, validating each message as the
// server validates a request and handing it to add. It returns the options of the first message.
// A stream that breaks before the client closed it (the client died, the deadline passed) is an
// error: the caller applies nothing. More than MaxRows rows is INVALID_ARGUMENT.
func Receive[M Request](recv func() (M, error), v protovalidate.Validator, rows func(M) int, add func(M)) (*typev1.ImportOptions, error) {
	var opts *typev1.ImportOptions
	n := 0
	for i := 0; ; i++ {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := rpc.Validate(v, m); err != nil {
			return nil, err
		}
		if i == 0 {
			opts = m.GetOptions()
		} else if m.GetOptions() != nil {
			return nil, rpc.FieldError("options", "must be set on the first message of the stream only")
		}
		if n += rows(m); n > MaxRows {
			return nil, rpc.FieldError("rows", "an import takes at most %d rows; split the file", MaxRows)
		}
		add(m)
	}
	if opts == nil {
		opts = &typev1.ImportOptions{}
	}
	return opts, nil
}

// Report is what became of an import's rows.
// Copy it (rep = pre) to start a transaction's attempt from the rows rejected before it.
type Report struct {
	received, created, updated, unchanged int32
	rejected                              []*typev1.ImportRejection
}

// Received counts n rows received.
func (r *Report) Received(n int) { r.received += int32(n) }

// Created counts a row that creates a record.
func (r *Report) Created() { r.created++ }

// Updated counts a row that changes a record.
func (r *Report) Updated() { r.updated++ }

// Unchanged counts a row equal to the stored record.
func (r *Report) Unchanged() { r.unchanged++ }

// Rejectf rejects row line for field with a reason.
func (r *Report) Rejectf(line int32, field, format string, args ...any) {
	r.rejected = append(r.rejected[:len(r.rejected):len(r.rejected)], &typev1.ImportRejection{Line: line, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Reject rejects row line for the error a single call would have answered: each field
// violation of an INVALID_ARGUMENT (field paths without prefix, e.g. "unit."), or the message
// of a FAILED_PRECONDITION, ALREADY_EXISTS or NOT_FOUND status. Any other error is not the
// row's fault and is returned, for the caller to fail the import with.
func (r *Report) Reject(line int32, prefix string, err error) error {
	return r.RejectAs(line, func(f string) string { return strings.TrimPrefix(f, prefix) }, err)
}

// RejectAs is Reject with the fields of err renamed by field (the request's field paths to the
// row's).
func (r *Report) RejectAs(line int32, field func(string) string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch st.Code() {
	case codes.InvalidArgument:
		n := 0
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					r.Rejectf(line, field(v.GetField()), "%s", v.GetDescription())
					n++
				}
			}
		}
		if n == 0 {
			r.Rejectf(line, "", "%s", st.Message())
		}
	case codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound:
		name := ""
		msg := st.Message()
		// Messages of the form "unit.policy_id: ..." name their field.
		if i := strings.Index(msg, ": "); i > 0 && !strings.ContainsAny(msg[:i], " ") {
			name, msg = field(msg[:i]), msg[i+2:]
		}
		r.Rejectf(line, name, "%s", msg)
	default:
		return err
	}
	return nil
}

// OK reports whether no row was rejected.
func (r *Report) OK() bool { return len(r.rejected) == 0 }

// Proto returns the report, rejections ordered by line then field; applied says whether the
// rows were committed.
func (r *Report) Proto(applied bool) *typev1.ImportReport {
	out := &typev1.ImportReport{Received: r.received, Created: r.created, Updated: r.updated, Unchanged: r.unchanged,
		Rejected: slices.Clone(r.rejected)}
	sort.SliceStable(out.Rejected, func(i, j int) bool {
		a, b := out.Rejected[i], out.Rejected[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Field < b.Field
	})
	out.Applied = applied // when false, the counts say what the rows would have done
	return out
}

// errNotApplied rolls an import's transaction back.
var errNotApplied = errors.New("import not applied")

// Apply is the whole of an import once its rows are received: check runs for every row first
// (it rejects into the report and returns false for a bad row; an error stops the import), then apply runs for every good
// row in ONE transaction of db, which is committed only when no row was rejected (by check or
// by apply) and the import is not validate_only. It returns the report and whether the rows
// were committed; an error is not a row's fault (the store failed) and nothing is applied.
// The transaction carries ctx, the import call's (store.Context): what apply stores is stamped
// with the importing caller, and the events it appends carry the caller and the call's trace.
func Apply[R any](ctx context.Context, db *store.DB, rows []R, opts *typev1.ImportOptions, check func(rep *Report, row R) (bool, error),
	apply func(tx *bbolt.Tx, rep *Report, row R) error) (*typev1.ImportReport, bool, error) {
	var pre Report
	pre.Received(len(rows))
	good := make([]bool, len(rows))
	for i, row := range rows {
		ok, err := check(&pre, row)
		if err != nil {
			return nil, false, err
		}
		good[i] = ok
	}
	var rep Report
	err := db.UpdateAlone(func(tx *bbolt.Tx) error {
		return store.WithContext(tx, ctx, func() error {
			rep = pre
			for i, row := range rows {
				if good[i] {
					if err := apply(tx, &rep, row); err != nil {
						return err
					}
				}
			}
			if !rep.OK() || opts.GetValidateOnly() {
				return errNotApplied
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errNotApplied) {
		return nil, false, err
	}
	return rep.Proto(err == nil), err == nil, nil
}
