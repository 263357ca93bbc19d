package tokenizer

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer/keys"
	"kordon/types/code"
	"kordon/types/fault"
)

// Rotation reports what a key rotation did.
type Rotation struct {
	KEKVersion   int // the provider's new key-encryption key version
	VaultVersion int // the new data-key version for token rows
	IndexVersion int // the new blind-index key version
}

// RotateKeys adds a KEK version at the provider, re-wraps every data key
// under it, and adds new vault and blind-index data keys. Codes never
// change: existing rows keep resolving under their old data-key version
// until the background re-encryption (Run, or RewrapStep) moves them. The
// audit value-hash key and the checkpoint signing key are re-wrapped but
// not replaced, so old audit entries stay searchable and verifiable.
func (t *Tokenizer) RotateKeys(ctx context.Context, p Principal) (Rotation, error) {
	const action = "key.rotate"
	if err := t.checkScope(ctx, p, ScopeKeys, action, audit.Entry{}); err != nil {
		return Rotation{}, err
	}
	prov := t.ring.Provider()
	kek, err := prov.Rotate(ctx)
	if err != nil {
		return Rotation{}, fault.E("tokenizer.RotateKeys", fault.Unavailable, err)
	}
	var rot Rotation
	err = t.db.Write(ctx, func(tx *store.Tx) error {
		rot = Rotation{KEKVersion: kek}
		if err := rewrapDataKeys(tx, prov); err != nil {
			return err
		}
		for _, purpose := range []string{purposeVault, purposeIndex} {
			var v int
			if err := tx.QueryRow("SELECT coalesce(max(version), 0) + 1 FROM data_keys WHERE purpose = ?", purpose).Scan(&v); err != nil {
				return err
			}
			secret := make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return err
			}
			w, err := prov.Wrap(tx.Context(), secret)
			clear(secret)
			if err != nil {
				return fault.E("tokenizer.RotateKeys", fault.Unavailable, err)
			}
			if _, err := tx.Exec("INSERT INTO data_keys (purpose, version, wrapped, created_at) VALUES (?, ?, ?, ?)",
				purpose, v, w, time.Now().UnixMilli()); err != nil {
				return err
			}
			if purpose == purposeVault {
				rot.VaultVersion = v
			} else {
				rot.IndexVersion = v
			}
		}
		if _, err := t.audit.Append(tx, audit.Entry{
			Actor: p.Actor, Remote: p.Remote, RequestID: p.RequestID, Action: action, Result: "ok",
			Detail: map[string]string{
				"provider":      prov.Name(),
				"kek_version":   strconv.Itoa(rot.KEKVersion),
				"vault_version": strconv.Itoa(rot.VaultVersion),
				"index_version": strconv.Itoa(rot.IndexVersion),
			},
		}); err != nil {
			return err
		}
		// Last: nothing in this operation may fail after the ring holds the
		// new keys, or rows could be sealed under a key that was rolled
		// back. A failed commit makes the store reload the ring.
		return t.ring.load(tx)
	})
	if err != nil {
		return Rotation{}, err
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
	return rot, nil
}

// rewrapDataKeys re-wraps every stored data key under the provider's newest
// KEK version.
func rewrapDataKeys(tx *store.Tx, prov keys.Provider) error {
	all, err := readDataKeys(tx)
	if err != nil {
		return err
	}
	for _, d := range all {
		w, err := prov.Rewrap(tx.Context(), d.wrapped)
		if err != nil {
			return fault.E("tokenizer.RotateKeys", fault.Unavailable, fmt.Errorf("rewrap %s key v%d: %w", d.purpose, d.version, err))
		}
		if _, err := tx.Exec("UPDATE data_keys SET wrapped = ? WHERE purpose = ? AND version = ?", w, d.purpose, d.version); err != nil {
			return err
		}
	}
	return nil
}

// KeyStatus describes the keys for `kordon keys status`.
type KeyStatus struct {
	Provider     keys.Status
	VaultVersion int   // newest data-key version for token rows
	IndexVersion int   // newest blind-index key version
	Pending      int64 // live rows not yet on the newest versions
	Tokens       int64 // live rows
	Erased       int64 // tombstones
}

