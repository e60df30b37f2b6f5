package api

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
	"github.com/sanbao/sanbao/services/dispatch/internal/store"
)

// maxQualificationRecords bounds a technician's records (Technician.qualification_records).
const maxQualificationRecords = 200

// RecordTraining records a training course of a technician for a product line.
func (s *Server) RecordTraining(ctx context.Context, req *dispatchv1.RecordTrainingRequest) (*dispatchv1.RecordTrainingResponse, error) {
	rec := &dispatchv1.QualificationRecord{
		ProductLine: req.GetProductLine(), Kind: dispatchv1.QualificationRecordKind_QUALIFICATION_RECORD_KIND_TRAINING,
		StartTime: req.GetStartTime(), EndTime: req.GetEndTime(),
	}
	resp := &dispatchv1.RecordTrainingResponse{}
	if err := s.recordQualification(ctx, "RecordTraining", req, resp, req.GetRequestId(), req.GetTechnicianId(), rec); err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// RecordAssessment records an assessment of a technician for a product line.
func (s *Server) RecordAssessment(ctx context.Context, req *dispatchv1.RecordAssessmentRequest) (*dispatchv1.RecordAssessmentResponse, error) {
	rec := &dispatchv1.QualificationRecord{
		ProductLine: req.GetProductLine(), Kind: dispatchv1.QualificationRecordKind_QUALIFICATION_RECORD_KIND_ASSESSMENT,
		AssessedTime: req.GetAssessedTime(), Passed: req.GetPassed(),
	}
	resp := &dispatchv1.RecordAssessmentResponse{}
	if err := s.recordQualification(ctx, "RecordAssessment", req, resp, req.GetRequestId(), req.GetTechnicianId(), rec); err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// recordQualification checks rec against the technician's records of its line under the
// policy and appends it, with technician.qualification_recorded, idempotent on requestID.
// resp (a RecordTrainingResponse or RecordAssessmentResponse) receives the technician and
// the line's qualification.
func (s *Server) recordQualification(ctx context.Context, method string, req, resp proto.Message, requestID, techID string,
	rec *dispatchv1.QualificationRecord) error {
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, method, requestID, req, resp); found || err != nil {
			return err
		}
		t, found, err := store.Technician(tx, techID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: technician %s", domain.ErrNotFound, techID)
		}
		if !hasLine(t, rec.GetProductLine()) {
			return domain.Invalidf("product_line: %q is not one of the technician's skill lines", rec.GetProductLine())
		}
		if len(t.GetQualificationRecords()) >= maxQualificationRecords {
			return domain.Preconditionf("technician %s has %d qualification records, the most kept", techID, maxQualificationRecords)
		}
		now := s.p.Clock.Now()
		qp := s.policy.Qualification
		var line []domain.QualRecord
		var last time.Time
		for _, r := range qualRecords(t.GetQualificationRecords()) {
			if r.Line == rec.GetProductLine() {
				line = append(line, r)
				if w := recordTime(r); w.After(last) {
					last = w
				}
			}
		}
		q := domain.FoldQualifications(qp, line)[rec.GetProductLine()]
		dr := qualRecords([]*dispatchv1.QualificationRecord{rec})[0]
		if err := domain.CheckRecord(qp, q, last, dr, now.Add(s.policy.ClockSkew)); err != nil {
			return err
		}
		rec.RecordedBy = auth.Actor(ctx, "")
		rec.RecordTime = ts(now)
		t.QualificationRecords = append(t.QualificationRecords, rec)
		t.UpdateTime = ts(now)
		t.Etag = ids.NewAt(now)
		if err := store.PutTechnician(tx, t, t); err != nil {
			return err
		}
		q = domain.FoldQualifications(qp, append(line, dr))[rec.GetProductLine()]
		pq := qualificationToProto(q, now)
		if err := emit(tx, SubjectTechnicianQualificationRecorded, "technicians/"+t.GetId(), &dispatchv1.TechnicianQualificationRecorded{
			TechnicianId: t.GetId(), Record: rec, Qualification: pq,
		}, now); err != nil {
			return err
		}
		switch r := resp.(type) {
		case *dispatchv1.RecordTrainingResponse:
			r.Technician, r.Qualification = t, pq
		case *dispatchv1.RecordAssessmentResponse:
			r.Technician, r.Qualification = t, pq
		}
		tx.OnCommit(func() { s.index(t) })
		return idem.Save(tx, method, requestID, req, resp, now)
	})
	if err != nil {
		return err
	}
	s.p.Notify()
	return nil
}

// recordTime is when a record lies: a training's start, an assessment's time.
func recordTime(r domain.QualRecord) time.Time {
	if r.Kind == domain.RecordTraining {
		return r.Start
	}
	return r.At
}

// hasLine reports whether line is one of t's skill lines.
func hasLine(t *dispatchv1.Technician, line string) bool {
	for _, ps := range t.GetSkills() {
		if ps.GetProductLine() == line {
			return true
		}
	}
	return false
}

// ListQualifications lists a technician's qualifications as of now, and the records.
func (s *Server) ListQualifications(_ context.Context, req *dispatchv1.ListQualificationsRequest) (*dispatchv1.ListQualificationsResponse, error) {
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
	now := s.p.Clock.Now()
	quals := domain.FoldQualifications(s.policy.Qualification, qualRecords(t.GetQualificationRecords()))
	lines := make([]string, 0, len(quals))
	for l := range quals {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	resp := &dispatchv1.ListQualificationsResponse{Records: t.GetQualificationRecords()}
	for _, l := range lines {
		resp.Qualifications = append(resp.Qualifications, qualificationToProto(quals[l], now))
	}
	return resp, nil
}
