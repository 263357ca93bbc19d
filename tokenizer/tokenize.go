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

// Outcome is the result for one value or code of a batch call.
type Outcome struct {
	Code    code.Code
	Created bool  // Tokenize: the value got a new code
	Err     error // this item failed (fault.Invalid, fault.NotFound, fault.Erased); the others did not
}

// item is one value's way through Tokenize.
type item struct {
	raw        pii.Value
	normalized pii.Value // zero on a cache hit
	display    pii.Value // what the vault stores; zero on a cache hit
	ck         [32]byte
	cacheable  bool
	hit        bool
	valueHash  string
	out        Outcome
}

// Tokenize returns the code of every value, creating codes for values not
// seen before. The same normalized value always gets the same code until it
// is erased. Invalid values fail individually with fault.Invalid and are
// never stored; the call as a whole fails (and nothing is stored) when the
// principal lacks the tokenize scope or the audit entry cannot be written.
// One audit entry records the whole call: every code and value hash.
func (t *Tokenizer) Tokenize(ctx context.Context, p Principal, kind code.Kind, values []pii.Value) ([]Outcome, error) {
	const action = "tokenize"
	entry := audit.Entry{Kind: kind.String()}
	if err := t.checkScope(ctx, p, ScopeTokenize, action, entry); err != nil {
		return nil, err
	}
	if !kind.Valid() {
		return nil, t.deny(ctx, p, action, fault.Invalid, fmt.Errorf("unknown kind %d", kind), audit.Entry{})
	}
	if len(values) == 0 || len(values) > t.cfg.MaxBatch {
		return nil, t.deny(ctx, p, action, fault.Invalid, fmt.Errorf("want 1 to %d values, got %d", t.cfg.MaxBatch, len(values)), entry)
	}
	ks := t.ring.snapshot()
	gen := t.cache.generation()
	items := make([]item, len(values))
	for i, v := range values {
		t.prepare(ks, kind, v, &items[i])
	}

	var created []*item
	err := t.db.Write(ctx, func(tx *store.Tx) error {
		created = created[:0]
		ks := t.ring.snapshot() // keys may have been reloaded since prepare
		stale := t.cache.generation() != gen
		for i := range items {
			it := &items[i]
			if it.out.Err != nil {
				continue
			}
			if it.hit && stale {
				live, err := isLive(tx, it.out.Code)
				if err != nil {
					return err
				}
				if !live {
					it.hit = false
					n, _, _, err := t.normalize(kind, it.raw)
					if err != nil {
						it.out.Err = err
						continue
					}
					it.normalized, it.display, it.valueHash = n, Display(kind, it.raw, n), ks.valueHash(kind, n)
				}
			}
			if it.hit {
				continue
			}
			c, isNew, err := t.lookupOrCreate(tx, ks, kind, it.normalized, it.display)
			if err != nil {
				return err
			}
			it.out.Code, it.out.Created = c, isNew
			if isNew {
				created = append(created, it)
			}
		}
		e := tokenizeEntry(p, kind, items)
		if _, err := t.audit.Append(tx, e); err != nil {
			return fault.E("tokenizer.Tokenize", fault.Unavailable, fmt.Errorf("audit: %w", err))
		}
		tx.OnCommit(func() {
			// Every code here was read or created inside this transaction,
			// and any later erasure clears the cache after this runs.
			for i := range items {
				if it := &items[i]; it.out.Err == nil && it.cacheable && !it.hit {
					t.cache.put(it.ck, cacheEntry{code: it.out.Code, valueHash: it.valueHash})
				}
			}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(items))
	for i := range items {
		out[i] = items[i].out
	}
	return out, nil
}

// prepare finds a value in the cache or normalizes it, outside the write
// transaction.
func (t *Tokenizer) prepare(ks *keySet, kind code.Kind, v pii.Value, it *item) {
	it.raw = v
	if form, ok := cacheForm(kind, v); ok {
		// Phones: look up before paying for libphonenumber.
		if e, ok := t.cache.get(t.cache.keyOf(kind, form)); ok {
			it.hit, it.out.Code, it.valueHash = true, e.code, e.valueHash
			return
		}
	}
	n, form, cacheable, err := t.normalize(kind, v)
	if err != nil {
		it.out.Err = err
		return
	}
	it.normalized, it.display, it.valueHash = n, Display(kind, v, n), ks.valueHash(kind, n)
	if cacheable {
		it.ck, it.cacheable = t.cache.keyOf(kind, form), true
		if e, ok := t.cache.get(it.ck); ok && kind != code.Phone {
			it.hit, it.out.Code = true, e.code
		}
	}
}

// normalize returns a value's normalized form and, when it can be cached,
// its cache form. A phone's cache form (digits and a leading '+') is
// normalized itself, so the cached answer depends on nothing the cache form
// dropped; inputs with other characters are normalized as written and not
// cached.
func (t *Tokenizer) normalize(kind code.Kind, v pii.Value) (n pii.Value, form string, cacheable bool, err error) {
	if f, ok := cacheForm(kind, v); ok {
		if n, err := Normalize(kind, pii.New(f), t.cfg.Region); err == nil {
			return n, f, true, nil
		}
	}
	n, err = Normalize(kind, v, t.cfg.Region)
	if err != nil {
		return pii.Value{}, "", false, fault.E("tokenizer.Tokenize", fault.Invalid, err)
	}
	if kind == code.Phone {
		return n, "", false, nil
	}
	return n, n.Reveal(), true, nil
}

// lookupOrCreate finds the live code of a normalized value under any index
// key version, or creates one that stores display. The common case, a new
// value with one index version, costs a single INSERT: the unique blind
// index turns a value seen before into a conflict, and only then is the
// existing code looked up.
func (t *Tokenizer) lookupOrCreate(tx *store.Tx, ks *keySet, kind code.Kind, normalized, display pii.Value) (code.Code, bool, error) {
	newest := ks.blind(ks.indexVersion[0], kind, normalized)
	// During a rotation, rows not yet re-encrypted carry an older index.
	for _, v := range ks.indexVersion[1:] {
		if c, ok, err := lookup(tx, kind, v, ks.blind(v, kind, normalized)); err != nil || ok {
			return c, false, err
		}
	}
	for {
		c, err := code.New(kind, nil)
		if err != nil {
			return code.Code{}, false, err
		}
		kv, ct, err := ks.seal(c, display)
		if err != nil {
			return code.Code{}, false, err
		}
		res, err := tx.Exec(`INSERT INTO tokens (code_key, code, kind, index_version, blind, key_version, ciphertext, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.Key(), c.String(), int(kind), ks.indexVersion[0], newest, kv, ct, time.Now().UnixMilli())
		if err != nil {
			return code.Code{}, false, fmt.Errorf("insert token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return c, true, nil
		}
		existing, ok, err := lookup(tx, kind, ks.indexVersion[0], newest)
		if err != nil || ok {
			return existing, false, err
		}
		// Not the blind index: another code shares this one's 64-bit key.
		// Draw again.
	}
}

// lookup finds the live code with a blind index under one index version.
func lookup(tx *store.Tx, kind code.Kind, version int, blind []byte) (code.Code, bool, error) {
	var s string
	err := tx.QueryRow("SELECT code FROM tokens WHERE blind = ? AND kind = ? AND index_version = ?", blind, int(kind), version).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return code.Code{}, false, nil
	}
	if err != nil {
		return code.Code{}, false, fmt.Errorf("look up blind index: %w", err)
	}
	c, err := code.Parse(s)
	if err != nil {
		return code.Code{}, false, fault.E("tokenizer.Tokenize", fault.Internal, fmt.Errorf("stored code: %w", err))
	}
	return c, true, nil
}

// isLive reports whether c exists and is not erased.
func isLive(tx *store.Tx, c code.Code) (bool, error) {
	var n int
	err := tx.QueryRow("SELECT count(*) FROM tokens WHERE code_key = ? AND code = ? AND erased_at IS NULL", c.Key(), c.String()).Scan(&n)
	return n > 0, err
}

func tokenizeEntry(p Principal, kind code.Kind, items []item) audit.Entry {
	e := audit.Entry{
		Actor: p.Actor, Remote: p.Remote, RequestID: p.RequestID,
		Action: "tokenize", Kind: kind.String(), Result: "ok",
		Codes:       make([]string, 0, len(items)),
		ValueHashes: make([]string, 0, len(items)),
	}
	var created, invalid int
	for i := range items {
		it := &items[i]
		if it.out.Err != nil {
			invalid++
			continue
		}
		if it.out.Created {
			created++
		}
		e.Codes = append(e.Codes, it.out.Code.String())
		e.ValueHashes = append(e.ValueHashes, it.valueHash)
	}
	if invalid == len(items) {
		e.Result = "invalid"
	}
	e.Detail = map[string]string{
		"created":  strconv.Itoa(created),
		"existing": strconv.Itoa(len(items) - created - invalid),
		"invalid":  strconv.Itoa(invalid),
	}
	return e
}

// ValueHash returns the audit log's keyed hash of a value, so an auditor
// who holds a value can find the entries about it without the log holding
// the value.
func (t *Tokenizer) ValueHash(kind code.Kind, v pii.Value) (string, error) {
	n, err := Normalize(kind, v, t.cfg.Region)
	if err != nil {
		return "", fault.E("tokenizer.ValueHash", fault.Invalid, err)
	}
	return t.ring.snapshot().valueHash(kind, n), nil
}
