// Package keys holds Kordon's key-encryption key (KEK) behind the Provider
// interface. The tokenizer's data keys are stored in the database wrapped by
// the KEK; a Provider wraps, unwraps, rewraps and rotates them. Nothing in this
// package sees a personal value: the plaintexts it handles are data keys.
//
// There are two providers, chosen by the boot file:
//
//   - Local keeps the KEK versions in a JSON file on the appliance (mode 0600)
//     and wraps with AES-256-GCM. It suits a single appliance whose disk is
//     already the trust boundary.
//   - Vault keeps the KEK in a HashiCorp Vault Transit key and never sees it:
//     wrapping is a transit encrypt call, rotation a transit key rotation.
//
// # Wrapped format
//
// A wrapped value is "<provider>:v<version>:<base64>", so the tokenizer can
// tell which provider and KEK version produced it. Local's base64 holds the
// GCM nonce followed by the ciphertext, with the version bound into the
// additional data; Vault's is Transit's own "vault:vN:..." output, unchanged.
// A value that is malformed, comes from the other provider or fails to
// authenticate is reported with ErrWrapped; a provider that cannot serve at all
// (Vault unreachable or denying access, key file unreadable or too open) with
// ErrUnavailable. Callers fail closed on both.
//
// # Concurrency and lifecycle
//
// Both providers are safe for concurrent use and start no goroutines.
// Constructors validate their config and do no I/O; the key file or Vault is
// first touched on first use (or by Vault.Open). Vault.Close releases idle
// connections.
//
// Two processes may share one provider: the appliance daemon and a `kordon
// keys rotate` run from the command line. Local serialises writes with flock
// on a sibling ".lock" file, rewrites the key file atomically, and re-reads it
// when it meets a version it does not know; Vault leaves this to Vault.
//
// Errors name paths, addresses, key names and versions, never key bytes or
// plaintexts.
//
// The providertest package holds the conformance suite every Provider passes;
// vaulttest starts a real Vault dev server for tests.
package keys
