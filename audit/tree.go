package audit

import (
	"database/sql"
	"errors"
	"fmt"
	"math/bits"

	"golang.org/x/mod/sumdb/tlog"
)

// maxLevels bounds the tree height: a log of 2^63 records has 64 levels.
const maxLevels = 64

// frontier is the right edge of a tree of size records: for each level i
// with size>>i ≥ 1, the hash of node (size>>i)-1, the most recent node
// completed at that level. Appending record n reads exactly the nodes
// (n>>i)-1 for the levels its leaf completes, and TreeHash(n) reads the
// nodes (n>>i)-1 for the set bits of n, so a frontier answers both without
// storage. It costs 64 hashes of memory whatever the size of the log.
type frontier struct {
	size int64                // records in the tree
	next int64                // tlog.StoredHashIndex(0, size): where the next record's hashes go
	hash [maxLevels]tlog.Hash // hash[i]: node (size>>i)-1 at level i
	idx  [maxLevels]int64     // idx[i]: the stored index of hash[i]
	out  [maxLevels]tlog.Hash // ReadHashes' result buffer, reused
}

// hashCount returns how many hashes record n stores: its leaf plus one per
// subtree it completes.
func hashCount(n int64) int { return 1 + bits.TrailingZeros64(uint64(n+1)) }

// recordOf returns the record whose stored hashes hold stored index idx,
// and the position of that hash among them.
func recordOf(idx int64) (record int64, pos int) {
	level, n := tlog.SplitStoredHashIndex(idx)
	return (n+1)<<uint(level) - 1, level
}

// push adds record f.size, whose stored hashes are hs (as returned by
// tlog.StoredHashesForRecordHash).
func (f *frontier) push(hs []tlog.Hash) {
	for i, h := range hs {
		f.hash[i] = h
		f.idx[i] = f.next + int64(i)
	}
	f.next += int64(len(hs))
	f.size++
}

// lookup returns the frontier hash with stored index idx.
func (f *frontier) lookup(idx int64) (tlog.Hash, bool) {
	for i := 0; i < maxLevels && f.size>>uint(i) > 0; i++ {
		if f.idx[i] == idx {
			return f.hash[i], true
		}
	}
	return tlog.Hash{}, false
}

// ReadHashes implements tlog.HashReader from the frontier alone. The
// result aliases a buffer inside f, valid until the next call; tlog copies
// what it reads before returning.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if len(indexes) > maxLevels {
		return nil, fmt.Errorf("frontier: %d hashes asked for", len(indexes))
	}
	out := f.out[:len(indexes)]
	for i, idx := range indexes {
		h, ok := f.lookup(idx)
		if !ok {
			return nil, fmt.Errorf("frontier of size %d has no stored hash %d", f.size, idx)
		}
		out[i] = h
	}
	return out, nil
}

// rowFunc runs a one-row query: store.Tx.QueryRow, or a read
// transaction's QueryRowContext bound to a context.
type rowFunc func(query string, args ...any) *sql.Row

// errDamaged marks a stored row that is missing or malformed: tampering
// or corruption, not a failure to read.
var errDamaged = errors.New("audit log damaged")

// storedHashes reads the stored hashes of one record.
func storedHashes(q rowFunc, record int64) ([]byte, error) {
	var hs []byte
	err := q("SELECT hashes FROM audit_entries WHERE seq = ?", record).Scan(&hs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: entry %d missing", errDamaged, record)
	}
	if err != nil {
		return nil, fmt.Errorf("read hashes of entry %d: %w", record, err)
	}
	if len(hs) != tlog.HashSize*hashCount(record) {
		return nil, fmt.Errorf("%w: entry %d stores %d bytes of hashes, want %d", errDamaged, record, len(hs), tlog.HashSize*hashCount(record))
	}
	return hs, nil
}

// hashAt returns hash pos of a record's stored hashes.
func hashAt(hs []byte, pos int) tlog.Hash {
	var h tlog.Hash
	copy(h[:], hs[pos*tlog.HashSize:])
	return h
}

// dbHashes implements tlog.HashReader over the stored hashes column.
type dbHashes struct{ q rowFunc }

// ReadHashes reads each requested hash from its record's row, reading a
// row once when consecutive indexes fall in it.
func (r dbHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	last, lastRec := []byte(nil), int64(-1)
	for i, idx := range indexes {
		rec, pos := recordOf(idx)
		if rec != lastRec {
			hs, err := storedHashes(r.q, rec)
			if err != nil {
				return nil, err
			}
			last, lastRec = hs, rec
		}
		out[i] = hashAt(last, pos)
	}
	return out, nil
}

// loadFrontier rebuilds the frontier of a tree of size records from the
// stored hashes: log₂ size row reads.
func loadFrontier(q rowFunc, size int64) (frontier, error) {
	f := frontier{size: size, next: tlog.StoredHashIndex(0, size)}
	var hs []byte
	lastRec := int64(-1)
	for i := 0; size>>uint(i) > 0; i++ {
		node := size>>uint(i) - 1
		rec := (node+1)<<uint(i) - 1
		if rec != lastRec {
			var err error
			if hs, err = storedHashes(q, rec); err != nil {
				return frontier{}, err
			}
			lastRec = rec
		}
		f.hash[i] = hashAt(hs, i)
		f.idx[i] = tlog.StoredHashIndex(i, node)
	}
	return f, nil
}

// packHashes writes hs into dst as consecutive 32-byte hashes.
func packHashes(dst []byte, hs []tlog.Hash) []byte {
	dst = dst[:0]
	for i := range hs {
		dst = append(dst, hs[i][:]...)
	}
	return dst
}
