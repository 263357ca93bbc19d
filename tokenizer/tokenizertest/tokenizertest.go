// Package tokenizertest runs a real appliance core for the tests of the
// packages above the tokenizer: a SQLite store, a local key ring, the audit
// log and the tokenizer, in a temporary directory. Nothing in it is a
// stand-in; tests get the same behaviour as the appliance.
package tokenizertest

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/tokenizer/keys"
)

// Env is one appliance core.
type Env struct {
	Dir       string
	DB        *store.DB
	Provider  keys.Provider
	Ring      *tokenizer.Ring
	Audit     *audit.Log
	Tokenizer *tokenizer.Tokenizer
}

// Options adjusts New. The zero value is fine.
type Options struct {
	// Logger receives the subsystems' logs. Default slog.Default().
	Logger *slog.Logger
	// Origin names the audit log. Default "kordon.test".
	Origin string
	// Audit adjusts the audit log's configuration before it is built.
	Audit func(*audit.Config)
}

// New opens a fresh core in t.TempDir(); t.Cleanup closes it.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	ctx := context.Background()
	if opts.Origin == "" {
		opts.Origin = "kordon.test"
	}
	e := &Env{Dir: t.TempDir()}
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(e.Dir, "kordon.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.DB = db
	if e.Provider, err = keys.NewLocal(keys.LocalConfig{Path: filepath.Join(e.Dir, "kek.json")}); err != nil {
		t.Fatal(err)
	}
	if e.Ring, err = tokenizer.OpenRing(ctx, db, e.Provider, opts.Origin); err != nil {
		t.Fatal(err)
	}
	signer, err := e.Ring.Signer()
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := e.Ring.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	acfg := audit.Config{DB: db, Signer: signer, Verifier: verifier, Logger: opts.Logger}
	if opts.Audit != nil {
		opts.Audit(&acfg)
	}
	if e.Audit, err = audit.New(acfg); err != nil {
		t.Fatal(err)
	}
	if e.Tokenizer, err = tokenizer.New(tokenizer.Config{DB: db, Ring: e.Ring, Audit: e.Audit, Logger: opts.Logger}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Entries returns the whole audit log with the stored bodies, read
// straight from the database so the read itself is not audited.
func (e *Env) Entries(t testing.TB) ([]audit.Entry, [][]byte) {
	t.Helper()
	rows, err := e.DB.Read().Query("SELECT body FROM audit_entries ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []audit.Entry
	var bodies [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		var en struct {
			audit.Entry
			Time string `json:"time"` // shadows Entry.Time's fixed-width form
		}
		if err := json.Unmarshal(b, &en); err != nil {
			t.Fatal(err)
		}
		out = append(out, en.Entry)
		bodies = append(bodies, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, bodies
}
