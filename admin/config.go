package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/admin/apikey"
	"kordon/audit"
	"kordon/tokenizer"
	"kordon/types/code"
	"kordon/types/fault"
	"kordon/types/pii"
)

// Tokenizer is the token vault as the API uses it. *tokenizer.Tokenizer
// implements it; it checks scopes itself and audits every call.
type Tokenizer interface {
	// Tokenize returns the code of every value (per-item errors in the
	// outcomes); it audits the call.
	Tokenize(ctx context.Context, p tokenizer.Principal, kind code.Kind, values []pii.Value) ([]tokenizer.Outcome, error)
	// Resolve returns the values behind codes for a purpose and a
	// reference, audited before anything is returned.
	Resolve(ctx context.Context, p tokenizer.Principal, purpose tokenizer.Purpose, reference string, codes []code.Code) ([]tokenizer.Resolved, error)
	// Erase makes codes unresolvable forever, audited with reason and
	// reference.
	Erase(ctx context.Context, p tokenizer.Principal, reason tokenizer.Reason, reference string, codes []code.Code) ([]tokenizer.Outcome, error)
	// ValueHash returns the audit log's keyed hash of a value, so an
	// auditor can search for it without the value reaching the log.
	ValueHash(kind code.Kind, v pii.Value) (string, error)
}

// AuditLog is the audit log as the API uses it: to record refusals, and
// for the audit endpoints. *audit.Log implements it.
type AuditLog interface {
	// Record appends an entry in a transaction of its own.
	Record(ctx context.Context, e audit.Entry) (int64, error)
	// Search returns matching entries after auditing the read.
	Search(ctx context.Context, reader audit.Actor, f audit.Filter) ([]audit.Entry, error)
	// Checkpoint signs a checkpoint covering every committed entry (if the
	// newest does not already) and returns the newest.
	Checkpoint(ctx context.Context) (audit.Checkpoint, error)
	// ProveInclusion proves entry seq is in the tree of treeSize entries.
	ProveInclusion(ctx context.Context, seq, treeSize int64) (tlog.RecordProof, error)
}

// Authenticator turns a bearer token into a principal, auditing every
// failure itself. *apikey.Store implements it.
type Authenticator interface {
	// Authenticate returns the principal of a token: fault.Unauthorized
	// for a missing or bad one, fault.Denied for a revoked key.
	Authenticate(ctx context.Context, token, remote string) (tokenizer.Principal, error)
}

var (
	_ Tokenizer     = (*tokenizer.Tokenizer)(nil)
	_ AuditLog      = (*audit.Log)(nil)
	_ Authenticator = (*apikey.Store)(nil)
)

// Config configures New. The zero value of every field but CertFile,
// KeyFile, Tokenizer, Audit and Keys means its default.
type Config struct {
	// Listen is the TCP address of the HTTPS listener. Port 0 picks a free
	// port; Addr reports it. Default "127.0.0.1:8443".
	Listen string
	// CertFile and KeyFile are the PEM certificate chain and private key
	// of the listener; EnsureSelfSigned makes a pair. Required.
	CertFile, KeyFile string
	// MaxBodyBytes bounds a request body; larger bodies get 413.
	// Default 1 MiB.
	MaxBodyBytes int64
	// ResolveRate is how many resolve requests per second one API key may
	// make on average; more get 429. Default 50.
	ResolveRate float64
	// ResolveBurst is how many resolve requests one API key may make at
	// once before ResolveRate applies. Default 100.
	ResolveBurst int
	// ShutdownTimeout bounds how long Run waits for requests in flight
	// once its context ends, before closing their connections.
	// Default 10s.
	ShutdownTimeout time.Duration
	// Tokenizer tokenizes, resolves and erases. Required.
	Tokenizer Tokenizer
	// Audit is the audit log. Required.
	Audit AuditLog
	// Keys authenticates API keys. Required.
	Keys Authenticator
	// Trunks manages the SIP trunks (/api/v1/trunks). Default nil: the
	// trunk routes answer 503.
	Trunks Trunks
	// Ready reports whether the appliance can serve (the database answers,
	// the key provider is reachable); /readyz calls it. Default: ready
	// whenever the listener serves.
	Ready func(ctx context.Context) error
	// Registry receives the listener's metrics and is what /metrics
	// serves. Default a new registry holding only this server's metrics.
	Registry *prometheus.Registry
	// Logger receives access logs and operational messages, never a
	// request or response body. Default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	defaultListen          = "127.0.0.1:8443"
	defaultMaxBodyBytes    = 1 << 20
	defaultResolveRate     = 50
	defaultResolveBurst    = 100
	defaultShutdownTimeout = 10 * time.Second
)

// withDefaults checks c and fills in its defaults, reporting every problem
// at once.
func (c Config) withDefaults() (Config, error) {
	var problems []string
	if c.Listen == "" {
		c.Listen = defaultListen
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		problems = append(problems, fmt.Sprintf("Listen %q is not host:port", c.Listen))
	}
	if c.CertFile == "" || c.KeyFile == "" {
		problems = append(problems, "CertFile and KeyFile are required (see EnsureSelfSigned)")
	}
	if c.MaxBodyBytes < 0 || c.ResolveRate < 0 || c.ResolveBurst < 0 || c.ShutdownTimeout < 0 {
		problems = append(problems, "MaxBodyBytes, ResolveRate, ResolveBurst and ShutdownTimeout must not be negative")
	}
	if c.Tokenizer == nil || c.Audit == nil || c.Keys == nil {
		problems = append(problems, "Tokenizer, Audit and Keys are required")
	}
	if len(problems) > 0 {
		return c, fault.E("admin.New", fault.Invalid, errors.New(strings.Join(problems, "; ")))
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = defaultMaxBodyBytes
	}
	if c.ResolveRate == 0 {
		c.ResolveRate = defaultResolveRate
	}
	if c.ResolveBurst == 0 {
		c.ResolveBurst = defaultResolveBurst
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = defaultShutdownTimeout
	}
	if c.Ready == nil {
		c.Ready = func(context.Context) error { return nil }
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
