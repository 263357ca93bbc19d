package audit

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"kordon/types/fault"
)

// ProveInclusion returns the RFC 6962 audit path proving that entry seq
// is in the tree of the first treeSize entries (typically a checkpoint's
// size). It reads about log₂ treeSize rows.
func (l *Log) ProveInclusion(ctx context.Context, seq, treeSize int64) (tlog.RecordProof, error) {
	const op = "audit.ProveInclusion"
	var p tlog.RecordProof
	err := l.withCommitted(ctx, op, treeSize, func(r tlog.HashReader) error {
		if seq < 0 || seq >= treeSize {
			return fault.E(op, fault.Invalid, fmt.Errorf("entry %d is not in a tree of %d entries", seq, treeSize))
		}
		var err error
		p, err = tlog.ProveRecord(treeSize, seq, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ProveConsistency returns the RFC 6962 consistency proof that the tree
// of the first n2 entries extends the tree of the first n1, with
// 1 ≤ n1 ≤ n2.
func (l *Log) ProveConsistency(ctx context.Context, n1, n2 int64) (tlog.TreeProof, error) {
	const op = "audit.ProveConsistency"
	var p tlog.TreeProof
	err := l.withCommitted(ctx, op, n2, func(r tlog.HashReader) error {
		if n1 < 1 || n1 > n2 {
			return fault.E(op, fault.Invalid, fmt.Errorf("no consistency proof from %d to %d entries (want 1 ≤ from ≤ to)", n1, n2))
		}
		var err error
		p, err = tlog.ProveTree(n2, n1, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// withCommitted runs f with a hash reader over one read snapshot, after
// checking that the log there has at least treeSize entries.
func (l *Log) withCommitted(ctx context.Context, op string, treeSize int64, f func(tlog.HashReader) error) error {
	rtx, q, err := readTx(ctx, l.db.Read())
	if err != nil {
		return fault.E(op, fault.Unavailable, err)
	}
	defer rtx.Rollback()
	size, _, err := sizes(q)
	if err != nil {
		return fault.E(op, fault.Unavailable, err)
	}
	if treeSize < 1 || treeSize > size {
		return fault.E(op, fault.Invalid, fmt.Errorf("tree size %d: the log has %d entries", treeSize, size))
	}
	if err := f(dbHashes{q: q}); err != nil {
		var fe *fault.Error
		switch {
		case errors.As(err, &fe):
			return err
		case errors.Is(err, errDamaged):
			return fault.E(op, fault.Internal, fmt.Errorf("build proof: %w (run kordon audit verify)", err))
		}
		return fault.E(op, fault.Unavailable, fmt.Errorf("build proof: %w", err))
	}
	return nil
}

// ErrProof is wrapped by VerifyInclusion and VerifyConsistency when a
// proof does not hold.
var ErrProof = errors.New("proof does not match the signed checkpoint")

// VerifyInclusion checks that body (an entry's stored bytes: an export
// line, or json.Marshal of an Entry, which is canonical) is entry seq of
// the tree cp signed, using proof from ProveInclusion. cp must come from
// ParseCheckpoint, Latest or CheckpointAt, which check its signature.
func VerifyInclusion(proof tlog.RecordProof, cp Checkpoint, seq int64, body []byte) error {
	const op = "audit.VerifyInclusion"
	if seq < 0 || seq >= cp.Size {
		return fault.E(op, fault.Invalid, fmt.Errorf("entry %d is not covered by checkpoint %d", seq, cp.Size))
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, seq, tlog.RecordHash(body)); err != nil {
		return fault.E(op, fault.Invalid, fmt.Errorf("entry %d in checkpoint %d: %w: %w", seq, cp.Size, ErrProof, err))
	}
	return nil
}

// VerifyConsistency checks that newer's tree extends older's (nothing
// was rewritten or removed between them), using proof from
// ProveConsistency(older.Size, newer.Size). Both checkpoints must have
// had their signatures checked.
func VerifyConsistency(proof tlog.TreeProof, older, newer Checkpoint) error {
	const op = "audit.VerifyConsistency"
	if older.Origin != newer.Origin {
		return fault.E(op, fault.Invalid, fmt.Errorf("checkpoints of different logs (%q, %q)", older.Origin, newer.Origin))
	}
	if older.Size < 1 || older.Size > newer.Size {
		return fault.E(op, fault.Invalid, fmt.Errorf("checkpoint %d cannot precede checkpoint %d", older.Size, newer.Size))
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fault.E(op, fault.Invalid, fmt.Errorf("checkpoint %d to %d: %w: %w", older.Size, newer.Size, ErrProof, err))
	}
	return nil
}
