package domain

import (
	"errors"
	"testing"
	"time"
)

func TestCheckSignOff(t *testing.T) {
	p := DefaultPolicy()
	now := monday10
	checkIn := now.Add(-2 * time.Hour)
	ok := SignOffCheck{CheckIn: checkIn, WorkDone: "replaced injector", SignerGiven: true, SignatureGiven: true, Signed: now}
	tests := []struct {
		name string
		mod  func(*SignOffCheck)
		want error
	}{
		{"signed after service", nil, nil},
		{"signed at check-in", func(c *SignOffCheck) { c.Signed = checkIn }, nil},
		{"not checked in", func(c *SignOffCheck) { c.CheckIn = time.Time{} }, ErrPrecondition},
		{"no work recorded", func(c *SignOffCheck) { c.WorkDone = "" }, ErrPrecondition},
		{"signed one second before check-in", func(c *SignOffCheck) { c.Signed = checkIn.Add(-time.Second) }, ErrPrecondition},
		{"no signed time", func(c *SignOffCheck) { c.Signed = time.Time{} }, ErrInvalid},
		{"no signer", func(c *SignOffCheck) { c.SignerGiven = false }, ErrInvalid},
		{"no signature", func(c *SignOffCheck) { c.SignatureGiven = false }, ErrInvalid},
		{"signed at the skew limit", func(c *SignOffCheck) { c.Signed = now.Add(p.ClockSkew) }, nil},
		{"signed in the future", func(c *SignOffCheck) { c.Signed = now.Add(p.ClockSkew + time.Second) }, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			if tt.mod != nil {
				tt.mod(&c)
			}
			err := CheckSignOff(p, c, now)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("CheckSignOff(%+v) = %v, want %v", c, err, tt.want)
			}
		})
	}
}

func TestCheckReschedule(t *testing.T) {
	p := DefaultPolicy()
	start := monday10.Add(6 * time.Hour)
	prev := Window{Start: start, End: start.Add(2 * time.Hour)}
	next := Window{Start: start.Add(24 * time.Hour), End: start.Add(26 * time.Hour)}
	tests := []struct {
		name     string
		noticeAt time.Time
		next     Window
		late     bool
		err      error
	}{
		{"3 h ahead", start.Add(-3 * time.Hour), next, false, nil},
		{"exactly 2 h ahead", start.Add(-2 * time.Hour), next, false, nil},
		{"1h59m ahead is late", start.Add(-2*time.Hour + time.Minute), next, true, nil},
		{"after the start is late", start.Add(10 * time.Minute), next, true, nil},
		{"new window ends before notice", start.Add(-3 * time.Hour), Window{Start: start.Add(-5 * time.Hour), End: start.Add(-4 * time.Hour)}, false, ErrInvalid},
		{"new window reversed", start.Add(-3 * time.Hour), Window{Start: next.End, End: next.Start}, false, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckReschedule(p, prev, tt.next, tt.noticeAt, tt.noticeAt)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("CheckReschedule() error = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got.Late != tt.late || got.Ahead != start.Sub(tt.noticeAt) {
				t.Fatalf("CheckReschedule() = %+v, %v; want late=%v ahead=%s", got, err, tt.late, start.Sub(tt.noticeAt))
			}
		})
	}
}

func TestCheckAppointment(t *testing.T) {
	now := monday10
	cust := Window{Start: now.Add(time.Hour), End: now.Add(8 * time.Hour)}
	tests := []struct {
		name     string
		win      Window
		customer Window
		want     error
	}{
		{"inside the customer window", Window{now.Add(2 * time.Hour), now.Add(4 * time.Hour)}, cust, nil},
		{"exactly the customer window", cust, cust, nil},
		{"no customer window", Window{now.Add(30 * time.Hour), now.Add(32 * time.Hour)}, Window{}, nil},
		{"starts before the customer window", Window{now, now.Add(2 * time.Hour)}, cust, ErrPrecondition},
		{"ends after the customer window", Window{now.Add(7 * time.Hour), now.Add(9 * time.Hour)}, cust, ErrPrecondition},
		{"in the past", Window{now.Add(-3 * time.Hour), now.Add(-time.Hour)}, Window{}, ErrInvalid},
		{"empty", Window{now.Add(time.Hour), now.Add(time.Hour)}, Window{}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAppointment(tt.win, tt.customer, now)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("CheckAppointment() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckCheckIn(t *testing.T) {
	p := DefaultPolicy()
	now := monday10
	created := now.Add(-5 * time.Hour)
	tests := []struct {
		name string
		at   time.Time
		km   float64
		want error
	}{
		{"now at the site", now, 0.1, nil},
		{"at the distance limit", now, p.CheckInDistanceKm, nil},
		{"too far from the site", now, p.CheckInDistanceKm + 0.1, ErrPrecondition},
		{"in the future", now.Add(p.ClockSkew + time.Second), 0, ErrInvalid},
		{"before the job existed", created.Add(-time.Second), 0, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCheckIn(p, tt.at, created, now, tt.km)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("CheckCheckIn() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckDraftAndAmendment(t *testing.T) {
	if err := CheckDraft(true); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckDraft(signed) = %v, want ErrInvalid", err)
	}
	if err := CheckDraft(false); err != nil {
		t.Errorf("CheckDraft(unsigned) = %v, want nil", err)
	}
	if err := CheckAmendment(""); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckAmendment(\"\") = %v, want ErrInvalid", err)
	}
	if err := CheckAmendment("wrong serial"); err != nil {
		t.Errorf("CheckAmendment(reason) = %v, want nil", err)
	}
}

func TestCheckRescheduleNoticeInFuture(t *testing.T) {
	p := DefaultPolicy()
	prev := Window{Start: monday10.Add(6 * time.Hour), End: monday10.Add(8 * time.Hour)}
	next := Window{Start: monday10.Add(24 * time.Hour), End: monday10.Add(26 * time.Hour)}
	if _, err := CheckReschedule(p, prev, next, monday10.Add(time.Hour), monday10); !errors.Is(err, ErrInvalid) {
		t.Fatalf("CheckReschedule(notice in the future) = %v, want ErrInvalid", err)
	}
}

func TestCheckInstallationLead(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name  string
		ahead time.Duration
		ok    bool
	}{
		{"three days ahead", 72 * time.Hour, true},
		{"exactly two days ahead", 48 * time.Hour, true},
		{"one minute short", 48*time.Hour - time.Minute, false},
		{"tomorrow", 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			win := Window{Start: monday10.Add(tt.ahead), End: monday10.Add(tt.ahead + 2*time.Hour)}
			err := CheckInstallationLead(p, win, monday10)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrPrecondition)) {
				t.Fatalf("CheckInstallationLead(%s ahead) = %v, want ok=%v", tt.ahead, err, tt.ok)
			}
		})
	}
	p.InstallationLead = 0
	if err := CheckInstallationLead(p, Window{Start: monday10, End: monday10.Add(time.Hour)}, monday10); err != nil {
		t.Fatalf("CheckInstallationLead(rule off) = %v, want nil", err)
	}
}
