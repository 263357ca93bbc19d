package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"kordon/audit"
	"kordon/media/codec"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// Open returns recording id as a complete stereo 8 kHz 16-bit WAV file
// (caller left, robot right) and its size in bytes. The principal needs
// the resolve scope (see scopeRead).
//
// Before it returns, Open authenticates the whole file against its data
// key, so a tampered, truncated, extended or reordered file fails here,
// with fault.Internal, rather than part-way through playback; the reader
// authenticates every chunk again as it decrypts. Then it writes the
// audit entry, and only if that succeeds does any audio leave: without
// the audit log, Open fails with fault.Unavailable. Refusals (no scope,
// unknown, deleted or unfinished recording) are audited too.
func (s *Store) Open(ctx context.Context, p tokenizer.Principal, id string) (io.ReadCloser, int64, error) {
	const op = "record.Open"
	e := entry(audit.ActionRecordingRead, "")
	if err := checkID(id); err != nil {
		return nil, 0, s.refuse(ctx, op, p, e, fault.Invalid, err)
	}
	e = entry(audit.ActionRecordingRead, id)
	if err := s.check(ctx, op, p, scopeRead, e); err != nil {
		return nil, 0, err
	}
	r, err := scanRow(s.db.Read().QueryRowContext(ctx, `SELECT `+rowColumns+` FROM recordings WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, 0, s.refuse(ctx, op, p, e, fault.NotFound, fmt.Errorf("recording %s not found", id))
	case err != nil:
		return nil, 0, fault.E(op, fault.Unavailable, fmt.Errorf("read recording %s: %w", id, err))
	}
	e.Detail["call"] = r.CallID
	switch {
	case !r.Deleted.IsZero():
		return nil, 0, s.refuse(ctx, op, p, e, fault.Erased, fmt.Errorf("recording %s was deleted", id))
	case r.Ended.IsZero():
		return nil, 0, s.refuse(ctx, op, p, e, fault.Conflict, fmt.Errorf("recording %s is not finished", id))
	}
	rc, err := s.openFile(ctx, r)
	if err != nil {
		return nil, 0, s.refuse(ctx, op, p, e, fault.KindOf(err), err)
	}
	e.Actor, e.Remote, e.RequestID, e.Result = p.Actor, p.Remote, p.RequestID, audit.ResultOK
	if _, err := s.audit.Record(ctx, e); err != nil {
		rc.Close()
		return nil, 0, fault.E(op, fault.Unavailable, fmt.Errorf("audit: %w; nothing was returned", err))
	}
	return rc, wavHeaderSize + r.Bytes, nil
}

// wavHeaderSize is the size of the WAV header Open puts before the audio.
const wavHeaderSize = 44

// openFile unwraps r's data key, authenticates r's file from end to end
// and returns a reader that decrypts it again from the start.
func (s *Store) openFile(ctx context.Context, r row) (io.ReadCloser, error) {
	if r.file != r.ID+fileSuffix {
		return nil, fault.E("", fault.Internal, fmt.Errorf("recording %s: its row names an unexpected file", r.ID))
	}
	key, err := s.cfg.Keys.Unwrap(ctx, r.wrappedKey)
	if err != nil {
		return nil, fault.E("", fault.Unavailable, fmt.Errorf("unwrap the data key of recording %s: %w", r.ID, err))
	}
	defer clear(key)
	f, err := os.Open(s.path(r.ID))
	if err != nil {
		return nil, fault.E("", fault.Internal, fmt.Errorf("open the file of recording %s: %w", r.ID, err))
	}
	fail := func(err error) (io.ReadCloser, error) {
		f.Close()
		return nil, fault.E("", fault.Internal, fmt.Errorf("recording %s: %w", r.ID, err))
	}
	cr, err := newChunkReader(f, key, r.ID)
	if err != nil {
		return fail(err)
	}
	var n int64
	for {
		p, err := cr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		n += int64(len(p))
	}
	if n != r.Bytes {
		return fail(fmt.Errorf("%w: the file holds %d bytes of audio, its row says %d", errIntegrity, n, r.Bytes))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	if cr, err = newChunkReader(f, key, r.ID); err != nil {
		return fail(err)
	}
	return &wavReader{
		head: codec.WAVHeader(codec.Rate, 2, uint32(r.Bytes)),
		cr:   cr, f: f, id: r.ID, left: r.Bytes,
	}, nil
}

// wavReader yields a WAV header, then the recording's audio, decrypting
// and authenticating one chunk at a time.
type wavReader struct {
	head []byte
	cr   *chunkReader
	cur  []byte // the unread part of the current chunk
	f    *os.File
	id   string
	left int64 // audio bytes the header announced and not yet produced
	err  error

	closeOnce sync.Once
	closeErr  error
}

func (w *wavReader) Read(p []byte) (int, error) {
	if len(w.head) > 0 {
		n := copy(p, w.head)
		w.head = w.head[n:]
		return n, nil
	}
	for len(w.cur) == 0 {
		if w.err != nil {
			return 0, w.err
		}
		c, err := w.cr.next()
		switch {
		case errors.Is(err, io.EOF) && w.left == 0:
			w.err = io.EOF
		case errors.Is(err, io.EOF):
			err = fmt.Errorf("%w: the file ends %d bytes short of its row", errIntegrity, w.left)
			fallthrough
		case err != nil:
			w.err = fault.E("record.Open", fault.Internal, fmt.Errorf("recording %s: %w", w.id, err))
		case int64(len(c)) > w.left:
			w.err = fault.E("record.Open", fault.Internal, fmt.Errorf("recording %s: %w: the file holds more audio than its row says", w.id, errIntegrity))
		default:
			w.cur = c
			w.left -= int64(len(c))
		}
	}
	n := copy(p, w.cur)
	w.cur = w.cur[n:]
	return n, nil
}

// Close closes the file. It is idempotent.
func (w *wavReader) Close() error {
	w.closeOnce.Do(func() {
		w.closeErr = w.f.Close()
		w.cur = nil
	})
	return w.closeErr
}
