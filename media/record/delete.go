package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// Delete deletes recording id for reason (a tokenizer.Reason, such as
// "subject-request"). The principal needs the erase scope (see
// scopeDelete). The row becomes a tombstone and loses its wrapped data
// key in the same transaction as the audit entry, so if the entry cannot
// be written nothing is deleted; once it commits, no copy of the file
// (a backup, a sector the file system moved) can be decrypted again. Then
// the file is overwritten with zeros and unlinked; if that fails the
// error is logged and Purge retries it. A recording still in progress in
// this process is refused with fault.Conflict.
func (s *Store) Delete(ctx context.Context, p tokenizer.Principal, id string, reason string) error {
	const op = "record.Delete"
	e := entry(audit.ActionRecordingDelete, "")
	if err := checkID(id); err != nil {
		return s.refuse(ctx, op, p, e, fault.Invalid, err)
	}
	e = entry(audit.ActionRecordingDelete, id)
	if err := s.check(ctx, op, p, scopeDelete, e); err != nil {
		return err
	}
	if !tokenizer.Reason(reason).Valid() {
		return s.refuse(ctx, op, p, e, fault.Invalid, fmt.Errorf("reason must be one of %v", tokenizer.Reasons()))
	}
	e.Detail["reason"] = reason
	if s.isActive(id) {
		return s.refuse(ctx, op, p, e, fault.Conflict, fmt.Errorf("recording %s is still in progress; delete it after the call", id))
	}
	e.Actor, e.Remote, e.RequestID = p.Actor, p.Remote, p.RequestID
	var refused error
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		refused = nil
		en := e
		en.Detail = maps.Clone(e.Detail)
		r, err := scanRow(tx.QueryRow(`SELECT `+rowColumns+` FROM recordings WHERE id = ?`, id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			refused = fault.E(op, fault.NotFound, fmt.Errorf("recording %s not found", id))
		case err != nil:
			return err
		case !r.Deleted.IsZero():
			refused = fault.E(op, fault.Erased, fmt.Errorf("recording %s was already deleted", id))
		default:
			en.Detail["call"] = r.CallID
			if _, err := tombstone(tx, id, reason, s.cfg.Now()); err != nil {
				return err
			}
		}
		en.Result = audit.ResultOK
		if refused != nil {
			en.Result, en.Reason = resultOf(fault.KindOf(refused)), refused.Error()
		}
		if _, err := s.audit.Append(tx, en); err != nil {
			return fault.E(op, fault.Unavailable, fmt.Errorf("audit: %w", err))
		}
		return nil
	})
	if err != nil {
		if fault.KindOf(err) == fault.Other {
			err = fault.E(op, fault.Unavailable, fmt.Errorf("delete recording %s: %w", id, err))
		}
		return err
	}
	if refused != nil {
		return refused
	}
	if err := shred(s.path(id)); err != nil {
		s.log.Warn("deleted recording's file could not be removed; Purge will retry", "recording", id, "err", err)
	}
	return nil
}

// tombstone marks a recording deleted and drops its wrapped key. It
// reports whether the row was live.
func tombstone(tx *store.Tx, id, reason string, now time.Time) (bool, error) {
	res, err := tx.Exec(`UPDATE recordings SET deleted_at = ?, delete_reason = ?, wrapped_key = '' WHERE id = ? AND deleted_at IS NULL`,
		now.UnixMilli(), reason, id)
	if err != nil {
		return false, fmt.Errorf("delete recording %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// shred overwrites a file with zeros, syncs it and unlinks it. The
// overwrite is a courtesy: the file is ciphertext whose key is already
// gone, and on flash or copy-on-write storage it may not reach the old
// blocks anyway. A missing file is not an error.
func shred(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		zero := make([]byte, 64<<10)
		for left := st.Size(); left > 0 && err == nil; left -= int64(len(zero)) {
			_, err = f.Write(zero[:min(left, int64(len(zero)))])
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}
