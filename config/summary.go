package config

import (
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

var _ slog.LogValuer = Config{}

// String summarizes the effective configuration on one line as key=value
// pairs, with paths resolved. It is safe to log: the file holds no secrets,
// and a Vault address is shown with any credentials removed.
func (c Config) String() string {
	var b strings.Builder
	for i, a := range c.summary() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.Key)
		b.WriteByte('=')
		if s := a.Value.String(); s == "" || strings.ContainsAny(s, " \"=") {
			b.WriteString(strconv.Quote(s))
		} else {
			b.WriteString(s)
		}
	}
	return b.String()
}

// LogValue makes slog print the same summary as String, as attributes.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.summary()...) }

// summary lists what an operator needs to see at start-up; Vault settings
// appear only when Vault is the provider.
func (c Config) summary() []slog.Attr {
	as := []slog.Attr{
		slog.Int("version", c.Version),
		slog.String("data_dir", c.DataDir),
		slog.String("database", c.DatabasePath()),
		slog.String("log.level", c.Log.Level),
		slog.String("log.format", c.Log.Format),
		slog.String("admin.listen", c.Admin.Listen),
		slog.String("admin.tls.cert_file", c.TLSCertFile()),
		slog.String("admin.tls.key_file", c.TLSKeyFile()),
		slog.Int64("admin.max_body_bytes", c.Admin.MaxBodyBytes),
		slog.Int("admin.resolve_rate", c.Admin.ResolveRate),
		slog.Int("admin.resolve_burst", c.Admin.ResolveBurst),
		slog.String("tokenizer.default_region", c.Tokenizer.DefaultRegion),
		slog.Int("tokenizer.cache_entries", c.Tokenizer.CacheEntries),
		slog.String("keys.provider", c.Keys.Provider),
	}
	switch c.Keys.Provider {
	case "local":
		as = append(as, slog.String("keys.local.key_file", c.KeyFile()))
	case "vault":
		v := c.Keys.Vault
		as = append(as,
			slog.String("keys.vault.address", redactURL(v.Address)),
			slog.String("keys.vault.mount", v.Mount),
			slog.String("keys.vault.key", v.Key),
			slog.String("keys.vault.auth", v.Auth),
			slog.Duration("keys.vault.timeout", v.Timeout),
		)
	}
	return append(as,
		slog.Int("keys.rewrap_batch", c.Keys.RewrapBatch),
		slog.String("audit.origin", c.AuditOrigin()),
		slog.Int("audit.checkpoint_every", c.Audit.CheckpointEvery),
		slog.Duration("audit.checkpoint_interval", c.Audit.CheckpointInterval),
		slog.Duration("store.busy_timeout", c.Store.BusyTimeout),
		slog.Int("store.max_batch", c.Store.MaxBatch),
	)
}

// redactURL removes credentials from a URL, which Validate refuses anyway;
// text that does not parse is withheld rather than echoed.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[unparsable]"
	}
	u.User = nil
	return u.String()
}
