package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/types/fault"
)

// Auditor records API-key operations and failed authentications.
// *audit.Log implements it.
type Auditor interface {
	// Append adds an entry inside the caller's write transaction.
	Append(tx *store.Tx, e audit.Entry) (int64, error)
	// Record adds an entry in a transaction of its own.
	Record(ctx context.Context, e audit.Entry) (int64, error)
}

var _ Auditor = (*audit.Log)(nil)

// Config configures New. The zero value of every field but DB and Audit
// means its default.
type Config struct {
	// DB holds the api_keys table. Required.
	DB *store.DB
	// Audit records key operations and failed authentications. Required.
	Audit Auditor
	// TouchEvery is the least time between two writes of one key's
	// last-used time. Default 1 minute.
	TouchEvery time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives operational messages (a last-used time that could
	// not be written); never a token. Default slog.Default().
	Logger *slog.Logger
}

// Key describes an API key. It never holds the secret.
type Key struct {
	ID         string            // public identifier, 10 base32 characters
	Name       string            // what the key is for, chosen by its creator
	Scopes     []tokenizer.Scope // what it may do, in tokenizer.Scopes order
	CreatedAt  time.Time         // UTC
	CreatedBy  string            // the creating actor as "type:id"
	RevokedAt  time.Time         // zero while the key is active
	LastUsedAt time.Time         // zero if never used; accurate to Config.TouchEvery
}

// Active reports whether the key has not been revoked.
func (k Key) Active() bool { return k.RevokedAt.IsZero() }

// Store manages API keys. It is safe for concurrent use.
type Store struct {
	db    *store.DB
	audit Auditor
	every time.Duration
	now   func() time.Time
	log   *slog.Logger

	mu      sync.Mutex
	touched map[string]time.Time // key id → last-used time last written or seen
}

// New checks cfg and returns a Store. It does no I/O.
func New(cfg Config) (*Store, error) {
	if cfg.DB == nil || cfg.Audit == nil {
		return nil, fault.E("apikey.New", fault.Invalid, errors.New("DB and Audit are required"))
	}
	if cfg.TouchEvery < 0 {
		return nil, fault.E("apikey.New", fault.Invalid, errors.New("TouchEvery must not be negative"))
	}
	if cfg.TouchEvery == 0 {
		cfg.TouchEvery = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Store{
		db: cfg.DB, audit: cfg.Audit, every: cfg.TouchEvery, now: cfg.Now,
		log:     cfg.Logger.With("subsystem", "apikey"),
		touched: map[string]time.Time{},
	}, nil
}

// Create issues a key named name with scopes, on behalf of by, and returns
// it with its token (kdn_<id>_<secret>), which is shown this once and
// cannot be recovered. The key and its apikey.create audit entry commit
// together. API keys never hold the keys scope: rotating keys is for the
// appliance's operators, not for integrations.
func (s *Store) Create(ctx context.Context, by audit.Actor, name string, scopes []tokenizer.Scope) (Key, string, error) {
	const op = "apikey.Create"
	if by.Type == "" || by.ID == "" {
		return Key{}, "", fault.E(op, fault.Invalid, errors.New("the creating actor must be identified"))
	}
	if err := checkName(name); err != nil {
		return Key{}, "", fault.E(op, fault.Invalid, err)
	}
	scopes, err := checkScopes(scopes)
	if err != nil {
		return Key{}, "", fault.E(op, fault.Invalid, err)
	}
	raw, secret, err := newSecret(rand.Reader)
	if err != nil {
		return Key{}, "", fault.E(op, fault.Unavailable, fmt.Errorf("draw secret: %w", err))
	}
	hash := sha256.Sum256(raw)
	clear(raw)
	k := Key{Name: name, Scopes: scopes, CreatedAt: s.now().UTC().Truncate(time.Millisecond), CreatedBy: by.Type + ":" + by.ID}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		id, err := unusedID(tx)
		if err != nil {
			return err
		}
		k.ID = id
		if _, err := tx.Exec(`INSERT INTO api_keys (id, name, secret_hash, scopes, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			id, name, hash[:], joinScopes(scopes), k.CreatedAt.UnixMilli(), k.CreatedBy); err != nil {
			return fmt.Errorf("insert key %s: %w", id, err)
		}
		_, err = s.audit.Append(tx, audit.Entry{
			Actor: by, Action: audit.ActionAPIKeyCreate, Result: audit.ResultOK,
			Detail: map[string]string{"key_id": id, "name": name, "scopes": joinScopes(scopes)},
		})
		return err
	})
	if err != nil {
		return Key{}, "", fault.E(op, kindOr(err, fault.Unavailable), err)
	}
	return k, formatToken(k.ID, secret), nil
}

// unusedID draws ids until one is free. Inside the write transaction
// nobody else can take it between the check and the insert.
func unusedID(tx *store.Tx) (string, error) {
	for range 8 {
		id, err := newID(rand.Reader)
		if err != nil {
			return "", fmt.Errorf("draw key id: %w", err)
		}
		var n int
		if err := tx.QueryRow("SELECT count(*) FROM api_keys WHERE id = ?", id).Scan(&n); err != nil {
			return "", fmt.Errorf("check key id: %w", err)
		}
		if n == 0 {
			return id, nil
		}
	}
	return "", fault.E("apikey.Create", fault.Internal, errors.New("no free key id after 8 draws"))
}

// List returns every key, revoked ones included, oldest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	const op = "apikey.List"
	rows, err := s.db.Read().QueryContext(ctx,
		`SELECT id, name, scopes, created_at, created_by, revoked_at, last_used_at FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fault.E(op, fault.Unavailable, fmt.Errorf("list keys: %w", err))
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		var k Key
		var scopes string
		var created int64
		var revoked, used sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &scopes, &created, &k.CreatedBy, &revoked, &used); err != nil {
			return nil, fault.E(op, fault.Unavailable, fmt.Errorf("read key: %w", err))
		}
		k.Scopes = parseScopes(scopes)
		k.CreatedAt, k.RevokedAt, k.LastUsedAt = millis(created), nullMillis(revoked), nullMillis(used)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fault.E(op, fault.Unavailable, fmt.Errorf("list keys: %w", err))
	}
	return out, nil
}

// Revoke revokes the key id on behalf of by, with its apikey.revoke audit
// entry in the same transaction; the next request with its token is
// refused. Revoking a revoked key changes nothing and succeeds (the attempt
// is audited), so that scripts can make sure a key is gone. An unknown id
// fails with fault.NotFound, also audited.
func (s *Store) Revoke(ctx context.Context, by audit.Actor, id string) error {
	const op = "apikey.Revoke"
	if by.Type == "" || by.ID == "" {
		return fault.E(op, fault.Invalid, errors.New("the revoking actor must be identified"))
	}
	found := false
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		e := audit.Entry{Actor: by, Action: audit.ActionAPIKeyRevoke, Result: audit.ResultOK, Detail: map[string]string{}}
		if validID(id) {
			e.Detail["key_id"] = id // anything else the caller typed stays out of the log
			var revoked sql.NullInt64
			err := tx.QueryRow("SELECT revoked_at FROM api_keys WHERE id = ?", id).Scan(&revoked)
			switch {
			case err == nil:
				found = true
				if revoked.Valid {
					e.Detail["already_revoked"] = "true"
				} else if _, err := tx.Exec("UPDATE api_keys SET revoked_at = ? WHERE id = ?", s.now().UnixMilli(), id); err != nil {
					return fmt.Errorf("revoke key %s: %w", id, err)
				}
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("read key %s: %w", id, err)
			}
		}
		if !found {
			e.Result = audit.ResultNotFound
		}
		_, err := s.audit.Append(tx, e)
		return err
	})
	if err != nil {
		return fault.E(op, kindOr(err, fault.Unavailable), err)
	}
	if !found {
		if validID(id) {
			return fault.E(op, fault.NotFound, fmt.Errorf("no API key %s", id))
		}
		return fault.E(op, fault.NotFound, errors.New("no API key with that id (an id is 10 characters of a-z and 2-7)"))
	}
	return nil
}

