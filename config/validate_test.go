package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	vault := func(c *Config) {
		c.Keys.Provider = "vault"
		c.Keys.Vault.Address = "https://vault.example:8200"
		c.Keys.Vault.TokenFile = "/run/kordon/token"
	}
	tests := []struct {
		name  string
		edit  func(*Config)
		token bool     // VAULT_TOKEN set
		want  []string // keys with problems, in order
	}{
		{"defaults", func(*Config) {}, false, nil},
		{"version 0", func(c *Config) { c.Version = 0 }, false, []string{"version"}},
		{"no data dir", func(c *Config) { c.DataDir = "" }, false, []string{"data_dir"}},
		{"log level case", func(c *Config) { c.Log.Level = "INFO" }, false, []string{"log.level"}},
		{"log format", func(c *Config) { c.Log.Format = "logfmt" }, false, []string{"log.format"}},
		{"listen without port", func(c *Config) { c.Admin.Listen = "127.0.0.1" }, false, []string{"admin.listen"}},
		{"listen port 0", func(c *Config) { c.Admin.Listen = "127.0.0.1:0" }, false, []string{"admin.listen"}},
		{"listen named port", func(c *Config) { c.Admin.Listen = "127.0.0.1:https" }, false, []string{"admin.listen"}},
		{"listen bad host", func(c *Config) { c.Admin.Listen = "bad_host!:8443" }, false, []string{"admin.listen"}},
		{"listen IPv6", func(c *Config) { c.Admin.Listen = "[::1]:8443" }, false, nil},
		{"listen host name", func(c *Config) { c.Admin.Listen = "kordon.lan:65535" }, false, nil},
		{"listen all interfaces", func(c *Config) { c.Admin.Listen = ":8443" }, false, nil},
		{"tls key only", func(c *Config) { c.Admin.TLS.KeyFile = "k.pem" }, false, []string{"admin.tls"}},
		{"tls pair", func(c *Config) { c.Admin.TLS = TLS{CertFile: "c.pem", KeyFile: "k.pem"} }, false, nil},
		{"body 0", func(c *Config) { c.Admin.MaxBodyBytes = 0 }, false, []string{"admin.max_body_bytes"}},
		{"rate negative", func(c *Config) { c.Admin.ResolveRate = -1 }, false, []string{"admin.resolve_rate"}},
		{"burst 0", func(c *Config) { c.Admin.ResolveBurst = 0 }, false, []string{"admin.resolve_burst"}},
		{"region lower", func(c *Config) { c.Tokenizer.DefaultRegion = "ru" }, false, []string{"tokenizer.default_region"}},
		{"region unknown", func(c *Config) { c.Tokenizer.DefaultRegion = "ZZ" }, false, []string{"tokenizer.default_region"}},
		{"region three letters", func(c *Config) { c.Tokenizer.DefaultRegion = "RUS" }, false, []string{"tokenizer.default_region"}},
		{"region non-geographic", func(c *Config) { c.Tokenizer.DefaultRegion = "001" }, false, []string{"tokenizer.default_region"}},
		{"region other", func(c *Config) { c.Tokenizer.DefaultRegion = "BY" }, false, nil},
		{"cache 0", func(c *Config) { c.Tokenizer.CacheEntries = 0 }, false, nil},
		{"cache negative", func(c *Config) { c.Tokenizer.CacheEntries = -5 }, false, []string{"tokenizer.cache_entries"}},
		{"provider", func(c *Config) { c.Keys.Provider = "kms" }, false, []string{"keys.provider"}},
		{"rewrap 0", func(c *Config) { c.Keys.RewrapBatch = 0 }, false, []string{"keys.rewrap_batch"}},
		{"local ignores missing vault fields", func(c *Config) { c.Keys.Vault.Address = "" }, false, nil},
		{"local still checks vault values", func(c *Config) { c.Keys.Vault.Auth = "ldap" }, false, []string{"keys.vault.auth"}},
		{"vault with token file", vault, false, nil},
		{"vault missing everything", func(c *Config) { c.Keys.Provider = "vault" }, false,
			[]string{"keys.vault.address", "keys.vault.token_file"}},
		{"vault token from env", func(c *Config) { vault(c); c.Keys.Vault.TokenFile = "" }, true, nil},
		{"vault no token", func(c *Config) { vault(c); c.Keys.Vault.TokenFile = "" }, false, []string{"keys.vault.token_file"}},
		{"vault ftp", func(c *Config) { vault(c); c.Keys.Vault.Address = "ftp://vault" }, false, []string{"keys.vault.address"}},
		{"vault no host", func(c *Config) { vault(c); c.Keys.Vault.Address = "https://" }, false, []string{"keys.vault.address"}},
		{"vault credentials", func(c *Config) { vault(c); c.Keys.Vault.Address = "https://u:p@vault" }, false, []string{"keys.vault.address"}},
		{"vault query", func(c *Config) { vault(c); c.Keys.Vault.Address = "https://vault/?token=x" }, false, []string{"keys.vault.address"}},
		{"vault path prefix", func(c *Config) { vault(c); c.Keys.Vault.Address = "https://proxy.example/vault" }, false, nil},
		{"vault empty names", func(c *Config) {
			vault(c)
			c.Keys.Vault.Mount = ""
			c.Keys.Vault.Key = ""
			c.Keys.Vault.AppRoleMount = ""
		}, false,
			[]string{"keys.vault.mount", "keys.vault.key", "keys.vault.approle_mount"}},
		{"vault timeout", func(c *Config) { vault(c); c.Keys.Vault.Timeout = -time.Second }, false, []string{"keys.vault.timeout"}},
		{"approle missing files", func(c *Config) { vault(c); c.Keys.Vault.Auth = "approle" }, true,
			[]string{"keys.vault.role_id_file", "keys.vault.secret_id_file"}},
		{"approle", func(c *Config) {
			vault(c)
			c.Keys.Vault.Auth = "approle"
			c.Keys.Vault.RoleIDFile, c.Keys.Vault.SecretIDFile = "r", "s"
		}, false, nil},
		{"origin with space", func(c *Config) { c.Audit.Origin = "kordon prod" }, false, []string{"audit.origin"}},
		{"origin with plus", func(c *Config) { c.Audit.Origin = "kordon+prod" }, false, []string{"audit.origin"}},
		{"origin with newline", func(c *Config) { c.Audit.Origin = "kordon\nprod" }, false, []string{"audit.origin"}},
		{"origin", func(c *Config) { c.Audit.Origin = "kordon.example/prod" }, false, nil},
		{"checkpoint every 0", func(c *Config) { c.Audit.CheckpointEvery = 0 }, false, []string{"audit.checkpoint_every"}},
		{"checkpoint interval 0", func(c *Config) { c.Audit.CheckpointInterval = 0 }, false, []string{"audit.checkpoint_interval"}},
		{"busy timeout 0", func(c *Config) { c.Store.BusyTimeout = 0 }, false, []string{"store.busy_timeout"}},
		{"max batch 0", func(c *Config) { c.Store.MaxBatch = 0 }, false, []string{"store.max_batch"}},
		{"zero Config", func(c *Config) { *c = Config{} }, false, []string{
			"version", "data_dir", "log.level", "log.format", "admin.listen",
			"admin.max_body_bytes", "admin.resolve_rate", "admin.resolve_burst",
			"tokenizer.default_region", "keys.provider", "keys.vault.mount", "keys.vault.key",
			"keys.vault.auth", "keys.vault.approle_mount", "keys.vault.timeout", "keys.rewrap_batch",
			"audit.checkpoint_every", "audit.checkpoint_interval", "store.busy_timeout", "store.max_batch",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			env := func(k string) (string, bool) {
				if k == "VAULT_TOKEN" && tt.token {
					return "hvs.test", true
				}
				return "", false
			}
			var got []string
			es := c.check(env)
			for _, e := range es {
				got = append(got, e.Key)
				if e.Msg == "" || e.Line != 0 || e.File != "" {
					t.Errorf("malformed problem %#v", e)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problem keys differ (-want +got):\n%s\nfull:\n%v", diff, es)
			}
			if strings.Contains(es.Error(), "u:p@") || strings.Contains(es.Error(), "token=x") {
				t.Errorf("message echoes credentials: %v", es)
			}
		})
	}
}

