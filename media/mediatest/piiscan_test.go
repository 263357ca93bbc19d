package mediatest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFindDigits(t *testing.T) {
	raws := []string{"+79161234567"}
	tests := []struct {
		text string
		want []string
	}{
		{"call from ph_7K2M9Q4RZP8XW3N6T1V5B0HYDJ (robot)", nil},
		{"from +79161234567", []string{"a raw number as given"}},
		{"from=79161234567;tag=1", []string{"the digits of a raw number"}},
		{"caller 1234567 again", []string{"the last 7 digits of a raw number"}},
		{"caller +7 (916) 123-45-67", []string{"a raw number with separators"}},
		{"caller 8.916.123.45.67", []string{"a raw number with separators"}},
		{"2026-11-22 01:53:59 call 42 started", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, FindDigits(tt.text, raws...)); diff != "" {
				t.Errorf("FindDigits (-want +got):\n%s", diff)
			}
		})
	}
	if got := FindDigits("hello Иван Петров", "иван петров"); len(got) != 1 {
		t.Errorf("name not found: %v", got)
	}
}

// FuzzFindDigits: a number is always found in any text that contains it.
func FuzzFindDigits(f *testing.F) {
	f.Add("log line ", "+79161234567", " end")
	f.Fuzz(func(t *testing.T, before, raw, after string) {
		if len(onlyDigits(raw)) < tailDigits {
			return
		}
		if FindDigits(before+raw+after, raw) == nil {
			t.Fatalf("%q not found in its own text", raw)
		}
	})
}

func TestScanDirForDigits(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "clean.log"), []byte("call ph_7K2M9Q4RZP8XW3N6T1V5B0HYDJ"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "leak.log"), []byte("From: <sip:+79161234567@pbx>"), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	ScanDirForDigits(rec, dir, "+79161234567")
	if len(rec.errors) != 1 {
		t.Errorf("got %d reports, want 1 (leak.log): %v", len(rec.errors), rec.errors)
	}
}

// recorder is a testing.TB whose Errorf is captured, to test helpers that
// fail tests.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}

func (r *recorder) Helper() {}
