package domain

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The customer's access to their unit's page: a printable code per unit (the QR code carries it;
// the short form is typed), and a one-time code sent to the phone on record before anything
// beyond the public view is shown.

// crockford is Crockford's base32 alphabet: no I, L, O, U, so a typed code is not misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// UnitCodeLen is the length of a unit code: 10 characters of 5 bits, 50 random bits (about 10^15
// codes: guessing one among a million units takes 10^9 tries, which the lookup's rate limits
// make years).
const UnitCodeLen = 10

// ErrBadCode: a unit code that is not 10 Crockford base32 characters.
var ErrBadCode = errors.New("a unit code is 10 letters and digits")

// NewUnitCode draws a unit code from r (crypto/rand.Reader in production).
func NewUnitCode(r io.Reader) (string, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("unit code: %w", err)
	}
	v := binary.BigEndian.Uint64(b[:]) >> 14 // 50 bits
	out := make([]byte, UnitCodeLen)
	for i := UnitCodeLen - 1; i >= 0; i-- {
		out[i] = crockford[v&31]
		v >>= 5
	}
	return string(out), nil
}

// NormalizeCode reads a code as a person typed it: case, spaces and hyphens ignored, I and L
// read as 1, O as 0.
func NormalizeCode(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case ' ', '-':
			continue
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		if r > 127 || !strings.ContainsRune(crockford, r) {
			return "", ErrBadCode
		}
		b.WriteRune(r)
	}
	if b.Len() != UnitCodeLen {
		return "", ErrBadCode
	}
	return b.String(), nil
}

// OTP rules.
const (
	// OTPDigits is the length of a one-time code.
	OTPDigits = 6
	// OTPValid is how long a one-time code may be used.
	OTPValid = 5 * time.Minute
	// OTPAttempts is how many wrong tries end a one-time code.
	OTPAttempts = 5
)

// Errors of one-time codes.
var (
	ErrOTPWrong   = errors.New("the one-time code is wrong")
	ErrOTPExpired = errors.New("the one-time code has expired; ask for a new one")
	ErrOTPLocked  = errors.New("too many wrong one-time codes; ask for a new one")
)

// OTP is a one-time code as stored: its hash (never the code), expiry and wrong tries.
type OTP struct {
	Hash     [32]byte
	Expires  time.Time
	Attempts int
}

// NewOTP draws a code from r for unit code unit at now; the code is sent, the OTP stored.
func NewOTP(r io.Reader, unit string, now time.Time) (string, OTP, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", OTP{}, fmt.Errorf("one-time code: %w", err)
	}
	code := fmt.Sprintf("%0*d", OTPDigits, binary.BigEndian.Uint64(b[:])%1_000_000)
	return code, OTP{Hash: otpHash(unit, code), Expires: now.Add(OTPValid)}, nil
}

func otpHash(unit, code string) [32]byte { return sha256.Sum256([]byte(unit + "\x00" + code)) }

// Verify checks code at now in constant time; a wrong one counts an attempt (store o after).
func (o *OTP) Verify(unit, code string, now time.Time) error {
	switch {
	case o.Attempts >= OTPAttempts:
		return ErrOTPLocked
	case !now.Before(o.Expires):
		return ErrOTPExpired
	}
	h := otpHash(unit, code)
	if subtle.ConstantTimeCompare(h[:], o.Hash[:]) != 1 {
		o.Attempts++
		if o.Attempts >= OTPAttempts {
			return ErrOTPLocked
		}
		return ErrOTPWrong
	}
	o.Attempts = OTPAttempts // used: a code works once
	return nil
}
