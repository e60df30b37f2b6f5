package api

import (
	"fmt"

	"go.etcd.io/bbolt"

	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	"github.com/sanbao/sanbao/platform/notify"
)

// The steps of a ticket the customer is told about, by the event that marks them.
var customerSteps = map[string]struct{ template, text string }{
	SubjectTicketCreated:     {"ticket.received", "您的服务请求 %s 已受理。"},
	SubjectTicketTriaged:     {"ticket.coverage_decided", "服务请求 %s 的保修判定已完成，可在进度页查看。"},
	SubjectCoverageChanged:   {"ticket.coverage_decided", "服务请求 %s 的保修判定已更新，可在进度页查看。"},
	SubjectTicketJobAssigned: {"ticket.technician_assigned", "服务请求 %s 已安排服务工程师，可在进度页查看到达时间。"},
	SubjectTicketResolved:    {"ticket.done", "服务请求 %s 已完成服务。"},
}

// Templates of the steps that are not one event.
const (
	templateOnTheWay = "ticket.on_the_way"
	templateSurvey   = "ticket.survey"
)

// SetNotifications makes the server tell customers about their tickets' steps with pref's
// quiet hours (channels come from each ticket's contact: SMS to the phone, then e-mail).
// served reports which channels the provider serves.
func (s *Server) SetNotifications(pref notify.Preference, served func(notify.Channel) bool) {
	s.notifyPref, s.notifyServed = &pref, served
}

// preference is the customer's: their contact's phone, then e-mail.
func (s *Server) preference(t *ticketv1.Ticket) notify.Preference {
	p := *s.notifyPref
	p.Channels = nil
	if c := t.GetCustomer().GetContact(); c != nil {
		p.Channels = append(p.Channels, notify.Address{Channel: notify.SMS, To: c.GetPhone()}, notify.Address{Channel: notify.Email, To: c.GetEmail()})
	}
	return p
}

// notifyCustomer enqueues, in the change's transaction, a message for each step the change
// makes that the customer cares about. Keys make each step once: a change is committed once,
// and a redelivered event is not applied twice.
func (c *change) notifyCustomer(tx *bbolt.Tx) error {
	if c.s.notifyPref == nil {
		return nil
	}
	pref := c.s.preference(c.t)
	addr, err := pref.Route(c.s.notifyServed)
	if err != nil {
		return nil // no address on record: nothing to send
	}
	due := pref.DeliverAt(c.now)
	send := func(key, template, text string) error {
		_, err := notify.Enqueue(tx, notify.Message{Key: "ticket/" + c.t.GetId() + "/" + key, Channel: addr.Channel, To: addr.To,
			Template: template, Params: map[string]string{"number": c.t.GetNumber(), "ticket_id": c.t.GetId()},
			Text: fmt.Sprintf(text, c.t.GetNumber())}, due)
		return err
	}
	for _, e := range c.events {
		step, ok := customerSteps[e.subject]
		if !ok {
			continue
		}
		if err := send(step.template+"/"+c.t.GetEtag(), step.template, step.text); err != nil {
			return err
		}
		if e.subject == SubjectTicketResolved {
			if err := send(templateSurvey+"/"+c.t.GetEtag(), templateSurvey, "请为服务请求 %s 的服务评价，在进度页填写满意度调查。"); err != nil {
				return err
			}
		}
	}
	for _, j := range c.t.GetJobs() { // on the way: a job newly EN_ROUTE (no ticket event marks it)
		if j.GetState() != ticketv1.JobState_JOB_STATE_EN_ROUTE || j.GetJobId() == "" {
			continue
		}
		was := false
		for _, o := range c.old.GetJobs() {
			if o.GetJobId() == j.GetJobId() && o.GetState() == ticketv1.JobState_JOB_STATE_EN_ROUTE {
				was = true
			}
		}
		if !was {
			if err := send(templateOnTheWay+"/"+j.GetJobId(), templateOnTheWay, "服务请求 %s 的服务工程师已出发。"); err != nil {
				return err
			}
		}
	}
	return nil
}
