package keys_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"kordon/tokenizer/keys"
	"kordon/tokenizer/keys/providertest"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper())
	}
	goleak.VerifyTestMain(m)
}

func newLocal(t *testing.T, path string) *keys.Local {
	t.Helper()
	l, err := keys.NewLocal(keys.LocalConfig{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocalConformance(t *testing.T) {
	providertest.Run(t, func(t *testing.T) keys.Provider {
		return newLocal(t, filepath.Join(t.TempDir(), "kek.json"))
	})
}

func TestNewLocalNeedsPath(t *testing.T) {
	if _, err := keys.NewLocal(keys.LocalConfig{}); err == nil {
		t.Fatal("NewLocal with no Path succeeded")
	}
}

func TestLocalNewTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	newLocal(t, filepath.Join(dir, "kek.json"))
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("NewLocal created %d files; want none before first use", len(ents))
	}
}

func TestLocalCreatesFile0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek.json")
	l := newLocal(t, path)
	if _, err := l.Wrap(t.Context(), []byte("data key")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %#o, want 0600", filepath.Base(p), perm)
		}
	}
	f := readKeyFile(t, path)
	if f.Version != 1 || len(f.Keys) != 1 || f.Keys[0].Version != 1 || len(f.Keys[0].Key) != 32 || f.Keys[0].Created == "" {
		t.Errorf("new key file: format %d, %d keys; want format 1 with one 32-byte key v1 and a creation time", f.Version, len(f.Keys))
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 2 {
		t.Errorf("directory holds %d entries, want the key file and its lock file", len(ents))
	}
}

func TestLocalRefusesBroadMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o700} {
		t.Run(fmt.Sprintf("%#o", mode), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek.json")
			if _, err := newLocal(t, path).Wrap(t.Context(), []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := newLocal(t, path).Wrap(t.Context(), []byte("x"))
			if !errors.Is(err, keys.ErrUnavailable) {
				t.Fatalf("Wrap with a %#o key file: got %v, want ErrUnavailable", mode, err)
			}
			for _, want := range []string{path, fmt.Sprintf("%#o", mode)} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
	t.Run("0400", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kek.json")
		w, err := newLocal(t, path).Wrap(t.Context(), []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, 0o400)
		if _, err := newLocal(t, path).Unwrap(t.Context(), w); err != nil {
			t.Errorf("Unwrap with a 0400 key file: %v", err)
		}
	})
}

func TestLocalMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	_, err := newLocal(t, filepath.Join(dir, "kek.json")).Wrap(t.Context(), []byte("x"))
	if !errors.Is(err, keys.ErrUnavailable) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("got %v, want ErrUnavailable naming %s", err, dir)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("the provider created the missing directory")
	}
}

func TestLocalRejectsBadFile(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcde")) // 31 bytes
	cases := map[string]string{
		"NotJSON":       "key=" + secret,
		"WrongFormat":   `{"version":2,"keys":[]}`,
		"NoKeys":        `{"version":1,"keys":[]}`,
		"ShortKey":      `{"version":1,"keys":[{"version":1,"key":"` + secret + `","created":"2025-01-01T00:00:00Z"}]}`,
		"UnknownField":  `{"version":1,"extra":"` + secret + `","keys":[]}`,
		"BadBase64":     `{"version":1,"keys":[{"version":1,"key":"` + secret + `*","created":"2025-01-01T00:00:00Z"}]}`,
		"TrailingData":  `{"version":1,"keys":[]} {"` + secret + `":1}`,
		"VersionsOrder": twoKeys(2, 1),
		"VersionZero":   twoKeys(0, 1),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := newLocal(t, path).Wrap(t.Context(), []byte("x"))
			if !errors.Is(err, keys.ErrUnavailable) || !strings.Contains(err.Error(), path) {
				t.Fatalf("got %v, want ErrUnavailable naming the file", err)
			}
			if strings.Contains(err.Error(), secret[:8]) {
				t.Error("error quotes the key file's contents")
			}
		})
	}
}

func twoKeys(v1, v2 int) string {
	k := base64.StdEncoding.EncodeToString(make([]byte, 32))
	return fmt.Sprintf(`{"version":1,"keys":[{"version":%d,"key":"%s"},{"version":%d,"key":"%s"}]}`, v1, k, v2, k)
}

