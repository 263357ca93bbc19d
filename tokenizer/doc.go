// Package tokenizer turns phone numbers, names, e-mail addresses and other
// identifiers into codes, resolves codes back for authorized callers, and
// erases them.
//
// # Model
//
// A code is random (types/code), never derived from its value. The value is
// normalized (Normalize: E.164 for phones, case- and ё-insensitive names),
// and a keyed blind index — HMAC-SHA256 of the normalized value under the
// index key — finds the code of a value seen before, so the same value gets
// the same code until it is erased. The token row holds the value's display
// form (Display) sealed with AES-256-GCM under the vault key, with the code,
// kind and key version as additional data. Erasure deletes the ciphertext
// and the blind index and keeps a tombstone, so the code answers "erased"
// forever and the value, tokenized again, gets a new code.
//
// # Keys
//
// Ring holds the data keys: vault (row encryption), index (blind index),
// audit (keyed value hashes in audit entries, so auditors can search by a
// value they hold) and checkpoint (the audit log's signing key). They are
// stored wrapped by a key-encryption key from a keys.Provider — a local key
// file or Vault Transit — and unwrapped once when the ring opens, so no
// operation waits for Vault. RotateKeys adds a KEK version and new vault and
// index keys; codes never change, and RewrapStep (run in the background by
// Run) re-encrypts rows until none is left on an old version.
//
// # Audit and privacy
//
// Every Tokenize, Resolve, Erase and key operation appends an audit entry in
// the same store transaction as its effect, and fails if the entry cannot be
// written; refusals (no scope, no purpose, no reference) are audited too.
// Resolve needs a Principal with the resolve scope, a Purpose and a
// reference. Entries carry codes and keyed value hashes, never values; errors
// name codes and lengths, never values; raw values travel only in
// pii.Value.
//
// # Performance and concurrency
//
// A Tokenizer is safe for concurrent use. Writes go through the store's group
// commit. A per-process cache maps an HMAC (under a random key that never
// leaves memory) of a value's cheap form — a phone's digits — to its code,
// so a value seen before costs no libphonenumber parse and no query; any
// erasure or write by another process clears it. Run is the only
// long-running method; the other methods work without it.
package tokenizer
