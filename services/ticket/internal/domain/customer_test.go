package domain_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sanbao/sanbao/services/ticket/internal/domain"
)

func TestUnitCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c, err := domain.NewUnitCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := domain.NormalizeCode(c); err != nil || n != c {
			t.Fatalf("NormalizeCode(%q) = %q, %v", c, n, err)
		}
		if seen[c] {
			t.Fatalf("code %s drawn twice in 1000", c)
		}
		seen[c] = true
	}
	zero, _ := domain.NewUnitCode(bytes.NewReader(make([]byte, 8)))
	if zero != "0000000000" {
		t.Errorf("NewUnitCode(zeros) = %q", zero)
	}
	tests := []struct {
		in, want string
		err      error
	}{
		{"abcd-efgh-jk", "ABCDEFGHJK", nil},
		{"7zio l0ab cd", "7Z1010ABCD", nil},
		{"ABCDEFGHJ", "", domain.ErrBadCode},
		{"ABCDEFGHJKU", "", domain.ErrBadCode},
		{"ABCDEFGHJU", "", domain.ErrBadCode},
		{"ABCDEFGHJ中", "", domain.ErrBadCode},
	}
	for _, tc := range tests {
		got, err := domain.NormalizeCode(tc.in)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestOTP(t *testing.T) {
	now := time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC)
	code, otp, err := domain.NewOTP(rand.Reader, "ABCDEFGHJK", now)
	if err != nil || len(code) != domain.OTPDigits || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("NewOTP = %q, %v", code, err)
	}
	t.Run("right code once", func(t *testing.T) {
		o := otp
		if err := o.Verify("ABCDEFGHJK", code, now.Add(time.Minute)); err != nil {
			t.Fatalf("Verify(right) = %v", err)
		}
		if err := o.Verify("ABCDEFGHJK", code, now.Add(time.Minute)); !errors.Is(err, domain.ErrOTPLocked) {
			t.Errorf("Verify(right, again) = %v, want used up", err)
		}
	})
	t.Run("another unit's code", func(t *testing.T) {
		o := otp
		if err := o.Verify("ZZZZZZZZZZ", code, now); !errors.Is(err, domain.ErrOTPWrong) {
			t.Errorf("Verify(other unit) = %v, want wrong", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		o := otp
		if err := o.Verify("ABCDEFGHJK", code, now.Add(domain.OTPValid)); !errors.Is(err, domain.ErrOTPExpired) {
			t.Errorf("Verify(late) = %v, want expired", err)
		}
	})
	t.Run("guessing is stopped", func(t *testing.T) {
		o := otp
		wrong := "000000"
		if wrong == code {
			wrong = "000001"
		}
		for i := range domain.OTPAttempts - 1 {
			if err := o.Verify("ABCDEFGHJK", wrong, now); !errors.Is(err, domain.ErrOTPWrong) {
				t.Fatalf("wrong try %d = %v", i+1, err)
			}
		}
		if err := o.Verify("ABCDEFGHJK", wrong, now); !errors.Is(err, domain.ErrOTPLocked) {
			t.Errorf("last wrong try = %v, want locked", err)
		}
		if err := o.Verify("ABCDEFGHJK", code, now); !errors.Is(err, domain.ErrOTPLocked) {
			t.Errorf("right code after the lock = %v, want locked", err)
		}
	})
}
