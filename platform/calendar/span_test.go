package calendar

import (
	"testing"
	"time"
)

func TestParseSpan(t *testing.T) {
	tests := []struct {
		in      string
		want    Span
		wantErr bool
	}{
		{"08:30-12:00", Hours(8, 30, 12, 0), false},
		{" 13:00 - 17:30 ", Hours(13, 0, 17, 30), false},
		{"00:00-24:00", Span{0, Day}, false},
		{"17:00-09:00", Span{}, true},
		{"09:00-09:00", Span{}, true},
		{"24:30-25:00", Span{}, true},
		{"9:00-17:00", Span{}, true},
		{"+9:00-17:00", Span{}, true},
		{"09:60-17:00", Span{}, true},
		{"09:00", Span{}, true},
		{"", Span{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSpan(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseSpan(%q) = %v, %v, want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseSpans(t *testing.T) {
	got, err := ParseSpans("08:30-12:00,13:00-17:30")
	if err != nil || len(got) != 2 || got[0] != Hours(8, 30, 12, 0) || got[1] != Hours(13, 0, 17, 30) {
		t.Errorf("ParseSpans(...) = %v, %v, want [08:30-12:00 13:00-17:30]", got, err)
	}
	if got, err := ParseSpans(""); err != nil || got != nil {
		t.Errorf("ParseSpans(\"\") = %v, %v, want nil, nil", got, err)
	}
	if _, err := ParseSpans("08:30-12:00,x"); err == nil {
		t.Error("ParseSpans(\"08:30-12:00,x\") = nil error, want an error")
	}
}

func TestSpanString(t *testing.T) {
	tests := []struct {
		in   Span
		want string
	}{
		{Hours(8, 30, 12, 0), "08:30-12:00"},
		{Span{0, Day}, "00:00-24:00"},
		{Span{9*time.Hour + 30*time.Second, 10 * time.Hour}, "09:00:30-10:00"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Hours(8, 30, 12, 0).Duration(); got != 3*time.Hour+30*time.Minute {
		t.Errorf("Duration() = %v, want 3h30m", got)
	}
}
