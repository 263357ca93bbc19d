package keys

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// VaultConfig configures the vault provider. Secrets are given only as file
// paths, so that the boot file holds none.
type VaultConfig struct {
	// Address is Vault's base URL, e.g. "https://vault.internal:8200".
	// Required.
	Address string
	// Mount is the path the transit engine is mounted at. Default "transit".
	Mount string
	// Key is the transit key's name. Default "kordon". It is created as an
	// aes256-gcm96 key on first use if it is missing and the policy allows.
	Key string
	// Auth is how the provider logs in: "token" (default) reads a token
	// from TokenFile; "approle" logs in with RoleIDFile and SecretIDFile.
	Auth string
	// TokenFile holds a Vault token. Required for Auth "token". It is
	// re-read when Vault denies the token, so an agent may replace it.
	TokenFile string
	// RoleIDFile and SecretIDFile hold the AppRole credentials. Required
	// for Auth "approle".
	RoleIDFile, SecretIDFile string
	// AppRoleMount is the path the approle auth method is mounted at.
	// Default "approle".
	AppRoleMount string
	// CAFile is a PEM bundle of CAs that may sign Vault's certificate.
	// Default: the system roots.
	CAFile string
	// Timeout bounds each call, including logging in and the checks of the
	// first call. Default 10s.
	Timeout time.Duration
}

// Vault is the "vault" Provider over Vault Transit: wrapping is a transit
// encrypt call, so the KEK never reaches this process. It is safe for
// concurrent use.
//
// The first call (or Open) logs in and checks the transit key, creating it
// if it is missing; until that succeeds every call tries again, so the
// appliance can start while Vault is down. A token issued by an AppRole login
// is replaced by a fresh login after two thirds of its TTL, and any call that
// Vault denies re-authenticates once and retries.
type Vault struct {
	cfg      VaultConfig
	where    string // `key "k" at https://…`, for errors
	location string // the key's URL, for Status

	// sem is held while opening or logging in; a channel rather than a
	// mutex so that waiting for it honours the caller's deadline.
	sem chan struct{}

	mu        sync.Mutex // guards the fields below; never held across I/O
	client    *api.Client
	login     *api.Client // the same transport without a token, for AppRole logins
	transport *http.Transport
	token     string    // in use; "" until authenticated
	renewAt   time.Time // log in again after this; zero for token auth
	expires   time.Time // the token's end of life; zero for token auth
	keyOK     bool      // the transit key was found or created
}

var _ Provider = (*Vault)(nil)

const (
	vaultName           = "vault"
	vaultDefaultMount   = "transit"
	vaultDefaultKey     = "kordon"
	vaultDefaultAppRole = "approle"
	vaultDefaultTimeout = 10 * time.Second
	vaultKeyType        = "aes256-gcm96"
	vaultMaxResponse    = 1 << 10 // bytes of a Vault error message kept in our errors
)

// NewVault validates cfg and returns a vault provider. It does no I/O: no
// file is read and Vault is not contacted until Open or the first call.
func NewVault(cfg VaultConfig) (*Vault, error) {
	if cfg.Mount == "" {
		cfg.Mount = vaultDefaultMount
	}
	if cfg.Key == "" {
		cfg.Key = vaultDefaultKey
	}
	if cfg.Auth == "" {
		cfg.Auth = "token"
	}
	if cfg.AppRoleMount == "" {
		cfg.AppRoleMount = vaultDefaultAppRole
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = vaultDefaultTimeout
	}
	if cfg.Address == "" {
		return nil, errors.New("vault: VaultConfig.Address is required")
	}
	u, err := url.Parse(cfg.Address)
	if err != nil {
		return nil, errors.New("vault: VaultConfig.Address is not a URL")
	}
	if u.User != nil {
		return nil, errors.New("vault: VaultConfig.Address must not carry credentials")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("vault: VaultConfig.Address %q is not an http or https base URL", cfg.Address)
	}
	cfg.Address = strings.TrimSuffix(cfg.Address, "/")
	for name, p := range map[string]string{"Mount": cfg.Mount, "Key": cfg.Key, "AppRoleMount": cfg.AppRoleMount} {
		if strings.Trim(p, "/") != p || strings.ContainsAny(p, "?#%") || strings.Contains(p, "..") {
			return nil, fmt.Errorf("vault: VaultConfig.%s %q is not a plain Vault path", name, p)
		}
	}
	switch cfg.Auth {
	case "token":
		if cfg.TokenFile == "" {
			return nil, errors.New(`vault: VaultConfig.TokenFile is required with Auth "token"`)
		}
	case "approle":
		if cfg.RoleIDFile == "" || cfg.SecretIDFile == "" {
			return nil, errors.New(`vault: VaultConfig.RoleIDFile and SecretIDFile are required with Auth "approle"`)
		}
	default:
		return nil, fmt.Errorf(`vault: VaultConfig.Auth %q is neither "token" nor "approle"`, cfg.Auth)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("vault: VaultConfig.Timeout %v is negative", cfg.Timeout)
	}
	return &Vault{
		cfg:      cfg,
		where:    fmt.Sprintf("key %q at %s", cfg.Key, cfg.Address),
		location: cfg.Address + "/v1/" + cfg.Mount + "/keys/" + cfg.Key,
		sem:      make(chan struct{}, 1),
	}, nil
}