// checkScopes refuses unknown scopes, the keys scope and an empty list,
// and returns the scopes without duplicates in tokenizer.Scopes order.
func checkScopes(in []tokenizer.Scope) ([]tokenizer.Scope, error) {
	if len(in) == 0 {
		return nil, errors.New("at least one scope is required (tokenize, resolve, erase, audit)")
	}
	var out []tokenizer.Scope
	for _, s := range tokenizer.Scopes() {
		if slices.Contains(in, s) {
			out = append(out, s)
		}
	}
	for _, s := range in {
		if s == tokenizer.ScopeKeys {
			return nil, errors.New("API keys cannot hold the keys scope; key rotation is done with `kordon keys rotate`")
		}
		if !slices.Contains(out, s) {
			return nil, fmt.Errorf("unknown scope (want tokenize, resolve, erase or audit)")
		}
	}
	return out, nil
}

// joinScopes is the stored form of a scope list.
func joinScopes(ss []tokenizer.Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

// parseScopes reads the stored form. It drops anything that is not a scope
// an API key may hold, so a hand-edited row grants no more than Create
// would have.
func parseScopes(s string) []tokenizer.Scope {
	var out []tokenizer.Scope
	for _, p := range strings.Split(s, ",") {
		sc, err := tokenizer.ParseScope(p)
		if err == nil && sc != tokenizer.ScopeKeys && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

func millis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return millis(ms.Int64)
}

// kindOr returns err's kind, or def when it has none.
func kindOr(err error, def fault.Kind) fault.Kind {
	if k := fault.KindOf(err); k != fault.Other {
		return k
	}
	return def
}
