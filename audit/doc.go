// Package audit is Kordon's tamper-evident audit log: an append-only
// RFC 6962 Merkle tree of entries in SQLite, with signed checkpoints,
// a verifier, inclusion and consistency proofs, search and export.
//
// # Entries
//
// An Entry records who did what, when, why and with which outcome: a
// tokenize, a resolve, an erasure, a key operation, an API-key change, a
// failed login, a read of the log itself. It never holds a personal value.
// It names codes, and keyed hashes of values (ValueHashes) that the caller
// computes. Append refuses value hashes too short to be hashes, and masks
// any run of seven or more digits (which could be a telephone number) in
// the free-text fields rather than refusing them, so that a stray number
// can never stop an operation from being audited. An entry is stored as its canonical JSON (the body):
// fields in a fixed order, the time as UTC milliseconds in fixed width,
// detail keys sorted. The body is what is hashed, so it is never
// re-encoded: exports hand out the stored bytes.
//
// # Tree and checkpoints
//
// Entry seq is its leaf index from 0. The leaf hash is
// tlog.RecordHash(body); each row also stores the interior hashes its leaf
// completes, in golang.org/x/mod/sumdb/tlog's stored-hash layout, so proofs
// read O(log n) rows. Log keeps the frontier of the tree in memory (the
// latest node of each level, which is all tlog reads to append a record or
// to compute the root), so Append reads nothing from the database in the
// steady state.
//
// A checkpoint is a C2SP tlog-checkpoint in signed-note form: the origin,
// the tree size, the base64 root, then two extension lines, "time <UTC>"
// and "prev <size of the previous checkpoint>" (absent on the first). The
// prev line chains checkpoints, so deleting one in the middle is detected;
// deleting the newest one together with the entries after it is not
// detectable from the database alone, which is why auditors keep the
// checkpoints they have seen (every export ends with one). Append writes a
// checkpoint whenever the size reaches a multiple of Config.CheckpointEvery;
// Run writes one every Config.CheckpointInterval while entries arrive.
//
// # Verification
//
// Verify (a function of the database and a verifier key, so the command
// line runs it without the signing key) streams the log once, keeping two
// frontiers: one recomputed from the bodies and one read from the stored
// hashes. That tells an edited body (leaf mismatch), rewritten stored
// hashes (interior mismatch), a missing or moved row (seq), and a
// consistent rewrite of bodies and hashes (a signed root that does not
// match) apart, and names the first entry or checkpoint range concerned.
//
// # Concurrency and lifecycle
//
// New validates its Config, registers a store.DB OnExternalChange hook and
// starts nothing. Append runs inside a store write transaction (group
// commit): the store's single leader goroutine runs operations one at a
// time, and Log's mutex covers the frontier besides. Each Append registers
// an OnRollback hook that restores the frontier when its operation (or the
// whole batch) is rolled back; the OnExternalChange hook reloads the
// frontier when another process (the command line next to the daemon) has
// written the database. Use one Log per store.DB. Run is the only
// long-running method; its caller owns the goroutine. Search and Export
// read through the read pool and record an audit.read or audit.export
// entry naming the reader and the filter before they return anything.
package audit
