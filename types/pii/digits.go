package pii

import (
	"strings"
	"unicode"
)

// PhoneDigits is the shortest run of digits treated as a possible
// telephone number in free text (references, reasons, names of keys):
// the shortest Russian subscriber numbers have seven digits.
const PhoneDigits = 7

// DigitRun returns the length of the longest run of decimal digits in s,
// counting every Unicode decimal digit: full-width and other scripts'
// digits spell numbers too.
func DigitRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// MaskDigitRuns replaces every run of more than longest digits in s with
// Redacted, for free text that must be recorded rather than refused.
func MaskDigitRuns(s string, longest int) string {
	if DigitRun(s) <= longest {
		return s
	}
	var b strings.Builder
	var run strings.Builder
	n := 0
	flush := func() {
		if n > longest {
			b.WriteString(Redacted)
		} else {
			b.WriteString(run.String())
		}
		run.Reset()
		n = 0
	}
	for _, r := range s {
		if unicode.IsDigit(r) {
			run.WriteRune(r)
			n++
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}
