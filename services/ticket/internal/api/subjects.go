package api

// Event subjects of the ticket service (stream TICKET), one per lifecycle event.
const (
	SubjectTicketCreated        = "sanbao.ticket.v1.ticket.created"
	SubjectTicketTriaged        = "sanbao.ticket.v1.ticket.triaged"
	SubjectCoverageChanged      = "sanbao.ticket.v1.ticket.coverage_changed"
	SubjectTicketAwaiting       = "sanbao.ticket.v1.ticket.awaiting"
	SubjectTicketResumed        = "sanbao.ticket.v1.ticket.resumed"
	SubjectTicketRemoteGuidance = "sanbao.ticket.v1.ticket.remote_guidance"
	SubjectTicketDispatched     = "sanbao.ticket.v1.ticket.dispatched"
	SubjectTicketJobAssigned    = "sanbao.ticket.v1.ticket.job_assigned"
	SubjectTicketInService      = "sanbao.ticket.v1.ticket.in_service"
	SubjectTicketResolved       = "sanbao.ticket.v1.ticket.resolved"
	SubjectResolutionConfirmed  = "sanbao.ticket.v1.ticket.resolution_confirmed"
	SubjectTicketClosed         = "sanbao.ticket.v1.ticket.closed"
	SubjectTicketReopened       = "sanbao.ticket.v1.ticket.reopened"
	SubjectTicketEscalated      = "sanbao.ticket.v1.ticket.escalated"
	SubjectTicketCancelled      = "sanbao.ticket.v1.ticket.cancelled"
	SubjectContactRecorded      = "sanbao.ticket.v1.contact.recorded"
	SubjectComplaintVerified    = "sanbao.ticket.v1.complaint.verified"
	SubjectComplaintAnswered    = "sanbao.ticket.v1.complaint.answered"
	SubjectSurveySubmitted      = "sanbao.ticket.v1.survey.submitted"
	SubjectSlaWarning           = "sanbao.ticket.v1.sla.warning"
	SubjectSlaBreached          = "sanbao.ticket.v1.sla.breached"
	SubjectCalendarCreated      = "sanbao.ticket.v1.calendar.created"
	SubjectCalendarUpdated      = "sanbao.ticket.v1.calendar.updated"
	SubjectPolicyCreated        = "sanbao.ticket.v1.policy.created"
	SubjectPolicyUpdated        = "sanbao.ticket.v1.policy.updated"
	SubjectAttachmentAdded      = "sanbao.ticket.v1.attachment.added"
	SubjectAttachmentRemoved    = "sanbao.ticket.v1.attachment.removed"
)

// Timer kinds of the ticket service.
const (
	timerTriage    = "ticket.triage"
	timerReassess  = "ticket.reassess"
	timerDispatch  = "ticket.dispatch"
	timerCancelJob = "ticket.cancel_job"
	timerAutoClose = "ticket.auto_close"
	timerWarn      = "sla.warn"
	timerBreach    = "sla.breach"
	timerRetention = "attachment.retention"
)
