// Package record keeps the appliance's call recordings, encrypted at rest.
//
// A Recording is one call's stereo recording, the caller on the left
// channel and the robot on the right, at 8 kHz and 16 bits. The media
// pacer feeds it a frame every 20 ms with Frame, which copies the samples
// into a bounded buffer and returns at once: a writer goroutine owned by
// the Recording seals and writes the audio, and when the disk falls too
// far behind, frames are dropped and counted (Info.Dropped) rather than
// stall the call. Close finishes the file and records its counts.
//
// # Encryption
//
// Every recording has its own random 256-bit data key, stored in its row
// wrapped by the key provider (local key file or Vault Transit); the key
// never touches the disk in the clear, and neither does any audio. The
// file is a short header and a sequence of AES-256-GCM chunks whose nonce
// is the chunk's index and whose additional data binds the header, the
// recording ID, the index and a final-chunk flag (seal.go), so that Open
// detects a tampered, reordered, truncated, extended or swapped file.
//
// # Access and audit
//
// Open returns a recording as a WAV file and needs the resolve scope, as
// hearing a caller is as revealing as resolving their number; Delete
// needs the erase scope and a tokenizer.Reason. Both write an audit entry
// (recording.read, recording.delete) before they take effect: Open
// authenticates the whole file first, then audits, and returns no audio if
// the audit log cannot be written; Delete tombstones the row and destroys
// its wrapped key in the audit entry's transaction, then overwrites and
// unlinks the file. Refusals are audited too. Purge deletes recordings
// past Config.Retention the same way, as the system actor, and removes
// files left behind by a crash. Rows, log lines, errors and audit entries
// hold recording and call IDs and counts, never a telephone number; call
// IDs with a run of seven digits are refused.
//
// # Concurrency and lifecycle
//
// New checks its Config and does no I/O; the recordings directory is
// created (0700) on first use. A Store is safe for concurrent use. Each
// Recording runs one writer goroutine from Create until Close, which waits
// for it; Frame and Close may be called from different goroutines. Run
// purges hourly until its context ends and is the Store's only
// long-running method.
package record
