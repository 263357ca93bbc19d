package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/types/fault"
)

func TestCheckpointText(t *testing.T) {
	root := tlog.RecordHash([]byte("x"))
	at := time.Date(2026, 3, 1, 10, 0, 0, 5e6, time.UTC)
	text := formatCheckpoint("example.com/log", 1000, root, at, 900)
	want := "example.com/log\n1000\n" + root.String() + "\ntime 2026-03-01T10:00:00.005Z\nprev 900\n"
	if text != want {
		t.Fatalf("text\n%s\nwant\n%s", text, want)
	}
	got, err := parseCheckpointText(text)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Checkpoint{Origin: "example.com/log", Size: 1000, Root: root, Time: at, Prev: 900}, got); diff != "" {
		t.Error(diff)
	}
	first := formatCheckpoint("o", 1, root, at, 0)
	if strings.Contains(first, "prev") {
		t.Errorf("first checkpoint has a prev line:\n%s", first)
	}
}

func TestParseCheckpointTextRejects(t *testing.T) {
	r := tlog.RecordHash(nil).String()
	tests := []struct{ name, text string }{
		{"empty", ""},
		{"no final newline", "o\n1\n" + r},
		{"two lines", "o\n1\n"},
		{"empty origin", "\n1\n" + r + "\n"},
		{"leading zero size", "o\n01\n" + r + "\n"},
		{"negative size", "o\n-1\n" + r + "\n"},
		{"plus size", "o\n+1\n" + r + "\n"},
		{"short root", "o\n1\nAAAA\n"},
		{"non-canonical base64", "o\n1\n" + r[:len(r)-2] + "B=\n"},
		{"empty extension line", "o\n1\n" + r + "\n\n"},
		{"bad time", "o\n1\n" + r + "\ntime yesterday\n"},
		{"non-canonical time", "o\n1\n" + r + "\ntime 2026-03-01T10:00:00Z\n"},
		{"two time lines", "o\n2\n" + r + "\ntime 2026-03-01T10:00:00.000Z\ntime 2026-03-01T10:00:00.000Z\n"},
		{"prev not below size", "o\n2\n" + r + "\nprev 2\n"},
		{"prev zero", "o\n2\n" + r + "\nprev 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if cp, err := parseCheckpointText(tt.text); err == nil {
				t.Fatalf("parsed %q as %+v", tt.text, cp)
			}
		})
	}
	if _, err := parseCheckpointText("o\n1\n" + r + "\nwitness something\n"); err != nil {
		t.Errorf("unknown extension line refused: %v", err)
	}
}

func TestParseCheckpointSignature(t *testing.T) {
	s, v := testKeys(t, testOrigin, 1)
	other, _ := testKeys(t, "someone.else/log", 2)
	text := formatCheckpoint(testOrigin, 3, tlog.RecordHash(nil), time.Unix(0, 0), 0)
	good, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ParseCheckpoint(good, v)
	if err != nil || cp.Size != 3 || cp.Note != string(good) {
		t.Fatalf("ParseCheckpoint: %+v, %v", cp, err)
	}
	foreign, _ := note.Sign(&note.Note{Text: text}, other)
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"edited", []byte(strings.Replace(string(good), "\n3\n", "\n4\n", 1)), "does not match the text (edited?)"},
		{"other key", foreign, "signed by unknown key someone.else/log+"},
		{"unsigned", []byte(text), "signature invalid"},
		{"huge", make([]byte, maxNote+1), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCheckpoint(tt.msg, v)
			if !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCheckpoint: %v, want an Invalid error containing %q", err, tt.want)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	skey, vkey, err := GenerateKey("kordon.example/audit")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkKeyPair(s, v); err != nil {
		t.Error(err)
	}
	if _, _, err := GenerateKey("bad name+with plus"); !fault.Is(err, fault.Invalid) {
		t.Errorf("GenerateKey with a bad name: %v", err)
	}
	broken := skey[:len(skey)-4] + "AAAA"
	if _, err := NewSigner(broken); !fault.Is(err, fault.Invalid) || strings.Contains(err.Error(), broken[20:]) {
		t.Errorf("NewSigner with a broken key: %v", err)
	}
	if _, err := NewVerifier("nonsense"); !fault.Is(err, fault.Invalid) {
		t.Errorf("NewVerifier(nonsense): %v", err)
	}
}

// FuzzCheckpointText checks that parsing never panics and that whatever
// parses formats back to text that parses to the same checkpoint.
func FuzzCheckpointText(f *testing.F) {
	root := tlog.RecordHash([]byte("seed"))
	f.Add(formatCheckpoint("kordon.test/audit", 1000, root, time.Unix(1772359200, 0), 900))
	f.Add(formatCheckpoint("o", 1, root, time.Unix(0, 0), 0))
	f.Add("o\n1\n" + root.String() + "\nwitness x\n")
	f.Add("o\n18446744073709551616\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		cp, err := parseCheckpointText(text)
		if err != nil {
			return
		}
		if cp.Size < 0 || cp.Prev < 0 || (cp.Prev > 0 && cp.Prev >= cp.Size) || cp.Origin == "" || strings.Contains(cp.Origin, "\n") {
			t.Fatalf("parsed an impossible checkpoint %+v from %q", cp, text)
		}
		if cp.Time.IsZero() {
			return // no time line: our format always writes one
		}
		again, err := parseCheckpointText(formatCheckpoint(cp.Origin, cp.Size, cp.Root, cp.Time, cp.Prev))
		if err != nil {
			t.Fatalf("formatted checkpoint does not parse: %v", err)
		}
		if diff := cmp.Diff(cp, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
