package config

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"kordon/types/fault"
)

// lookupEnv is os.LookupEnv; tests pass their own environment.
type lookupEnv func(key string) (string, bool)

// Validate checks every field and returns an Errors listing all problems
// (wrapped in a fault.Error of kind Invalid), or nil. Values that are
// present are always checked; fields a provider needs are required only
// when that provider is selected. With keys.vault.auth token and no
// token_file, the VAULT_TOKEN environment variable must be set.
func (c Config) Validate() error {
	if es := c.check(os.LookupEnv); len(es) > 0 {
		return fault.E("config.Validate", fault.Invalid, es)
	}
	return nil
}

// check returns the problems with c, keyed but without lines.
func (c Config) check(env lookupEnv) Errors {
	var p problems
	if c.Version != Version {
		p.add(0, "version", "want %d, got %d", Version, c.Version)
	}
	if c.DataDir == "" {
		p.add(0, "data_dir", "want a directory path, got \"\"")
	}
	oneOf(&p, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(&p, "log.format", c.Log.Format, "text", "json")

	checkListen(&p, "admin.listen", c.Admin.Listen)
	if (c.Admin.TLS.CertFile == "") != (c.Admin.TLS.KeyFile == "") {
		p.add(0, "admin.tls", "set both cert_file and key_file, or neither (for a generated self-signed certificate)")
	}
	positive(&p, "admin.max_body_bytes", c.Admin.MaxBodyBytes)
	positive(&p, "admin.resolve_rate", c.Admin.ResolveRate)
	positive(&p, "admin.resolve_burst", c.Admin.ResolveBurst)

	checkRegion(&p, "tokenizer.default_region", c.Tokenizer.DefaultRegion)
	if c.Tokenizer.CacheEntries < 0 {
		p.add(0, "tokenizer.cache_entries", "want 0 (the default) or a positive integer, got %d", c.Tokenizer.CacheEntries)
	}

	oneOf(&p, "keys.provider", c.Keys.Provider, "local", "vault")
	c.Keys.Vault.check(&p, c.Keys.Provider == "vault", env)
	positive(&p, "keys.rewrap_batch", c.Keys.RewrapBatch)

	if c.Audit.Origin != "" && !validOrigin(c.Audit.Origin) {
		p.add(0, "audit.origin", "want a name without spaces, control characters or \"+\", such as \"kordon/host.example\", got %s", quote(c.Audit.Origin))
	}
	positive(&p, "audit.checkpoint_every", c.Audit.CheckpointEvery)
	positiveDuration(&p, "audit.checkpoint_interval", c.Audit.CheckpointInterval)

	positiveDuration(&p, "store.busy_timeout", c.Store.BusyTimeout)
	positive(&p, "store.max_batch", c.Store.MaxBatch)
	return p.list
}

// check validates the Vault settings; selected says whether the vault
// provider is in use, which makes its connection fields required.
func (v Vault) check(p *problems, selected bool, env lookupEnv) {
	const k = "keys.vault."
	switch {
	case v.Address != "":
		checkURL(p, k+"address", v.Address)
	case selected:
		p.add(0, k+"address", "required when keys.provider is vault")
	}
	nonEmpty(p, k+"mount", v.Mount)
	nonEmpty(p, k+"key", v.Key)
	oneOf(p, k+"auth", v.Auth, "token", "approle")
	nonEmpty(p, k+"approle_mount", v.AppRoleMount)
	positiveDuration(p, k+"timeout", v.Timeout)
	if !selected {
		return
	}
	switch v.Auth {
	case "token":
		if tok, ok := env("VAULT_TOKEN"); v.TokenFile == "" && (!ok || tok == "") {
			p.add(0, k+"token_file", "required for auth token unless the VAULT_TOKEN environment variable is set")
		}
	case "approle":
		if v.RoleIDFile == "" {
			p.add(0, k+"role_id_file", "required for auth approle")
		}
		if v.SecretIDFile == "" {
			p.add(0, k+"secret_id_file", "required for auth approle")
		}
	}
}

func oneOf(p *problems, key, got string, allowed ...string) {
	for _, a := range allowed {
		if got == a {
			return
		}
	}
	p.add(0, key, "want one of %s, got %s", strings.Join(allowed, ", "), quote(got))
}

func nonEmpty(p *problems, key, got string) {
	if got == "" {
		p.add(0, key, "want a name, got \"\"")
	}
}

func positive[N int | int64](p *problems, key string, got N) {
	if got <= 0 {
		p.add(0, key, "want a positive integer, got %d", got)
	}
}

func positiveDuration(p *problems, key string, got time.Duration) {
	if got <= 0 {
		p.add(0, key, "want a positive duration such as \"10s\", got %s", quote(got.String()))
	}
}

// checkListen accepts host:port with a numeric port in 1–65535 and a host
// that is empty (every interface), an IP address or a host name.
func checkListen(p *problems, key, got string) {
	host, port, err := net.SplitHostPort(got)
	if err != nil {
		p.add(0, key, "want host:port such as \"127.0.0.1:8443\", got %s", quote(got))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		p.add(0, key, "want a port from 1 to 65535, got %s", quote(port))
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		p.add(0, key, "want an IP address or host name before the port, got %s", quote(host))
	}
}

// validHostname accepts RFC 1123 names: dot-separated labels of letters,
// digits and inner hyphens.
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// checkURL accepts an http(s) URL with a host and no credentials, query or
// fragment: the boot file holds no secrets, and Vault's address is a base.
func checkURL(p *problems, key, got string) {
	u, err := url.Parse(got)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.add(0, key, "want an https:// or http:// URL, got %s", quote(got))
		return
	}
	if u.User != nil {
		// Do not echo: the user part may be a password.
		p.add(0, key, "must not contain credentials; use token_file or the AppRole files")
		return
	}
	if u.RawQuery != "" || u.Fragment != "" {
		// Do not echo: a query may carry a token.
		p.add(0, key, "want a URL without query or fragment")
	}
}

// checkRegion accepts the ISO 3166-1 alpha-2 regions libphonenumber has
// metadata for, in upper case (Parse upper-cases the file's value).
func checkRegion(p *problems, key, got string) {
	if validRegion(got) {
		return
	}
	if up := strings.ToUpper(got); up != got && validRegion(up) {
		p.add(0, key, "want an upper-case region code, got %s (use %s)", quote(got), quote(up))
		return
	}
	p.add(0, key, "want an ISO 3166-1 alpha-2 region code with a telephone country code, such as \"RU\", got %s", quote(got))
}

// validRegion reports whether r is an upper-case two-letter region with a
// telephone country code.
func validRegion(r string) bool {
	return len(r) == 2 && r == strings.ToUpper(r) && phonenumbers.GetCountryCodeForRegion(r) != 0
}

// validOrigin follows the checkpoint origin rules of C2SP tlog-checkpoint:
// no Unicode spaces and no "+"; control characters are refused as well.
func validOrigin(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '+' || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
