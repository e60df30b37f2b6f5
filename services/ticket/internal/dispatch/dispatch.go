// Package dispatch is the ticket service's client of dispatch: it turns a ticket's pending
// visit into a CreateJob request and cancels jobs the ticket no longer needs.
package dispatch

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	ticketv1 "github.com/sanbao/sanbao/gen/sanbao/ticket/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// Requester is the requested_by of the jobs the ticket service asks for: a manager approves
// their paid ones (the service itself never does).
const Requester = "sanbao-ticket"

// Client calls DispatchService.
type Client struct {
	c dispatchv1.DispatchServiceClient
}

// New returns a client over conn.
func New(conn grpc.ClientConnInterface) *Client {
	return &Client{c: dispatchv1.NewDispatchServiceClient(conn)}
}

var jobKinds = map[ticketv1.TicketKind]dispatchv1.JobKind{
	ticketv1.TicketKind_TICKET_KIND_REPAIR:          dispatchv1.JobKind_JOB_KIND_REPAIR,
	ticketv1.TicketKind_TICKET_KIND_INSTALLATION:    dispatchv1.JobKind_JOB_KIND_INSTALLATION,
	ticketv1.TicketKind_TICKET_KIND_MAINTENANCE:     dispatchv1.JobKind_JOB_KIND_MAINTENANCE,
	ticketv1.TicketKind_TICKET_KIND_RETURN_EXCHANGE: dispatchv1.JobKind_JOB_KIND_INSPECTION,
	ticketv1.TicketKind_TICKET_KIND_COMPLAINT:       dispatchv1.JobKind_JOB_KIND_INSPECTION,
	ticketv1.TicketKind_TICKET_KIND_CONSULTATION:    dispatchv1.JobKind_JOB_KIND_INSPECTION,
}

// CreateJob requests visit j of ticket t; the request id is the ticket id and visit number, so
// a retry creates one job. Deadlines come from the ticket's arrange, on-site and fix clocks.
func (c *Client) CreateJob(ctx context.Context, t *ticketv1.Ticket, j *ticketv1.Job) (*ticketv1.Job, error) {
	job := &dispatchv1.Job{
		TicketId:    t.GetId(),
		Kind:        jobKinds[t.GetKind()],
		Site:        t.GetCustomer().GetAddress(),
		ProductLine: t.GetUnit().GetProductLine(),
		UnitSerial:  t.GetUnit().GetSerial(),
		FaultCode:   t.GetFault().GetFaultCode(),
		Level:       dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_ROUTINE,
		Priority:    dispatchv1.Priority(t.GetPriority()),
		CampaignIds: t.GetCampaignIds(),
	}
	for _, p := range t.GetFault().GetLikelyParts() {
		job.LikelyParts = append(job.LikelyParts, &dispatchv1.PartNeed{PartId: p.GetPartId(), Quantity: p.GetQuantity()})
	}
	if tr := t.GetTriage(); tr.GetFee() != nil && (tr.GetCoverage() == ticketv1.Coverage_COVERAGE_PAID || tr.GetCoverage() == ticketv1.Coverage_COVERAGE_NOT_COVERED) {
		// Paid service at the quoted fee: dispatch holds the work for a manager's approval.
		job.Paid, job.Fee, job.RequestedBy = true, tr.GetFee(), Requester
	}
	if job.Site == nil {
		job.Site = &typev1.Address{}
	}
	if job.ProductLine == "" {
		job.ProductLine = "general"
	}
	if j.GetExpert() {
		job.Level = dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_EXPERT
	}
	for _, prev := range t.GetJobs() {
		if prev.GetVisit() == j.GetVisit()-1 {
			job.PreviousJobId = prev.GetJobId()
		}
	}
	for _, k := range t.GetClocks() {
		if k.GetState() != ticketv1.SlaClockState_SLA_CLOCK_STATE_RUNNING {
			continue
		}
		switch k.GetMetric() {
		case ticketv1.SlaMetric_SLA_METRIC_ARRANGE:
			job.ArrangeBy = k.GetDeadline()
		case ticketv1.SlaMetric_SLA_METRIC_ON_SITE:
			job.ArriveBy = k.GetDeadline()
		case ticketv1.SlaMetric_SLA_METRIC_FIX:
			job.FixBy = k.GetDeadline()
		}
	}
	if t.GetWindowStartTime() != nil && t.GetWindowEndTime() != nil {
		job.CustomerWindow = &dispatchv1.TimeWindow{StartTime: t.GetWindowStartTime(), EndTime: t.GetWindowEndTime()}
	}
	resp, err := c.c.CreateJob(ctx, &dispatchv1.CreateJobRequest{
		RequestId: fmt.Sprintf("ticket-%s-visit-%d", t.GetId(), j.GetVisit()), Job: job})
	if err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	out := &ticketv1.Job{JobId: resp.GetJob().GetId(), State: ticketv1.JobState(resp.GetJob().GetState())}
	return out, nil
}

// CancelJob cancels a job; a job already finished or cancelled (FAILED_PRECONDITION) or
// unknown is not an error.
func (c *Client) CancelJob(ctx context.Context, jobID, reason string) error {
	_, err := c.c.CancelJob(ctx, &dispatchv1.CancelJobRequest{RequestId: "cancel-" + jobID, JobId: jobID, Reason: reason})
	switch status.Code(err) {
	case codes.OK, codes.FailedPrecondition, codes.NotFound:
		return nil
	}
	return fmt.Errorf("cancel job %s: %w", jobID, err)
}

// Job reads a job; found is false when dispatch does not know it.
func (c *Client) Job(ctx context.Context, jobID string) (*dispatchv1.Job, bool, error) {
	resp, err := c.c.GetJob(ctx, &dispatchv1.GetJobRequest{JobId: jobID})
	if status.Code(err) == codes.NotFound {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get job %s: %w", jobID, err)
	}
	return resp.GetJob(), true, nil
}
