package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// orphanAge is how old a recording file without a row must be before
// Purge removes it: younger, it may belong to a Create in another process
// that has not inserted its row yet.
const orphanAge = time.Hour

// purgeBatch bounds the recordings one Purge transaction deletes.
const purgeBatch = 256

// Purge deletes the recordings that started more than Config.Retention
// ago (none when Retention is zero), each with an audit entry by the
// system actor and reason "retention", and removes the files left behind
// by deletions whose shredding failed or by a crash. It returns how many
// recordings it deleted. Recordings in progress in this process are kept.
func (s *Store) Purge(ctx context.Context) (int, error) {
	const op = "record.Purge"
	n := 0
	if s.cfg.Retention > 0 {
		cutoff := s.cfg.Now().Add(-s.cfg.Retention).UnixMilli()
		afterStart, afterID := int64(-1<<63), ""
		for {
			batch, fetched, err := s.expired(ctx, cutoff, afterStart, afterID)
			if err != nil {
				return n, fault.E(op, fault.Unavailable, err)
			}
			if fetched == 0 {
				break
			}
			last := batch[len(batch)-1]
			afterStart, afterID = last.Started.UnixMilli(), last.ID
			var done []string
			err = s.db.Write(ctx, func(tx *store.Tx) error {
				done = done[:0]
				now := s.cfg.Now()
				for _, r := range batch {
					if s.isActive(r.ID) {
						continue
					}
					ok, err := tombstone(tx, r.ID, string(tokenizer.ReasonRetention), now)
					if err != nil {
						return err
					}
					if !ok {
						continue // deleted meanwhile
					}
					if _, err := s.audit.Append(tx, audit.Entry{
						Actor: systemActor, Action: audit.ActionRecordingDelete, Result: audit.ResultOK,
						Detail: map[string]string{"recording": r.ID, "call": r.CallID, "reason": string(tokenizer.ReasonRetention)},
					}); err != nil {
						return fmt.Errorf("audit: %w", err)
					}
					done = append(done, r.ID)
				}
				return nil
			})
			if err != nil {
				return n, fault.E(op, fault.Unavailable, err)
			}
			n += len(done)
			for _, id := range done {
				if err := shred(s.path(id)); err != nil {
					s.log.Warn("purged recording's file could not be removed; the next Purge retries", "recording", id, "err", err)
				}
			}
			if fetched < purgeBatch {
				break
			}
		}
	}
	if err := s.sweep(ctx); err != nil {
		return n, fault.E(op, fault.Unavailable, err)
	}
	return n, nil
}

// expired returns up to purgeBatch live recordings that started before
// cutoff and after the cursor (start, id), in that order.
func (s *Store) expired(ctx context.Context, cutoff, afterStart int64, afterID string) ([]Info, int, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, call_id, started_at FROM recordings
		WHERE deleted_at IS NULL AND started_at < ? AND (started_at, id) > (?, ?)
		ORDER BY started_at, id LIMIT ?`, cutoff, afterStart, afterID, purgeBatch)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var i Info
		var started int64
		if err := rows.Scan(&i.ID, &i.CallID, &started); err != nil {
			return nil, 0, err
		}
		i.Started = time.UnixMilli(started)
		out = append(out, i)
	}
	return out, len(out), rows.Err()
}

// sweep removes recording files whose row is a tombstone, or that have
// no row and are older than orphanAge. Files not named like recordings
// are left alone.
func (s *Store) sweep(ctx context.Context) error {
	entries, err := os.ReadDir(s.cfg.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list recordings directory: %w", err)
	}
	for _, de := range entries {
		id, ok := strings.CutSuffix(de.Name(), fileSuffix)
		if !ok || !de.Type().IsRegular() || checkID(id) != nil || s.isActive(id) {
			continue
		}
		var deleted sql.NullInt64
		err := s.db.Read().QueryRowContext(ctx, `SELECT deleted_at FROM recordings WHERE id = ?`, id).Scan(&deleted)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			info, err := de.Info()
			if err != nil || time.Since(info.ModTime()) < orphanAge {
				continue
			}
		case err != nil:
			return fmt.Errorf("look up recording %s: %w", id, err)
		case !deleted.Valid:
			continue
		}
		if err := shred(s.path(id)); err != nil {
			return fmt.Errorf("remove the file of recording %s: %w", id, err)
		}
		s.log.Info("removed a recording file left behind", "recording", id)
	}
	return nil
}

// Run purges at once and then every Config.PurgeEvery until ctx ends. A
// failed purge is logged and retried at the next tick.
func (s *Store) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PurgeEvery)
	defer t.Stop()
	for {
		n, err := s.Purge(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("purging recordings failed; retrying later", "err", err)
		case n > 0:
			s.log.Info("purged recordings past their retention", "recordings", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
