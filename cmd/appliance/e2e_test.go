package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kordon/tokenizer/keys/vaulttest"
)

// Canary values: distinctive enough that finding any of them (or their
// digits) anywhere but inside the encrypted vault rows is a leak.
var (
	canaryPhones  = []string{"+7 (912) 777-31-46", "8 913 555 82 07"}
	canaryName    = "Евлампия Кондратьевна Тихомирова"
	canaryEmail   = "evlampiya.tikhomirova@example.org"
	canaryNeedles = []string{"9127773146", "912 777", "777-31", "7773146", "9135558207", "555 82 07", "5558207",
		"Тихомиров", "тихомиров", "ТИХОМИРОВ", "Евлампи", "евлампи", "Кондратьевн", "кондратьевн", "tikhomirova"}
)

// TestNoRawValueLeaves drives every core path with canary values, through
// the command line and the HTTP API, and then scans the data directory,
// everything the processes logged, and the audit exports in all formats.
func TestNoRawValueLeaves(t *testing.T) {
	a := newAppliance(t, "log:\n  level: debug\n")
	a.start()
	token := strings.TrimSpace(a.mustCLI("", "apikey", "create", "--name", "crm", "--scopes", "tokenize,resolve,erase,audit"))

	// Command line: values on stdin, one per line.
	codes := strings.Fields(a.mustCLI(strings.Join(canaryPhones, "\n")+"\n", "token", "tokenize", "--kind", "phone"))
	if len(codes) != 2 {
		t.Fatalf("tokenize printed %v", codes)
	}
	nm := strings.TrimSpace(a.mustCLI("", "token", "tokenize", "--kind", "name", canaryName))
	// HTTP API.
	var res struct {
		Results []struct {
			Code  string `json:"code"`
			Value string `json:"value"`
		} `json:"results"`
	}
	if st := a.post(token, "/api/v1/tokenize", map[string]any{"kind": "email", "values": []string{canaryEmail}}, &res); st != 200 {
		t.Fatalf("tokenize over HTTP: %d", st)
	}
	em := res.Results[0].Code
	if st := a.post(token, "/api/v1/resolve", map[string]any{"purpose": "crm", "reference": "T-100", "codes": []string{codes[0], nm, em}}, &res); st != 200 {
		t.Fatalf("resolve over HTTP: %d", st)
	}
	if res.Results[0].Value != "+79127773146" || res.Results[1].Value != canaryName || res.Results[2].Value != canaryEmail {
		t.Fatalf("resolve returned other values")
	}
	// Bad inputs that carry the values must not echo them either.
	a.post(token, "/api/v1/tokenize", map[string]any{"kind": "phone", "values": []string{canaryName}}, nil)
	a.post(token, "/api/v1/resolve", map[string]any{"purpose": "crm", "reference": "89127773146", "codes": []string{codes[0]}}, nil)
	a.post(token, "/api/v1/resolve", map[string]any{"purpose": "crm", "reference": "T-1", "codes": []string{canaryPhones[0]}}, nil)
	a.post(token, "/api/v1/tokenize", map[string]any{"kind": canaryName, "values": []string{canaryPhones[1]}}, nil)
	a.cli("", "token", "resolve", "--purpose", "crm", "--reference", "T-1", canaryPhones[0])
	a.cli("", "token", "tokenize", "--kind", "phone", canaryName)
	// Search by value, rotation, erasure, verification, exports.
	if out := a.mustCLI("", "audit", "search", "--kind", "phone", "--value", "89127773146"); !strings.Contains(out, codes[0]) {
		t.Fatalf("audit search by value did not find the tokenize entry:\n%s", out)
	}
	a.mustCLI("", "keys", "rotate", "--wait")
	a.mustCLI("", "token", "erase", "--reason", "subject-request", "--reference", "DSR-9", codes[1])
	if out := a.mustCLI("", "audit", "verify"); !strings.HasPrefix(out, "ok:") {
		t.Fatalf("verify: %s", out)
	}
	exports := t.TempDir()
	for _, f := range []string{"jsonl", "syslog", "cef"} {
		a.mustCLI("", "audit", "export", "--format", f, "--out", filepath.Join(exports, "audit."+f))
	}
	resp, err := insecure.Get("https://" + a.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	metrics.ReadFrom(resp.Body)
	resp.Body.Close()
	if err := a.stop(syscall.SIGINT); err != nil {
		t.Fatalf("serve on SIGINT: %v", err)
	}

	scan := map[string][]byte{"logs": []byte(a.logs.String()), "metrics": metrics.Bytes()}
	for _, root := range []string{a.dir, exports} {
		filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				b, _ := os.ReadFile(path)
				scan[path] = b
			}
			return nil
		})
	}
	if len(scan) < 8 {
		t.Fatalf("scanned only %d files", len(scan))
	}
	for name, b := range scan {
		for _, n := range canaryNeedles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s holds %q", name, n)
			}
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	a := newAppliance(t, "")
	a.start() // create the appliance
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		exit int
		want string
	}{
		{"no command", nil, 2, "no command"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unknown verb", []string{"token", "shred"}, 2, "unknown verb"},
		{"bad kind", []string{"token", "tokenize", "--kind", "passport", "x"}, 2, "--kind"},
		{"resolve without purpose", []string{"token", "resolve", "--reference", "T-1", "ph_x"}, 2, "--purpose"},
		{"erase without reason", []string{"token", "erase", "--reference", "T-1", "ph_x"}, 2, "--reason"},
		{"prove bad seq", []string{"audit", "prove", "abc"}, 2, "SEQ"},
		{"bad scope", []string{"apikey", "create", "--name", "x", "--scopes", "everything"}, 2, "--scopes"},
		{"export bad format", []string{"audit", "export", "--format", "xml"}, 1, "xml"},
		{"bad time", []string{"audit", "search", "--from", "yesterday"}, 2, "--from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, err := a.cli("", tt.args...)
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != tt.exit {
				t.Fatalf("exit %v, want %d; stderr:\n%s", err, tt.exit, errOut)
			}
			last := lastLine(errOut)
			if !strings.HasPrefix(last, "kordon: ") || !strings.Contains(last, tt.want) {
				t.Fatalf("last stderr line %q does not name %q", last, tt.want)
			}
		})
	}
	t.Run("missing data dir is not created", func(t *testing.T) {
		b := newAppliance(t, "")
		os.RemoveAll(b.dir)
		_, errOut, err := b.cli("", "token", "tokenize", "+79123456789")
		if err == nil || !strings.Contains(errOut, "does not exist") {
			t.Fatalf("got %v: %s", err, errOut)
		}
		if _, err := os.Stat(b.dir); !os.IsNotExist(err) {
			t.Fatal("an administrative command created the data directory")
		}
	})
	t.Run("bad boot file names every problem", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("version: 1\nadmin:\n  lisen: x\nkeys:\n  provider: hsm\ntokenizer:\n  default_region: ZZ\n"), 0o600)
		cmd := exec.Command(kordonBin, "--config", bad, "serve")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatal("serve started with a bad boot file")
		}
		for _, key := range []string{"admin.lisen", "keys.provider", "tokenizer.default_region"} {
			if !strings.Contains(string(out), key) {
				t.Errorf("error does not name %s:\n%s", key, out)
			}
		}
	})
	t.Run("invalid values are reported by position and exit 1", func(t *testing.T) {
		out, errOut, err := a.cli("+79123456789\nИван Петров\n89123456789\n", "token", "tokenize")
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("exit %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 3 || lines[1] != "-" || lines[0] != lines[2] || !strings.HasPrefix(lines[0], "ph_") {
			t.Fatalf("stdout %q", out)
		}
		if !strings.Contains(errOut, "item 2: invalid") || strings.Contains(errOut, "Иван") {
			t.Fatalf("stderr %q", errOut)
		}
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestVaultProvider runs the appliance with keys in a real Vault dev
// server's Transit engine.
func TestVaultProvider(t *testing.T) {
	srv := vaulttest.Start(t)
	key := srv.Key(t)
	a := newAppliance(t, fmt.Sprintf("keys:\n  provider: vault\n  vault:\n    address: %s\n    key: %s\n    token_file: %s\n", srv.Addr, key, srv.TokenFile(t)))
	a.start()
	c := strings.TrimSpace(a.mustCLI("", "token", "tokenize", "+7 912 345 67 89"))
	if out := a.mustCLI("", "keys", "rotate", "--wait"); !strings.Contains(out, "provider:        vault") || !strings.Contains(out, "pending rewrap:  0") {
		t.Fatalf("keys rotate:\n%s", out)
	}
	if v := strings.TrimSpace(a.mustCLI("", "token", "resolve", "--purpose", "support", "--reference", "V-1", c)); v != "+79123456789" {
		t.Fatal("code does not resolve after rotation with Vault")
	}
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("serve on SIGTERM: %v", err)
	}

	t.Run("unreachable vault is a clear error, not a hang", func(t *testing.T) {
		for name, addr := range map[string]string{"closed port": "http://" + freePort(t), "black hole": blackHole(t)} {
			b := newAppliance(t, fmt.Sprintf("keys:\n  provider: vault\n  vault:\n    address: %s\n    token_file: %s\n    timeout: 2s\n", addr, srv.TokenFile(t)))
			start := time.Now()
			cmd := exec.Command(kordonBin, "--config", b.config, "serve")
			out, err := cmd.CombinedOutput()
			if err == nil || time.Since(start) > 20*time.Second {
				t.Fatalf("%s: serve = %v after %v", name, err, time.Since(start))
			}
			if !strings.Contains(string(out), "unavailable") && !strings.Contains(strings.ToLower(string(out)), "vault") {
				t.Fatalf("%s: error does not say Vault is unavailable:\n%s", name, out)
			}
		}
	})
}

// blackHole returns the address of a listener that accepts connections and
// never answers.
func blackHole(t *testing.T) string {
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	return "http://" + l.Addr().String()
}
