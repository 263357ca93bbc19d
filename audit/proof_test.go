package audit

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/types/fault"
)

func hashSlices(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

// TestProofs proves inclusion and consistency between the checkpoints of
// a log, checks the proofs with tlog and with transparency-dev/merkle,
// and checks that tampered proofs, bodies or checkpoints fail.
func TestProofs(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	db, l := newLog(t, path, func(c *Config) { c.CheckpointEvery = 13 })
	appendN(t, db, l, 0, 60)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	bs := bodies(t, rawDB(t, path))
	var cps []Checkpoint
	for _, size := range []int64{13, 26, 39, 52, 60} {
		cp, err := l.CheckpointAt(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		if want := compactRoot(t, bs[:size]); cp.Root != want {
			t.Fatalf("checkpoint %d root %v, transparency-dev/merkle computes %v", size, cp.Root, want)
		}
		cps = append(cps, cp)
	}

	for _, cp := range cps {
		for _, seq := range []int64{0, 1, cp.Size / 2, cp.Size - 2, cp.Size - 1} {
			p, err := l.ProveInclusion(ctx, seq, cp.Size)
			if err != nil {
				t.Fatalf("ProveInclusion(%d, %d): %v", seq, cp.Size, err)
			}
			if err := VerifyInclusion(p, cp, seq, bs[seq]); err != nil {
				t.Errorf("VerifyInclusion(%d in %d): %v", seq, cp.Size, err)
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(bs[seq])
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(seq), uint64(cp.Size), leaf, hashSlices(p), cp.Root[:]); err != nil {
				t.Errorf("transparency-dev/merkle rejects the inclusion proof of %d in %d: %v", seq, cp.Size, err)
			}
			if err := VerifyInclusion(p, cp, seq, editBody(bs[seq])); !fault.Is(err, fault.Invalid) {
				t.Errorf("an edited entry %d verified in %d: %v", seq, cp.Size, err)
			}
			if len(p) > 0 {
				bad := append(tlog.RecordProof(nil), p...)
				bad[0][0] ^= 1
				if VerifyInclusion(bad, cp, seq, bs[seq]) == nil {
					t.Errorf("a tampered inclusion proof of %d in %d verified", seq, cp.Size)
				}
			}
		}
	}

	for i, older := range cps {
		for _, newer := range cps[i:] {
			p, err := l.ProveConsistency(ctx, older.Size, newer.Size)
			if err != nil {
				t.Fatalf("ProveConsistency(%d, %d): %v", older.Size, newer.Size, err)
			}
			if err := VerifyConsistency(p, older, newer); err != nil {
				t.Errorf("VerifyConsistency(%d, %d): %v", older.Size, newer.Size, err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(older.Size), uint64(newer.Size), hashSlices(p), older.Root[:], newer.Root[:]); err != nil {
				t.Errorf("transparency-dev/merkle rejects the consistency proof %d→%d: %v", older.Size, newer.Size, err)
			}
			if older.Size == newer.Size {
				continue
			}
			bad := append(tlog.TreeProof(nil), p...)
			bad[len(bad)-1][0] ^= 1
			if VerifyConsistency(bad, older, newer) == nil {
				t.Errorf("a tampered consistency proof %d→%d verified", older.Size, newer.Size)
			}
			forged := older
			forged.Root[0] ^= 1
			if err := VerifyConsistency(p, forged, newer); !fault.Is(err, fault.Invalid) {
				t.Errorf("a rewritten checkpoint %d is consistent with %d: %v", older.Size, newer.Size, err)
			}
			if VerifyConsistency(p, newer, older) == nil {
				t.Errorf("checkpoints %d and %d verified in the wrong order", older.Size, newer.Size)
			}
		}
	}

	// An entry found by Search re-encodes to its stored body, so it can be
	// proved without reading the raw row.
	found, err := l.Search(ctx, Actor{Type: ActorUser, ID: "auditor"}, Filter{AfterSeq: 40, Limit: 1})
	if err != nil || len(found) != 1 {
		t.Fatalf("Search: %v, %v", found, err)
	}
	body, err := json.Marshal(found[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.ProveInclusion(ctx, found[0].Seq, 60)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(p, cps[4], found[0].Seq, body); err != nil {
		t.Errorf("a searched entry does not verify: %v", err)
	}
}

func TestProofArguments(t *testing.T) {
	ctx := context.Background()
	db, l := newLog(t, tempPath(t), nil)
	appendN(t, db, l, 0, 5)
	tests := []struct {
		name string
		err  error
	}{
		{"inclusion beyond the tree", func() error { _, err := l.ProveInclusion(ctx, 5, 5); return err }()},
		{"inclusion in a tree larger than the log", func() error { _, err := l.ProveInclusion(ctx, 0, 6); return err }()},
		{"negative seq", func() error { _, err := l.ProveInclusion(ctx, -1, 5); return err }()},
		{"consistency from zero", func() error { _, err := l.ProveConsistency(ctx, 0, 5); return err }()},
		{"consistency backwards", func() error { _, err := l.ProveConsistency(ctx, 4, 3); return err }()},
		{"consistency beyond the log", func() error { _, err := l.ProveConsistency(ctx, 1, 9); return err }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !fault.Is(tt.err, fault.Invalid) {
				t.Errorf("got %v, want an Invalid error", tt.err)
			}
		})
	}
}
