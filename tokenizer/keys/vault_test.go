package keys_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kordon/tokenizer/keys"
	"kordon/tokenizer/keys/providertest"
	"kordon/tokenizer/keys/vaulttest"
)

func newVault(t *testing.T, cfg keys.VaultConfig) *keys.Vault {
	t.Helper()
	v, err := keys.NewVault(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// TestVault runs every test that needs a server under one parent, so the
// test binary starts Vault once.
func TestVault(t *testing.T) {
	srv := vaulttest.Start(t)

	t.Run("ConformanceToken", func(t *testing.T) {
		providertest.Run(t, func(t *testing.T) keys.Provider {
			return newVault(t, keys.VaultConfig{Address: srv.Addr, Key: srv.Key(t), TokenFile: srv.TokenFile(t)})
		})
	})

	t.Run("ConformanceAppRole", func(t *testing.T) {
		providertest.Run(t, func(t *testing.T) keys.Provider {
			key := srv.Key(t)
			role, secret := srv.AppRole(t, key, 0)
			return newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, Auth: "approle", RoleIDFile: role, SecretIDFile: secret})
		})
	})

	t.Run("OpenCreatesKey", func(t *testing.T) {
		key := srv.Key(t)
		role, secret := srv.AppRole(t, key, 0)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, Auth: "approle", RoleIDFile: role, SecretIDFile: secret})
		if err := v.Open(t.Context()); err != nil {
			t.Fatalf("Open: %v", err)
		}
		s, err := srv.Client(t).Logical().Read("transit/keys/" + key)
		if err != nil || s == nil {
			t.Fatalf("transit key %s was not created: %v", key, err)
		}
		if s.Data["type"] != "aes256-gcm96" {
			t.Errorf("key type %v, want aes256-gcm96", s.Data["type"])
		}
		st, err := v.Status(t.Context())
		if err != nil || st.Version != 1 || st.Versions != 1 || !strings.Contains(st.Location, key) {
			t.Errorf("Status = %+v, %v; want version 1 of 1 naming the key", st, err)
		}
	})

	t.Run("AppRoleDeniedOtherKey", func(t *testing.T) {
		mine, other := srv.Key(t), srv.Key(t)
		role, secret := srv.AppRole(t, mine, 0)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: other, Auth: "approle", RoleIDFile: role, SecretIDFile: secret})
		err := v.Open(t.Context())
		if !errors.Is(err, keys.ErrUnavailable) || !strings.Contains(err.Error(), "permission denied") {
			t.Fatalf("Open on a key the policy does not cover: got %v, want ErrUnavailable with permission denied", err)
		}
	})

	t.Run("AppRoleBadSecretID", func(t *testing.T) {
		key := srv.Key(t)
		role, _ := srv.AppRole(t, key, 0)
		bad := filepath.Join(t.TempDir(), "secret_id")
		const wrongSecret = "00000000-1111-2222-3333-444444444444"
		os.WriteFile(bad, []byte(wrongSecret), 0o600)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, Auth: "approle", RoleIDFile: role, SecretIDFile: bad})
		err := v.Open(t.Context())
		if !errors.Is(err, keys.ErrUnavailable) {
			t.Fatalf("Open with a wrong secret_id: got %v, want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), wrongSecret) {
			t.Error("error quotes the secret_id")
		}
	})

	t.Run("AppRoleTokenExpires", func(t *testing.T) {
		key := srv.Key(t)
		role, secret := srv.AppRole(t, key, 2*time.Second)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, Auth: "approle", RoleIDFile: role, SecretIDFile: secret})
		w, err := v.Wrap(t.Context(), []byte("data key"))
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2500 * time.Millisecond) // past the token's TTL
		if got, err := v.Unwrap(t.Context(), w); err != nil || string(got) != "data key" {
			t.Fatalf("Unwrap after the AppRole token expired: %v", err)
		}
	})

	t.Run("AppRoleTokenRevoked", func(t *testing.T) {
		key := srv.Key(t)
		role, secret := srv.AppRole(t, key, 0)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, Auth: "approle", RoleIDFile: role, SecretIDFile: secret})
		w, err := v.Wrap(t.Context(), []byte("data key"))
		if err != nil {
			t.Fatal(err)
		}
		// Revoke every AppRole-issued token; the provider must log in again.
		if _, err := srv.Client(t).Logical().Write("sys/leases/revoke-prefix/auth/approle/login", nil); err != nil {
			t.Fatalf("revoke AppRole tokens: %v", err)
		}
		if got, err := v.Unwrap(t.Context(), w); err != nil || string(got) != "data key" {
			t.Fatalf("Unwrap after the token was revoked: %v", err)
		}
	})

	t.Run("TokenFileReplaced", func(t *testing.T) {
		key := srv.Key(t)
		tokenFile := filepath.Join(t.TempDir(), "token")
		const wrongToken = "hvs.not-a-valid-token-for-this-test"
		os.WriteFile(tokenFile, []byte(wrongToken), 0o600)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, TokenFile: tokenFile})
		err := v.Open(t.Context())
		if !errors.Is(err, keys.ErrUnavailable) {
			t.Fatalf("Open with a wrong token: got %v, want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), wrongToken) {
			t.Error("error quotes the token")
		}
		// An agent writes a good token; the next call picks it up.
		os.WriteFile(tokenFile, []byte(srv.Token), 0o600)
		if _, err := v.Wrap(t.Context(), []byte("data key")); err != nil {
			t.Fatalf("Wrap after the token file was fixed: %v", err)
		}
	})

	t.Run("ConcurrentFirstUse", func(t *testing.T) {
		key := srv.Key(t)
		role, secret := srv.AppRole(t, key, 0)
		v := newVault(t, keys.VaultConfig{Address: srv.Addr, Key: key, Auth: "approle", RoleIDFile: role, SecretIDFile: secret})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := v.Wrap(t.Context(), []byte("data key")); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	})
}

