// Package apikey issues, lists, revokes and checks the API keys that CRMs
// and integrations present to the admin listener's JSON API.
//
// # Tokens
//
// A key's token reads kdn_<id>_<secret>: the id is 10 lower-case base32
// characters (50 random bits, public: it names the key in the audit log and
// in access logs), the secret 32 random bytes in lower-case base32 without
// padding. The token is shown once, by Create. The database keeps only the
// SHA-256 of the secret: 256 random bits need no slow hash. Authenticate
// compares hashes in constant time and spends the same work on an unknown
// id as on a known one.
//
// # Auditing
//
// Create and Revoke write their apikey.create and apikey.revoke entries in
// the same transaction as the change, so a key never exists without the
// record of who made it. Every failed Authenticate is recorded as auth.fail,
// naming the key id when the token had a well-formed one and never any part
// of the secret. A refusal that cannot be audited fails with
// fault.Unavailable: the caller is refused either way.
//
// # Concurrency and lifecycle
//
// New validates its Config and starts nothing. A Store is safe for
// concurrent use and needs no Run or Close. Authenticate reads the database
// on every call, so a revocation by another process (the command line next
// to the daemon) takes effect on the next request. It records a key's
// last use at most once per Config.TouchEvery per key, so authentication
// does not turn every request into a write.
package apikey
