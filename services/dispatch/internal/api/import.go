package api

import (
	"time"

	"buf.build/go/protovalidate"
	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/bulk"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/rpc"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// ImportTechnicians creates or replaces the technicians of a file, keyed by code, in one
// transaction, or none of them.
func (s *Server) ImportTechnicians(stream dispatchv1.DispatchService_ImportTechniciansServer) error {
	var rows []*dispatchv1.ImportTechnicianRow
	opts, err := bulk.Receive(stream.Recv, protovalidate.GlobalValidator,
		func(m *dispatchv1.ImportTechniciansRequest) int { return len(m.GetRows()) },
		func(m *dispatchv1.ImportTechniciansRequest) { rows = append(rows, m.GetRows()...) })
	if err != nil {
		return err
	}
	seen := map[string]int32{}
	check := func(rep *bulk.Report, row *dispatchv1.ImportTechnicianRow) (bool, error) {
		t := row.GetTechnician()
		ok := true
		if t.GetCode() == "" {
			rep.Rejectf(row.GetLine(), "code", "is required: an import finds technicians by their code")
			ok = false
		}
		// CreateTechnician's request and domain rules.
		if err := rpc.Validate(protovalidate.GlobalValidator, &dispatchv1.CreateTechnicianRequest{Technician: t}); err != nil {
			return false, rep.Reject(row.GetLine(), "technician.", err)
		}
		if _, err := checkTechnician(t, s.policy.Qualification); err != nil {
			return false, rep.Reject(row.GetLine(), "technician.", toStatus(err))
		}
		if prev, dup := seen[t.GetCode()]; dup && t.GetCode() != "" {
			rep.Rejectf(row.GetLine(), "code", "technician code %s is also on line %d", t.GetCode(), prev)
			return false, nil
		}
		seen[t.GetCode()] = row.GetLine()
		return ok, nil
	}
	now := s.p.Clock.Now()
	rep, applied, err := bulk.Apply(stream.Context(), s.p.DB, rows, opts, check, func(tx *bbolt.Tx, rep *bulk.Report, row *dispatchv1.ImportTechnicianRow) error {
		return s.importTechnician(tx, rep, row, now)
	})
	if err != nil {
		return toStatus(err)
	}
	if applied {
		s.p.Log.Info("technicians imported", zap.String("actor", auth.Actor(stream.Context(), "")), zap.Int("rows", len(rows)))
		s.p.Notify()
	}
	return stream.SendAndClose(&dispatchv1.ImportTechniciansResponse{Report: rep})
}

// importTechnician applies one valid row: a new code is created as CreateTechnician does; a
// known code with equal fields is unchanged; with other fields it is replaced as
// UpdateTechnician does.
func (s *Server) importTechnician(tx *bbolt.Tx, rep *bulk.Report, row *dispatchv1.ImportTechnicianRow, now time.Time) error {
	in := proto.Clone(row.GetTechnician()).(*dispatchv1.Technician)
	old, found, err := store.TechnicianByCode(tx, in.GetCode())
	if err != nil {
		return err
	}
	t := proto.Clone(in).(*dispatchv1.Technician)
	subject := SubjectTechnicianCreated
	if found {
		if sameTechnician(old, in) {
			rep.Unchanged()
			return nil
		}
		t.Id, t.CreateTime = old.GetId(), old.GetCreateTime()
		subject = SubjectTechnicianUpdated
	} else {
		t.Id, t.CreateTime = ids.NewAt(now), ts(now)
		old = nil
	}
	t.Etag, t.UpdateTime = ids.NewAt(now), ts(now)
	if err := store.PutTechnician(tx, old, t); err != nil {
		return err
	}
	var data proto.Message = &dispatchv1.TechnicianCreated{TechnicianId: t.GetId(), OrganisationId: t.GetOrganisationId(),
		OrganisationKind: t.GetOrganisationKind(), Active: t.GetActive()}
	if found {
		data = &dispatchv1.TechnicianUpdated{TechnicianId: t.GetId(), OrganisationId: t.GetOrganisationId(),
			OrganisationKind: t.GetOrganisationKind(), Active: t.GetActive()}
		rep.Updated()
	} else {
		rep.Created()
	}
	if err := emit(tx, subject, "technicians/"+t.GetId(), data, now); err != nil {
		return err
	}
	tx.OnCommit(func() { s.index(t) }) // in commit order
	return nil
}

// sameTechnician reports whether a row says what is stored (output-only fields aside).
func sameTechnician(old, in *dispatchv1.Technician) bool {
	a, b := proto.Clone(old).(*dispatchv1.Technician), proto.Clone(in).(*dispatchv1.Technician)
	for _, t := range []*dispatchv1.Technician{a, b} {
		t.Id, t.Etag, t.CreateTime, t.UpdateTime = "", "", nil, nil
	}
	return proto.Equal(a, b)
}
