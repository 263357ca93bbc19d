package tokenizer

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"

	"kordon/store"
	"kordon/tokenizer/keys"
	"kordon/types/fault"
)

// Data-key purposes in the data_keys table.
const (
	purposeVault      = "vault"      // AES-256-GCM for token rows; rotated
	purposeIndex      = "index"      // HMAC-SHA256 for the blind index; rotated
	purposeAudit      = "audit"      // HMAC-SHA256 for value hashes in audit entries; never rotated, so searches keep working
	purposeCheckpoint = "checkpoint" // Ed25519 signed-note key for audit checkpoints; never rotated
)

const metaVerifierKey = "audit.verifier_key"

// Ring holds the unwrapped data keys. Keys are unwrapped once, when the
// ring opens or when another process adds a version, never per operation.
// It is safe for concurrent use.
type Ring struct {
	db       *store.DB
	provider keys.Provider
	origin   string

	// secrets maps each stored key's wrapped text to its unwrapped bytes,
	// so a reload unwraps only what changed. load, its only user, runs
	// inside write transactions, which the store runs one at a time.
	secrets map[string][]byte
	created []string // purposes created by this process's Open
	cur     atomic.Pointer[keySet]
}

// OpenRing loads the data keys from db, unwrapping them with p, and on a
// fresh database creates version 1 of each. origin names the audit log in
// its checkpoints and must not change afterwards (it is fixed by the first
// start). The ring reloads itself when another process rotates keys.
func OpenRing(ctx context.Context, db *store.DB, p keys.Provider, origin string) (*Ring, error) {
	if origin == "" {
		h, _ := os.Hostname()
		origin = "kordon/" + h
	}
	r := &Ring{db: db, provider: p, origin: origin}
	err := db.Write(ctx, func(tx *store.Tx) error {
		r.created = nil // the operation may run more than once
		if err := r.ensure(tx); err != nil {
			return err
		}
		return r.load(tx)
	})
	if err != nil {
		return nil, fault.E("tokenizer.OpenRing", fault.KindOf(err), err)
	}
	db.OnExternalChange(r.load)
	return r, nil
}

// ensure creates any missing purpose at version 1.
func (r *Ring) ensure(tx *store.Tx) error {
	ctx := tx.Context()
	for _, purpose := range []string{purposeVault, purposeIndex, purposeAudit, purposeCheckpoint} {
		var n int
		if err := tx.QueryRow("SELECT count(*) FROM data_keys WHERE purpose = ?", purpose).Scan(&n); err != nil {
			return fmt.Errorf("read data keys: %w", err)
		}
		if n > 0 {
			continue
		}
		var secret []byte
		if purpose == purposeCheckpoint {
			skey, vkey, err := note.GenerateKey(rand.Reader, r.origin)
			if err != nil {
				return fmt.Errorf("generate checkpoint key: %w", err)
			}
			secret = []byte(skey)
			if _, err := tx.Exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", metaVerifierKey, vkey); err != nil {
				return fmt.Errorf("store verifier key: %w", err)
			}
		} else {
			secret = make([]byte, 32)
			if _, err := rand.Read(secret); err != nil {
				return err
			}
		}
		w, err := r.provider.Wrap(ctx, secret)
		clear(secret)
		if err != nil {
			return fault.E("wrap "+purpose+" key", fault.Unavailable, err)
		}
		if _, err := tx.Exec("INSERT INTO data_keys (purpose, version, wrapped, created_at) VALUES (?, 1, ?, ?)",
			purpose, w, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("store %s key: %w", purpose, err)
		}
		r.created = append(r.created, purpose)
	}
	return nil
}

// load reads every data key, unwraps the ones not already known, and
// publishes a new snapshot.
func (r *Ring) load(tx *store.Tx) error {
	all, err := readDataKeys(tx)
	if err != nil {
		return err
	}
	ks := &keySet{vault: map[int]cipher.AEAD{}, index: map[int]*hasher{}}
	if err := tx.QueryRow("SELECT value FROM meta WHERE key = ?", metaVerifierKey).Scan(&ks.vkey); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	secrets := make(map[string][]byte, len(all))
	for _, d := range all {
		secret, ok := r.secrets[d.wrapped]
		if !ok {
			if secret, err = r.provider.Unwrap(tx.Context(), d.wrapped); err != nil {
				return fault.E(fmt.Sprintf("unwrap %s key v%d", d.purpose, d.version), fault.Unavailable, err)
			}
		}
		secrets[d.wrapped] = secret
		switch d.purpose {
		case purposeVault:
			block, err := aes.NewCipher(secret)
			if err != nil {
				return fmt.Errorf("vault key v%d: %w", d.version, err)
			}
			ks.vault[d.version], _ = cipher.NewGCM(block)
			ks.vaultActive = max(ks.vaultActive, d.version)
		case purposeIndex:
			ks.index[d.version] = newHasher(secret, tagIndex)
			ks.indexVersion = append(ks.indexVersion, d.version)
		case purposeAudit:
			ks.audit = newHasher(secret, tagAudit)
		case purposeCheckpoint:
			ks.skey = string(secret)
		}
	}
	if len(ks.vault) == 0 || len(ks.index) == 0 || ks.audit == nil || ks.skey == "" || ks.vkey == "" {
		return fault.E("tokenizer.Ring", fault.Internal, errors.New("data keys missing from the database"))
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ks.indexVersion)))
	r.secrets = secrets // keys no longer stored are forgotten
	r.cur.Store(ks)
	return nil
}

// dataKey is one row of the data_keys table.
type dataKey struct {
	purpose, wrapped string
	version          int
}

// readDataKeys returns every stored data key, wrapped.
func readDataKeys(tx *store.Tx) ([]dataKey, error) {
	rows, err := tx.Query("SELECT purpose, version, wrapped FROM data_keys ORDER BY purpose, version")
	if err != nil {
		return nil, fmt.Errorf("read data keys: %w", err)
	}
	defer rows.Close()
	var all []dataKey
	for rows.Next() {
		var d dataKey
		if err := rows.Scan(&d.purpose, &d.version, &d.wrapped); err != nil {
			return nil, fmt.Errorf("read data keys: %w", err)
		}
		all = append(all, d)
	}
	return all, rows.Err()
}

// Created lists the data-key purposes this process created on a fresh
// database, so the caller can audit their creation once the log is open.
func (r *Ring) Created() []string { return r.created }

// Provider returns the key provider.
func (r *Ring) Provider() keys.Provider { return r.provider }

// Signer returns the audit checkpoint signer.
func (r *Ring) Signer() (note.Signer, error) { return note.NewSigner(r.snapshot().skey) }

// Verifier returns the audit checkpoint verifier.
func (r *Ring) Verifier() (note.Verifier, error) { return note.NewVerifier(r.snapshot().vkey) }

// VerifierKey returns the public verifier key in signed-note form, for
// auditors to pin outside the appliance.
func (r *Ring) VerifierKey() string { return r.snapshot().vkey }

// Origin returns the audit origin fixed by the checkpoint key.
func (r *Ring) Origin() string {
	if v, err := note.NewVerifier(r.snapshot().vkey); err == nil {
		return v.Name()
	}
	return r.origin
}

// keySet is an immutable snapshot of the keys an operation needs.
type keySet struct {
	vault        map[int]cipher.AEAD
	vaultActive  int
	index        map[int]*hasher
	indexVersion []int // newest first
	audit        *hasher
	skey, vkey   string // audit checkpoint signer and verifier keys
}

// snapshot returns the current keys; the result must not be modified.
func (r *Ring) snapshot() *keySet { return r.cur.Load() }
