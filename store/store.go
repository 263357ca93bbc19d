package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"kordon/types/fault"
)

// Config configures Open. The zero value of every field but Path means its
// default.
type Config struct {
	// Path is the database file. Required. Its directory must exist.
	Path string
	// BusyTimeout is how long a writer waits for another process's lock.
	// Default 10s.
	BusyTimeout time.Duration
	// MaxBatch caps the operations committed in one transaction.
	// Default 4096.
	MaxBatch int
	// ReadConns is the size of the read pool. Default 8.
	ReadConns int
}

func (c *Config) setDefaults() {
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 10 * time.Second
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 4096
	}
	if c.ReadConns == 0 {
		c.ReadConns = 8
	}
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	cfg  Config
	w    *sql.DB // exactly one connection: the only writer in this process
	r    *sql.DB // read-only pool
	path string

	mu      sync.Mutex
	queue   []*op
	leading bool

	walMu sync.Mutex
	wal   *os.File // the -wal file, opened on first sync, for fdatasync

	hooksMu     sync.Mutex
	hooks       []func(*Tx) error
	dataVersion int64 // last PRAGMA data_version seen by the writer; -1 before the first batch
	closed      bool
}

// writerDriver is go-sqlite3 with the writer's per-connection settings
// that the DSN cannot express.
const writerDriver = "sqlite3-kordon-writer"

func init() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA wal_autocheckpoint = 10000", nil)
		return err
	}})
}

// ErrClosed reports a write after Close.
var ErrClosed = errors.New("store: closed")

// Open opens (creating if needed) the database at cfg.Path and applies any
// pending migrations. The file is created with mode 0600.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	cfg.setDefaults()
	if cfg.Path == "" {
		return nil, fault.E("store.Open", fault.Invalid, errors.New("no database path"))
	}
	if _, err := os.Stat(filepath.Dir(cfg.Path)); err != nil {
		return nil, fault.E("store.Open", fault.Invalid, fmt.Errorf("database directory: %w", err))
	}
	if err := createPrivate(cfg.Path); err != nil {
		return nil, fault.E("store.Open", fault.Unavailable, err)
	}
	dsn := func(extra string) string {
		v := url.Values{}
		v.Set("_journal_mode", "WAL")
		// NORMAL: a commit writes the WAL without syncing it; Write syncs
		// the WAL itself (syncWAL) before it answers, outside the write
		// lock, so the next batch runs while this one reaches the disk.
		// Checkpoints still sync the WAL before and the database after.
		v.Set("_synchronous", "NORMAL")
		v.Set("_foreign_keys", "1")
		v.Set("_busy_timeout", fmt.Sprint(cfg.BusyTimeout.Milliseconds()))
		return "file:" + cfg.Path + "?" + v.Encode() + extra
	}
	// The writer keeps a larger page cache (new codes land at random
	// places in two B-trees) and lets the WAL grow to 40 MB before
	// checkpointing, so that a checkpoint, which runs inside a commit, is
	// not paid by nearly every batch.
	w, err := sql.Open(writerDriver, dsn("&_txlock=immediate&_cache_size=-32768"))
	if err != nil {
		return nil, fault.E("store.Open", fault.Unavailable, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite3", dsn("&_query_only=1"))
	if err != nil {
		w.Close()
		return nil, fault.E("store.Open", fault.Unavailable, err)
	}
	r.SetMaxOpenConns(cfg.ReadConns)
	r.SetMaxIdleConns(cfg.ReadConns)
	db := &DB{cfg: cfg, w: w, r: r, path: cfg.Path, dataVersion: -1}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// createPrivate makes sure the database file exists with mode 0600 before
// SQLite creates it with the umask's mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Read returns the read-only connection pool.
func (db *DB) Read() *sql.DB { return db.r }

// Close closes both pools. It is idempotent.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()
	db.walMu.Lock()
	if db.wal != nil {
		db.wal.Close()
		db.wal = nil
	}
	db.walMu.Unlock()
	return errors.Join(db.w.Close(), db.r.Close())
}

// OnExternalChange registers f to run inside the first write transaction of
// this process, and inside every later one that starts after another
// process (or another DB on the same file) has committed. Caches of
// database state use it to reload; an error fails that whole batch.
func (db *DB) OnExternalChange(f func(*Tx) error) {
	db.hooksMu.Lock()
	defer db.hooksMu.Unlock()
	db.hooks = append(db.hooks, f)
}

// Checkpoint runs a WAL checkpoint, truncating the WAL file. Backups and
// tests call it; SQLite checkpoints on its own otherwise.
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// syncWAL makes everything committed so far durable: fdatasync on the WAL
// file flushes every frame written before the call, from any connection.
// Concurrent calls are fine; each covers at least the commits that
// finished before it began. The descriptor is checked against the path on
// every call: SQLite deletes the WAL when the last connection closes, and
// a descriptor of a deleted WAL would sync nothing that matters.
func (db *DB) syncWAL() error {
	path := db.path + "-wal"
	cur, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("stat WAL: %w", err)
	}
	db.walMu.Lock()
	defer db.walMu.Unlock()
	if db.wal != nil {
		if st, err := db.wal.Stat(); err != nil || !os.SameFile(st, cur) {
			db.wal.Close()
			db.wal = nil
		}
	}
	if db.wal == nil {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("open WAL: %w", err)
		}
		db.wal = f
	}
	return syscall.Fdatasync(int(db.wal.Fd()))
}

// IsUnique reports whether err is a UNIQUE constraint violation.
func IsUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}
