package api

import (
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/outbox"
)

// Event subjects dispatch publishes (stream DISPATCH, sanbao.dispatch.>).
const (
	SubjectJobCreated             = "sanbao.dispatch.v1.job.created"
	SubjectJobAssigned            = "sanbao.dispatch.v1.job.assigned"
	SubjectJobAccepted            = "sanbao.dispatch.v1.job.accepted"
	SubjectJobApproved            = "sanbao.dispatch.v1.job.approved"
	SubjectJobDeclined            = "sanbao.dispatch.v1.job.declined"
	SubjectJobReassigned          = "sanbao.dispatch.v1.job.reassigned"
	SubjectJobEscalated           = "sanbao.dispatch.v1.job.escalated"
	SubjectJobEnRoute             = "sanbao.dispatch.v1.job.en_route"
	SubjectJobCheckedIn           = "sanbao.dispatch.v1.job.checked_in"
	SubjectJobVisitCompleted      = "sanbao.dispatch.v1.job.visit_completed"
	SubjectJobFailed              = "sanbao.dispatch.v1.job.failed"
	SubjectJobCancelled           = "sanbao.dispatch.v1.job.cancelled"
	SubjectAppointmentScheduled   = "sanbao.dispatch.v1.job.appointment_scheduled"
	SubjectAppointmentRescheduled = "sanbao.dispatch.v1.job.appointment_rescheduled"
	SubjectReportAmended          = "sanbao.dispatch.v1.job.report_amended"
	SubjectTechnicianCreated      = "sanbao.dispatch.v1.technician.created"
	SubjectTechnicianUpdated      = "sanbao.dispatch.v1.technician.updated"
	// SubjectTechnicianQualificationRecorded: a training or assessment was recorded.
	SubjectTechnicianQualificationRecorded = "sanbao.dispatch.v1.technician.qualification_recorded"
	SubjectPlanCommitted                   = "sanbao.dispatch.v1.plan.committed"
)

func emit(tx *bbolt.Tx, subject, resource string, msg proto.Message, now time.Time) error {
	_, err := outbox.Append(tx, outbox.Event{Subject: subject, Resource: resource, Data: msg, Time: now})
	return err
}

func emitJob(tx *bbolt.Tx, subject string, j *dispatchv1.Job, msg proto.Message, now time.Time) error {
	return emit(tx, subject, "jobs/"+j.GetId(), msg, now)
}

// escalate records an escalation on the job and publishes job.escalated.
func escalate(tx *bbolt.Tx, j *dispatchv1.Job, reason dispatchv1.EscalationReason, level dispatchv1.EscalationLevel, detail string, now time.Time) error {
	j.Escalations = append(j.Escalations, &dispatchv1.Escalation{Reason: reason, Level: level, Detail: detail, EscalateTime: ts(now)})
	return emitJob(tx, SubjectJobEscalated, j, &dispatchv1.JobEscalated{Job: snapshot(j), Reason: reason, Level: level, Detail: detail}, now)
}
