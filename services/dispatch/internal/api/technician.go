package api

import (
	"context"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// checkTechnician applies the rules protovalidate cannot: keys free of NUL, a known time zone,
// one entry per weekday, one entry per product line.
func checkTechnician(t *dispatchv1.Technician, qp domain.QualificationPolicy) (domain.Technician, error) {
	if strings.ContainsRune(t.GetOrganisationId(), 0) {
		return domain.Technician{}, domain.Invalidf("technician.organisation_id: must not contain NUL")
	}
	seen := map[string]bool{}
	for i, s := range t.GetSkills() {
		if seen[s.GetProductLine()] {
			return domain.Technician{}, domain.Invalidf("technician.skills[%d].product_line: %q given twice", i, s.GetProductLine())
		}
		seen[s.GetProductLine()] = true
	}
	dt, err := techToDomain(t, qp)
	if err != nil {
		return domain.Technician{}, fmt.Errorf("%w", prefixField(err, "technician."))
	}
	return dt, nil
}

// prefixField puts prefix before the field of a domain.ErrInvalid message.
func prefixField(err error, prefix string) error {
	return domain.Invalidf("%s%s", prefix, strip(err, domain.ErrInvalid))
}

// CreateTechnician creates a technician, with the id the request chooses or a new ULID.
func (s *Server) CreateTechnician(ctx context.Context, req *dispatchv1.CreateTechnicianRequest) (*dispatchv1.CreateTechnicianResponse, error) {
	if _, err := checkTechnician(req.GetTechnician(), s.policy.Qualification); err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatchv1.CreateTechnicianResponse{}
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "CreateTechnician", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		t := proto.Clone(req.GetTechnician()).(*dispatchv1.Technician)
		t.Id = ids.NewAt(now)
		if id := req.GetTechnicianId(); id != "" {
			// A chosen id (the technician_id an identity provider's tokens carry).
			if _, found, err := store.Technician(tx, id); err != nil {
				return err
			} else if found {
				return fmt.Errorf("technician_id: %s is another technician's: %w", id, domain.ErrExists)
			}
			t.Id = id
		}
		t.Etag = ids.NewAt(now)
		t.QualificationRecords = nil // output only: RecordTraining, RecordAssessment
		t.CreateTime, t.UpdateTime = ts(now), ts(now)
		if err := store.PutTechnician(tx, nil, t); err != nil {
			return err
		}
		if err := emit(tx, SubjectTechnicianCreated, "technicians/"+t.GetId(), &dispatchv1.TechnicianCreated{
			TechnicianId: t.GetId(), OrganisationId: t.GetOrganisationId(), OrganisationKind: t.GetOrganisationKind(), Active: t.GetActive(),
		}, now); err != nil {
			return err
		}
		resp.Technician = t
		tx.OnCommit(func() { s.index(t) }) // in commit order
		return idem.Save(tx, "CreateTechnician", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	return resp, nil
}

// index puts a stored technician into the in-memory roster.
func (s *Server) index(t *dispatchv1.Technician) {
	dt, err := techToDomain(t, s.policy.Qualification)
	if err != nil {
		s.log.Error("index technician", zap.String("technician_id", t.GetId()), zap.Error(err))
		return
	}
	s.mu.Lock()
	s.roster.Put(dt)
	s.mu.Unlock()
}

// GetTechnician returns a technician.
func (s *Server) GetTechnician(_ context.Context, req *dispatchv1.GetTechnicianRequest) (*dispatchv1.GetTechnicianResponse, error) {
	var t *dispatchv1.Technician
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var found bool
		var err error
		t, found, err = store.Technician(tx, req.GetTechnicianId())
		if err == nil && !found {
			err = fmt.Errorf("%w: technician %s", domain.ErrNotFound, req.GetTechnicianId())
		}
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &dispatchv1.GetTechnicianResponse{Technician: t}, nil
}

// ListTechnicians lists technicians.
func (s *Server) ListTechnicians(_ context.Context, req *dispatchv1.ListTechniciansRequest) (*dispatchv1.ListTechniciansResponse, error) {
	resp := &dispatchv1.ListTechniciansResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		var err error
		resp.Technicians, resp.NextPageToken, err = store.ListTechnicians(tx, store.TechnicianFilter{
			OrganisationID: req.GetOrganisationId(), ProductLine: req.GetProductLine(), ActiveOnly: req.GetActiveOnly(),
		}, req.GetPageToken(), pstore.PageSize(req.GetPageSize()))
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// UpdateTechnician replaces a technician's fields under its etag.
func (s *Server) UpdateTechnician(ctx context.Context, req *dispatchv1.UpdateTechnicianRequest) (*dispatchv1.UpdateTechnicianResponse, error) {
	in := req.GetTechnician()
	if in.GetId() == "" {
		return nil, toStatus(domain.Invalidf("technician.id: required"))
	}
	if _, err := checkTechnician(in, s.policy.Qualification); err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatchv1.UpdateTechnicianResponse{}
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "UpdateTechnician", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		old, found, err := store.Technician(tx, in.GetId())
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: technician %s", domain.ErrNotFound, in.GetId())
		}
		if in.GetEtag() != "" && in.GetEtag() != old.GetEtag() {
			return domain.ErrStale
		}
		now := s.p.Clock.Now()
		t := proto.Clone(in).(*dispatchv1.Technician)
		t.Code = old.GetCode() // a technician's code never changes
		t.CreateTime = old.GetCreateTime()
		t.QualificationRecords = old.GetQualificationRecords() // output only
		t.UpdateTime = ts(now)
		t.Etag = ids.NewAt(now)
		if err := store.PutTechnician(tx, old, t); err != nil {
			return err
		}
		if err := emit(tx, SubjectTechnicianUpdated, "technicians/"+t.GetId(), &dispatchv1.TechnicianUpdated{
			TechnicianId: t.GetId(), OrganisationId: t.GetOrganisationId(), OrganisationKind: t.GetOrganisationKind(), Active: t.GetActive(),
		}, now); err != nil {
			return err
		}
		resp.Technician = t
		tx.OnCommit(func() { s.index(t) }) // in commit order
		return idem.Save(tx, "UpdateTechnician", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	return resp, nil
}