// KeyStatus reports the key provider and data-key state.
func (t *Tokenizer) KeyStatus(ctx context.Context) (KeyStatus, error) {
	var s KeyStatus
	ps, err := t.ring.Provider().Status(ctx)
	if err != nil {
		return s, fault.E("tokenizer.KeyStatus", fault.Unavailable, err)
	}
	s.Provider = ps
	ks := t.ring.snapshot()
	s.VaultVersion, s.IndexVersion = ks.vaultActive, ks.indexVersion[0]
	err = t.db.Read().QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE erased_at IS NULL),
		count(*) FILTER (WHERE erased_at IS NOT NULL),
		count(*) FILTER (WHERE erased_at IS NULL AND (key_version < ? OR index_version < ?))
		FROM tokens`, s.VaultVersion, s.IndexVersion).Scan(&s.Tokens, &s.Erased, &s.Pending) // a full scan: status only
	if err != nil {
		return s, fault.E("tokenizer.KeyStatus", fault.Unavailable, err)
	}
	return s, nil
}

// RewrapStep looks at the next RewrapBatch live rows in table order (from
// where the previous step stopped) and moves those still on an older vault
// or index key to the newest, in one transaction. It reports how many rows
// it moved and whether re-encryption is complete: when a pass reaches the
// end of the table and no live row is left on an older version, it deletes
// the old data keys, audits the completed re-encryption, and reports done.
func (t *Tokenizer) RewrapStep(ctx context.Context) (moved int, done bool, err error) {
	err = t.db.Write(ctx, func(tx *store.Tx) error {
		moved, done = 0, false
		ks := t.ring.snapshot()
		iv := ks.indexVersion[0]
		rows, err := tx.Query(`SELECT id, code, key_version, index_version, ciphertext FROM tokens
			WHERE id > ? AND erased_at IS NULL ORDER BY id LIMIT ?`, t.rewrapFrom, t.cfg.RewrapBatch)
		if err != nil {
			return err
		}
		type old struct {
			id     int64
			c      code.Code
			kv, iv int
			ct     []byte
		}
		var window []old
		for rows.Next() {
			var s string
			var o old
			if err := rows.Scan(&o.id, &s, &o.kv, &o.iv, &o.ct); err != nil {
				rows.Close()
				return err
			}
			if o.c, err = code.Parse(s); err != nil {
				rows.Close()
				return fault.E("tokenizer.RewrapStep", fault.Internal, err)
			}
			window = append(window, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range window {
			if o.kv == ks.vaultActive && o.iv == iv {
				continue
			}
			v, err := ks.open(o.c, o.kv, o.ct)
			if err != nil {
				return fault.E("tokenizer.RewrapStep", fault.Internal, err)
			}
			n, err := Normalize(o.c.Kind(), v, t.cfg.Region)
			if err != nil {
				return fault.E("tokenizer.RewrapStep", fault.Internal, fmt.Errorf("stored value of %s no longer normalizes: %w", o.c, err))
			}
			kv, ct, err := ks.seal(o.c, v)
			if err != nil {
				return err
			}
			if _, err := tx.Exec("UPDATE tokens SET key_version = ?, ciphertext = ?, index_version = ?, blind = ? WHERE id = ?",
				kv, ct, iv, ks.blind(iv, o.c.Kind(), n), o.id); err != nil {
				return fmt.Errorf("rewrap %s: %w", o.c, err)
			}
			moved++
		}
		if len(window) == t.cfg.RewrapBatch {
			next := window[len(window)-1].id
			tx.OnCommit(func() { t.rewrapFrom = next })
			return nil
		}
		tx.OnCommit(func() { t.rewrapFrom = 0 })
		// The pass reached the end of the table. Another process may have
		// written rows behind the cursor under an older key: check once.
		var left int
		if err := tx.QueryRow("SELECT count(*) FROM tokens WHERE erased_at IS NULL AND (key_version < ? OR index_version < ?)",
			ks.vaultActive, iv).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return nil // another pass
		}
		done = true
		res, err := tx.Exec("DELETE FROM data_keys WHERE (purpose = ? AND version < ?) OR (purpose = ? AND version < ?)",
			purposeVault, ks.vaultActive, purposeIndex, iv)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // nothing was pending
		}
		if _, err := t.audit.Append(tx, audit.Entry{
			Actor: audit.Actor{Type: audit.ActorSystem, ID: "tokenizer"}, Action: audit.ActionKeyRewrap, Result: audit.ResultOK,
			Detail: map[string]string{"vault_version": strconv.Itoa(ks.vaultActive), "index_version": strconv.Itoa(iv)},
		}); err != nil {
			return err
		}
		return t.ring.load(tx) // last, as in RotateKeys
	})
	return moved, done, err
}

// Run re-encrypts rows in the background after a rotation (by this process
// or another) until ctx ends. It returns nil when ctx is cancelled.
func (t *Tokenizer) Run(ctx context.Context) error {
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		for {
			_, done, err := t.RewrapStep(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				t.log.Error("re-encryption step failed; retrying later", "err", err)
				break
			}
			if done {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-t.wake:
		}
	}
}
