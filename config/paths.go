package config

import (
	"os"
	"path/filepath"
)

// ResolvePath resolves a path written in the boot file: an absolute path is
// returned cleaned, a relative one is taken relative to DataDir, and ""
// stays "" (meaning "not set").
func (c Config) ResolvePath(p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.DataDir, p)
}

// orDefault resolves p, or the DataDir-relative def when p is not set.
func (c Config) orDefault(p, def string) string {
	if p == "" {
		p = def
	}
	return c.ResolvePath(p)
}

// DatabasePath is the SQLite database: <data_dir>/kordon.db.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "kordon.db") }

// KeyFile is the local provider's key file: keys.local.key_file, by
// default <data_dir>/kek.json.
func (c Config) KeyFile() string { return c.orDefault(c.Keys.Local.KeyFile, "kek.json") }

// TLSCertFile is the admin listener's certificate: admin.tls.cert_file, by
// default <data_dir>/tls/admin.crt.
func (c Config) TLSCertFile() string {
	return c.orDefault(c.Admin.TLS.CertFile, filepath.Join("tls", "admin.crt"))
}

// TLSKeyFile is the admin listener's private key: admin.tls.key_file, by
// default <data_dir>/tls/admin.key.
func (c Config) TLSKeyFile() string {
	return c.orDefault(c.Admin.TLS.KeyFile, filepath.Join("tls", "admin.key"))
}

// SelfSignedTLS reports whether the admin certificate is the generated
// default, which serve creates on first start if it is missing. A
// configured certificate that is missing is an error, never regenerated.
func (c Config) SelfSignedTLS() bool {
	return c.Admin.TLS.CertFile == "" && c.Admin.TLS.KeyFile == ""
}

// AuditOrigin is the checkpoint origin line: audit.origin, by default
// "kordon/<hostname>" ("kordon/localhost" if the host name is unknown).
// The host name is read on each call.
func (c Config) AuditOrigin() string {
	if c.Audit.Origin != "" {
		return c.Audit.Origin
	}
	h, err := os.Hostname()
	if err != nil || h == "" || !validOrigin(h) {
		h = "localhost"
	}
	return "kordon/" + h
}
