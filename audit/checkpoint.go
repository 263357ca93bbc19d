package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/store"
	"kordon/types/fault"
)

// Checkpoint is a signed statement of the log's size and root: a C2SP
// tlog-checkpoint in signed-note form. The fields are parsed from Note;
// a Checkpoint returned by this package has had its signature checked.
type Checkpoint struct {
	Origin string    // the log's name
	Size   int64     // number of entries covered
	Root   tlog.Hash // RFC 6962 root of entries 0..Size-1
	Time   time.Time // when it was signed (the "time" extension line)
	Prev   int64     // size of the previous checkpoint, 0 for the first ("prev" line)
	Note   string    // the signed note, exactly as stored
}

// ErrNoCheckpoint reports that no checkpoint has been signed yet, or
// that there is nothing to sign.
var ErrNoCheckpoint = errors.New("no checkpoint signed yet")

// maxNote bounds a checkpoint note; a real one is about 250 bytes.
const maxNote = 16 << 10

// GenerateKey creates a checkpoint key pair named origin, returning the
// private signer key and the public verifier key in signed-note form. The
// verifier key is what auditors pin.
func GenerateKey(origin string) (skey, vkey string, err error) {
	skey, vkey, err = note.GenerateKey(rand.Reader, origin)
	if err == nil {
		_, err = note.NewVerifier(vkey) // GenerateKey does not check the name
	}
	if err != nil {
		return "", "", fault.E("audit.GenerateKey", fault.Invalid, fmt.Errorf("generate checkpoint key %q (a key name has no spaces or '+'): %w", origin, err))
	}
	return skey, vkey, nil
}

// NewSigner parses a private signer key made by GenerateKey. The error
// never repeats the key.
func NewSigner(skey string) (note.Signer, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fault.E("audit.NewSigner", fault.Invalid, errors.New("malformed checkpoint signer key"))
	}
	return s, nil
}

// NewVerifier parses a public verifier key made by GenerateKey.
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fault.E("audit.NewVerifier", fault.Invalid, fmt.Errorf("parse checkpoint verifier key: %w", err))
	}
	return v, nil
}

// formatCheckpoint returns the note text (unsigned) of a checkpoint.
func formatCheckpoint(origin string, size int64, root tlog.Hash, t time.Time, prev int64) string {
	var b strings.Builder
	b.WriteString(origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(root[:]))
	b.WriteString("\ntime ")
	b.WriteString(formatTime(t))
	b.WriteByte('\n')
	if prev > 0 {
		b.WriteString("prev ")
		b.WriteString(strconv.FormatInt(prev, 10))
		b.WriteByte('\n')
	}
	return b.String()
}

// parseCheckpointText parses a checkpoint's note text (without
// signatures). It accepts only canonical numbers and base64, so one
// checkpoint has one spelling; unknown extension lines are ignored, as
// C2SP requires.
func parseCheckpointText(text string) (Checkpoint, error) {
	if len(text) > maxNote || !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, errors.New("malformed checkpoint: not newline-terminated lines")
	}
	lines := strings.Split(text[:len(text)-1], "\n")
	if len(lines) < 3 {
		return Checkpoint{}, errors.New("malformed checkpoint: want origin, size and root lines")
	}
	cp := Checkpoint{Origin: lines[0]}
	if cp.Origin == "" {
		return Checkpoint{}, errors.New("malformed checkpoint: empty origin")
	}
	var err error
	if cp.Size, err = parseCount(lines[1]); err != nil {
		return Checkpoint{}, fmt.Errorf("malformed checkpoint size: %w", err)
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, errors.New("malformed checkpoint root: want base64 of 32 bytes")
	}
	copy(cp.Root[:], root)
	var sawTime, sawPrev bool
	for _, line := range lines[3:] {
		if line == "" {
			return Checkpoint{}, errors.New("malformed checkpoint: empty extension line")
		}
		key, val, _ := strings.Cut(line, " ")
		switch {
		case key == "time" && !sawTime:
			sawTime = true
			if cp.Time, err = time.Parse(timeLayout, val); err != nil || formatTime(cp.Time) != val {
				return Checkpoint{}, errors.New("malformed checkpoint time")
			}
		case key == "prev" && !sawPrev:
			sawPrev = true
			if cp.Prev, err = parseCount(val); err != nil || cp.Prev == 0 || cp.Prev >= cp.Size {
				return Checkpoint{}, errors.New("malformed checkpoint prev: want a size between 1 and this one's")
			}
		case key == "time" || key == "prev":
			return Checkpoint{}, fmt.Errorf("malformed checkpoint: two %s lines", key)
		}
	}
	return cp, nil
}

