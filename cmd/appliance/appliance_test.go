package main

// End-to-end tests of the kordon binary: built once, run as real processes
// on temporary data directories, driven over HTTPS and the command line.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var kordonBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kordon-bin")
	if err != nil {
		panic(err)
	}
	kordonBin = filepath.Join(dir, "kordon")
	build := exec.Command("go", "build", "-o", kordonBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build kordon:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// appliance is one data directory and its boot file.
type appliance struct {
	t      *testing.T
	dir    string // data dir
	config string // boot file
	addr   string // admin listener
	serve  *exec.Cmd
	done   chan struct{} // closed when serve has exited
	err    error         // serve's exit, valid after done
	logs   *lockedBuffer // everything serve wrote to stderr, across restarts
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// newAppliance writes a boot file for a fresh data directory; extra is
// appended to it (YAML).
func newAppliance(t *testing.T, extra string) *appliance {
	t.Helper()
	root := t.TempDir()
	a := &appliance{t: t, dir: filepath.Join(root, "data"), config: filepath.Join(root, "kordon.yaml"), addr: freePort(t), logs: &lockedBuffer{}}
	cfg := fmt.Sprintf("version: 1\ndata_dir: %s\nadmin:\n  listen: %s\n%s", a.dir, a.addr, extra)
	if !strings.Contains(extra, "audit:") {
		cfg += "audit:\n  checkpoint_interval: 1s\n"
	}
	if err := os.WriteFile(a.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.stop(syscall.SIGKILL) })
	return a
}

// cli runs a kordon command against the appliance's boot file.
func (a *appliance) cli(stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(kordonBin, append([]string{"--config", a.config}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	a.logs.Write(e.Bytes())
	return o.String(), e.String(), err
}

func (a *appliance) mustCLI(stdin string, args ...string) string {
	a.t.Helper()
	out, errOut, err := a.cli(stdin, args...)
	if err != nil {
		a.t.Fatalf("kordon %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// start runs `kordon serve` and waits until /healthz answers.
func (a *appliance) start() {
	a.t.Helper()
	a.serve = exec.Command(kordonBin, "--config", a.config, "serve")
	a.serve.Stdout, a.serve.Stderr = a.logs, a.logs
	if err := a.serve.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		a.err = cmd.Wait()
		close(done)
	}(a.serve, a.done)
	waitHealthy(a.t, "https://"+a.addr, a.logs, a.done)
}

// stop signals serve and waits for it to exit.
func (a *appliance) stop(sig syscall.Signal) error {
	if a.serve == nil {
		return nil
	}
	a.serve.Process.Signal(sig)
	<-a.done
	a.serve = nil
	return a.err
}

var insecure = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

func waitHealthy(t *testing.T, base string, logs fmt.Stringer, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			t.Fatalf("serve exited before %s/healthz answered:\n%s", base, logs)
		default:
		}
		resp, err := insecure.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s/healthz did not answer within 30s; serve logged:\n%s", base, logs)
}

func (a *appliance) post(token, path string, body any, out any) int {
	a.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "https://"+a.addr+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := insecure.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode
}

// TestZeroConfigServe runs `kordon serve` with no boot file in an empty
// working directory, as the README's run command does.
func TestZeroConfigServe(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.0.1:8443"); err != nil {
		t.Fatalf("port 8443 is busy; the zero-configuration test needs it: %v", err)
	} else {
		l.Close()
	}
	wd := t.TempDir()
	logs := &lockedBuffer{}
	cmd := exec.Command(kordonBin, "serve")
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "KORDON_CONFIG=")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitHealthy(t, "https://127.0.0.1:8443", logs, nil)
	resp, err := insecure.Get("https://127.0.0.1:8443/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", err, resp)
	}
	resp.Body.Close()
	data := filepath.Join(wd, "kordon-data")
	for path, mode := range map[string]os.FileMode{
		data:                                 0o700,
		filepath.Join(data, "kek.json"):      0o600,
		filepath.Join(data, "kordon.db"):     0o600,
		filepath.Join(data, "tls/admin.key"): 0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s: mode %04o, want %04o", path, st.Mode().Perm(), mode)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve did not stop cleanly on SIGTERM: %v\n%s", err, logs)
	}
}

// TestKill9DuringTokenize kills the daemon while clients tokenize: after a
// restart the audit log verifies and every code a client received
// resolves to its value.
func TestKill9DuringTokenize(t *testing.T) {
	a := newAppliance(t, "")
	a.start()
	token := strings.TrimSpace(a.mustCLI("", "apikey", "create", "--name", "load test", "--scopes", "tokenize"))
	type got struct{ code, e164 string }
	var mu sync.Mutex
	var received []got
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				n := fmt.Sprintf("+7 916 %d%02d %02d %02d", w, i/10000%100, i/100%100, i%100)
				e164 := "+7916" + strings.ReplaceAll(n[7:], " ", "")
				var res struct {
					Results []struct {
						Code string `json:"code"`
					} `json:"results"`
				}
				if a.post(token, "/api/v1/tokenize", map[string]any{"kind": "phone", "values": []string{n}}, &res) != 200 || len(res.Results) != 1 {
					continue
				}
				mu.Lock()
				received = append(received, got{res.Results[0].Code, e164})
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second)
	a.stop(syscall.SIGKILL)
	cancel()
	wg.Wait()
	if len(received) < 50 {
		t.Fatalf("only %d codes received before the kill", len(received))
	}
	a.start()
	if out := a.mustCLI("", "audit", "verify"); !strings.HasPrefix(out, "ok:") {
		t.Fatalf("audit verify after kill -9: %s", out)
	}
	var codes []string
	for _, g := range received {
		codes = append(codes, g.code)
	}
	out := a.mustCLI(strings.Join(codes, "\n")+"\n", "token", "resolve", "--purpose", "support", "--reference", "KILL-TEST")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(received) {
		t.Fatalf("resolved %d of %d codes", len(lines), len(received))
	}
	for i, l := range lines {
		if l != received[i].e164 {
			t.Fatalf("code %d resolved to something else after the kill", i)
		}
	}
	t.Logf("%d codes issued before kill -9, all resolve after restart", len(received))
}
