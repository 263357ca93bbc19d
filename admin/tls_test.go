package admin_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kordon/admin"
)

func TestEnsureSelfSigned(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "private", "key.pem")
	created, err := admin.EnsureSelfSigned(cert, key, []string{"kordon.corp.example", "10.0.0.5", "localhost"})
	if err != nil || !created {
		t.Fatalf("EnsureSelfSigned = %v, %v", created, err)
	}
	for path, want := range map[string]os.FileMode{key: 0o600, dir: 0o700, filepath.Dir(key): 0o700} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s has mode %04o, want %04o", path, got, want)
		}
	}
	b, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "kordon.corp.example", "10.0.0.5"} {
		if err := c.VerifyHostname(host); err != nil {
			t.Errorf("certificate does not cover %s: %v", host, err)
		}
	}
	if len(c.DNSNames) != 2 {
		t.Errorf("DNS names %v: duplicates", c.DNSNames)
	}
	if days := c.NotAfter.Sub(c.NotBefore).Hours() / 24; days < 825 || days > 826 {
		t.Errorf("valid for %.1f days, want 825", days)
	}
	if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
		t.Fatalf("the pair does not load: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "cert.pem" && e.Name() != "private" {
			t.Errorf("left behind %s", e.Name())
		}
	}

	created, err = admin.EnsureSelfSigned(cert, key, nil)
	if err != nil || created {
		t.Fatalf("second EnsureSelfSigned = %v, %v; want nothing done", created, err)
	}
	b2, _ := os.ReadFile(cert)
	if string(b2) != string(b) {
		t.Fatal("an existing certificate was replaced")
	}
	if err := os.Remove(cert); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.EnsureSelfSigned(cert, key, nil); err == nil {
		t.Fatal("a lone key was silently replaced")
	}
	if _, err := admin.EnsureSelfSigned(filepath.Join(dir, "c2.pem"), filepath.Join(dir, "k2.pem"), []string{"not a host"}); err == nil {
		t.Fatal("an invalid host was accepted")
	}
}

// TestRun serves /healthz over HTTPS on a free port and stops when the
// context is cancelled.
func TestRun(t *testing.T) {
	h := newHarness(t, nil)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if _, err := admin.EnsureSelfSigned(cert, key, nil); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, h, cert, key)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Listening():
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not start listening")
	}
	addr := srv.Addr().String()
	if _, port, _ := net.SplitHostPort(addr); port == "0" {
		t.Fatalf("Addr %s is not the bound port", addr)
	}

	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("GET /healthz: %d %q", resp.StatusCode, body)
	}
	// Go's server answers plain HTTP on a TLS port with a 400.
	if resp, err := client.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("served over plain HTTP")
		}
	}
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get("https://" + addr + "/healthz"); err == nil {
		t.Fatal("TLS 1.1 was accepted")
	}
	old.CloseIdleConnections()
	tr.CloseIdleConnections()

	if err := srv.Run(ctx); err == nil {
		t.Fatal("a second Run was accepted")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("still listening after Run returned")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "admin listener stopped") {
		t.Fatalf("no stop message in the log:\n%s", logs)
	}
}

func TestRunBadCertificate(t *testing.T) {
	h := newHarness(t, nil)
	dir := t.TempDir()
	srv := newServer(t, h, filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing.key"))
	if err := srv.Run(context.Background()); err == nil {
		t.Fatal("Run without a certificate succeeded")
	}
}

// newServer builds a second server over h's parts with its own files and
// registry.
func newServer(t *testing.T, h *harness, cert, key string) *admin.Server {
	t.Helper()
	srv, err := admin.New(admin.Config{
		Listen: "127.0.0.1:0", CertFile: cert, KeyFile: key,
		Tokenizer: h.tk, Audit: h.audit, Keys: h.keys, Logger: h.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestRunCancelled checks that Run with an ended context binds, stops at
// once and returns nil.
func TestRunCancelled(t *testing.T) {
	h := newHarness(t, nil)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if _, err := admin.EnsureSelfSigned(cert, key, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newServer(t, h, cert, key).Run(ctx); err != nil {
		t.Fatalf("Run with an ended context = %v, want nil", err)
	}
}
