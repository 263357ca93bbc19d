package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/store"
	"kordon/types/fault"
)

// Config configures New. The zero value of every field but DB, Signer and
// Verifier means its default.
type Config struct {
	// DB is the database. Required.
	DB *store.DB
	// Signer signs checkpoints. Required.
	Signer note.Signer
	// Verifier checks checkpoints; it must be Signer's public half.
	// Required.
	Verifier note.Verifier
	// Origin is the log's name, the first line of every checkpoint.
	// Default Signer.Name().
	Origin string
	// CheckpointEvery makes Append sign a checkpoint whenever the log size
	// reaches a multiple of it. Default 1000.
	CheckpointEvery int
	// CheckpointInterval is how often Run signs a checkpoint while new
	// entries arrive. Default 10s.
	CheckpointInterval time.Duration
	// Now is the clock for entry and checkpoint times. Default time.Now.
	Now func() time.Time
	// Logger receives operational messages (a periodic checkpoint that
	// failed). Default slog.Default().
	Logger *slog.Logger
	// Hostname names this appliance in syslog and CEF exports. Default
	// os.Hostname(), or "kordon" if that fails.
	Hostname string
	// Version is the product version in CEF exports. Default the main
	// module's version from the build information, or "devel".
	Version string
}

// Log is the audit log. It is safe for concurrent use; see the package
// comment for how it shares the store's write transactions.
type Log struct {
	cfg    Config
	db     *store.DB
	origin string

	mu     sync.Mutex
	loaded bool  // tree and last reflect the database (as of the current transaction)
	broken error // the stored log contradicts its newest checkpoint; Append refuses
	tree   frontier
	last   Checkpoint // newest checkpoint; Size 0 when there is none
	body   []byte     // scratch for the canonical body
	hashes []byte     // scratch for the packed stored hashes
	reader appendReader
}

// New checks cfg and returns a Log. It registers a store OnExternalChange
// hook that reloads the in-memory tree when another process has written
// the database; it reads nothing and starts no goroutine.
func New(cfg Config) (*Log, error) {
	const op = "audit.New"
	if cfg.DB == nil {
		return nil, fault.E(op, fault.Invalid, errors.New("no database"))
	}
	if cfg.Signer == nil || cfg.Verifier == nil {
		return nil, fault.E(op, fault.Invalid, errors.New("a checkpoint signer and its verifier are required"))
	}
	if err := checkKeyPair(cfg.Signer, cfg.Verifier); err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	if cfg.Origin == "" {
		cfg.Origin = cfg.Signer.Name()
	}
	if strings.ContainsAny(cfg.Origin, "\n\r") || strings.TrimSpace(cfg.Origin) != cfg.Origin {
		return nil, fault.E(op, fault.Invalid, fmt.Errorf("origin %q must be one line without surrounding spaces", cfg.Origin))
	}
	if cfg.CheckpointEvery < 0 || cfg.CheckpointInterval < 0 {
		return nil, fault.E(op, fault.Invalid, errors.New("checkpoint every and interval must not be negative"))
	}
	if cfg.CheckpointEvery == 0 {
		cfg.CheckpointEvery = 1000
	}
	if cfg.CheckpointInterval == 0 {
		cfg.CheckpointInterval = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("subsystem", "audit")
	if cfg.Hostname == "" {
		cfg.Hostname = "kordon"
		if h, err := os.Hostname(); err == nil && h != "" {
			cfg.Hostname = h
		}
	}
	if cfg.Version == "" {
		cfg.Version = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			cfg.Version = bi.Main.Version
		}
	}
	l := &Log{cfg: cfg, db: cfg.DB, origin: cfg.Origin}
	l.reader.f = &l.tree
	cfg.DB.OnExternalChange(l.reload)
	return l, nil
}

// checkKeyPair makes sure v verifies what s signs, so a misconfigured key
// is caught at start rather than by the first auditor.
func checkKeyPair(s note.Signer, v note.Verifier) error {
	msg := []byte("kordon audit key pair check\n")
	sig, err := s.Sign(msg)
	if err != nil {
		return fmt.Errorf("sign with checkpoint key %s: %w", s.Name(), err)
	}
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() || !v.Verify(msg, sig) {
		return fmt.Errorf("checkpoint verifier %s+%08x is not the public half of signer %s+%08x", v.Name(), v.KeyHash(), s.Name(), s.KeyHash())
	}
	return nil
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// Record appends e in a write transaction of its own and returns its seq
// once it is durable.
func (l *Log) Record(ctx context.Context, e Entry) (int64, error) {
	var seq int64
	err := l.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		seq, err = l.Append(tx, e)
		return err
	})
	if err != nil {
		return 0, fault.E("audit.Record", fault.KindOf(err), fmt.Errorf("record %s entry: %w", e.Action, err))
	}
	return seq, nil
}

