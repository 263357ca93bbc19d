package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/types/fault"
)

// Report is the outcome of Verify.
type Report struct {
	Entries     int64     // entry rows read
	Checkpoints int64     // checkpoint rows read
	OK          bool      // no problem found
	Problems    []Problem // in log order, at most maxProblems
	Omitted     int64     // problems found beyond those listed
	Unsigned    int64     // entries after the newest valid checkpoint (not yet signed, or its successors deleted)
}

// Problem is one thing Verify found wrong.
type Problem struct {
	Seq        int64  // the entry concerned, or -1
	Checkpoint int64  // the size of the checkpoint concerned, or 0
	What       string // a sentence naming the entry or checkpoint and what is wrong
}

// String returns What.
func (p Problem) String() string { return p.What }

// ErrTampered is wrapped by Report.Err.
var ErrTampered = errors.New("audit log fails verification")

// maxProblems bounds the problems a Report lists, so that verifying a
// badly damaged log of millions of entries stays within bounded memory.
const maxProblems = 1000

// First names the first problem, or returns "" if there is none.
func (r Report) First() string {
	if len(r.Problems) == 0 {
		return ""
	}
	return r.Problems[0].What
}

// Err returns nil for a log that verified, and otherwise an error wrapping
// ErrTampered that names the first problem and counts the others.
func (r Report) Err() error {
	if r.OK {
		return nil
	}
	msg := r.First()
	if more := int64(len(r.Problems)) - 1 + r.Omitted; more > 0 {
		msg += fmt.Sprintf(" (and %d more problems)", more)
	}
	return fault.E("audit.Verify", fault.Internal, fmt.Errorf("%w: %s", ErrTampered, msg))
}

// Verify checks the whole log in db (the read pool suffices) against the
// checkpoint verifier key v, in one read snapshot, streaming: memory stays
// bounded however long the log is. It checks that seqs are contiguous and
// that each body names its own seq; recomputes every leaf and interior
// hash and compares them with the stored ones; checks every checkpoint's
// signature, its place in the prev chain and its root against the tree
// recomputed from the bodies; and checks that no checkpoint is larger than
// the log. Verify returns an error only when it cannot read the database;
// what it finds is in the Report.
func Verify(ctx context.Context, db *sql.DB, v note.Verifier) (Report, error) {
	const op = "audit.Verify"
	if v == nil {
		return Report{}, fault.E(op, fault.Invalid, errors.New("no checkpoint verifier key"))
	}
	rtx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, fault.E(op, fault.Unavailable, fmt.Errorf("begin read: %w", err))
	}
	defer rtx.Rollback()
	entries, err := rtx.QueryContext(ctx, "SELECT seq, body, hashes FROM audit_entries ORDER BY seq")
	if err != nil {
		return Report{}, fault.E(op, fault.Unavailable, fmt.Errorf("read entries: %w", err))
	}
	defer entries.Close()
	cps, err := rtx.QueryContext(ctx, "SELECT size, note FROM audit_checkpoints ORDER BY size")
	if err != nil {
		return Report{}, fault.E(op, fault.Unavailable, fmt.Errorf("read checkpoints: %w", err))
	}
	defer cps.Close()

	vr := &verifier{v: v, cps: cps}
	if err := vr.nextCheckpoint(); err != nil {
		return Report{}, fault.E(op, fault.Unavailable, err)
	}
	var (
		seq          int64
		body, hashes sql.RawBytes
	)
	for rows := int64(0); ; rows++ {
		if rows%4096 == 0 && ctx.Err() != nil {
			return Report{}, fault.E(op, fault.Unavailable, ctx.Err())
		}
		more := entries.Next()
		if more {
			if err := entries.Scan(&seq, &body, &hashes); err != nil {
				return Report{}, fault.E(op, fault.Unavailable, fmt.Errorf("read entry after %d: %w", vr.n-1, err))
			}
		}
		if err := vr.drain(vr.n); err != nil {
			return Report{}, fault.E(op, fault.Unavailable, err)
		}
		if !more {
			break
		}
		if seq > vr.n {
			vr.missing(vr.n, seq)
			if err := vr.drain(vr.n); err != nil {
				return Report{}, fault.E(op, fault.Unavailable, err)
			}
		}
		vr.entry(seq, body, hashes)
	}
	if err := entries.Err(); err != nil {
		return Report{}, fault.E(op, fault.Unavailable, fmt.Errorf("read entries: %w", err))
	}
	if err := vr.drain(1<<63 - 1); err != nil {
		return Report{}, fault.E(op, fault.Unavailable, err)
	}
	if vr.beyond > 0 {
		vr.add(vr.n, vr.beyond, fmt.Sprintf("log truncated: checkpoint %d signed but only %d entries", vr.beyond, vr.n))
	}
	vr.r.Unsigned = max(0, vr.n-vr.lastValid)
	vr.r.OK = len(vr.r.Problems) == 0
	return vr.r, nil
}

