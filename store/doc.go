// Package store opens Kordon's SQLite database and owns its only write path.
//
// The database runs in WAL mode with foreign keys on and a busy timeout.
// Write returns only after the WAL holding its operation is synced to disk
// (fdatasync), so an acknowledged write survives power loss.
// Migrations are embedded SQL files named NNNN_name.sql, applied in order at
// Open, each in one transaction together with the PRAGMA user_version bump
// that records it: a crash at any point leaves the schema either before or
// after a migration, never half-way.
//
// Writes go through DB.Write, which implements pipelined group commit
// without a background goroutine: concurrent callers queue their
// operations; one of them (the leader) runs the whole queue in a single
// IMMEDIATE transaction and commits once (synchronous=NORMAL: the WAL is
// written, not synced). It then hands the writer to the oldest waiter,
// whose batch runs while the old leader syncs the WAL and only then
// answers its batch. An operation that fails gets its own error: the batch
// is rolled back and run again without it, so operations must be safe to
// run more than once. A failed commit or sync fails every operation in the
// batch. Write returns only after the operation is durable.
//
// Other processes (the `kordon` command line next to a running daemon) may
// write the same file; SQLite serializes them with its file lock and the
// busy timeout. Packages that cache database state register OnExternalChange
// hooks, which run inside the next write transaction after another process
// has committed.
//
// Reads use a separate pool of read-only connections (DB.Read) and never
// block the writer.
package store