// parseCount parses a canonical non-negative decimal.
func parseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, errors.New("not a canonical non-negative decimal")
	}
	return n, nil
}

// ParseCheckpoint checks a signed checkpoint note against v and parses it.
func ParseCheckpoint(msg []byte, v note.Verifier) (Checkpoint, error) {
	if len(msg) > maxNote {
		return Checkpoint{}, fault.E("audit.ParseCheckpoint", fault.Invalid, errors.New("checkpoint note too large"))
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fault.E("audit.ParseCheckpoint", fault.Invalid, signatureError(err, v))
	}
	cp, err := parseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, fault.E("audit.ParseCheckpoint", fault.Invalid, err)
	}
	cp.Note = string(msg)
	return cp, nil
}

// errSignature starts every message about a bad checkpoint signature.
var errSignature = errors.New("signature invalid")

// signatureError explains why note.Open refused a note.
func signatureError(err error, v note.Verifier) error {
	var invalid *note.InvalidSignatureError
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &invalid):
		return fmt.Errorf("%w: the signature of %s+%08x does not match the text (edited?)", errSignature, invalid.Name, invalid.Hash)
	case errors.As(err, &unverified) && len(unverified.Note.UnverifiedSigs) > 0:
		s := unverified.Note.UnverifiedSigs[0]
		return fmt.Errorf("%w: signed by unknown key %s+%08x, not %s+%08x (forged?)", errSignature, s.Name, s.Hash, v.Name(), v.KeyHash())
	case errors.As(err, &unverified):
		return fmt.Errorf("%w: no signature by %s+%08x", errSignature, v.Name(), v.KeyHash())
	}
	return fmt.Errorf("%w: %w", errSignature, err)
}

// writeCheckpoint signs and stores a checkpoint for the current tree and
// makes it the newest. The caller holds l.mu, inside a write transaction.
func (l *Log) writeCheckpoint(tx *store.Tx) error {
	size := l.tree.size
	root, err := tlog.TreeHash(size, &l.tree)
	if err != nil {
		return fmt.Errorf("compute root of %d entries: %w", size, err)
	}
	now := l.cfg.Now().UTC().Truncate(time.Millisecond)
	text := formatCheckpoint(l.origin, size, root, now, l.last.Size)
	msg, err := note.Sign(&note.Note{Text: text}, l.cfg.Signer)
	if err != nil {
		return fmt.Errorf("sign checkpoint %d: %w", size, err)
	}
	if _, err := tx.Exec("INSERT INTO audit_checkpoints (size, note, created_at) VALUES (?, ?, ?)", size, msg, now.UnixMilli()); err != nil {
		return fmt.Errorf("store checkpoint %d: %w", size, err)
	}
	l.last = Checkpoint{Origin: l.origin, Size: size, Root: root, Time: now, Prev: l.last.Size, Note: string(msg)}
	return nil
}

