package tokenizer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"kordon/audit"
	"kordon/store"
	"kordon/types/fault"
)

// Auditor appends entries to the audit log. *audit.Log implements it.
type Auditor interface {
	// Append adds an entry inside the caller's write transaction.
	Append(tx *store.Tx, e audit.Entry) (int64, error)
	// Record adds an entry in a transaction of its own.
	Record(ctx context.Context, e audit.Entry) (int64, error)
}

var _ Auditor = (*audit.Log)(nil)

// Config configures a Tokenizer. Zero values mean the defaults.
type Config struct {
	// DB is the database. Required.
	DB *store.DB
	// Ring holds the data keys. Required.
	Ring *Ring
	// Audit is the audit log. Required.
	Audit Auditor
	// Region is the ISO 3166-1 region for phone numbers written without a
	// country code. Default "RU".
	Region string
	// CacheEntries bounds the value cache. Default 262144 (about 25 MB).
	CacheEntries int
	// MaxBatch bounds the values or codes in one call. Default 10000.
	MaxBatch int
	// RewrapBatch is how many rows one re-encryption step moves to the
	// newest keys after a rotation. Default 500.
	RewrapBatch int
	// Logger receives operational messages; it never sees a value.
	// Default slog.Default().
	Logger *slog.Logger
}

// Tokenizer tokenizes, resolves and erases values. It is safe for
// concurrent use. Run performs background re-encryption after a key
// rotation; the other methods work without it.
type Tokenizer struct {
	cfg   Config
	db    *store.DB
	ring  *Ring
	audit Auditor
	cache *cache
	log   *slog.Logger
	wake  chan struct{} // nudges Run after a rotation

	rewrapFrom int64 // re-encryption cursor (a row id); touched only inside write transactions
}

// New checks cfg and returns a Tokenizer. It does no I/O.
func New(cfg Config) (*Tokenizer, error) {
	var missing []string
	if cfg.DB == nil {
		missing = append(missing, "DB")
	}
	if cfg.Ring == nil {
		missing = append(missing, "Ring")
	}
	if cfg.Audit == nil {
		missing = append(missing, "Audit")
	}
	if len(missing) > 0 {
		return nil, fault.E("tokenizer.New", fault.Invalid, fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	if cfg.Region == "" {
		cfg.Region = "RU"
	}
	if cfg.CacheEntries <= 0 {
		cfg.CacheEntries = 262144
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 10000
	}
	if cfg.RewrapBatch <= 0 {
		cfg.RewrapBatch = 500
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &Tokenizer{
		cfg: cfg, db: cfg.DB, ring: cfg.Ring, audit: cfg.Audit,
		cache: newCache(cfg.CacheEntries),
		log:   cfg.Logger.With("subsystem", "tokenizer"),
		wake:  make(chan struct{}, 1),
	}
	cfg.DB.OnExternalChange(func(*store.Tx) error {
		t.cache.clear()
		return nil
	})
	return t, nil
}

// Region returns the default region for phone numbers.
func (t *Tokenizer) Region() string { return t.cfg.Region }

// deny records a refused request and returns the error for the caller. If
// the refusal cannot be audited the caller gets Unavailable instead: the
// request is refused either way.
func (t *Tokenizer) deny(ctx context.Context, p Principal, action string, kind fault.Kind, why error, e audit.Entry) error {
	e.Actor, e.Remote, e.RequestID, e.Action = p.Actor, p.Remote, p.RequestID, action
	e.Result = "denied"
	if kind == fault.Invalid {
		e.Result = "invalid"
	}
	e.Reason = why.Error()
	if _, err := t.audit.Record(ctx, e); err != nil {
		return fault.E("tokenizer."+action, fault.Unavailable, fmt.Errorf("refused, and the refusal could not be audited: %w", err))
	}
	return fault.E("tokenizer."+action, kind, why)
}

// checkScope refuses (and audits) a principal without the scope.
func (t *Tokenizer) checkScope(ctx context.Context, p Principal, s Scope, action string, e audit.Entry) error {
	if p.Actor.ID == "" || p.Actor.Type == "" {
		return t.deny(ctx, p, action, fault.Unauthorized, errors.New("no authenticated principal"), e)
	}
	if !p.Has(s) {
		return t.deny(ctx, p, action, fault.Denied, fmt.Errorf("principal lacks scope %q", s), e)
	}
	return nil
}
