// Package vaulttest runs a real HashiCorp Vault dev server for tests, with
// the transit engine and AppRole auth enabled.
//
// The server binary is $KORDON_VAULT_BIN, else `vault` on PATH, else
// /usr/local/lib/kordon-test/vault (what scripts/test-deps.sh builds). Without
// one, Start skips the test, or fails it when KORDON_REQUIRE_VAULT=1, so that
// CI cannot pass by skipping.
//
// A dev server holds about 250 MB, so a test binary runs at most one: Start
// shares the running server between all tests that hold it and stops it
// when the last of them finishes. Tests isolate themselves by using their
// own transit key (Key) and AppRole. To start it once for many tests, call
// Start in a parent test and pass the Server to its subtests.
package vaulttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// DefaultBinary is where scripts/vault/build.sh installs the Vault server.
const DefaultBinary = "/usr/local/lib/kordon-test/vault"

const (
	healthTimeout = 20 * time.Second
	stopTimeout   = 10 * time.Second
	missingHelp   = "no Vault server binary: set KORDON_VAULT_BIN, put vault on PATH, or run scripts/test-deps.sh to build " + DefaultBinary
)

// Server is a running Vault dev server.
type Server struct {
	Addr  string // base URL, e.g. "http://127.0.0.1:43121"
	Token string // root token; test-only
}

// Start returns the shared dev server, starting it if no test holds it, and
// releases it when t finishes. It skips t when no Vault binary is found,
// unless KORDON_REQUIRE_VAULT=1, in which case it fails t.
func Start(t testing.TB) Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		if os.Getenv("KORDON_REQUIRE_VAULT") == "1" {
			t.Fatalf("vaulttest: %v (KORDON_REQUIRE_VAULT=1)", err)
		}
		t.Skipf("vaulttest: %v", err)
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.p == nil {
		p, err := launch(bin)
		if err != nil {
			t.Fatalf("vaulttest: start %s: %v", bin, err)
		}
		shared.p = p
	}
	shared.refs++
	t.Cleanup(func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		shared.refs--
		if shared.refs == 0 {
			if err := shared.p.stop(); err != nil {
				t.Errorf("vaulttest: stop: %v", err)
			}
			shared.p = nil
		}
	})
	return shared.p.srv
}

// shared is the one server of this test binary and how many tests hold it.
var shared struct {
	mu   sync.Mutex
	p    *process
	refs int
}

// Client returns an API client authenticated with the root token.
func (s Server) Client(t testing.TB) *api.Client {
	t.Helper()
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		t.Fatalf("vaulttest: client: %v", err)
	}
	c.SetToken(s.Token)
	c.ClearNamespace()
	t.Cleanup(cfg.HttpClient.CloseIdleConnections)
	return c
}

var keySeq atomic.Int64

// Key returns a transit key name unique to this test binary, derived from
// the test's name. The key is not created.
func (s Server) Key(t testing.TB) string {
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return fmt.Sprintf("t%d-%s", keySeq.Add(1), strings.Trim(name, "-"))
}

// TokenFile writes the root token to a 0600 file in t.TempDir and returns
// its path.
func (s Server) TokenFile(t testing.TB) string {
	t.Helper()
	return writeSecret(t, "token", s.Token)
}

// AppRole creates an AppRole whose tokens may use, create and rotate the
// transit key named key and nothing else, writes its role_id and a fresh
// secret_id to 0600 files in t.TempDir, and returns their paths. A positive
// tokenTTL sets the issued tokens' TTL and maximum TTL; zero leaves Vault's
// defaults.
func (s Server) AppRole(t testing.TB, key string, tokenTTL time.Duration) (roleIDFile, secretIDFile string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := s.Client(t)
	policy := fmt.Sprintf(`
path "transit/encrypt/%[1]s"     { capabilities = ["update"] }
path "transit/decrypt/%[1]s"     { capabilities = ["update"] }
path "transit/rewrap/%[1]s"      { capabilities = ["update"] }
path "transit/keys/%[1]s"        { capabilities = ["read", "create", "update"] }
path "transit/keys/%[1]s/rotate" { capabilities = ["update"] }
`, key)
	if err := c.Sys().PutPolicyWithContext(ctx, key, policy); err != nil {
		t.Fatalf("vaulttest: write policy %s: %v", key, err)
	}
	role := map[string]any{"token_policies": []string{key}}
	if tokenTTL > 0 {
		secs := fmt.Sprintf("%ds", int(tokenTTL.Round(time.Second)/time.Second))
		role["token_ttl"], role["token_max_ttl"] = secs, secs
	}
	if _, err := c.Logical().WriteWithContext(ctx, "auth/approle/role/"+key, role); err != nil {
		t.Fatalf("vaulttest: create AppRole %s: %v", key, err)
	}
	r, err := c.Logical().ReadWithContext(ctx, "auth/approle/role/"+key+"/role-id")
	if err != nil || r == nil {
		t.Fatalf("vaulttest: read role_id of %s: %v", key, err)
	}
	sid, err := c.Logical().WriteWithContext(ctx, "auth/approle/role/"+key+"/secret-id", nil)
	if err != nil || sid == nil {
		t.Fatalf("vaulttest: create secret_id for %s: %v", key, err)
	}
	roleID, _ := r.Data["role_id"].(string)
	secretID, _ := sid.Data["secret_id"].(string)
	if roleID == "" || secretID == "" {
		t.Fatalf("vaulttest: AppRole %s: empty role_id or secret_id in Vault's answer", key)
	}
	return writeSecret(t, "role_id", roleID), writeSecret(t, "secret_id", secretID)
}