// verifier is Verify's streaming state: two frontiers (one recomputed
// from the bodies, one read from the stored hashes) and a little history.
type verifier struct {
	v   note.Verifier
	r   Report
	cps *sql.Rows

	n          int64    // entries seen so far, counting missing ones: the next seq expected
	bodies     frontier // tree recomputed from the bodies
	stored     frontier // tree as the stored hashes describe it
	gap        bool     // entries are missing; roots can no longer be recomputed
	entryProbs int64    // entry problems since the last checkpoint whose root matched

	cpSize    int64  // the pending checkpoint row's size; 0 when there is none
	cpNote    []byte // the pending checkpoint row's note
	origin    string // origin of the first valid checkpoint
	lastValid int64  // size of the newest checkpoint with a valid signature
	good      int64  // size of the newest checkpoint whose root matched
	badSince  int64  // size of the first mismatching checkpoint after good, or 0
	beyond    int64  // largest valid checkpoint size beyond the log
	lastRow   int64  // size of the previous checkpoint row, valid or not
	lastBad   bool   // whether that row failed its checks
}

func (vr *verifier) add(seq, cp int64, what string) {
	if len(vr.r.Problems) >= maxProblems {
		vr.r.Omitted++
		return
	}
	vr.r.Problems = append(vr.r.Problems, Problem{Seq: seq, Checkpoint: cp, What: what})
}

// nextCheckpoint reads the next checkpoint row, or sets cpSize to 0.
func (vr *verifier) nextCheckpoint() error {
	vr.cpSize = 0
	if !vr.cps.Next() {
		if err := vr.cps.Err(); err != nil {
			return fmt.Errorf("read checkpoints: %w", err)
		}
		return nil
	}
	if err := vr.cps.Scan(&vr.cpSize, &vr.cpNote); err != nil {
		return fmt.Errorf("read checkpoint: %w", err)
	}
	return nil
}

// drain checks every pending checkpoint of size up to limit.
func (vr *verifier) drain(limit int64) error {
	for vr.cpSize > 0 && vr.cpSize <= limit {
		vr.checkpoint(vr.cpSize, vr.cpNote)
		if err := vr.nextCheckpoint(); err != nil {
			return err
		}
	}
	return nil
}

// missing records that entries from..to-1 do not exist.
func (vr *verifier) missing(from, to int64) {
	if to-from == 1 {
		vr.add(from, 0, fmt.Sprintf("entry %d missing (deleted?)", from))
	} else {
		vr.add(from, 0, fmt.Sprintf("entries %d..%d missing (deleted?)", from, to-1))
	}
	vr.gap = true
	vr.entryProbs++
	vr.n = to
}

