package tokenizer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/types/code"
	"kordon/types/fault"
	"kordon/types/pii"
)

// Resolved is the result for one code of Resolve.
type Resolved struct {
	Code  code.Code
	Kind  code.Kind
	Value pii.Value // zero when Err is set
	Err   error     // fault.NotFound or fault.Erased for this code
}

// Resolve returns the values behind codes. The principal must hold the
// resolve scope and name a purpose and a reference; a refusal is audited.
// The audit entry is committed before any value is returned, and if it
// cannot be written nothing is returned (fail closed).
func (t *Tokenizer) Resolve(ctx context.Context, p Principal, purpose Purpose, reference string, codes []code.Code) ([]Resolved, error) {
	const action = "resolve"
	entry := audit.Entry{Purpose: string(purpose), Reference: safeReference(reference), Codes: codeStrings(codes)}
	if err := t.checkScope(ctx, p, ScopeResolve, action, entry); err != nil {
		return nil, err
	}
	if !purpose.Valid() {
		entry.Purpose = ""
		return nil, t.deny(ctx, p, action, fault.Invalid, fmt.Errorf("purpose must be one of %v", Purposes()), entry)
	}
	if err := checkReference(reference); err != nil {
		return nil, t.deny(ctx, p, action, fault.Invalid, err, entry)
	}
	if len(codes) == 0 || len(codes) > t.cfg.MaxBatch {
		entry.Codes = nil
		return nil, t.deny(ctx, p, action, fault.Invalid, fmt.Errorf("want 1 to %d codes, got %d", t.cfg.MaxBatch, len(codes)), entry)
	}
	out := make([]Resolved, len(codes))
	err := t.db.Write(ctx, func(tx *store.Tx) error {
		ks := t.ring.snapshot()
		var found, erased, missing int
		for i, c := range codes {
			r := &out[i]
			*r = Resolved{Code: c, Kind: c.Kind()}
			row, err := readRow(tx, c)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				r.Err = fault.E("tokenizer.Resolve", fault.NotFound, fmt.Errorf("code %s not found", c))
				missing++
				continue
			case err != nil:
				return err
			case row.erased:
				r.Err = fault.E("tokenizer.Resolve", fault.Erased, fmt.Errorf("code %s was erased", c))
				erased++
				continue
			}
			v, err := ks.open(c, row.keyVersion, row.ciphertext)
			if err != nil {
				return fault.E("tokenizer.Resolve", fault.Internal, err)
			}
			r.Value = v
			found++
		}
		e := entry
		e.Actor, e.Remote, e.RequestID, e.Action, e.Result = p.Actor, p.Remote, p.RequestID, action, "ok"
		switch {
		case found == 0 && erased > 0:
			e.Result = "erased"
		case found == 0:
			e.Result = "not_found"
		}
		e.Detail = map[string]string{"resolved": strconv.Itoa(found), "erased": strconv.Itoa(erased), "not_found": strconv.Itoa(missing)}
		if _, err := t.audit.Append(tx, e); err != nil {
			return fault.E("tokenizer.Resolve", fault.Unavailable, fmt.Errorf("audit: %w", err))
		}
		return nil
	})
	if err != nil {
		clear(out) // drop any decrypted value
		return nil, err
	}
	return out, nil
}

type row struct {
	kind       code.Kind
	keyVersion int
	ciphertext []byte
	erased     bool
}

func readRow(tx *store.Tx, c code.Code) (row, error) {
	var r row
	var kind int
	var kv sql.NullInt64
	var erasedAt sql.NullInt64
	err := tx.QueryRow("SELECT kind, key_version, ciphertext, erased_at FROM tokens WHERE code_key = ? AND code = ?", c.Key(), c.String()).
		Scan(&kind, &kv, &r.ciphertext, &erasedAt)
	r.kind, r.keyVersion, r.erased = code.Kind(kind), int(kv.Int64), erasedAt.Valid
	return r, err
}

// Erase makes codes unresolvable forever: the ciphertext and blind index go,
// a tombstone stays, and the same value tokenized later gets a new code.
// The principal needs the erase scope; reason and reference are audited.
func (t *Tokenizer) Erase(ctx context.Context, p Principal, reason Reason, reference string, codes []code.Code) ([]Outcome, error) {
	const action = "erase"
	entry := audit.Entry{Reference: safeReference(reference), Codes: codeStrings(codes), Detail: map[string]string{"reason": string(reason)}}
	if err := t.checkScope(ctx, p, ScopeErase, action, entry); err != nil {
		return nil, err
	}
	if !reason.Valid() {
		entry.Detail = nil
		return nil, t.deny(ctx, p, action, fault.Invalid, fmt.Errorf("reason must be one of %v", Reasons()), entry)
	}
	if err := checkReference(reference); err != nil {
		return nil, t.deny(ctx, p, action, fault.Invalid, err, entry)
	}
	if len(codes) == 0 || len(codes) > t.cfg.MaxBatch {
		entry.Codes = nil
		return nil, t.deny(ctx, p, action, fault.Invalid, fmt.Errorf("want 1 to %d codes, got %d", t.cfg.MaxBatch, len(codes)), entry)
	}
	out := make([]Outcome, len(codes))
	err := t.db.Write(ctx, func(tx *store.Tx) error {
		now := time.Now().UnixMilli()
		var done int
		for i, c := range codes {
			out[i] = Outcome{Code: c}
			res, err := tx.Exec(`UPDATE tokens SET blind = NULL, index_version = NULL, ciphertext = NULL, key_version = NULL, erased_at = ?
				WHERE code_key = ? AND code = ? AND erased_at IS NULL`, now, c.Key(), c.String())
			if err != nil {
				return fmt.Errorf("erase %s: %w", c, err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				done++
				continue
			}
			if _, err := readRow(tx, c); errors.Is(err, sql.ErrNoRows) {
				out[i].Err = fault.E("tokenizer.Erase", fault.NotFound, fmt.Errorf("code %s not found", c))
			} else {
				out[i].Err = fault.E("tokenizer.Erase", fault.Erased, fmt.Errorf("code %s was already erased", c))
			}
		}
		// Cached codes may now be erased; tokenizes that read the cache
		// before this see a new generation and re-check.
		t.cache.clear()
		e := entry
		e.Actor, e.Remote, e.RequestID, e.Action, e.Result = p.Actor, p.Remote, p.RequestID, action, "ok"
		if done == 0 {
			e.Result = "not_found"
		}
		e.Detail["erased"] = strconv.Itoa(done)
		if _, err := t.audit.Append(tx, e); err != nil {
			return fault.E("tokenizer.Erase", fault.Unavailable, fmt.Errorf("audit: %w", err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func codeStrings(cs []code.Code) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if !c.IsZero() {
			out = append(out, c.String())
		}
	}
	return out
}

// safeReference returns ref if it may be written to the audit log, or a
// placeholder.
func safeReference(ref string) string {
	if checkReference(ref) != nil {
		return ""
	}
	return ref
}