// Append adds e to the log inside the caller's write transaction and
// returns its seq. Seq and, when zero, Time are set by Append. The entry
// is durable when the transaction commits; if the caller's operation fails
// or the batch does not commit, the entry disappears with it and the
// in-memory tree is restored. When the new size is a multiple of
// CheckpointEvery, Append also writes a signed checkpoint in the same
// transaction.
func (l *Log) Append(tx *store.Tx, e Entry) (int64, error) {
	const op = "audit.Append"
	if err := normalize(&e, l.cfg.Now); err != nil {
		return 0, fault.E(op, fault.Invalid, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.ensureLoaded(tx); err != nil {
		return 0, fault.E(op, fault.Unavailable, err)
	}
	if l.broken != nil {
		return 0, fault.E(op, fault.Internal, l.broken)
	}
	n := l.tree.size
	e.Seq = n
	l.body = e.appendJSON(l.body[:0])
	l.reader.tx = tx
	hs, err := tlog.StoredHashesForRecordHash(n, tlog.RecordHash(l.body), &l.reader)
	l.reader.tx = nil
	if err != nil {
		return 0, fault.E(op, fault.Internal, fmt.Errorf("compute tree hashes for entry %d: %w", n, err))
	}
	l.hashes = packHashes(l.hashes, hs)

	u := l.snapshot(len(hs))
	l.tree.push(hs)
	due := l.tree.size%int64(l.cfg.CheckpointEvery) == 0
	if err := l.insert(tx, n, due); err != nil {
		l.restore(u)
		if store.IsUnique(err) {
			l.loaded = false // another writer got here unnoticed; reload next time
			return 0, fault.E(op, fault.Conflict, fmt.Errorf("append entry %d: %w", n, err))
		}
		return 0, fault.E(op, fault.Unavailable, fmt.Errorf("append entry %d: %w", n, err))
	}
	tx.OnRollback(func() { l.rollback(u) })
	return n, nil
}

// insert writes the entry row held in l.body and l.hashes and, when due,
// the checkpoint for the new size, all or nothing.
func (l *Log) insert(tx *store.Tx, seq int64, due bool) error {
	if !due {
		_, err := tx.Exec("INSERT INTO audit_entries (seq, body, hashes) VALUES (?, ?, ?)", seq, l.body, l.hashes)
		return err
	}
	if _, err := tx.Exec("SAVEPOINT audit_append"); err != nil {
		return err
	}
	_, err := tx.Exec("INSERT INTO audit_entries (seq, body, hashes) VALUES (?, ?, ?)", seq, l.body, l.hashes)
	if err == nil {
		err = l.writeCheckpoint(tx)
	}
	if err != nil {
		_, rerr := tx.Exec("ROLLBACK TO audit_append")
		_, rerr2 := tx.Exec("RELEASE audit_append")
		return errors.Join(err, rerr, rerr2)
	}
	_, err = tx.Exec("RELEASE audit_append")
	return err
}

// undo is what Append changed in memory: the frontier levels its record
// overwrote, and the newest checkpoint.
type undo struct {
	size, next int64
	last       Checkpoint
	saved      []savedLevel
	inline     [4]savedLevel // saved's storage for the common case
}

type savedLevel struct {
	hash tlog.Hash
	idx  int64
}

func (l *Log) snapshot(levels int) *undo {
	u := &undo{size: l.tree.size, next: l.tree.next, last: l.last}
	u.saved = u.inline[:0]
	for i := range levels {
		u.saved = append(u.saved, savedLevel{l.tree.hash[i], l.tree.idx[i]})
	}
	return u
}

// restore undoes one Append; the caller holds l.mu.
func (l *Log) restore(u *undo) {
	l.tree.size, l.tree.next, l.last = u.size, u.next, u.last
	for i, s := range u.saved {
		l.tree.hash[i], l.tree.idx[i] = s.hash, s.idx
	}
}

// rollback is Append's OnRollback hook. The store runs the hooks of a
// batch in reverse order, so each restores the state its Append found.
func (l *Log) rollback(u *undo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tree.size != u.size+1 {
		// Something other than a clean reverse-order undo happened; the
		// database is the truth.
		l.loaded = false
		return
	}
	l.restore(u)
}

// appendReader reads tree hashes for Append: from the frontier, and from
// the transaction for anything the frontier lacks (which does not happen
// once the frontier is loaded, but costs nothing to allow).
type appendReader struct {
	f  *frontier
	tx *store.Tx
}

func (r *appendReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out, err := r.f.ReadHashes(indexes)
	if err == nil || r.tx == nil {
		return out, err
	}
	return dbHashes{q: r.tx.QueryRow}.ReadHashes(indexes)
}

// ensureLoaded loads the tree if this process has not seen the database
// yet (the Log was created after the store's first write transaction).
func (l *Log) ensureLoaded(tx *store.Tx) error {
	if l.loaded {
		return nil
	}
	return l.load(tx.QueryRow)
}

// reload is the OnExternalChange hook: another process may have appended
// entries or checkpoints, so the frontier is read again unless the sizes
// show that the log did not change. (When they did not, the frontier this
// process holds is the truth, even if someone edited rows underneath it:
// its next checkpoints sign the tree as it was, and Verify reports the
// edit.)
func (l *Log) reload(tx *store.Tx) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded && l.broken == nil {
		size, cpSize, err := sizes(tx.QueryRow)
		if err != nil {
			return err
		}
		if size == l.tree.size && cpSize == l.last.Size {
			return nil
		}
	}
	return l.load(tx.QueryRow)
}

// sizes returns the number of entries (the highest seq plus one) and the
// size of the newest checkpoint.
func sizes(q rowFunc) (size, cpSize int64, err error) {
	err = q(`SELECT (SELECT coalesce(max(seq) + 1, 0) FROM audit_entries),
		(SELECT coalesce(max(size), 0) FROM audit_checkpoints)`).Scan(&size, &cpSize)
	if err != nil {
		return 0, 0, fmt.Errorf("read audit log size: %w", err)
	}
	return size, cpSize, nil
}

// load reads the frontier and the newest checkpoint, and checks that the
// stored tree still has the root that checkpoint signed: log₂ n reads that
// catch a truncated or rewritten log before anything is appended to it.
// A contradiction does not fail the load (other subsystems keep working);
// it sets l.broken, and Append refuses until the database is repaired.
func (l *Log) load(q rowFunc) error {
	size, cpSize, err := sizes(q)
	if err != nil {
		return err
	}
	l.broken = nil
	l.loaded = false
	var last Checkpoint
	if cpSize > 0 {
		var text []byte
		if err := q("SELECT note FROM audit_checkpoints WHERE size = ?", cpSize).Scan(&text); err != nil {
			return fmt.Errorf("read checkpoint %d: %w", cpSize, err)
		}
		last, err = ParseCheckpoint(text, l.cfg.Verifier)
		if err == nil && last.Size != cpSize {
			err = fmt.Errorf("checkpoint row %d holds a note for size %d", cpSize, last.Size)
		}
		if err == nil && last.Origin != l.origin {
			err = fmt.Errorf("origin %q, but this log is %q", last.Origin, l.origin)
		}
		if err != nil {
			l.setBroken(fmt.Errorf("newest checkpoint %d: %w", cpSize, err))
			return nil
		}
	}
	if cpSize > size {
		l.setBroken(fmt.Errorf("log truncated: checkpoint %d signed but only %d entries", cpSize, size))
		return nil
	}
	f, err := loadFrontier(q, size)
	if errors.Is(err, errDamaged) {
		l.setBroken(err)
		return nil
	}
	if err != nil {
		return err
	}
	if cpSize > 0 {
		var root tlog.Hash
		if cpSize == size {
			root, err = tlog.TreeHash(size, &f)
		} else {
			root, err = tlog.TreeHash(cpSize, dbHashes{q: q})
		}
		if errors.Is(err, errDamaged) {
			l.setBroken(err)
			return nil
		}
		if err != nil {
			return err
		}
		if root != last.Root {
			l.setBroken(fmt.Errorf("stored tree of %d entries does not have the root checkpoint %d signed (rewritten?)", cpSize, cpSize))
			return nil
		}
	}
	l.tree, l.last, l.loaded = f, last, true
	return nil
}

// setBroken records why the log cannot be appended to. It leaves loaded
// true so Append fails fast; the next external change reloads.
func (l *Log) setBroken(err error) {
	l.broken = fmt.Errorf("refusing to append to the audit log (run kordon audit verify): %w", err)
	l.loaded = true
	l.cfg.Logger.Error("audit log damaged; audited operations will fail", "err", err)
}

// readTx opens a read transaction on the read pool, so that several
// queries see one snapshot.
func readTx(ctx context.Context, db *sql.DB) (*sql.Tx, rowFunc, error) {
	rtx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("begin read: %w", err)
	}
	q := func(query string, args ...any) *sql.Row { return rtx.QueryRowContext(ctx, query, args...) }
	return rtx, q, nil
}
