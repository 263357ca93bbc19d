package mediatest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tailDigits is how many trailing digits of a number identify it well
// enough to count as a leak: a Russian subscriber number without its code.
const tailDigits = 7

// phoneShaped matches a run of digits with the separators people and
// software put inside phone numbers: "+7 (916) 123-45-67", "8.916.1234567".
var phoneShaped = regexp.MustCompile(`[+\d][\d \t().\-/]*\d`)

// FindDigits returns a description of every place in text where one of the
// raw phone numbers shows: the raw text itself, its digits, or its last 7
// digits, also when separators are spread through them. Names (non-digit
// raws) are looked for case-insensitively as they are. It returns nil when
// text is clean.
func FindDigits(text string, raws ...string) []string {
	var found []string
	lower := strings.ToLower(text)
	for _, raw := range raws {
		digits := onlyDigits(raw)
		if len(digits) < tailDigits {
			if raw != "" && strings.Contains(lower, strings.ToLower(raw)) {
				found = append(found, "a raw value of "+strconv.Itoa(len(raw))+" bytes")
			}
			continue
		}
		last := digits[len(digits)-tailDigits:]
		switch {
		case strings.Contains(text, raw):
			found = append(found, "a raw number as given")
		case strings.Contains(text, digits):
			found = append(found, "the digits of a raw number")
		case strings.Contains(text, last):
			found = append(found, "the last 7 digits of a raw number")
		default:
			for _, span := range phoneShaped.FindAllString(text, -1) {
				if strings.Contains(onlyDigits(span), last) {
					found = append(found, "a raw number with separators")
					break
				}
			}
		}
	}
	return found
}

// ScanForDigits fails the test for every raw number (or name) that
// FindDigits finds in text; what names where the text came from. The
// failure message says what matched, never the raw value.
func ScanForDigits(t testing.TB, what, text string, raws ...string) {
	t.Helper()
	for _, f := range FindDigits(text, raws...) {
		t.Errorf("%s contains %s", what, f)
	}
}

// ScanDirForDigits runs ScanForDigits over every regular file under dir
// (logs, temp files, recording metadata). Files over 16 MiB — audio — are
// skipped.
func ScanDirForDigits(t testing.TB, dir string, raws ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > 16<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		ScanForDigits(t, path, string(b), raws...)
		return nil
	})
	if err != nil {
		t.Errorf("mediatest.ScanDirForDigits: %v", err)
	}
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
