package api

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/calendar"
	"github.com/sanbao/sanbao/platform/idem"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/outbox"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
	"github.com/sanbao/sanbao/services/ticket/internal/store"
)

func programmeFromProto(p *ticketv1.Programme) domain.Programme {
	return domain.Programme{Kind: domain.ProgrammeKind(p.GetKind()), Start: dateFromProto(p.GetStartDate()),
		WarrantyEnd: dateFromProto(p.GetWarrantyEndDate()), End: dateFromProto(p.GetEndDate()), Key: p.GetKeyCustomer(),
		ProductLine: p.GetUnit().GetProductLine()}
}

func programmeSnapshot(p *ticketv1.Programme) *ticketv1.ProgrammeSnapshot {
	return &ticketv1.ProgrammeSnapshot{Id: p.GetId(), Kind: p.GetKind(), UnitSerial: p.GetUnit().GetSerial(),
		NextDueDate: p.GetNextDueDate(), Occurrences: p.GetOccurrences(), Finished: p.GetFinished()}
}

// maxProgrammeYears bounds a programme's dates around today, so that the occurrences a
// programme skips or counts are bounded too.
const maxProgrammeYears = 50

// checkProgramme validates what protovalidate cannot: a serial and dates in order, near today.
func checkProgramme(p *ticketv1.Programme, today calendar.Date) error {
	start := dateFromProto(p.GetStartDate())
	switch {
	case p.GetUnit().GetSerial() == "":
		return &domain.FieldError{Field: "programme.unit.serial", Rule: "required: a programme is of one unit"}
	case !start.Valid():
		return &domain.FieldError{Field: "programme.start_date", Rule: "must be a valid date"}
	case start.Before(today.AddYears(-maxProgrammeYears)) || start.After(today.AddYears(maxProgrammeYears)):
		return &domain.FieldError{Field: "programme.start_date", Rule: fmt.Sprintf("must be within %d years of today", maxProgrammeYears)}
	case p.GetWarrantyEndDate() != nil && !dateFromProto(p.GetWarrantyEndDate()).After(start):
		return &domain.FieldError{Field: "programme.warranty_end_date", Rule: "must be after start_date"}
	case p.GetWarrantyEndDate() != nil && dateFromProto(p.GetWarrantyEndDate()).After(start.AddYears(maxProgrammeYears)):
		return &domain.FieldError{Field: "programme.warranty_end_date", Rule: fmt.Sprintf("must be within %d years of start_date", maxProgrammeYears)}
	case p.GetEndDate() != nil && !dateFromProto(p.GetEndDate()).After(start):
		return &domain.FieldError{Field: "programme.end_date", Rule: "must be after start_date"}
	}
	return nil
}

// programmeContext is what scheduling a programme needs: its policy's settings and calendar.
func (s *Server) programmeContext(tx *bbolt.Tx, p *ticketv1.Programme) (domain.ProgrammeSettings, *calendar.Calendar, error) {
	pol, err := s.policy(tx, p.GetServicePolicyId())
	if err != nil {
		return domain.ProgrammeSettings{}, nil, err
	}
	cal, err := s.calendar(tx, pol.CalendarID)
	if err != nil {
		return domain.ProgrammeSettings{}, nil, err
	}
	return pol.Programmes, cal, nil
}

// scheduleNext sets p's next occurrence, from p.next_sequence on, and its timer, or finishes p.
// Occurrences due before today (on cal) are passed over: a programme started long ago, or a
// service back from a long stop, goes on with the first one not yet due instead of making a
// backlog. Work whose day has come (an inspection's lead time) is made at once.
func scheduleNext(tx *bbolt.Tx, p *ticketv1.Programme, set domain.ProgrammeSettings, cal *calendar.Calendar, now time.Time) error {
	today := calendar.DateOf(now, cal.Location())
	n := max(int(p.GetNextSequence()), 1)
	for {
		o, ok, err := set.Occur(cal, programmeFromProto(p), n)
		if err != nil {
			return err
		}
		if !ok {
			p.Finished, p.NextDueDate, p.NextSequence = true, nil, int32(n)
			return timer.Cancel(tx, timerProgramme, p.GetId())
		}
		if o.Due.Before(today) {
			n++ // bounded: the dates are within maxProgrammeYears of today, at most 12 a year
			continue
		}
		p.NextDueDate, p.NextSequence = dateToProto(o.Due), int32(n)
		return timer.Schedule(tx, timerProgramme, p.GetId(), o.Make.Time(cal.Location()), []byte(strconv.Itoa(n)))
	}
}