func TestLocalSeesOtherInstanceRotation(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kek.json")
	daemon, cli := newLocal(t, path), newLocal(t, path)
	w1, err := daemon.Wrap(ctx, []byte("data key"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := cli.Rotate(ctx)
	if err != nil || v != 2 {
		t.Fatalf("Rotate = %d, %v; want 2", v, err)
	}
	w2, err := cli.Rewrap(ctx, w1)
	if err != nil || !strings.HasPrefix(w2, "local:v2:") {
		t.Fatalf("Rewrap: %v (or not under v2)", err)
	}
	// The daemon has not seen v2 yet; Unwrap re-reads the file.
	if got, err := daemon.Unwrap(ctx, w2); err != nil || string(got) != "data key" {
		t.Fatalf("Unwrap of a value under a version another instance added: %v", err)
	}
	if st, err := daemon.Status(ctx); err != nil || st.Version != 2 || st.Versions != 2 {
		t.Errorf("Status = %+v, %v; want version 2 of 2", st, err)
	}
	if w, _ := daemon.Wrap(ctx, []byte("x")); !strings.HasPrefix(w, "local:v2:") {
		t.Error("Wrap after the daemon saw the rotation does not use v2")
	}
}

func TestLocalConcurrentRotate(t *testing.T) {
	const perInstance = 10
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kek.json")
	a, b := newLocal(t, path), newLocal(t, path)
	var (
		mu   sync.Mutex
		seen = map[int]bool{}
		wg   sync.WaitGroup
	)
	for _, l := range []*keys.Local{a, b} {
		wg.Go(func() {
			for range perInstance {
				v, err := l.Rotate(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[v] {
					t.Errorf("version %d returned twice", v)
				}
				seen[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	checkVersions(t, path, 1+2*perInstance)
}

// TestLocalRotateAcrossProcesses runs Rotate in two child processes and
// this one at once: flock must serialise them so no version is lost.
func TestLocalRotateAcrossProcesses(t *testing.T) {
	const perProcess = 10
	path := filepath.Join(t.TempDir(), "kek.json")
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"=rotate:"+strconv.Itoa(perProcess)+":"+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child %d: %v\n%s", i, err, out)
			}
		})
	}
	l := newLocal(t, path)
	for range perProcess {
		if _, err := l.Rotate(t.Context()); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	checkVersions(t, path, 1+3*perProcess)
}

const helperEnv = "KORDON_KEYS_TEST_HELPER"

// runHelper is the child side of TestLocalRotateAcrossProcesses.
func runHelper() int {
	op, rest, _ := strings.Cut(os.Getenv(helperEnv), ":")
	ns, path, _ := strings.Cut(rest, ":")
	n, err := strconv.Atoi(ns)
	if op != "rotate" || err != nil {
		fmt.Fprintln(os.Stderr, "bad helper request")
		return 2
	}
	l, err := keys.NewLocal(keys.LocalConfig{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for range n {
		if _, err := l.Rotate(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

type keyFileJSON struct {
	Version int `json:"version"`
	Keys    []struct {
		Version int    `json:"version"`
		Key     []byte `json:"key"`
		Created string `json:"created"`
	} `json:"keys"`
}

func readKeyFile(t *testing.T, path string) keyFileJSON {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f keyFileJSON
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("key file is not JSON: %v", err)
	}
	return f
}

// checkVersions checks that the key file holds versions 1..n, each with a
// distinct key.
func checkVersions(t *testing.T, path string, n int) {
	t.Helper()
	f := readKeyFile(t, path)
	if len(f.Keys) != n {
		t.Fatalf("key file holds %d versions, want %d", len(f.Keys), n)
	}
	distinct := map[string]bool{}
	for i, k := range f.Keys {
		if k.Version != i+1 {
			t.Errorf("key %d has version %d, want %d", i, k.Version, i+1)
		}
		distinct[string(k.Key)] = true
	}
	if len(distinct) != n {
		t.Errorf("%d distinct keys among %d versions", len(distinct), n)
	}
}

// FuzzLocalUnwrap feeds arbitrary values to Unwrap: it must never panic and
// must either succeed or report ErrWrapped.
func FuzzLocalUnwrap(f *testing.F) {
	path := filepath.Join(f.TempDir(), "kek.json")
	l, err := keys.NewLocal(keys.LocalConfig{Path: path})
	if err != nil {
		f.Fatal(err)
	}
	w, err := l.Wrap(context.Background(), []byte("seed data key"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{w, "", "local:", "local:v1:", "local:v0:AAAA", "vault:v1:abc", "local:v99999999999999999999:AA==", w[:len(w)-3]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pt, err := l.Unwrap(context.Background(), s)
		if err != nil && !errors.Is(err, keys.ErrWrapped) {
			t.Fatalf("Unwrap error does not wrap ErrWrapped: %v", err)
		}
		if err == nil && string(pt) != "seed data key" {
			t.Fatal("Unwrap of a value never wrapped succeeded")
		}
	})
}

// FuzzLocalKeyFile feeds arbitrary key files to the provider: it must never
// panic, and its errors must never quote the file.
func FuzzLocalKeyFile(f *testing.F) {
	f.Add([]byte(twoKeys(1, 2)))
	f.Add([]byte(`{"version":1,"keys":[{"version":1,"key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}]}`))
	f.Add([]byte(`{"version":1,"keys":[{"version":1,"key":"zzzzzzzzzzzzzzzzzzzz"}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, content []byte) {
		path := filepath.Join(t.TempDir(), "kek.json")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := newLocal(t, path).Status(context.Background())
		if err == nil {
			return
		}
		msg := strings.TrimPrefix(err.Error(), "local keys: parse key file "+path)
		if len(content) >= 12 && strings.Contains(msg, string(content)) {
			t.Fatal("error quotes the key file")
		}
	})
}
