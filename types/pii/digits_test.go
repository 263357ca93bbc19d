package pii

import "testing"

func TestDigitRuns(t *testing.T) {
	tests := []struct {
		in     string
		run    int
		masked string
	}{
		{"", 0, ""},
		{"T-42", 2, "T-42"},
		{"call 89123456789 now", 11, "call [redacted] now"},
		{"８９１２３４５６７８９", 11, "[redacted]"}, // full-width digits
		{"a1234b123456c", 6, "a1234b123456c"},
		{"1234567-89", 7, "[redacted]-89"},
		{"x1234567", 7, "x[redacted]"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := DigitRun(tt.in); got != tt.run {
				t.Errorf("DigitRun = %d, want %d", got, tt.run)
			}
			if got := MaskDigitRuns(tt.in, PhoneDigits-1); got != tt.masked {
				t.Errorf("MaskDigitRuns = %q, want %q", got, tt.masked)
			}
		})
	}
}