func TestNewVaultValidates(t *testing.T) {
	ok := keys.VaultConfig{Address: "https://vault.example:8200", TokenFile: "/nonexistent/token"}
	if _, err := keys.NewVault(ok); err != nil {
		t.Fatalf("NewVault with a token file that does not exist yet: %v (New must do no I/O)", err)
	}
	cases := map[string]keys.VaultConfig{
		"NoAddress":       {TokenFile: "/t"},
		"BadScheme":       {Address: "ftp://vault", TokenFile: "/t"},
		"NoHost":          {Address: "https://", TokenFile: "/t"},
		"Credentials":     {Address: "https://user:pw@vault", TokenFile: "/t"},
		"NoTokenFile":     {Address: "https://vault"},
		"UnknownAuth":     {Address: "https://vault", Auth: "userpass"},
		"AppRoleNoSecret": {Address: "https://vault", Auth: "approle", RoleIDFile: "/r"},
		"KeyWithSlash":    {Address: "https://vault", TokenFile: "/t", Key: "../sys"},
		"NegativeTimeout": {Address: "https://vault", TokenFile: "/t", Timeout: -time.Second},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := keys.NewVault(cfg)
			if err == nil {
				t.Fatal("NewVault accepted the config")
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Error("error quotes credentials from the address")
			}
		})
	}
}

// TestVaultUnreachable checks that an unreachable Vault fails fast, with
// ErrUnavailable and the address, and never hangs.
func TestVaultUnreachable(t *testing.T) {
	const timeout = 500 * time.Millisecond
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("hvs.test"), 0o600)

	targets := map[string]string{
		"ClosedPort":   "http://" + closedAddr(t),
		"BlackHole":    "http://" + blackHole(t),
		"BlackHoleTLS": "https://" + blackHole(t),
	}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			v := newVault(t, keys.VaultConfig{Address: addr, TokenFile: tokenFile, Timeout: timeout})
			plaintext := []byte("marker-plaintext-0123456789")
			calls := map[string]func() error{
				"Open": func() error { return v.Open(context.Background()) },
				"Wrap": func() error { _, err := v.Wrap(context.Background(), plaintext); return err },
				"Unwrap": func() error {
					_, err := v.Unwrap(context.Background(), "vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
					return err
				},
				"Status": func() error { _, err := v.Status(context.Background()); return err },
				"Rotate": func() error { _, err := v.Rotate(context.Background()); return err },
			}
			for op, call := range calls {
				start := time.Now()
				err := call()
				elapsed := time.Since(start)
				if !errors.Is(err, keys.ErrUnavailable) {
					t.Errorf("%s: got %v, want ErrUnavailable", op, err)
					continue
				}
				if !strings.Contains(err.Error(), addr) {
					t.Errorf("%s: error %q does not name %s", op, err, addr)
				}
				if elapsed > timeout+5*time.Second { // bounded, not a hang; slack for a loaded 2-core machine
					t.Errorf("%s took %v with Timeout %v", op, elapsed, timeout)
				}
				for _, leak := range []string{string(plaintext), base64.StdEncoding.EncodeToString(plaintext)} {
					if strings.Contains(err.Error(), leak) {
						t.Errorf("%s: error contains the plaintext", op)
					}
				}
			}
		})
	}

	t.Run("CallerDeadline", func(t *testing.T) {
		v := newVault(t, keys.VaultConfig{Address: "http://" + blackHole(t), TokenFile: tokenFile, Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		start := time.Now()
		if err := v.Open(ctx); !errors.Is(err, keys.ErrUnavailable) {
			t.Errorf("Open: got %v, want ErrUnavailable", err)
		}
		if elapsed := time.Since(start); elapsed > timeout+5*time.Second {
			t.Errorf("Open ignored the caller's deadline: %v", elapsed)
		}
	})
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// blackHole returns the address of a listener that accepts connections and
// never answers.
func blackHole(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