// Name returns "vault".
func (v *Vault) Name() string { return vaultName }

// Open logs in and checks the transit key, creating it if it is missing.
// Calling it is optional, since every call opens the provider first; it lets
// the appliance report a misconfiguration at start-up. An unreachable Vault
// gives an error wrapping ErrUnavailable within Timeout.
func (v *Vault) Open(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	_, _, err := v.ready(ctx, "open")
	return err
}

// Close releases idle connections to Vault. The provider stays usable; a
// later call opens new connections. Close is idempotent and always returns
// nil.
func (v *Vault) Close() error {
	v.mu.Lock()
	tr := v.transport
	v.mu.Unlock()
	if tr != nil {
		tr.CloseIdleConnections()
	}
	return nil
}

// Wrap encrypts plaintext with the transit key's newest version and returns
// Transit's "vault:vN:..." ciphertext.
func (v *Vault) Wrap(ctx context.Context, plaintext []byte) (string, error) {
	s, err := v.write(ctx, "wrap", v.transitPath("encrypt"), map[string]any{
		"plaintext": base64.StdEncoding.EncodeToString(plaintext),
	})
	if err != nil {
		return "", err
	}
	ct, err := stringField(s, "ciphertext")
	if err != nil {
		return "", v.fail("wrap", err)
	}
	return ct, nil
}

// Unwrap decrypts a value produced by Wrap.
func (v *Vault) Unwrap(ctx context.Context, wrapped string) ([]byte, error) {
	if err := v.checkWrapped("unwrap", wrapped); err != nil {
		return nil, err
	}
	s, err := v.write(ctx, "unwrap", v.transitPath("decrypt"), map[string]any{"ciphertext": wrapped})
	if err != nil {
		return nil, err
	}
	b64, err := stringField(s, "plaintext")
	if err != nil {
		return nil, v.fail("unwrap", err)
	}
	pt, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, v.fail("unwrap", errors.New("plaintext in the response is not base64"))
	}
	return pt, nil
}

// Rewrap has Transit re-encrypt wrapped under the key's newest version; the
// plaintext never leaves Vault.
func (v *Vault) Rewrap(ctx context.Context, wrapped string) (string, error) {
	if err := v.checkWrapped("rewrap", wrapped); err != nil {
		return "", err
	}
	s, err := v.write(ctx, "rewrap", v.transitPath("rewrap"), map[string]any{"ciphertext": wrapped})
	if err != nil {
		return "", err
	}
	ct, err := stringField(s, "ciphertext")
	if err != nil {
		return "", v.fail("rewrap", err)
	}
	return ct, nil
}

// Rotate rotates the transit key and returns its new newest version.
func (v *Vault) Rotate(ctx context.Context) (int, error) {
	s, err := v.write(ctx, "rotate", v.transitPath("keys")+"/rotate", nil)
	if err != nil {
		return 0, err
	}
	// Vault 1.10 and later answer with the key; older ones with 204.
	if s != nil && s.Data["latest_version"] != nil {
		n, err := intField(s, "latest_version")
		if err != nil {
			return 0, v.fail("rotate", err)
		}
		return n, nil
	}
	st, err := v.Status(ctx)
	return st.Version, err
}

