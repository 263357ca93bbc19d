package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kordon/config"
)

// cliEnv runs kordon commands in this process against one data directory.
type cliEnv struct {
	t      *testing.T
	dir    string
	config string
}

// newCLIEnv creates an appliance (as a first `kordon serve` would) and
// returns a way to run commands against it.
func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	root := t.TempDir()
	e := &cliEnv{t: t, dir: root, config: filepath.Join(root, "kordon.yaml")}
	if err := os.WriteFile(e.config, []byte(fmt.Sprintf("version: 1\ndata_dir: %s\n", filepath.Join(root, "data"))), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	return e
}

// file writes content to a file in the environment and returns its path.
func (e *cliEnv) file(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// run runs one command; it returns stdout, stderr and the exit status.
func (e *cliEnv) run(stdin string, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"--config", e.config}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	if err != nil {
		fmt.Fprintln(&errOut, "kordon:", err)
		return out.String(), errOut.String(), exitCode(err)
	}
	return out.String(), errOut.String(), 0
}

func (e *cliEnv) must(stdin string, args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(stdin, args...)
	if code != 0 {
		e.t.Fatalf("kordon %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

const (
	cliInPassword  = "inbound-file-Pa55"
	cliOutPassword = "outbound-doc-Pa55"
)

func TestTrunkCommand(t *testing.T) {
	e := newCLIEnv(t)
	doc := e.file("pbx.json", `{"id":"pbx-main","host":"pbx.example.com","description":"head office",
		"allow_from":["192.0.2.0/24"],
		"inbound_auth":{"username":"pbx"},
		"outbound_auth":{"username":"kordon","password":"`+cliOutPassword+`"},
		"routes":{"+74951234567":"sales","*":"reception"}}`)
	pw := e.file("inbound.pw", cliInPassword+"\n")

	if out := e.must("", "trunk", "add", "--file", doc, "--inbound-password-file", pw); out != "created trunk pbx-main\n" {
		t.Fatalf("add: %q", out)
	}
	if out := e.must(`{"id":"backup","host":"192.0.2.99","transport":"udp","insecure":true}`, "trunk", "add", "--file", "-"); out != "created trunk backup\n" {
		t.Fatalf("add from stdin: %q", out)
	}
	list := e.must("", "trunk", "list")
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "backup ") || !strings.Contains(lines[1], "192.0.2.99:5060") ||
		!strings.HasPrefix(lines[2], "pbx-main ") || !strings.Contains(lines[2], "inbound,outbound") || strings.Contains(list, "4951234567") {
		t.Fatalf("list:\n%s", list)
	}

	shown := e.must("", "trunk", "show", "pbx-main")
	if strings.Contains(shown, "password") || strings.Contains(shown, "Pa55") || !strings.Contains(shown, `"username": "kordon"`) {
		t.Fatalf("show:\n%s", shown)
	}
	// What show prints, edited and set again, keeps both passwords.
	edited := e.file("edited.json", strings.Replace(shown, `"head office"`, `"moved"`, 1))
	if out := e.must("", "trunk", "set", "pbx-main", "--file", edited); out != "updated trunk pbx-main\n" {
		t.Fatalf("set: %q", out)
	}
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.trunks.Snapshot(context.Background())
	a.close()
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := s.Get("pbx-main"); !ok || tr.Description != "moved" || tr.Inbound.Password.Reveal() != cliInPassword || tr.Outbound.Password.Reveal() != cliOutPassword {
		t.Fatalf("after set: %+v", tr)
	}

	if out := e.must("", "trunk", "delete", "backup"); out != "deleted trunk backup\n" {
		t.Fatalf("delete: %q", out)
	}
	if out := e.must("", "audit", "search", "--action", "trunk.create"); strings.Count(out, "trunk.create") != 2 || strings.Contains(out, "Pa55") {
		t.Fatalf("audit search:\n%s", out)
	}
}

func TestTrunkCommandErrors(t *testing.T) {
	e := newCLIEnv(t)
	good := e.file("good.json", `{"id":"pbx","host":"192.0.2.1","inbound_auth":{"username":"pbx","password":"in-doc-password"}}`)
	noAuth := e.file("noauth.json", `{"id":"pbx","host":"192.0.2.1"}`)
	userOnly := e.file("user.json", `{"id":"pbx","host":"192.0.2.1","inbound_auth":{"username":"pbx"}}`)
	invalid := e.file("invalid.json", `{"id":"pbx","host":"sip://pbx","port":70000,"transport":"udp","description":"call 89123456789"}`)
	unknown := e.file("unknown.json", `{"id":"pbx","host":"192.0.2.1","hots":"x"}`)
	pw := e.file("pw", "password-from-file\n")
	empty := e.file("empty", "\n")
	tests := []struct {
		name  string
		stdin string
		args  []string
		exit  int
		want  string
	}{
		{"no verb", "", []string{"trunk"}, 2, "want one of"},
		{"unknown verb", "", []string{"trunk", "rename"}, 2, "unknown verb"},
		{"add without file", "", []string{"trunk", "add"}, 2, "--file"},
		{"set without id", "", []string{"trunk", "set", "--file", good}, 2, "trunk set ID"},
		{"password as a value", "", []string{"trunk", "add", "--file", good, "--password", "x"}, 2, "flag provided but not defined"},
		{"show without id", "", []string{"trunk", "show"}, 2, "trunk show ID"},
		{"list with argument", "", []string{"trunk", "list", "x"}, 2, "no arguments"},
		{"invalid names every field", "", []string{"trunk", "add", "--file", invalid}, 1, "4 problems: description: "},
		{"unknown field", "", []string{"trunk", "add", "--file", unknown}, 1, `unknown field "hots"`},
		{"not json", "id: pbx", []string{"trunk", "add", "--file", "-"}, 1, "not valid JSON"},
		{"missing file", "", []string{"trunk", "add", "--file", filepath.Join(e.dir, "nope.json")}, 1, "no such file"},
		{"password file without block", "", []string{"trunk", "add", "--file", noAuth, "--outbound-password-file", pw}, 2, "needs outbound_auth"},
		{"password twice", "", []string{"trunk", "add", "--file", good, "--inbound-password-file", pw}, 2, "give it once"},
		{"empty password file", "", []string{"trunk", "add", "--file", userOnly, "--inbound-password-file", empty}, 1, "is empty"},
		{"credentials without password", "", []string{"trunk", "add", "--file", userOnly}, 1, "inbound_auth.password: required"},
		{"show missing", "", []string{"trunk", "show", "ghost"}, 1, "no trunk ghost"},
		{"delete missing", "", []string{"trunk", "delete", "ghost"}, 1, "no trunk ghost"},
		{"rename", "", []string{"trunk", "set", "other", "--file", good}, 2, "cannot be renamed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := e.run(tt.stdin, tt.args...)
			last := lastLine(errOut)
			if code != tt.exit || !strings.HasPrefix(last, "kordon: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("exit %d (want %d), last line %q does not name %q; stderr:\n%s", code, tt.exit, last, tt.want, errOut)
			}
			for _, s := range []string{"in-doc-password", "password-from-file", "9123456789"} {
				if strings.Contains(errOut, s) {
					t.Fatalf("stderr holds %q: %s", s, errOut)
				}
			}
		})
	}
	// Nothing was written by the failures.
	if out := e.must("", "trunk", "list"); strings.Count(out, "\n") != 1 {
		t.Fatalf("a failed command left a trunk:\n%s", out)
	}
}
