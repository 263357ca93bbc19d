package config

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPaths(t *testing.T) {
	type paths struct {
		DB, Key, Cert, TLSKey, Token string
		SelfSigned                   bool
	}
	get := func(c Config) paths {
		return paths{c.DatabasePath(), c.KeyFile(), c.TLSCertFile(), c.TLSKeyFile(), c.ResolvePath(c.Keys.Vault.TokenFile), c.SelfSignedTLS()}
	}
	tests := []struct {
		name string
		edit func(*Config)
		want paths
	}{
		{"defaults", func(*Config) {}, paths{
			"kordon-data/kordon.db", "kordon-data/kek.json", "kordon-data/tls/admin.crt", "kordon-data/tls/admin.key", "", true,
		}},
		{"absolute data dir", func(c *Config) { c.DataDir = "/var/lib/kordon/" }, paths{
			"/var/lib/kordon/kordon.db", "/var/lib/kordon/kek.json", "/var/lib/kordon/tls/admin.crt", "/var/lib/kordon/tls/admin.key", "", true,
		}},
		{"relative files", func(c *Config) {
			c.DataDir = "/srv/k"
			c.Keys.Local.KeyFile = "keys/kek.json"
			c.Admin.TLS = TLS{CertFile: "pki/a.crt", KeyFile: "pki/a.key"}
			c.Keys.Vault.TokenFile = "vault-token"
		}, paths{"/srv/k/kordon.db", "/srv/k/keys/kek.json", "/srv/k/pki/a.crt", "/srv/k/pki/a.key", "/srv/k/vault-token", false}},
		{"absolute files", func(c *Config) {
			c.DataDir = "/srv/k"
			c.Keys.Local.KeyFile = "/etc/kordon//kek.json"
			c.Admin.TLS = TLS{CertFile: "/etc/ssl/a.crt", KeyFile: "/etc/ssl/private/a.key"}
			c.Keys.Vault.TokenFile = "/run/kordon/token"
		}, paths{"/srv/k/kordon.db", "/etc/kordon/kek.json", "/etc/ssl/a.crt", "/etc/ssl/private/a.key", "/run/kordon/token", false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			if diff := cmp.Diff(tt.want, get(c)); diff != "" {
				t.Errorf("paths differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuditOrigin(t *testing.T) {
	c := Default()
	got := c.AuditOrigin()
	if !strings.HasPrefix(got, "kordon/") || !validOrigin(got) {
		t.Errorf("default origin %q", got)
	}
	if h, err := os.Hostname(); err == nil && validOrigin(h) && got != "kordon/"+h {
		t.Errorf("default origin %q, want kordon/%s", got, h)
	}
	c.Audit.Origin = "kordon.example/prod"
	if got := c.AuditOrigin(); got != "kordon.example/prod" {
		t.Errorf("configured origin = %q", got)
	}
}
