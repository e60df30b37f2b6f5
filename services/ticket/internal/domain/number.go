package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// Number prefixes.
const (
	TicketPrefix    = "T"
	ComplaintPrefix = "C"
)

// FormatNumber returns the human-readable number prefix-year-seq, e.g. "T-2026-000123"; seq is
// padded to six digits and grows wider past 999999.
func FormatNumber(prefix string, year int, seq uint64) string {
	return fmt.Sprintf("%s-%04d-%06d", prefix, year, seq)
}

// ParseNumber splits a number made by FormatNumber; ok is false for anything else.
func ParseNumber(s string) (prefix string, year int, seq uint64, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || parts[0] == "" || len(parts[1]) != 4 || len(parts[2]) < 6 {
		return "", 0, 0, false
	}
	y, err := strconv.Atoi(parts[1])
	if err != nil || y < 1 {
		return "", 0, 0, false
	}
	n, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil {
		return "", 0, 0, false
	}
	return parts[0], y, n, true
}
