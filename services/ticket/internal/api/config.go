package api

import (
	"context"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	pstore "github.com/sanbao/sanbao/platform/store"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

// seed writes the "default" calendar and policy when missing.
func (s *Server) seed(ctx context.Context) error {
	return s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		now := s.p.Clock.Now()
		if _, err := store.GetCalendar(tx, domain.DefaultCalendarID); err != nil {
			c := defaultCalendar(now)
			c.Etag = ids.NewAt(now)
			if err := store.PutCalendar(tx, c); err != nil {
				return err
			}
		}
		if _, err := store.GetPolicy(tx, domain.DefaultPolicyID); err != nil {
			p := &ticketv1.ServicePolicy{Id: domain.DefaultPolicyID, DisplayName: "Documented defaults", Version: 1,
				Etag: ids.NewAt(now), CreateTime: ts(now), UpdateTime: ts(now)}
			policyToProto(domain.DefaultPolicy(), p)
			if err := store.PutPolicy(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// configChange writes a calendar or policy idempotently with an event.
func (s *Server) configChange(ctx context.Context, method string, req requestWithID, resp proto.Message,
	fn func(tx *bbolt.Tx, now time.Time) (outbox.Event, error)) error {
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, method, req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		ev, err := fn(tx, now)
		if err != nil {
			return err
		}
		ev.Time = now
		if _, err := outbox.Append(tx, ev); err != nil {
			return err
		}
		return idem.Save(tx, method, req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return toStatus(err)
	}
	s.p.Notify()
	return nil
}

// CreateBusinessCalendar creates a calendar.
func (s *Server) CreateBusinessCalendar(ctx context.Context, req *ticketv1.CreateBusinessCalendarRequest) (*ticketv1.CreateBusinessCalendarResponse, error) {
	resp := &ticketv1.CreateBusinessCalendarResponse{}
	err := s.configChange(ctx, "CreateBusinessCalendar", req, resp, func(tx *bbolt.Tx, now time.Time) (outbox.Event, error) {
		c := proto.Clone(req.GetCalendar()).(*ticketv1.BusinessCalendar)
		if _, err := calendarFromProto(c); err != nil {
			return outbox.Event{}, err
		}
		if _, err := store.GetCalendar(tx, c.GetId()); err == nil {
			return outbox.Event{}, errExists
		}
		c.Etag, c.CreateTime, c.UpdateTime = ids.NewAt(now), ts(now), ts(now)
		resp.Calendar = c
		return outbox.Event{Subject: SubjectCalendarCreated, Resource: "calendars/" + c.Id,
			Data: &ticketv1.CalendarChanged{CalendarId: c.Id, Etag: c.Etag}}, store.PutCalendar(tx, c)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// UpdateBusinessCalendar replaces a calendar if the etag matches.
func (s *Server) UpdateBusinessCalendar(ctx context.Context, req *ticketv1.UpdateBusinessCalendarRequest) (*ticketv1.UpdateBusinessCalendarResponse, error) {
	resp := &ticketv1.UpdateBusinessCalendarResponse{}
	err := s.configChange(ctx, "UpdateBusinessCalendar", req, resp, func(tx *bbolt.Tx, now time.Time) (outbox.Event, error) {
		c := proto.Clone(req.GetCalendar()).(*ticketv1.BusinessCalendar)
		if _, err := calendarFromProto(c); err != nil {
			return outbox.Event{}, err
		}
		old, err := store.GetCalendar(tx, c.GetId())
		if err != nil {
			return outbox.Event{}, err
		}
		if c.GetEtag() != old.GetEtag() {
			return outbox.Event{}, errEtag
		}
		c.Etag, c.CreateTime, c.UpdateTime = ids.NewAt(now), old.CreateTime, ts(now)
		resp.Calendar = c
		return outbox.Event{Subject: SubjectCalendarUpdated, Resource: "calendars/" + c.Id,
			Data: &ticketv1.CalendarChanged{CalendarId: c.Id, Etag: c.Etag}}, store.PutCalendar(tx, c)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetBusinessCalendar returns a calendar.
func (s *Server) GetBusinessCalendar(_ context.Context, req *ticketv1.GetBusinessCalendarRequest) (*ticketv1.GetBusinessCalendarResponse, error) {
	resp := &ticketv1.GetBusinessCalendarResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.Calendar, err = store.GetCalendar(tx, req.GetCalendarId())
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListBusinessCalendars lists calendars by id.
func (s *Server) ListBusinessCalendars(_ context.Context, req *ticketv1.ListBusinessCalendarsRequest) (*ticketv1.ListBusinessCalendarsResponse, error) {
	resp := &ticketv1.ListBusinessCalendarsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.Calendars, resp.NextPageToken, err = store.List(tx, store.Calendars, pstore.PageSize(req.GetPageSize()), req.GetPageToken(),
			func() *ticketv1.BusinessCalendar { return &ticketv1.BusinessCalendar{} })
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// normalisePolicy fills defaults and checks the calendar exists.
func normalisePolicy(tx *bbolt.Tx, in *ticketv1.ServicePolicy) (*ticketv1.ServicePolicy, error) {
	p := proto.Clone(in).(*ticketv1.ServicePolicy)
	d := policyFromProto(p)
	if _, err := store.GetCalendar(tx, d.CalendarID); err != nil {
		return nil, &domain.FieldError{Field: "policy.calendar_id", Rule: "unknown calendar " + d.CalendarID, Err: err}
	}
	seen := map[string]bool{}
	for _, t := range d.Targets {
		if seen[t.Name] {
			return nil, &domain.FieldError{Field: "policy.targets", Rule: "duplicate target name " + t.Name}
		}
		seen[t.Name] = true
		if t.Basis == domain.BasisWorkingDays && t.WorkingDays <= 0 || t.Basis != domain.BasisWorkingDays && t.Target <= 0 {
			return nil, &domain.FieldError{Field: "policy.targets", Rule: "target " + t.Name + " needs a positive target or working_days"}
		}
	}
	policyToProto(d, p)
	return p, nil
}

// CreateServicePolicy creates a policy.
func (s *Server) CreateServicePolicy(ctx context.Context, req *ticketv1.CreateServicePolicyRequest) (*ticketv1.CreateServicePolicyResponse, error) {
	resp := &ticketv1.CreateServicePolicyResponse{}
	err := s.configChange(ctx, "CreateServicePolicy", req, resp, func(tx *bbolt.Tx, now time.Time) (outbox.Event, error) {
		if _, err := store.GetPolicy(tx, req.GetPolicy().GetId()); err == nil {
			return outbox.Event{}, errExists
		}
		p, err := normalisePolicy(tx, req.GetPolicy())
		if err != nil {
			return outbox.Event{}, err
		}
		p.Version, p.Etag, p.CreateTime, p.UpdateTime = 1, ids.NewAt(now), ts(now), ts(now)
		resp.Policy = p
		return outbox.Event{Subject: SubjectPolicyCreated, Resource: "policies/" + p.Id,
			Data: &ticketv1.ServicePolicyChanged{PolicyId: p.Id, Version: p.Version}}, store.PutPolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// UpdateServicePolicy replaces a policy if the etag matches.
func (s *Server) UpdateServicePolicy(ctx context.Context, req *ticketv1.UpdateServicePolicyRequest) (*ticketv1.UpdateServicePolicyResponse, error) {
	resp := &ticketv1.UpdateServicePolicyResponse{}
	err := s.configChange(ctx, "UpdateServicePolicy", req, resp, func(tx *bbolt.Tx, now time.Time) (outbox.Event, error) {
		old, err := store.GetPolicy(tx, req.GetPolicy().GetId())
		if err != nil {
			return outbox.Event{}, err
		}
		if req.GetPolicy().GetEtag() != old.GetEtag() {
			return outbox.Event{}, errEtag
		}
		p, err := normalisePolicy(tx, req.GetPolicy())
		if err != nil {
			return outbox.Event{}, err
		}
		p.Version, p.Etag, p.CreateTime, p.UpdateTime = old.Version+1, ids.NewAt(now), old.CreateTime, ts(now)
		resp.Policy = p
		return outbox.Event{Subject: SubjectPolicyUpdated, Resource: "policies/" + p.Id,
			Data: &ticketv1.ServicePolicyChanged{PolicyId: p.Id, Version: p.Version}}, store.PutPolicy(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetServicePolicy returns a policy.
func (s *Server) GetServicePolicy(_ context.Context, req *ticketv1.GetServicePolicyRequest) (*ticketv1.GetServicePolicyResponse, error) {
	resp := &ticketv1.GetServicePolicyResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.Policy, err = store.GetPolicy(tx, req.GetPolicyId())
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// ListServicePolicies lists policies by id.
func (s *Server) ListServicePolicies(_ context.Context, req *ticketv1.ListServicePoliciesRequest) (*ticketv1.ListServicePoliciesResponse, error) {
	resp := &ticketv1.ListServicePoliciesResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.Policies, resp.NextPageToken, err = store.List(tx, store.Policies, pstore.PageSize(req.GetPageSize()), req.GetPageToken(),
			func() *ticketv1.ServicePolicy { return &ticketv1.ServicePolicy{} })
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// GetServiceMetrics sums the hourly KPI aggregates of the period and flags them.
func (s *Server) GetServiceMetrics(_ context.Context, req *ticketv1.GetServiceMetricsRequest) (*ticketv1.GetServiceMetricsResponse, error) {
	start, end := req.GetStartTime().AsTime(), req.GetEndTime().AsTime()
	if !end.After(start) {
		return nil, toStatus(&domain.FieldError{Field: "end_time", Rule: "must be after start_time"})
	}
	resp := &ticketv1.GetServiceMetricsResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) error {
		pol, err := s.policy(tx, req.GetServicePolicyId())
		if err != nil {
			return err
		}
		a, err := store.Aggregate(tx, store.SliceKey(req.GetOrganisationId(), req.GetRegion(), req.GetProductLine()), start, end)
		if err != nil {
			return err
		}
		m := &ticketv1.ServiceMetrics{StartTime: req.GetStartTime(), EndTime: req.GetEndTime(), Tickets: a.Tickets,
			Resolved: a.Resolved, Complaints: a.Complaints, MeanTimeToRespond: dur(a.MeanTimeToRespond()),
			MeanTimeToResolve: dur(a.MeanTimeToResolve()), SurveysRequested: a.SurveysRequested,
			SurveysAnswered: a.SurveysAnswered, SurveysGivenUp: a.SurveysGivenUp}
		for _, k := range a.KPIs(pol.KPI) {
			pk := &ticketv1.Kpi{Name: k.Name, Value: k.Value, Count: k.Count, Sample: k.Sample, TargetIsMax: k.TargetIsMax, Flagged: k.Flagged}
			if k.HasTarget {
				pk.Target = proto.Float64(k.Target)
			}
			m.Kpis = append(m.Kpis, pk)
		}
		m.PauseTime = []*ticketv1.PauseTotal{
			{Reason: ticketv1.PauseReason_PAUSE_REASON_WAITING_FOR_CUSTOMER, Duration: dur(a.PausedCustomer)},
			{Reason: ticketv1.PauseReason_PAUSE_REASON_WAITING_FOR_PARTS, Duration: dur(a.PausedParts)},
			{Reason: ticketv1.PauseReason_PAUSE_REASON_WAITING_FOR_SUPPLIER, Duration: dur(a.PausedSupplier)},
		}
		resp.Metrics = m
		return nil
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}