// TestValidateEnv runs Validate itself, which reads VAULT_TOKEN from the
// process environment; it cannot run in parallel.
func TestValidateEnv(t *testing.T) {
	c := Default()
	c.Keys.Provider = "vault"
	c.Keys.Vault.Address = "https://vault.example:8200"

	t.Setenv("VAULT_TOKEN", "")
	es := problemsOf(t, c.Validate())
	if len(es) != 1 || es[0].Key != "keys.vault.token_file" {
		t.Fatalf("without VAULT_TOKEN: %v", es)
	}
	if !strings.HasPrefix(c.Validate().Error(), "config.Validate: keys.vault.token_file: ") {
		t.Errorf("message = %q", c.Validate().Error())
	}

	t.Setenv("VAULT_TOKEN", "hvs.test")
	if err := c.Validate(); err != nil {
		t.Errorf("with VAULT_TOKEN: %v", err)
	}
	if _, err := Parse([]byte("version: 1\nkeys:\n  provider: vault\n  vault:\n    address: https://v.example\n"), "f"); err != nil {
		t.Errorf("Parse with VAULT_TOKEN: %v", err)
	}
}

func TestErrorsFormat(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"full", FieldError{File: "k.yaml", Line: 3, Key: "log.level", Msg: "bad"}, "k.yaml:3: log.level: bad"},
		{"no line", FieldError{File: "k.yaml", Key: "version", Msg: "required"}, "k.yaml: version: required"},
		{"no file", FieldError{Line: 2, Key: "a", Msg: "m"}, "line 2: a: m"},
		{"no key", FieldError{File: "k.yaml", Line: 7, Msg: "YAML syntax: x"}, "k.yaml:7: YAML syntax: x"},
		{"key only", FieldError{Key: "a.b", Msg: "m"}, "a.b: m"},
		{"one", Errors{{Key: "a", Msg: "m"}}, "a: m"},
		{"two", Errors{{Key: "a", Msg: "m"}, {Key: "b", Msg: "n"}}, "2 problems:\na: m\nb: n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	if got := quote(strings.Repeat("я", 100)); !strings.HasSuffix(got, `"…`) || len(got) > 70 {
		t.Errorf("quote did not shorten on a rune boundary: %s", got)
	}
}
