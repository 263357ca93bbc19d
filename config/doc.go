// Package config reads Kordon's boot file: the few settings needed before
// the database is open (where the data lives, how to log, where to listen,
// where the key-encryption key comes from). Everything an admin changes at
// run time lives in the database instead.
//
// The file is YAML with a version (only 1 exists) and is strictly parsed:
// unknown keys, duplicate keys, values of the wrong type and invalid values
// are all errors, and Parse reports every one at once as an Errors value,
// each FieldError naming its file, line and dotted key path
// ("keys.vault.address"). Keys left out keep the defaults that Default
// returns and each field documents; no file at all means Default. The
// annotated sample kordon.yaml at the module root lists every key with its
// default, and a test keeps it equal to Default.
//
// The file holds no secrets: Vault credentials are named by file path (or
// come from the VAULT_TOKEN environment variable), and a key like "token"
// or "password" is rejected as unknown without echoing its value.
// Relative paths in the file are relative to data_dir; the path methods
// (DatabasePath, KeyFile, TLSCertFile, TLSKeyFile, ResolvePath) apply that
// rule so callers never join paths themselves.
//
// Config is a plain value: safe to copy and to share between goroutines.
// The package does no I/O beyond reading the file in Load and the host name
// in AuditOrigin; creating data_dir and generating the self-signed
// certificate are serve's job.
package config
