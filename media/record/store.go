package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"kordon/audit"
	"kordon/media/codec"
	"kordon/store"
	"kordon/tokenizer/keys"
	"kordon/types/fault"
)

// Auditor appends entries to the audit log. *audit.Log implements it.
type Auditor interface {
	// Append adds an entry inside the caller's write transaction.
	Append(tx *store.Tx, e audit.Entry) (int64, error)
	// Record adds an entry in a transaction of its own.
	Record(ctx context.Context, e audit.Entry) (int64, error)
}

var _ Auditor = (*audit.Log)(nil)

// Config configures New. The zero value of every optional field means its
// default.
type Config struct {
	// DB is the database holding the recordings table. Required.
	DB *store.DB
	// Dir is the recordings directory. Required. It is created with mode
	// 0700 on first use, and refused if it is open to other users.
	Dir string
	// Keys wraps each recording's data key. Required.
	Keys keys.Provider
	// Audit records every read and deletion. Required; normally the
	// appliance's *audit.Log.
	Audit Auditor
	// Retention is how long a recording is kept, counted from its start;
	// Purge deletes older ones. Default 0: keep forever.
	Retention time.Duration
	// PurgeEvery is how often Run purges. Default one hour.
	PurgeEvery time.Duration
	// Buffer is how much audio a recording holds in memory while its file
	// write lags; frames beyond it are dropped and counted. Default 4s
	// (128 KiB per recording); at least two chunks (about 2s).
	Buffer time.Duration
	// Logger receives operational messages; they name recording and call
	// IDs only. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Store creates, plays back and deletes the appliance's call recordings.
// It is safe for concurrent use. Run is its only long-running method.
type Store struct {
	cfg     Config
	db      *store.DB
	audit   Auditor
	log     *slog.Logger
	buffer  int // bytes of PCM a recording may buffer
	newFile func(path string) (file, error)

	dirMu sync.Mutex
	dirOK bool

	mu     sync.Mutex
	active map[string]bool // recordings of this process not yet closed
}

// file is what a recording writes to: an *os.File, or a slow fake in
// tests.
type file interface {
	io.Writer
	Sync() error
	Close() error
}

// bytesPerSecond is the PCM rate of a recording: 8 kHz, two channels of
// 16 bits.
const bytesPerSecond = codec.Rate * 2 * 2

// fileSuffix ends every recording file's name.
const fileSuffix = ".krec"

// New checks cfg and returns a Store. It does no I/O and starts nothing.
func New(cfg Config) (*Store, error) {
	var missing []string
	if cfg.DB == nil {
		missing = append(missing, "DB")
	}
	if cfg.Dir == "" {
		missing = append(missing, "Dir")
	}
	if cfg.Keys == nil {
		missing = append(missing, "Keys")
	}
	if cfg.Audit == nil {
		missing = append(missing, "Audit")
	}
	if len(missing) > 0 {
		return nil, fault.E("record.New", fault.Invalid, fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	if cfg.Retention < 0 || cfg.PurgeEvery < 0 || cfg.Buffer < 0 {
		return nil, fault.E("record.New", fault.Invalid, errors.New("retention, purge interval and buffer must not be negative"))
	}
	if cfg.PurgeEvery == 0 {
		cfg.PurgeEvery = time.Hour
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = 4 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	buffer := int(cfg.Buffer.Seconds() * bytesPerSecond)
	buffer = max(2, (buffer+chunkPlain-1)/chunkPlain) * chunkPlain
	return &Store{
		cfg: cfg, db: cfg.DB, audit: cfg.Audit,
		log:     cfg.Logger.With("subsystem", "record"),
		buffer:  buffer,
		newFile: createFile,
		active:  make(map[string]bool),
	}, nil
}

// createFile creates a recording file, failing if it exists.
func createFile(path string) (file, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// ensureDir creates the recordings directory, or checks the one that
// exists, once.
func (s *Store) ensureDir() error {
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	if s.dirOK {
		return nil
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("create recordings directory: %w", err)
	}
	st, err := os.Stat(s.cfg.Dir)
	if err != nil {
		return fmt.Errorf("recordings directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("recordings directory %s is not a directory", s.cfg.Dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("recordings directory %s has mode %#o; it must not be open to other users (want 0700)", s.cfg.Dir, st.Mode().Perm())
	}
	s.dirOK = true
	return nil
}

// path returns the file of recording id.
func (s *Store) path(id string) string { return filepath.Join(s.cfg.Dir, id+fileSuffix) }

func (s *Store) setActive(id string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.active[id] = true
	} else {
		delete(s.active, id)
	}
}

func (s *Store) isActive(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active[id]
}

// Info describes a recording. It holds IDs and counts only.
type Info struct {
	ID         string
	CallID     string
	Channels   int   // 2: caller left, robot right
	SampleRate int   // 8000
	Frames     int64 // 20 ms frames recorded
	Dropped    int64 // frames lost because the disk fell behind
	Bytes      int64 // PCM bytes; the WAV Open returns is 44 bytes longer
	Started    time.Time
	Ended      time.Time // zero while recording, or if the appliance stopped mid-call
	Deleted    time.Time // zero unless deleted; the row stays as a tombstone
	// DeleteReason is a tokenizer.Reason, set with Deleted.
	DeleteReason string
}

// Duration returns the length of the recorded audio.
func (i Info) Duration() time.Duration {
	return time.Duration(i.Bytes) * time.Second / bytesPerSecond
}

// row is a recordings row as Open and Delete need it.
type row struct {
	Info
	file       string
	wrappedKey string
}

const rowColumns = `id, call_id, file, wrapped_key, channels, sample_rate, frames, dropped, bytes, started_at, ended_at, deleted_at, delete_reason`

// scanRow reads one row selected with rowColumns.
func scanRow(sc interface{ Scan(...any) error }) (row, error) {
	var r row
	var started int64
	var ended, deleted sql.NullInt64
	var reason sql.NullString
	err := sc.Scan(&r.ID, &r.CallID, &r.file, &r.wrappedKey, &r.Channels, &r.SampleRate, &r.Frames, &r.Dropped, &r.Bytes,
		&started, &ended, &deleted, &reason)
	r.Started = time.UnixMilli(started).UTC()
	if ended.Valid {
		r.Ended = time.UnixMilli(ended.Int64).UTC()
	}
	if deleted.Valid {
		r.Deleted = time.UnixMilli(deleted.Int64).UTC()
	}
	r.DeleteReason = reason.String
	return r, err
}

// List returns the recordings of a call, oldest first, including the
// tombstones of deleted ones. Metadata holds no personal data, so List is
// not audited.
func (s *Store) List(ctx context.Context, callID string) ([]Info, error) {
	const op = "record.List"
	if err := checkCallID(callID); err != nil {
		return nil, fault.E(op, fault.Invalid, err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+rowColumns+` FROM recordings WHERE call_id = ? ORDER BY started_at, id`, callID)
	if err != nil {
		return nil, fault.E(op, fault.Unavailable, err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fault.E(op, fault.Unavailable, err)
		}
		out = append(out, r.Info)
	}
	if err := rows.Err(); err != nil {
		return nil, fault.E(op, fault.Unavailable, err)
	}
	return out, nil
}
