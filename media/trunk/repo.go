package trunk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/tokenizer/keys"
	"kordon/types/fault"
	"kordon/types/pii"
)

// Config configures New. The zero value of every field but DB, Keys and
// Audit means its default.
type Config struct {
	// DB is the database holding the trunks table. Required.
	DB *store.DB
	// Keys wraps the digest passwords for storage and unwraps them for the
	// Set. Required.
	Keys keys.Provider
	// Audit records every change and every refusal. *audit.Log implements
	// it. Required.
	Audit tokenizer.Auditor
	// Now is the clock for created_at and updated_at. Default time.Now.
	Now func() time.Time
	// Logger receives operational messages (a host name that does not
	// resolve, a refresh that failed). Default slog.Default().
	Logger *slog.Logger
	// Resolve looks up the addresses of a trunk's host name. Default the
	// system resolver (net.DefaultResolver.LookupNetIP).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// ResolveTimeout bounds one host name lookup. Default 5s.
	ResolveTimeout time.Duration
	// PollInterval is how often Run looks for trunks changed by another
	// process (the command line next to a running daemon) when this
	// process has not written since. Default 5s.
	PollInterval time.Duration
	// ResolveInterval is how often Run resolves host names again, since
	// their addresses change. Default 1m.
	ResolveInterval time.Duration
}

// Repo stores trunks in the database and keeps the current Set. It is
// safe for concurrent use. See the package comment for its lifecycle.
type Repo struct {
	cfg Config
	db  *store.DB
	log *slog.Logger

	cur   atomic.Pointer[Set]
	stale atomic.Bool   // the database may hold something cur does not
	wake  chan struct{} // nudges Run to refresh

	mu      sync.Mutex        // serializes refreshes
	secrets map[string]Secret // wrapped → unwrapped, under mu, so a refresh unwraps only what changed
}

// New checks cfg and returns a Repo. It registers a store OnExternalChange
// hook that marks the Set stale when another process has written the
// database; it reads nothing and starts no goroutine.
func New(cfg Config) (*Repo, error) {
	var missing []string
	if cfg.DB == nil {
		missing = append(missing, "DB")
	}
	if cfg.Keys == nil {
		missing = append(missing, "Keys")
	}
	if cfg.Audit == nil {
		missing = append(missing, "Audit")
	}
	if len(missing) > 0 {
		return nil, fault.E("trunk.New", fault.Invalid, fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	if cfg.ResolveTimeout < 0 || cfg.PollInterval < 0 || cfg.ResolveInterval < 0 {
		return nil, fault.E("trunk.New", fault.Invalid, errors.New("ResolveTimeout, PollInterval and ResolveInterval must not be negative"))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Resolve == nil {
		cfg.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if cfg.ResolveTimeout == 0 {
		cfg.ResolveTimeout = 5 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.ResolveInterval == 0 {
		cfg.ResolveInterval = time.Minute
	}
	r := &Repo{
		cfg: cfg, db: cfg.DB,
		log:     cfg.Logger.With("subsystem", "trunk"),
		wake:    make(chan struct{}, 1),
		secrets: map[string]Secret{},
	}
	r.cur.Store(newSet(nil, [32]byte{}))
	r.stale.Store(true)
	cfg.DB.OnExternalChange(func(*store.Tx) error {
		r.invalidate()
		return nil
	})
	return r, nil
}

// invalidate marks the Set stale and nudges Run.
func (r *Repo) invalidate() {
	r.stale.Store(true)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// authorize refuses (and audits) a principal without the config scope.
func (r *Repo) authorize(ctx context.Context, p tokenizer.Principal, action string) error {
	if p.Actor.ID == "" || p.Actor.Type == "" {
		return r.refuse(ctx, p, action, "", fault.Unauthorized, errors.New("no authenticated principal"))
	}
	if !p.Has(tokenizer.ScopeConfig) {
		return r.refuse(ctx, p, action, "", fault.Denied, fmt.Errorf("principal lacks scope %q", tokenizer.ScopeConfig))
	}
	return nil
}

// refuse records a refused request (denied, or invalid input) and returns
// the error for the caller. If the refusal cannot be audited the caller
// gets Unavailable instead: the request is refused either way.
func (r *Repo) refuse(ctx context.Context, p tokenizer.Principal, action, id string, kind fault.Kind, why error) error {
	e := audit.Entry{Actor: p.Actor, Remote: p.Remote, RequestID: p.RequestID, Action: action, Result: audit.ResultDenied}
	reason := why.Error()
	if kind == fault.Invalid {
		e.Result = audit.ResultInvalid
		var es Errors
		if errors.As(why, &es) {
			// Name the fields only: the messages quote excerpts of values.
			reason = "invalid fields: " + strings.Join(es.Fields(), ", ")
		}
	}
	e.Reason = reason
	if safeID(id) {
		e.Detail = map[string]string{"trunk": id}
	}
	if _, err := r.cfg.Audit.Record(ctx, e); err != nil {
		return fault.E(action, fault.Unavailable, fmt.Errorf("refused, and the refusal could not be audited: %w", err))
	}
	return fault.E(action, kind, why)
}

// safeID reports whether id is a valid trunk ID, and so may be recorded
// or echoed as is.
func safeID(id string) bool {
	return idPattern.MatchString(id) && pii.DigitRun(id) < pii.PhoneDigits
}

// errNotFound reports a trunk that does not exist, naming it only when
// its ID is well-formed.
func errNotFound(op, id string) error {
	if safeID(id) {
		return fault.E(op, fault.NotFound, fmt.Errorf("no trunk %s", id))
	}
	return fault.E(op, fault.NotFound, errors.New("no trunk with that ID"))
}
