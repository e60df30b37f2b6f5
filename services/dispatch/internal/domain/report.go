package domain

import "time"

// SignOffCheck is what the sign-off rule needs to know about a visit.
type SignOffCheck struct {
	// CheckIn is when the technician checked in; zero means never.
	CheckIn time.Time
	// WorkDone is the recorded work (the report's or the draft's).
	WorkDone string
	// SignerGiven and SignatureGiven say whether a signer name and a signature reference
	// were given.
	SignerGiven, SignatureGiven bool
	// Signed is the signature time; zero means not signed.
	Signed time.Time
}

// CheckSignOff applies the report rule: the customer signs after the service, never before.
// The sign-off is accepted only after check-in and with the work recorded, and its time lies
// between the check-in and now (plus the policy's clock skew).
func CheckSignOff(p Policy, c SignOffCheck, now time.Time) error {
	switch {
	case c.CheckIn.IsZero():
		return Preconditionf("report.sign_off: the technician has not checked in; the customer signs after the service, never before")
	case c.WorkDone == "":
		return Preconditionf("report.work_done: no work recorded; the customer signs after the work is recorded")
	case c.Signed.IsZero() || !c.SignerGiven || !c.SignatureGiven:
		return Invalidf("report.sign_off: required (signer_name, signed_time, signature_ref)")
	case c.Signed.Before(c.CheckIn):
		return Preconditionf("report.sign_off.signed_time: before the check-in at %s; signing before the service is not allowed",
			c.CheckIn.UTC().Format(time.RFC3339))
	case c.Signed.After(now.Add(p.ClockSkew)):
		return Invalidf("report.sign_off.signed_time: must not be in the future")
	}
	return nil
}

// CheckDraft refuses a draft report that carries a sign-off: the customer signs only on
// CompleteVisit.
func CheckDraft(hasSignOff bool) error {
	if hasSignOff {
		return Invalidf("report.sign_off: a draft report is not signed; sign on CompleteVisit")
	}
	return nil
}

// CheckCheckIn checks a check-in's time and place: not in the future, not before the job was
// created, and (when the policy sets a distance) near the site.
func CheckCheckIn(p Policy, at, created, now time.Time, distanceKm float64) error {
	if at.After(now.Add(p.ClockSkew)) {
		return Invalidf("check_in_time: must not be in the future")
	}
	if at.Before(created) {
		return Invalidf("check_in_time: must not be before the job was created")
	}
	if p.CheckInDistanceKm > 0 && distanceKm > p.CheckInDistanceKm {
		return Preconditionf("point: %.1f km from the site, more than %.1f km", distanceKm, p.CheckInDistanceKm)
	}
	return nil
}

// Window is an appointment or availability window [Start, End).
type Window struct {
	Start, End time.Time
}

// Contains reports whether inner lies inside w; a zero w contains everything.
func (w Window) Contains(inner Window) bool {
	if w.Start.IsZero() && w.End.IsZero() {
		return true
	}
	return !inner.Start.Before(w.Start) && !inner.End.After(w.End)
}

// CheckAppointment checks a first appointment: it must end after now and lie inside the
// customer's window (when given).
func CheckAppointment(win, customer Window, now time.Time) error {
	if !win.End.After(win.Start) {
		return Invalidf("window.end_time: must be after start_time")
	}
	if !win.End.After(now) {
		return Invalidf("window.end_time: must be in the future")
	}
	if !customer.Contains(win) {
		return Preconditionf("window: outside the customer's availability window")
	}
	return nil
}

// CheckInstallationLead applies the appointment rule for installations: the appointment is
// agreed at least Policy.InstallationLead ahead of its start.
func CheckInstallationLead(p Policy, win Window, now time.Time) error {
	if p.InstallationLead > 0 && win.Start.Sub(now) < p.InstallationLead {
		return Preconditionf("window.start_time: an installation is agreed at least %s ahead", p.InstallationLead)
	}
	return nil
}

// Notice is the outcome of a lateness notice.
type Notice struct {
	// Ahead is how long before the previous window's start the customer was told (negative
	// when told after it started).
	Ahead time.Duration
	// Late is true when Ahead is shorter than the policy's lateness notice.
	Late bool
}

// CheckReschedule applies the lateness rule: a technician who will be late tells the customer
// at least Policy.LatenessNotice before the agreed start and a new window is agreed. A shorter
// notice is recorded as late (and escalated by the caller), not refused: the lateness happens
// anyway. The new window must end after the notice.
func CheckReschedule(p Policy, previous, next Window, noticeAt, now time.Time) (Notice, error) {
	if !next.End.After(next.Start) {
		return Notice{}, Invalidf("window.end_time: must be after start_time")
	}
	if noticeAt.After(now.Add(p.ClockSkew)) {
		return Notice{}, Invalidf("notice_time: must not be in the future")
	}
	if !next.End.After(noticeAt) {
		return Notice{}, Invalidf("window.end_time: must be after the notice time")
	}
	ahead := previous.Start.Sub(noticeAt)
	return Notice{Ahead: ahead, Late: ahead < p.LatenessNotice}, nil
}

// CheckAmendment checks a correction to a signed report: a reason is required.
func CheckAmendment(reason string) error {
	if reason == "" {
		return Invalidf("amendment.reason: required")
	}
	return nil
}