func writeSecret(t testing.TB, name, value string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatalf("vaulttest: %v", err)
	}
	return p
}

func findBinary() (string, error) {
	if p := os.Getenv("KORDON_VAULT_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("KORDON_VAULT_BIN: %w; %s", err, missingHelp)
		}
		return p, nil
	}
	if p, err := exec.LookPath("vault"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(DefaultBinary); err == nil {
		return DefaultBinary, nil
	}
	return "", errors.New(missingHelp)
}

// process is a running dev server and the goroutine that waits for it.
type process struct {
	srv    Server
	cmd    *exec.Cmd
	dir    string        // HOME and log of the server
	exited chan struct{} // closed when the server has exited
	err    error         // cmd.Wait's result, set before exited is closed
}

// launch starts a dev server on a free loopback port and waits until it is
// healthy and configured. A port taken between choosing and binding it is
// retried.
func launch(bin string) (*process, error) {
	var err error
	for range 3 {
		var p *process
		p, err = launchOnce(bin)
		if err == nil {
			return p, nil
		}
	}
	return nil, err
}

func launchOnce(bin string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	rand.Read(tok)
	dir, err := os.MkdirTemp("", "kordon-vaulttest-")
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()

	p := &process{
		srv:    Server{Addr: "http://" + addr, Token: "kordon-test-" + hex.EncodeToString(tok)},
		dir:    dir,
		exited: make(chan struct{}),
	}
	p.cmd = exec.Command(bin, "server", "-dev",
		"-dev-root-token-id="+p.srv.Token,
		"-dev-listen-address="+addr,
		"-dev-no-store-token",
		"-log-level=warn")
	// Only what the server needs; VAULT_* from the developer's shell would
	// change its behaviour.
	p.cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin", "VAULT_DISABLE_MLOCK=true"}
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = logf, logf // files, so exec starts no copying goroutines
	// Kill the server if the test binary dies without running its cleanups.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()

	if err := p.waitHealthy(); err != nil {
		p.stop()
		return nil, err
	}
	if err := p.configure(); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *process) waitHealthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.srv.Addr+"/v1/sys/health", nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("server exited before it was healthy (%v); log:\n%s", p.err, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("server not healthy after %v; log:\n%s", healthTimeout, p.logTail())
		case <-tick.C:
		}
	}
}

// configure enables the transit engine and AppRole auth.
func (p *process) configure() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := api.DefaultConfig()
	cfg.Address = p.srv.Addr
	cfg.MaxRetries = 0
	defer cfg.HttpClient.CloseIdleConnections()
	c, err := api.NewClient(cfg)
	if err != nil {
		return err
	}
	c.SetToken(p.srv.Token)
	c.ClearNamespace()
	if err := c.Sys().MountWithContext(ctx, "transit", &api.MountInput{Type: "transit"}); err != nil {
		return fmt.Errorf("enable transit: %w", err)
	}
	if err := c.Sys().EnableAuthWithOptionsWithContext(ctx, "approle", &api.EnableAuthOptions{Type: "approle"}); err != nil {
		return fmt.Errorf("enable approle: %w", err)
	}
	return nil
}

// stop terminates the server, waits for it, and removes its directory.
func (p *process) stop() error {
	defer os.RemoveAll(p.dir)
	select {
	case <-p.exited:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	p.cmd.Process.Kill()
	<-p.exited
	return fmt.Errorf("server ignored SIGTERM for %v and was killed", stopTimeout)
}

// logTail returns the end of the server log without the root token.
func (p *process) logTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "server.log"))
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(bytes.ReplaceAll(b, []byte(p.srv.Token), []byte("<root token>")))
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
