package api

import (
	"fmt"
	"strings"
	"time"

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
	sendWith := func(key, template, text string, extra map[string]string) error {
		params := map[string]string{"number": c.t.GetNumber(), "ticket_id": c.t.GetId()}
		for k, v := range extra {
			params[k] = v
		}
		_, err := notify.Enqueue(tx, notify.Message{Key: "ticket/" + c.t.GetId() + "/" + key, Channel: addr.Channel, To: addr.To,
			Template: template, Params: params, Text: fmt.Sprintf(text, c.t.GetNumber())}, due)
		return err
	}
	send := func(key, template, text string) error { return sendWith(key, template, text, nil) }
	for _, e := range c.events {
		step, ok := customerSteps[e.subject]
		if !ok {
			continue
		}
		if e.subject == SubjectTicketJobAssigned {
			if j := activeJob(c.t); j != nil {
				if err := sendWith(step.template+"/"+c.t.GetEtag(), step.template, c.technicianText(j, "已安排服务工程师"), c.technicianParams(j)); err != nil {
					return err
				}
				continue
			}
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
			if err := sendWith(templateOnTheWay+"/"+j.GetJobId(), templateOnTheWay, c.technicianText(j, "的服务工程师已出发"), c.technicianParams(j)); err != nil {
				return err
			}
		}
	}
	return nil
}

// technicianParams are the technician step's template parameters: the technician's display
// name and the expected arrival (RFC 3339, and as the message shows it) when known.
func (c *change) technicianParams(j *ticketv1.Job) map[string]string {
	p := map[string]string{}
	if n := j.GetTechnicianName(); n != "" {
		p["technician_name"] = n
	}
	if eta := j.GetEtaTime(); eta != nil {
		p["eta"] = eta.AsTime().UTC().Format(time.RFC3339)
		p["eta_local"] = c.local(eta.AsTime())
	}
	return p
}

// technicianText is the technician step's message: "服务请求 %s <what>：张师傅，预计 12月2日 10:00 到达。"
// (a %s for the number stays in it).
func (c *change) technicianText(j *ticketv1.Job, what string) string {
	text := "服务请求 %s " + what
	if n := j.GetTechnicianName(); n != "" {
		text += "：" + strings.ReplaceAll(n, "%", "%%")
	}
	if eta := j.GetEtaTime(); eta != nil {
		text += "，预计 " + c.local(eta.AsTime()) + " 到达"
	}
	return text + "。可在进度页查看。"
}

// local shows t in the default business calendar's time zone (the service's customers'),
// "1月2日 15:04"; UTC when there is none.
func (c *change) local(t time.Time) string {
	loc := time.UTC
	if cal, err := c.s.calendar(c.tx, ""); err == nil && cal.Location() != nil {
		loc = cal.Location()
	}
	return t.In(loc).Format("1月2日 15:04")
}
