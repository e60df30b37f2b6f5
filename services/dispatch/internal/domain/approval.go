package domain

// Paid service (有偿服务, seeds 000 and 002): a paid job needs a manager's approval before work
// starts, and the money collected is handed in with the report.

// PaidJob is what the paid-service rules need to know about a job.
type PaidJob struct {
	Paid        bool
	Approved    bool
	RequestedBy string
}

// CheckApproval applies the approval rule: only a paid job is approved, once, and never by
// the one who asked for it.
func CheckApproval(j PaidJob, approver string) error {
	switch {
	case !j.Paid:
		return Preconditionf("job: not a paid job; only paid service needs approval")
	case j.Approved:
		return Preconditionf("job: already approved")
	case approver == j.RequestedBy:
		return errSelfApprovalf("approver_id: %q asked for this job and may not approve it; another manager must", approver)
	}
	return nil
}

// CheckWorkMayStart refuses to start an unapproved paid job (setting off or checking in).
func CheckWorkMayStart(j PaidJob) error {
	if j.Paid && !j.Approved {
		return Preconditionf("job: a paid job needs a manager's approval (ApproveJob) before work starts")
	}
	return nil
}

// CheckCollected requires the money collected on the report of a resolved paid job.
func CheckCollected(j PaidJob, resolved, collected bool) error {
	if j.Paid && resolved && !collected {
		return Invalidf("report.collected: required on a resolved paid job: the money collected is handed in with the report")
	}
	return nil
}
