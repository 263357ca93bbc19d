package apikey

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// errInvalid is what a caller with a bad token learns: nothing about which
// part was wrong. The audit entry says which.
var errInvalid = errors.New("invalid API key")

// Reasons recorded in auth.fail entries.
const (
	reasonMissing   = "no token"
	reasonMalformed = "malformed token"
	reasonUnknown   = "unknown key"
	reasonSecret    = "wrong secret"
	reasonRevoked   = "key revoked"
)

// dummyHash is compared against when the id is unknown, so that an unknown
// id costs what a known one does.
var dummyHash = sha256.Sum256([]byte("kordon: no such key"))

// Authenticate checks a token and returns the principal it stands for,
// with Actor {apikey, id}, the key's scopes and remote. A missing,
// malformed or unknown token, or a wrong secret, fails with
// fault.Unauthorized; a revoked key (with the right secret) fails with
// fault.Denied. Every failure is recorded as an auth.fail entry naming
// remote and, when the token held a well-formed one, the key id; if it
// cannot be recorded the call fails with fault.Unavailable.
func (s *Store) Authenticate(ctx context.Context, token, remote string) (tokenizer.Principal, error) {
	if token == "" {
		return tokenizer.Principal{}, s.fail(ctx, "", remote, fault.Unauthorized, reasonMissing, errInvalid)
	}
	id, secret, err := parseToken(token)
	if err != nil {
		return tokenizer.Principal{}, s.fail(ctx, id, remote, fault.Unauthorized, reasonMalformed, errInvalid)
	}
	sum := sha256.Sum256(secret)
	clear(secret)
	var stored []byte
	var scopes string
	var revoked, used sql.NullInt64
	err = s.db.Read().QueryRowContext(ctx, "SELECT secret_hash, scopes, revoked_at, last_used_at FROM api_keys WHERE id = ?", id).
		Scan(&stored, &scopes, &revoked, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		subtle.ConstantTimeCompare(sum[:], dummyHash[:])
		return tokenizer.Principal{}, s.fail(ctx, id, remote, fault.Unauthorized, reasonUnknown, errInvalid)
	case err != nil:
		return tokenizer.Principal{}, fault.E("apikey.Authenticate", fault.Unavailable, fmt.Errorf("read key %s: %w", id, err))
	}
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 {
		return tokenizer.Principal{}, s.fail(ctx, id, remote, fault.Unauthorized, reasonSecret, errInvalid)
	}
	if revoked.Valid {
		return tokenizer.Principal{}, s.fail(ctx, id, remote, fault.Denied, reasonRevoked, fmt.Errorf("API key %s is revoked", id))
	}
	s.touch(ctx, id, nullMillis(used))
	return tokenizer.Principal{
		Actor:  audit.Actor{Type: audit.ActorAPIKey, ID: id},
		Scopes: parseScopes(scopes),
		Remote: remote,
	}, nil
}

// fail records a failed authentication and returns the caller's error.
func (s *Store) fail(ctx context.Context, id, remote string, kind fault.Kind, reason string, why error) error {
	const op = "apikey.Authenticate"
	e := audit.Entry{Remote: remote, Action: audit.ActionAuthFail, Result: audit.ResultDenied, Reason: reason}
	if id != "" {
		e.Actor = audit.Actor{Type: audit.ActorAPIKey, ID: id}
	}
	if _, err := s.audit.Record(ctx, e); err != nil {
		return fault.E(op, fault.Unavailable, fmt.Errorf("refused, and the refusal could not be audited: %w", err))
	}
	return fault.E(op, kind, why)
}

// touch writes the key's last-used time if it is older than s.every,
// by this process's record or the database's. Two requests racing in the
// same interval write once: the first claims the slot under the mutex.
// A failed write is logged, never fatal: the request is authenticated
// either way.
func (s *Store) touch(ctx context.Context, id string, stored time.Time) {
	now := s.now()
	s.mu.Lock()
	last := s.touched[id]
	if stored.After(last) {
		last = stored
	}
	if now.Sub(last) < s.every {
		s.mu.Unlock()
		return
	}
	s.touched[id] = now
	s.mu.Unlock()
	ms := now.UnixMilli()
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", ms, id, ms)
		return err
	})
	if err != nil {
		s.log.Warn("could not record an API key's last use", "key_id", id, "err", err)
	}
}