// CreateProgramme creates a unit's revisit or inspection programme and schedules its first
// occurrence.
func (s *Server) CreateProgramme(ctx context.Context, req *ticketv1.CreateProgrammeRequest) (*ticketv1.CreateProgrammeResponse, error) {
	in := req.GetProgramme()
	resp := &ticketv1.CreateProgrammeResponse{}
	err := s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		proto.Reset(resp)
		if found, err := idem.Lookup(tx, "CreateProgramme", req.GetRequestId(), req, resp); found || err != nil {
			return err
		}
		now := s.p.Clock.Now()
		p := &ticketv1.Programme{Id: ids.NewAt(now), Kind: in.GetKind(), Unit: in.GetUnit(), Customer: in.GetCustomer(),
			OrganisationId: in.GetOrganisationId(), KeyCustomer: in.GetKeyCustomer(), StartDate: in.GetStartDate(),
			WarrantyEndDate: in.GetWarrantyEndDate(), EndDate: in.GetEndDate(), ServicePolicyId: in.GetServicePolicyId(),
			CreateTime: ts(now), UpdateTime: ts(now)}
		if p.ServicePolicyId == "" {
			p.ServicePolicyId = domain.DefaultPolicyID
		}
		set, cal, err := s.programmeContext(tx, p)
		if err != nil {
			return &domain.FieldError{Field: "programme.service_policy_id", Rule: "unknown service policy " + strconv.Quote(p.ServicePolicyId), Err: err}
		}
		if err := checkProgramme(in, calendar.DateOf(now, cal.Location())); err != nil {
			return err
		}
		if err := scheduleNext(tx, p, set, cal, now); err != nil {
			return err
		}
		if err := store.PutProgramme(tx, p); err != nil {
			return err
		}
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectProgrammeCreated, Resource: "programmes/" + p.GetId(),
			Data: &ticketv1.ProgrammeCreated{Programme: programmeSnapshot(p)}, Time: now}); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		resp.Programme = p
		return idem.Save(tx, "CreateProgramme", req.GetRequestId(), req, resp, now)
	})
	if err != nil {
		return nil, toStatus(err)
	}
	s.p.Notify()
	s.p.Timers.Notify()
	return resp, nil
}

