// Package trunk holds the SIP trunks to the customer's PBXs: their
// settings and validation, their storage in the database, and the
// immutable, indexed Set the SIP edge reads on every request.
//
// # Trunks
//
// A Trunk is a JSON document (its field tags are the API's and the
// command line's format, and the stored settings). Decode reads one
// strictly; Normalize fixes spelling; Validate reports every problem at
// once as Errors, each naming its JSON path; WithDefaults fills in the
// defaults the field comments name. Address, URI, Route, Allows and
// CodecList answer the SIP layer's questions.
//
// # Privacy and secrets
//
// Digest passwords are write-only. They arrive as Secret, which prints,
// logs and encodes as "***" and leaves only through Reveal; Credentials
// encode without them, so no JSON of a Trunk — API answer, command-line
// output, stored settings — holds one. The repo stores them wrapped by the
// key provider in their own columns and unwraps them only into a Set, in
// memory. Validation messages quote values only as short excerpts with
// every run of seven or more digits masked, never a password; audit
// entries name the trunk and the fields that changed, never a value.
//
// # Repo and Set
//
// Repo creates, updates, deletes, gets and lists trunks for a principal
// with the config scope, auditing every change in the transaction that
// makes it, and every refusal. It keeps the current Set: Snapshot loads it
// when stale (reading the rows, unwrapping passwords not seen before,
// resolving host names) and Current returns it without waiting.
//
// # Concurrency and lifecycle
//
// New validates its Config, registers a store OnExternalChange hook and
// starts nothing. A change this process commits, or one another process
// committed (seen by the hook at this process's next write), marks the Set
// stale. Run, the only long-running method, keeps it current: it
// refreshes on those changes, polls the rows every PollInterval (a
// command-line edit while the daemon writes nothing), and resolves host
// names again every ResolveInterval; it returns when its context ends,
// after the goroutines of the lookups it started have finished. Without
// Run, Snapshot still refreshes on demand. A Set is never modified once
// published, so a call keeps the trunk it started with.
package trunk