// Status reads the transit key: its newest version and how many versions
// still decrypt (from min_decryption_version up).
func (v *Vault) Status(ctx context.Context) (Status, error) {
	st := Status{Provider: vaultName, Location: v.location}
	s, err := v.read(ctx, "status", v.transitPath("keys"))
	if err != nil {
		return st, err
	}
	if s == nil {
		return st, v.fail("status", errors.New("transit key not found"))
	}
	latest, err := intField(s, "latest_version")
	if err != nil {
		return st, v.fail("status", err)
	}
	minDec, err := intField(s, "min_decryption_version")
	if err != nil {
		return st, v.fail("status", err)
	}
	st.Version, st.Versions = latest, latest-max(minDec, 1)+1
	return st, nil
}

func (v *Vault) transitPath(op string) string { return v.cfg.Mount + "/" + op + "/" + v.cfg.Key }

// checkWrapped rejects values that are not Transit ciphertexts before they
// reach Vault.
func (v *Vault) checkWrapped(op, wrapped string) error {
	provider, _, body, err := splitWrapped(wrapped)
	if err != nil {
		return fmt.Errorf("vault: %s with %s: %w", op, v.where, err)
	}
	if provider != vaultName {
		return fmt.Errorf("vault: %s with %s: value from provider %q, not %q: %w", op, v.where, provider, vaultName, ErrWrapped)
	}
	if body == "" {
		return fmt.Errorf("vault: %s with %s: empty ciphertext: %w", op, v.where, ErrWrapped)
	}
	return nil
}

// write performs a logical write under Timeout, opening the provider first
// and re-authenticating once if Vault denies the token.
func (v *Vault) write(ctx context.Context, op, path string, data map[string]any) (*api.Secret, error) {
	return v.do(ctx, op, func(ctx context.Context, c *api.Client) (*api.Secret, error) {
		return c.Logical().WriteWithContext(ctx, path, data)
	})
}

// read is write's counterpart for logical reads. A missing path gives a nil
// Secret and no error.
func (v *Vault) read(ctx context.Context, op, path string) (*api.Secret, error) {
	return v.do(ctx, op, func(ctx context.Context, c *api.Client) (*api.Secret, error) {
		return c.Logical().ReadWithContext(ctx, path)
	})
}

func (v *Vault) do(ctx context.Context, op string, call func(context.Context, *api.Client) (*api.Secret, error)) (*api.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	c, tok, err := v.ready(ctx, op)
	if err != nil {
		return nil, err
	}
	s, err := call(ctx, c)
	if isDenied(err) {
		if c, err = v.reauthenticate(ctx, op, tok); err != nil {
			return nil, err
		}
		s, err = call(ctx, c)
	}
	if err != nil {
		return nil, v.fail(op, err) // fail shortens a Vault error response
	}
	return s, nil
}