// GetProgramme returns a programme.
func (s *Server) GetProgramme(_ context.Context, req *ticketv1.GetProgrammeRequest) (*ticketv1.GetProgrammeResponse, error) {
	resp := &ticketv1.GetProgrammeResponse{}
	err := s.p.DB.View(func(tx *bbolt.Tx) (err error) {
		resp.Programme, err = store.GetProgramme(tx, req.GetProgrammeId())
		return err
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return resp, nil
}

// occur makes occurrence n (the timer's payload) of a programme, once: in the transaction
// that moves next_sequence on, so a timer fired again (a restart before its bookkeeping) finds
// it made.
// An inspection raises a maintenance ticket whose window is the due day's working hours (the
// ticket's triage asks dispatch for the job); a revisit makes a follow-up due that day.
func (s *Server) occur(ctx context.Context, tm timer.Timer) error {
	n, err := strconv.Atoi(string(tm.Payload))
	if err != nil {
		return nil // not ours to retry: a malformed payload never becomes valid
	}
	err = s.p.DB.Update(ctx, func(tx *bbolt.Tx) error {
		p, err := store.GetProgramme(tx, tm.Key)
		if err != nil {
			return err
		}
		if p.GetFinished() || int(p.GetNextSequence()) != n {
			return errSkip // made (or passed over) already
		}
		now := s.p.Clock.Now()
		set, cal, err := s.programmeContext(tx, p)
		if err != nil {
			return err
		}
		o, ok, err := set.Occur(cal, programmeFromProto(p), n)
		if err != nil {
			return err
		}
		if !ok {
			p.Finished, p.NextDueDate = true, nil
			return store.PutProgramme(tx, p)
		}
		if o.Due.Before(calendar.DateOf(now, cal.Location())) {
			// Due while the service was stopped: passed over, the programme goes on.
			if err := scheduleNext(tx, p, set, cal, now); err != nil {
				return err
			}
			return store.PutProgramme(tx, p)
		}
		ev := &ticketv1.ProgrammeOccurred{DueDate: dateToProto(o.Due), Sequence: int32(n)}
		switch p.GetKind() {
		case ticketv1.ProgrammeKind_PROGRAMME_KIND_INSPECTION:
			t, err := s.newTicket(tx, now, inspectionTicket(p, o, cal), func(t *ticketv1.Ticket) { t.ProgrammeId = p.GetId() })
			if err != nil {
				return err
			}
			p.LastTicketId, ev.TicketId = t.GetId(), t.GetId()
		case ticketv1.ProgrammeKind_PROGRAMME_KIND_REVISIT:
			f := &ticketv1.FollowUp{Reason: ticketv1.FollowUpReason_FOLLOW_UP_REASON_REVISIT, UnitSerial: p.GetUnit().GetSerial(),
				ProductLine: p.GetUnit().GetProductLine(), CustomerId: p.GetCustomer().GetCustomerId(), ProgrammeId: p.GetId(),
				Sequence: int32(n), OrganisationId: p.GetOrganisationId()}
			f, err := s.newFollowUp(tx, now, f, o.Due, 0, p.GetServicePolicyId(), "revisit", p.GetId(), strconv.Itoa(n))
			if err != nil {
				return err
			}
			p.LastFollowUpId, ev.FollowUpId = f.GetId(), f.GetId()
		}
		p.Occurrences++
		p.NextSequence = int32(n + 1)
		p.UpdateTime = ts(now)
		if err := scheduleNext(tx, p, set, cal, now); err != nil {
			return err
		}
		if err := store.PutProgramme(tx, p); err != nil {
			return err
		}
		ev.Programme = programmeSnapshot(p)
		if _, err := outbox.Append(tx, outbox.Event{Subject: SubjectProgrammeOccurred, Resource: "programmes/" + p.GetId(),
			Data: ev, Time: now}); err != nil {
			return fmt.Errorf("append event: %w", err)
		}
		return nil
	})
	if err == nil {
		s.p.Notify()
		s.p.Timers.Notify()
	}
	return skipOK(err)
}

// inspectionTicket is the maintenance ticket of an inspection due on o.Due: the unit, the
// customer and organisation of the programme, the customer's window the due day's working
// hours on the policy's calendar.
func inspectionTicket(p *ticketv1.Programme, o domain.Occurrence, cal *calendar.Calendar) *ticketv1.Ticket {
	t := &ticketv1.Ticket{Kind: ticketv1.TicketKind_TICKET_KIND_MAINTENANCE, Channel: ticketv1.Channel_CHANNEL_INTERNAL,
		Priority: ticketv1.Priority_PRIORITY_NORMAL, Unit: p.GetUnit(), Customer: p.GetCustomer(),
		OrganisationId: p.GetOrganisationId(), ServicePolicyId: p.GetServicePolicyId(),
		Fault: &ticketv1.Fault{Symptom: fmt.Sprintf("preventive inspection %d, due %s", o.Sequence, o.Due)}}
	if hours := cal.Hours(o.Due); len(hours) > 0 {
		day := o.Due.Time(cal.Location())
		t.WindowStartTime = ts(day.Add(hours[0].Start))
		t.WindowEndTime = ts(day.Add(hours[len(hours)-1].End))
	} else {
		day := o.Due.Time(cal.Location())
		t.WindowStartTime, t.WindowEndTime = ts(day), ts(day.Add(24*time.Hour))
	}
	return t
}
