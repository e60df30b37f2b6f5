package api

import (
	"context"
	"time"

	"google.golang.org/protobuf/proto"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/ticket/internal/domain"
)

// requestSurvey requests the satisfaction survey of a closing ticket (every service closes
// with one, DOMAIN.md §6) and schedules its first reminder; a survey already given counts as
// requested and answered.
func (c *change) requestSurvey() error {
	if c.t.GetSurveyRequest() != nil {
		return nil // reopened and closed again: the first request stands
	}
	r := &ticketv1.SurveyRequest{State: ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_REQUESTED, RequestTime: ts(c.now)}
	c.t.SurveyRequest = r
	c.emit(SubjectSurveyRequested, func(s *ticketv1.TicketSnapshot) proto.Message { return &ticketv1.SurveyRequested{Ticket: s} })
	if sv := c.t.GetSurvey(); sv != nil {
		r.State, r.EndTime = ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_ANSWERED, sv.GetSubmitTime()
		return nil
	}
	return c.scheduleReminder(1)
}

// scheduleReminder schedules reminder n of the ticket's survey on the policy's calendar.
func (c *change) scheduleReminder(n int) error {
	pol, err := c.policy()
	if err != nil {
		return err
	}
	cal, err := c.s.calendar(c.tx, pol.CalendarID)
	if err != nil {
		return err
	}
	r := c.t.GetSurveyRequest()
	at, err := domain.SurveyReminder(cal, r.GetRequestTime().AsTime(), pol.Programmes.SurveyReminderDays, n)
	if err != nil {
		return err
	}
	r.NextReminderTime = ts(at)
	return timer.Schedule(c.tx, timerSurveyRemind, c.t.GetId(), at, nil)
}

// surveyAnswered ends the chase of the ticket's survey.
func (c *change) surveyAnswered() error {
	r := c.t.GetSurveyRequest()
	if r.GetState() != ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_REQUESTED {
		return nil
	}
	r.State, r.EndTime, r.NextReminderTime = ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_ANSWERED, ts(c.now), nil
	return timer.Cancel(c.tx, timerSurveyRemind, c.t.GetId())
}

// surveyRemind sends the next reminder of an unanswered survey, or gives it up after the
// policy's reminders (key: ticket id).
func (s *Server) surveyRemind(ctx context.Context, tm timer.Timer) error {
	return skipOK(s.update(ctx, tm.Key, func(c *change) error {
		r := c.t.GetSurveyRequest()
		if r.GetState() != ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_REQUESTED || c.t.GetSurvey() != nil {
			return errSkip
		}
		if next := r.GetNextReminderTime(); next != nil && c.now.Before(next.AsTime().Add(-time.Second)) {
			return errSkip // not due yet (a stale timer)
		}
		pol, err := c.policy()
		if err != nil {
			return err
		}
		if int(r.GetReminders()) >= pol.Programmes.SurveyReminders {
			r.State, r.EndTime, r.NextReminderTime = ticketv1.SurveyRequestState_SURVEY_REQUEST_STATE_GIVEN_UP, ts(c.now), nil
			n := r.GetReminders()
			c.emit(SubjectSurveyGivenUp, func(s *ticketv1.TicketSnapshot) proto.Message {
				return &ticketv1.SurveyGivenUp{Ticket: s, Reminders: n}
			})
			return nil
		}
		r.Reminders++
		n := r.GetReminders()
		c.emit(SubjectSurveyReminded, func(s *ticketv1.TicketSnapshot) proto.Message {
			return &ticketv1.SurveyReminded{Ticket: s, Reminder: n}
		})
		return c.scheduleReminder(int(n) + 1)
	}))
}