// ready returns a client with a live token, after opening the provider if
// that has not succeeded yet and logging in again if the token is old.
func (v *Vault) ready(ctx context.Context, op string) (*api.Client, string, error) {
	if c, tok, ok := v.fast(); ok {
		return c, tok, nil
	}
	if err := v.acquire(ctx, op); err != nil {
		return nil, "", err
	}
	defer v.release()
	if c, tok, ok := v.fast(); ok { // another call finished while this one waited
		return c, tok, nil
	}

	v.mu.Lock()
	c, tok, renewAt, expires, keyOK := v.client, v.token, v.renewAt, v.expires, v.keyOK
	v.mu.Unlock()
	if c == nil {
		if err := v.connect(); err != nil {
			return nil, "", v.fail(op, err)
		}
	}
	if tok == "" || (!renewAt.IsZero() && time.Now().After(renewAt)) {
		err := v.authenticate(ctx)
		stillValid := tok != "" && time.Now().Before(expires)
		if err != nil && !stillValid {
			return nil, "", v.fail(op, err)
		}
		// A failed early re-login keeps the current token until it expires.
	}
	if !keyOK {
		if err := v.ensureKey(ctx); err != nil {
			if isDenied(err) && v.cfg.Auth == "token" {
				// Re-read the token file next time: an agent may fix it.
				v.mu.Lock()
				v.token = ""
				v.mu.Unlock()
			}
			return nil, "", v.fail(op, err)
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.client, v.token, nil
}

// fast reports the client and token when nothing needs doing first.
func (v *Vault) fast() (*api.Client, string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	ok := v.client != nil && v.token != "" && v.keyOK && (v.renewAt.IsZero() || time.Now().Before(v.renewAt))
	return v.client, v.token, ok
}

// reauthenticate logs in again after Vault denied the token failed,
// unless another call has already replaced that token.
func (v *Vault) reauthenticate(ctx context.Context, op, failed string) (*api.Client, error) {
	if err := v.acquire(ctx, op); err != nil {
		return nil, err
	}
	defer v.release()
	v.mu.Lock()
	c, tok := v.client, v.token
	v.mu.Unlock()
	if tok != failed {
		return c, nil
	}
	if err := v.authenticate(ctx); err != nil {
		return nil, v.fail(op, err)
	}
	return c, nil
}

func (v *Vault) acquire(ctx context.Context, op string) error {
	select {
	case v.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return v.fail(op, fmt.Errorf("wait for another call to log in: %w", ctx.Err()))
	}
}

func (v *Vault) release() { <-v.sem }

// connect builds the API clients. Vault's environment variables do not
// apply: the config alone says where Vault is and whom to trust, and no
// proxy is used.
func (v *Vault) connect() error {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if v.cfg.CAFile != "" {
		pem, err := os.ReadFile(v.cfg.CAFile)
		if err != nil {
			return fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("CA file %s holds no PEM certificate", v.cfg.CAFile)
		}
		tlsConfig.RootCAs = pool
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: v.cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   v.cfg.Timeout,
		ResponseHeaderTimeout: v.cfg.Timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
	}
	hc := &http.Client{
		Transport: tr,
		Timeout:   v.cfg.Timeout,
		// The API client follows Vault's standby redirects itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	newClient := func() (*api.Client, error) {
		c, err := api.NewClient(&api.Config{Address: v.cfg.Address, HttpClient: hc, Timeout: v.cfg.Timeout, MaxRetries: 0})
		if err != nil {
			return nil, fmt.Errorf("create API client: %w", err)
		}
		c.ClearToken() // NewClient takes VAULT_TOKEN and VAULT_NAMESPACE from the environment
		c.ClearNamespace()
		return c, nil
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	login, err := newClient()
	if err != nil {
		return err
	}
	v.mu.Lock()
	v.client, v.login, v.transport = c, login, tr
	v.mu.Unlock()
	return nil
}

// authenticate obtains a token: from TokenFile, or by an AppRole login.
// Callers hold sem.
func (v *Vault) authenticate(ctx context.Context) error {
	v.mu.Lock()
	c, login := v.client, v.login
	v.mu.Unlock()
	if v.cfg.Auth == "token" {
		tok, err := readSecretFile(v.cfg.TokenFile, "token")
		if err != nil {
			return err
		}
		c.SetToken(tok)
		v.mu.Lock()
		v.token = tok
		v.mu.Unlock()
		return nil
	}

	roleID, err := readSecretFile(v.cfg.RoleIDFile, "role ID")
	if err != nil {
		return err
	}
	secretID, err := readSecretFile(v.cfg.SecretIDFile, "secret ID")
	if err != nil {
		return err
	}
	start := time.Now()
	s, err := login.Logical().WriteWithContext(ctx, "auth/"+v.cfg.AppRoleMount+"/login", map[string]any{
		"role_id":   roleID,
		"secret_id": secretID,
	})
	if err != nil {
		return fmt.Errorf("AppRole login at auth/%s: %w", v.cfg.AppRoleMount, shorten(err))
	}
	if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
		return fmt.Errorf("AppRole login at auth/%s: no token in the response", v.cfg.AppRoleMount)
	}
	c.SetToken(s.Auth.ClientToken)
	var renewAt, expires time.Time
	if ttl := time.Duration(s.Auth.LeaseDuration) * time.Second; ttl > 0 {
		renewAt, expires = start.Add(ttl*2/3), start.Add(ttl)
	}
	v.mu.Lock()
	v.token, v.renewAt, v.expires = s.Auth.ClientToken, renewAt, expires
	v.mu.Unlock()
	return nil
}

// ensureKey checks that the transit key exists and can encrypt, creating it
// if it is missing. Callers hold sem.
func (v *Vault) ensureKey(ctx context.Context) error {
	v.mu.Lock()
	c := v.client
	v.mu.Unlock()
	s, err := c.Logical().ReadWithContext(ctx, v.transitPath("keys"))
	if err != nil {
		return fmt.Errorf("read transit key: %w", shorten(err))
	}
	if s == nil {
		_, err := c.Logical().WriteWithContext(ctx, v.transitPath("keys"), map[string]any{"type": vaultKeyType})
		if err != nil {
			return fmt.Errorf("transit key is missing; create it: %w", shorten(err))
		}
	} else {
		if enc, _ := s.Data["supports_encryption"].(bool); !enc {
			return fmt.Errorf("transit key of type %v does not support encryption", s.Data["type"])
		}
	}
	v.mu.Lock()
	v.keyOK = true
	v.mu.Unlock()
	return nil
}

// fail wraps err with what was attempted and where, and a kind: a value
// Vault refused to decrypt is ErrWrapped, anything else ErrUnavailable.
func (v *Vault) fail(op string, err error) error {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrWrapped) {
		return err // already says what and where
	}
	kind := ErrUnavailable
	var re *api.ResponseError
	if errors.As(err, &re) && re.StatusCode == http.StatusBadRequest && (op == "unwrap" || op == "rewrap") {
		kind = ErrWrapped
	}
	return fmt.Errorf("vault: %s with %s: %w: %w", op, v.where, shorten(err), kind)
}

// shorten replaces the API's multi-line *api.ResponseError with a one-line
// error that still unwraps to it.
func shorten(err error) error {
	if re, ok := err.(*api.ResponseError); ok {
		return responseError{re}
	}
	return err
}

// responseError shortens the API's multi-line *api.ResponseError to one
// line and keeps it reachable through errors.As.
type responseError struct{ err *api.ResponseError }

func (e responseError) Error() string {
	// Vault's messages may span lines ("1 error occurred:\n\t* permission denied").
	msg := strings.Join(strings.Fields(strings.Join(e.err.Errors, "; ")), " ")
	if len(msg) > vaultMaxResponse {
		msg = msg[:vaultMaxResponse] + "…"
	}
	if msg == "" {
		msg = http.StatusText(e.err.StatusCode)
	}
	return fmt.Sprintf("HTTP %d: %s", e.err.StatusCode, msg)
}

func (e responseError) Unwrap() error { return e.err }

// isDenied reports whether Vault refused the token (HTTP 403, also sent for
// an expired or revoked token).
func isDenied(err error) bool {
	var re *api.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusForbidden
}

// readSecretFile reads a credential file. Its errors name the file, never
// its contents.
func readSecretFile(path, what string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s file: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	clear(b)
	if s == "" {
		return "", fmt.Errorf("%s file %s is empty", what, path)
	}
	return s, nil
}

func stringField(s *api.Secret, name string) (string, error) {
	if s == nil || s.Data == nil {
		return "", fmt.Errorf("empty response, want %q", name)
	}
	str, ok := s.Data[name].(string)
	if !ok || str == "" {
		return "", fmt.Errorf("response has no %q", name)
	}
	return str, nil
}

func intField(s *api.Secret, name string) (int, error) {
	if s == nil || s.Data == nil {
		return 0, fmt.Errorf("empty response, want %q", name)
	}
	switch n := s.Data[name].(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, fmt.Errorf("response field %q is not an integer", name)
		}
		return int(i), nil
	case float64:
		return int(n), nil
	default:
		return 0, fmt.Errorf("response has no integer %q", name)
	}
}