// entry checks one row.
func (vr *verifier) entry(seq int64, body, hashes []byte) {
	vr.r.Entries++
	vr.n = seq + 1
	count := hashCount(seq)
	leaf := tlog.RecordHash(body)
	lenOK := len(hashes) == tlog.HashSize*count
	storedLeaf := leaf
	if lenOK {
		storedLeaf = hashAt(hashes, 0)
	}
	problem := ""
	if s, err := bodySeq(body); err != nil {
		problem = fmt.Sprintf("entry %d: %v (edited?)", seq, err)
	} else if s != seq {
		problem = fmt.Sprintf("entry %d is out of order (body says seq %d)", seq, s)
	} else if !lenOK {
		problem = fmt.Sprintf("entry %d: stored hashes are %d bytes, want %d (edited?)", seq, len(hashes), tlog.HashSize*count)
	} else if storedLeaf != leaf {
		problem = fmt.Sprintf("entry %d: body does not match its stored leaf hash (edited?)", seq)
	}
	if !vr.gap {
		bh, err := tlog.StoredHashesForRecordHash(seq, leaf, &vr.bodies)
		if err != nil {
			panic("audit: frontier lacks a hash: " + err.Error()) // the frontier always holds what tlog reads
		}
		vr.bodies.push(bh)
		sh, err := tlog.StoredHashesForRecordHash(seq, storedLeaf, &vr.stored)
		if err != nil {
			panic("audit: frontier lacks a hash: " + err.Error())
		}
		if lenOK {
			bad := -1
			for i := 1; i < count; i++ {
				if h := hashAt(hashes, i); h != sh[i] {
					if bad < 0 {
						bad = i
					}
					sh[i] = h // later rows are checked against what is stored
				}
			}
			if bad > 0 && problem == "" {
				problem = fmt.Sprintf("entry %d: stored tree hashes do not match entries %d..%d (hashes rewritten?)", seq, seq+1-1<<uint(bad), seq)
			}
		}
		vr.stored.push(sh)
	}
	if problem != "" {
		vr.add(seq, 0, problem)
		vr.entryProbs++
	}
}

// checkpoint checks one checkpoint row. Its size is at most vr.n, or the
// entries are exhausted.
func (vr *verifier) checkpoint(size int64, msg []byte) {
	vr.r.Checkpoints++
	prevRow, prevBad := vr.lastRow, vr.lastBad
	vr.lastRow, vr.lastBad = size, true
	cp, err := ParseCheckpoint(msg, vr.v)
	if err != nil {
		vr.add(-1, size, fmt.Sprintf("checkpoint %d: %v", size, innermost(err)))
		return
	}
	if cp.Size != size {
		vr.add(-1, size, fmt.Sprintf("checkpoint %d: its signed note says size %d (edited?)", size, cp.Size))
		return
	}
	vr.lastBad = false
	if vr.origin == "" {
		vr.origin = cp.Origin
	} else if cp.Origin != vr.origin {
		vr.add(-1, size, fmt.Sprintf("checkpoint %d: origin %q, but earlier checkpoints say %q", size, cp.Origin, vr.origin))
	}
	switch {
	case cp.Prev > vr.lastValid && cp.Prev == prevRow && prevBad:
		// The predecessor is there but was reported as invalid.
	case cp.Prev > vr.lastValid:
		vr.add(-1, cp.Prev, fmt.Sprintf("checkpoint %d missing (deleted?): checkpoint %d was signed after it", cp.Prev, size))
	case cp.Prev < vr.lastValid:
		vr.add(-1, vr.lastValid, fmt.Sprintf("checkpoint %d is not in the signed chain: checkpoint %d was signed right after checkpoint %d", vr.lastValid, size, cp.Prev))
	}
	vr.lastValid = size
	if size > vr.n {
		vr.beyond = size
		return
	}
	if vr.gap {
		return // already reported: the entries it covers are incomplete
	}
	root, err := tlog.TreeHash(size, &vr.bodies)
	if err != nil {
		panic("audit: frontier lacks a hash: " + err.Error())
	}
	if root == cp.Root {
		vr.good, vr.badSince, vr.entryProbs = size, 0, 0
		return
	}
	what := fmt.Sprintf("checkpoint %d: root does not match entries 0..%d", size, size-1)
	seq := int64(-1)
	switch {
	case vr.entryProbs > 0:
		what += " (rewritten?)"
	case vr.badSince > 0:
		what += fmt.Sprintf(" (the rewrite found at checkpoint %d)", vr.badSince)
	case size-vr.good == 1:
		seq = vr.good
		what += fmt.Sprintf(": entry %d was rewritten together with its stored hashes", seq)
	case vr.good == 0:
		what += fmt.Sprintf(": an entry in 0..%d was rewritten together with the stored hashes", size-1)
	default:
		what += fmt.Sprintf(": an entry in %d..%d was rewritten together with the stored hashes (checkpoint %d still matches)", vr.good, size-1, vr.good)
	}
	if vr.badSince == 0 {
		vr.badSince = size
	}
	vr.add(seq, size, what)
}

// innermost strips the fault operation prefixes from a ParseCheckpoint
// error, keeping its message.
func innermost(err error) string {
	var fe *fault.Error
	for errors.As(err, &fe) && fe.Err != nil {
		err = fe.Err
	}
	return strings.TrimSpace(err.Error())
}
