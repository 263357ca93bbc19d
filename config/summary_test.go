package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Config)
		has    []string
		hasNot []string
	}{
		{"local", func(*Config) {}, []string{
			"version=1", "data_dir=./kordon-data", "database=kordon-data/kordon.db",
			"admin.listen=127.0.0.1:8443", "keys.provider=local", "keys.local.key_file=kordon-data/kek.json",
			"store.busy_timeout=10s",
		}, []string{"keys.vault"}},
		{"vault", func(c *Config) {
			c.Keys.Provider = "vault"
			c.Keys.Vault.Address = "https://user:pa55word@vault.example:8200"
			c.Keys.Vault.TokenFile = "/run/kordon/token"
		}, []string{"keys.vault.address=https://vault.example:8200", "keys.vault.auth=token"},
			[]string{"pa55word", "user", "keys.local"}},
		{"quoted", func(c *Config) { c.DataDir = "/srv/my data" }, []string{`data_dir="/srv/my data"`}, nil},
		{"unparsable address", func(c *Config) { c.Keys.Provider = "vault"; c.Keys.Vault.Address = "http://a b\x7f" },
			[]string{"keys.vault.address=[unparsable]"}, []string{"a b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c)
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c)
			for _, out := range []string{c.String(), buf.String()} {
				for _, s := range tt.has {
					if !strings.Contains(out, s) {
						t.Errorf("summary lacks %q:\n%s", s, out)
					}
				}
				for _, s := range tt.hasNot {
					if strings.Contains(out, s) {
						t.Errorf("summary contains %q:\n%s", s, out)
					}
				}
			}
		})
	}
}