// Checkpoint signs a checkpoint for the current size if it is larger than
// the newest checkpoint's, and returns the newest checkpoint. On an empty
// log it fails with ErrNoCheckpoint (fault.NotFound).
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	const op = "audit.Checkpoint"
	var cp Checkpoint
	err := l.db.Write(ctx, func(tx *store.Tx) error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if err := l.ensureLoaded(tx); err != nil {
			return fault.E(op, fault.Unavailable, err)
		}
		if l.broken != nil {
			return fault.E(op, fault.Internal, l.broken)
		}
		if l.tree.size == 0 {
			return fault.E(op, fault.NotFound, fmt.Errorf("%w: the audit log is empty", ErrNoCheckpoint))
		}
		if l.tree.size > l.last.Size {
			prev := l.last
			if err := l.writeCheckpoint(tx); err != nil {
				l.last = prev
				return fault.E(op, fault.Unavailable, err)
			}
			size := l.last.Size
			tx.OnRollback(func() {
				l.mu.Lock()
				defer l.mu.Unlock()
				if l.last.Size == size {
					l.last = prev
				}
			})
		}
		cp = l.last
		return nil
	})
	if err != nil {
		return Checkpoint{}, fault.E(op, fault.KindOf(err), fmt.Errorf("sign checkpoint: %w", err))
	}
	return cp, nil
}

// Latest returns the newest committed checkpoint, with its signature
// checked. It fails with ErrNoCheckpoint (fault.NotFound) when there is
// none.
func (l *Log) Latest(ctx context.Context) (Checkpoint, error) {
	return l.readCheckpoint(ctx, "audit.Latest",
		"SELECT size, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
}

// CheckpointAt returns the checkpoint of the given size, with its
// signature checked.
func (l *Log) CheckpointAt(ctx context.Context, size int64) (Checkpoint, error) {
	return l.readCheckpoint(ctx, "audit.CheckpointAt",
		"SELECT size, note FROM audit_checkpoints WHERE size = ?", size)
}

func (l *Log) readCheckpoint(ctx context.Context, op, query string, args ...any) (Checkpoint, error) {
	var size int64
	var msg []byte
	err := l.db.Read().QueryRowContext(ctx, query, args...).Scan(&size, &msg)
	if errors.Is(err, sql.ErrNoRows) {
		if len(args) > 0 {
			return Checkpoint{}, fault.E(op, fault.NotFound, fmt.Errorf("no checkpoint of size %v", args[0]))
		}
		return Checkpoint{}, fault.E(op, fault.NotFound, ErrNoCheckpoint)
	}
	if err != nil {
		return Checkpoint{}, fault.E(op, fault.Unavailable, fmt.Errorf("read checkpoint: %w", err))
	}
	cp, err := ParseCheckpoint(msg, l.cfg.Verifier)
	if err != nil {
		return Checkpoint{}, fault.E(op, fault.Internal, fmt.Errorf("checkpoint %d: %w", size, err))
	}
	if cp.Size != size || cp.Origin != l.origin {
		return Checkpoint{}, fault.E(op, fault.Internal, fmt.Errorf("checkpoint row %d holds a note for %s size %d", size, cp.Origin, cp.Size))
	}
	return cp, nil
}

// Run signs a checkpoint every CheckpointInterval when entries have been
// added since the newest one, by this process or another, and a last one
// when ctx ends, so that a clean shutdown leaves no entry unsigned. It
// returns nil once ctx ends; a failed periodic checkpoint is logged and
// retried at the next tick.
func (l *Log) Run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			l.tick(final)
			return nil
		case <-t.C:
			l.tick(ctx)
		}
	}
}

// tick signs a checkpoint if the committed log is longer than the newest
// checkpoint. The check reads the read pool, so an idle log costs no write
// transaction.
func (l *Log) tick(ctx context.Context) {
	q := func(query string, args ...any) *sql.Row { return l.db.Read().QueryRowContext(ctx, query, args...) }
	size, cpSize, err := sizes(q)
	if err == nil && size > cpSize {
		_, err = l.Checkpoint(ctx)
	}
	if err != nil && ctx.Err() == nil {
		l.cfg.Logger.Warn("periodic audit checkpoint failed", "err", err)
	}
}
