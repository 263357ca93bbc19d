package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kordon/store"
	"kordon/types/fault"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// exportLog builds a deterministic log whose entries exercise every
// escaping rule.
func exportLog(t *testing.T) (*store.DB, *Log) {
	t.Helper()
	db, l := newLog(t, tempPath(t), nil)
	es := []Entry{
		{Actor: Actor{ActorAPIKey, "ak_crm"}, Remote: "10.0.0.7:50123", Action: ActionTokenize, Kind: "phone",
			Codes: []string{testCode(0), testCode(1)}, ValueHashes: []string{strings.Repeat("0a", 16), strings.Repeat("1b", 16)},
			Result: ResultOK, RequestID: "req-1", Detail: map[string]string{"created": "1", "existing": "1", "invalid": "0"}},
		{Actor: Actor{ActorAPIKey, "ak_crm"}, Remote: "[2001:db8::1]:8443", Action: ActionResolve, Purpose: "crm",
			Reference: "DEAL|42=x", Codes: []string{testCode(1)}, Result: ResultOK, RequestID: "req-2"},
		{Actor: Actor{ActorAPIKey, "ak_old"}, Remote: "crm.example", Action: ActionResolve, Purpose: "crm", Reference: "T-7",
			Codes: []string{testCode(2)}, Result: ResultDenied, Reason: "quote \" backslash \\ bracket ] pipe | equals = newline\nend"},
		{Remote: "192.0.2.1", Action: ActionAuthFail, Result: ResultDenied, Reason: "unknown API key"},
		{Actor: Actor{ActorUser, "anna"}, Action: ActionErase, Codes: []string{testCode(3)}, Result: ResultErased, Reason: "subject-request"},
		{Actor: Actor{ActorSystem, "tokenizer"}, Action: ActionKeyRewrap, Result: ResultError, Reason: "vault unavailable",
			Detail: map[string]string{"kek_version": "2"}},
		{Actor: Actor{ActorCLI, "root"}, Action: ActionKeyRotate, Result: ResultInvalid},
		{Actor: Actor{ActorAPIKey, "ak_crm"}, Action: ActionResolve, Codes: []string{testCode(4)}, Result: ResultNotFound},
	}
	for _, e := range es {
		if _, err := l.Record(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	return db, l
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func TestExportGolden(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			db, l := exportLog(t)
			var buf bytes.Buffer
			if err := l.Export(context.Background(), auditor, &buf, format, Filter{}); err != nil {
				t.Fatal(err)
			}
			golden(t, "export."+format, buf.Bytes())
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 10 { // 8 entries, the export's own entry, the checkpoint
				t.Errorf("%d lines, want 10", len(lines))
			}
			mustVerify(t, db, l)
		})
	}
}

// TestExportJSONLVerifiesAlone checks an export the way an auditor would,
// with nothing but the file and the verifier key.
func TestExportJSONLVerifiesAlone(t *testing.T) {
	_, l := exportLog(t)
	var buf bytes.Buffer
	if err := l.Export(context.Background(), auditor, &buf, FormatJSONL, Filter{}); err != nil {
		t.Fatal(err)
	}
	var bs [][]byte
	var last struct {
		Checkpoint string `json:"checkpoint"`
	}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		line := append([]byte(nil), sc.Bytes()...)
		if bytes.HasPrefix(line, []byte(`{"checkpoint":`)) {
			if err := json.Unmarshal(line, &last); err != nil {
				t.Fatal(err)
			}
			continue
		}
		bs = append(bs, line)
	}
	cp, err := ParseCheckpoint([]byte(last.Checkpoint), l.cfg.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != int64(len(bs)) || compactRoot(t, bs) != cp.Root {
		t.Fatalf("export of %d entries does not match its checkpoint %+v", len(bs), cp)
	}
	var e Entry
	if err := json.Unmarshal(bs[len(bs)-1], &e); err != nil {
		t.Fatal(err)
	}
	if e.Action != ActionAuditExport || e.Actor != auditor || e.Detail["format"] != FormatJSONL {
		t.Errorf("the export's own entry: %+v", e)
	}
}

func TestExportFiltered(t *testing.T) {
	_, l := exportLog(t)
	var buf bytes.Buffer
	if err := l.Export(context.Background(), auditor, &buf, FormatJSONL, Filter{Action: ActionResolve, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"seq":1,`) || !strings.Contains(lines[1], `"seq":2,`) || !strings.HasPrefix(lines[2], `{"checkpoint":`) {
		t.Errorf("filtered export:\n%s", buf.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestExportRefuses(t *testing.T) {
	ctx := context.Background()
	db, l := exportLog(t)
	size := func() int64 {
		r, err := Verify(ctx, db.Read(), l.cfg.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		return r.Entries
	}
	before := size()
	if err := l.Export(ctx, auditor, &bytes.Buffer{}, "xml", Filter{}); !fault.Is(err, fault.Invalid) {
		t.Errorf("unknown format: %v", err)
	}
	if err := l.Export(ctx, Actor{}, &bytes.Buffer{}, FormatJSONL, Filter{}); !fault.Is(err, fault.Invalid) {
		t.Errorf("anonymous reader: %v", err)
	}
	if got := size(); got != before {
		t.Errorf("refused exports were recorded: %d entries, want %d", got, before)
	}
	if err := l.Export(ctx, auditor, failingWriter{}, FormatCEF, Filter{}); !fault.Is(err, fault.Unavailable) || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
}

func TestEscaping(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"syslog param", string(sdParam(nil, "k", "a\"b\\c]d\ne")), ` k="a\"b\\c\]d e"`},
		{"cef header", string(cefHeader(nil, "a|b\\c\nd")), `a\|b\\c d`},
		{"cef extension", string(cefExt([]byte("|"), "k", "a=b\\c\nd\re|f")), `|k=a\=b\\c\nd\re|f`},
		{"syslog host", syslogHost("my host\x00"), "my-host-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}
