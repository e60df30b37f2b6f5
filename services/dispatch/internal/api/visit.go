package api

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/ids"
	"github.com/sanbao/sanbao/platform/timer"
	"github.com/sanbao/sanbao/services/dispatch/internal/domain"
)

func window(w *dispatchv1.TimeWindow) domain.Window {
	return domain.Window{Start: tm(w.GetStartTime()), End: tm(w.GetEndTime())}
}

// ScheduleAppointment records the first agreed appointment.
func (s *Server) ScheduleAppointment(ctx context.Context, req *dispatchv1.ScheduleAppointmentRequest) (*dispatchv1.ScheduleAppointmentResponse, error) {
	resp := &dispatchv1.ScheduleAppointmentResponse{}
	err := s.mutateJob(ctx, "ScheduleAppointment", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventSchedule); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			if j.GetAppointment() != nil {
				return domain.Preconditionf("window: an appointment is already agreed; use RescheduleAppointment")
			}
			if err := domain.CheckAppointment(window(req.GetWindow()), window(j.GetCustomerWindow()), now); err != nil {
				return err
			}
			if j.GetKind() == dispatchv1.JobKind_JOB_KIND_INSTALLATION {
				if err := domain.CheckInstallationLead(s.policy, window(req.GetWindow()), now); err != nil {
					return err
				}
			}
			j.Appointment = &dispatchv1.Appointment{Window: req.GetWindow(), AgreedTime: ts(now)}
			return emitJob(tx, SubjectAppointmentScheduled, j, &dispatchv1.AppointmentScheduled{Job: snapshot(j)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// RescheduleAppointment agrees a new window, flagging and escalating a late notice.
func (s *Server) RescheduleAppointment(ctx context.Context, req *dispatchv1.RescheduleAppointmentRequest) (*dispatchv1.RescheduleAppointmentResponse, error) {
	resp := &dispatchv1.RescheduleAppointmentResponse{}
	err := s.mutateJob(ctx, "RescheduleAppointment", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventReschedule); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			ap := j.GetAppointment()
			if ap == nil {
				return domain.Preconditionf("window: no appointment agreed yet; use ScheduleAppointment")
			}
			noticeAt := now
			if req.GetNoticeTime() != nil {
				noticeAt = req.GetNoticeTime().AsTime()
			}
			return s.rescheduleTo(tx, j, req.GetWindow(), noticeAt, req.GetReason(), now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// rescheduleTo moves the job's appointment to win with notice given at noticeAt: the
// reschedule is recorded, job.appointment_rescheduled published, and a notice under the
// policy's lateness notice flagged and escalated (LATE_NOTICE). The caller has applied
// EventReschedule.
func (s *Server) rescheduleTo(tx *bbolt.Tx, j *dispatchv1.Job, win *dispatchv1.TimeWindow, noticeAt time.Time, reason string, now time.Time) error {
	ap := j.GetAppointment()
	n, err := domain.CheckReschedule(s.policy, window(ap.GetWindow()), window(win), noticeAt, now)
	if err != nil {
		return err
	}
	ap.Reschedules = append(ap.Reschedules, &dispatchv1.Reschedule{
		PreviousWindow: ap.GetWindow(), NewWindow: win, NoticeTime: ts(noticeAt),
		Notice: durationpb.New(n.Ahead), LateNotice: n.Late, Reason: reason,
	})
	ap.Window, ap.AgreedTime = win, ts(now)
	if err := emitJob(tx, SubjectAppointmentRescheduled, j, &dispatchv1.AppointmentRescheduled{Job: snapshot(j), LateNotice: n.Late}, now); err != nil {
		return err
	}
	if n.Late {
		return escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_LATE_NOTICE, dispatchv1.EscalationLevel_ESCALATION_LEVEL_DISPATCHER,
			fmt.Sprintf("lateness notice %s before the appointment, policy %s", n.Ahead.Round(time.Minute), s.policy.LatenessNotice), now)
	}
	return nil
}

// StartTravel marks the technician en route.
func (s *Server) StartTravel(ctx context.Context, req *dispatchv1.StartTravelRequest) (*dispatchv1.StartTravelResponse, error) {
	resp := &dispatchv1.StartTravelResponse{}
	err := s.mutateJob(ctx, "StartTravel", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventStartTravel); err != nil {
				return err
			}
			if err := domain.CheckWorkMayStart(paidJob(j)); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			j.EnRouteTime = ts(now)
			return emitJob(tx, SubjectJobEnRoute, j, &dispatchv1.JobEnRoute{Job: snapshot(j)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// CheckIn records the arrival on site.
func (s *Server) CheckIn(ctx context.Context, req *dispatchv1.CheckInRequest) (*dispatchv1.CheckInResponse, error) {
	resp := &dispatchv1.CheckInResponse{}
	err := s.mutateJob(ctx, "CheckIn", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventCheckIn); err != nil {
				return err
			}
			if err := domain.CheckWorkMayStart(paidJob(j)); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			at := now
			if req.GetCheckInTime() != nil {
				at = req.GetCheckInTime().AsTime()
			}
			km := 0.0 // a site without a position cannot be checked against
			if j.GetSite().GetPoint() != nil {
				km = domain.GreatCircleKm(point(req.GetPoint()), point(j.GetSite().GetPoint()))
			}
			if err := domain.CheckCheckIn(s.policy, at, tm(j.GetCreateTime()), now, km); err != nil {
				return err
			}
			j.CheckIn = &dispatchv1.CheckInRecord{CheckInTime: ts(at), Point: req.GetPoint(), DistanceFromSiteKm: km}
			return emitJob(tx, SubjectJobCheckedIn, j, &dispatchv1.JobCheckedIn{Job: snapshot(j), CheckInTime: ts(at)}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// RecordWork saves the draft report.
func (s *Server) RecordWork(ctx context.Context, req *dispatchv1.RecordWorkRequest) (*dispatchv1.RecordWorkResponse, error) {
	if err := domain.CheckDraft(req.GetReport().GetSignOff() != nil); err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatchv1.RecordWorkResponse{}
	err := s.mutateJob(ctx, "RecordWork", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventRecordWork); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			r := proto.Clone(req.GetReport()).(*dispatchv1.ServiceReport)
			r.CompletedTime = nil
			r.Team = teamOf(j)
			j.Report = r
			return nil
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// mergeReport lays the fields given on CompleteVisit over the draft.
func mergeReport(draft, in *dispatchv1.ServiceReport) *dispatchv1.ServiceReport {
	r := &dispatchv1.ServiceReport{}
	if draft != nil {
		r = proto.Clone(draft).(*dispatchv1.ServiceReport)
	}
	if len(in.GetPartsUsed()) > 0 {
		r.PartsUsed = nil
	}
	proto.Merge(r, in)
	r.Resolved = in.GetResolved()
	return r
}

// CompleteVisit completes the visit with the customer's signed report.
func (s *Server) CompleteVisit(ctx context.Context, req *dispatchv1.CompleteVisitRequest) (*dispatchv1.CompleteVisitResponse, error) {
	resp := &dispatchv1.CompleteVisitResponse{}
	err := s.mutateJob(ctx, "CompleteVisit", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if j.GetState() == dispatchv1.JobState_JOB_STATE_COMPLETED || j.GetState() == dispatchv1.JobState_JOB_STATE_FAILED {
				return domain.Preconditionf("report: the visit is already completed and its signed report is immutable; use AmendReport")
			}
			r := mergeReport(j.GetReport(), req.GetReport())
			so := r.GetSignOff()
			if err := domain.CheckSignOff(s.policy, domain.SignOffCheck{
				CheckIn: tm(j.GetCheckIn().GetCheckInTime()), WorkDone: r.GetWorkDone(),
				SignerGiven: so.GetSignerName() != "", SignatureGiven: so.GetSignatureRef() != "", Signed: tm(so.GetSignedTime()),
			}, now); err != nil {
				return err
			}
			if err := domain.CheckCollected(paidJob(j), r.GetResolved(), r.GetCollected() != nil); err != nil {
				return err
			}
			if c := r.GetCollected(); c.GetAmountMinor() < 0 {
				return domain.Invalidf("report.collected.amount_minor: must not be negative, got %d", c.GetAmountMinor())
			}
			ev := domain.EventComplete
			if !r.GetResolved() {
				ev = domain.EventFail
			}
			if err := transition(j, ev); err != nil {
				return err
			}
			if err := requireAssignee(j, req.GetTechnicianId()); err != nil {
				return err
			}
			r.CompletedTime = ts(now)
			r.Team = teamOf(j)
			j.Report = r
			if err := timer.Cancel(tx, kindArrange, j.GetId()); err != nil {
				return err
			}
			pr := j.GetPartsReservation()
			reserved := pr != nil && (pr.GetState() == dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_PENDING ||
				pr.GetState() == dispatchv1.PartsReservationState_PARTS_RESERVATION_STATE_RESERVED)
			if reserved || len(unreservedLines(j)) > 0 {
				if err := timer.Schedule(tx, kindConsume, j.GetId(), now, nil); err != nil {
					return fmt.Errorf("schedule consumption: %w", err)
				}
			}
			if r.GetResolved() {
				return emitJob(tx, SubjectJobVisitCompleted, j, &dispatchv1.VisitCompleted{Job: snapshot(j), Report: scrubReport(r)}, now)
			}
			if err := emitJob(tx, SubjectJobFailed, j, &dispatchv1.JobFailed{Job: snapshot(j), Report: scrubReport(r)}, now); err != nil {
				return err
			}
			return escalate(tx, j, dispatchv1.EscalationReason_ESCALATION_REASON_VISIT_FAILED, dispatchv1.EscalationLevel_ESCALATION_LEVEL_SUPERVISOR,
				"visit did not resolve the problem; another visit is needed", now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// AmendReport appends a correction to a signed report.
func (s *Server) AmendReport(ctx context.Context, req *dispatchv1.AmendReportRequest) (*dispatchv1.AmendReportResponse, error) {
	if err := domain.CheckAmendment(req.GetAmendment().GetReason()); err != nil {
		return nil, toStatus(err)
	}
	resp := &dispatchv1.AmendReportResponse{}
	err := s.mutateJob(ctx, "AmendReport", req.GetRequestId(), req, resp, req.GetJobId(),
		func(j *dispatchv1.Job) { resp.Job = j },
		func(tx *bbolt.Tx, j *dispatchv1.Job, now time.Time) error {
			if err := transition(j, domain.EventAmend); err != nil {
				return err
			}
			a := proto.Clone(req.GetAmendment()).(*dispatchv1.ReportAmendment)
			a.Id, a.AmendTime = ids.NewAt(now), ts(now)
			j.Amendments = append(j.Amendments, a)
			return emitJob(tx, SubjectReportAmended, j, &dispatchv1.ReportAmended{Job: snapshot(j), Amendment: a}, now)
		})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// teamOf is the job's team as the service report names it (output only).
func teamOf(j *dispatchv1.Job) *dispatchv1.ServiceTeam {
	a := j.GetAssignment()
	return &dispatchv1.ServiceTeam{LeadTechnicianId: a.GetTechnicianId(), MemberTechnicianIds: a.GetMemberIds()}
}
