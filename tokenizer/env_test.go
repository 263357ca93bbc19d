package tokenizer

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer/keys"
	"kordon/tokenizer/keys/vaulttest"
	"kordon/types/code"
	"kordon/types/pii"
)

// env is one appliance's tokenizer on a database file.
type env struct {
	dir  string
	db   *store.DB
	ring *Ring
	log  *audit.Log
	tk   *Tokenizer
}

type providerFactory func(t testing.TB, dir string) keys.Provider

func localProvider(t testing.TB, dir string) keys.Provider {
	p, err := keys.NewLocal(keys.LocalConfig{Path: filepath.Join(dir, "kek.json")})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// forEachProvider runs f with the local provider and with a real Vault dev
// server's transit engine.
func forEachProvider(t *testing.T, f func(t *testing.T, newProvider providerFactory)) {
	t.Run("local", func(t *testing.T) { f(t, localProvider) })
	t.Run("vault", func(t *testing.T) {
		srv := vaulttest.Start(t)
		key := srv.Key(t)
		tokenFile := srv.TokenFile(t)
		f(t, func(t testing.TB, dir string) keys.Provider {
			p, err := keys.NewVault(keys.VaultConfig{Address: srv.Addr, Key: key, TokenFile: tokenFile})
			if err != nil {
				t.Fatal(err)
			}
			return p
		})
	})
}

// newEnv opens a fresh appliance in a temporary directory.
func newEnv(t *testing.T, newProvider providerFactory) *env {
	t.Helper()
	dir := t.TempDir()
	return openEnv(t, dir, newProvider(t, dir))
}

// openEnv opens the appliance whose data lives in dir, as a second process
// would.
func openEnv(t testing.TB, dir string, p keys.Provider) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(dir, "kordon.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ring, err := OpenRing(ctx, db, p, "kordon/test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ring.Signer()
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := ring.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.New(audit.Config{DB: db, Signer: signer, Verifier: verifier, CheckpointEvery: 50})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := New(Config{DB: db, Ring: ring, Audit: log, RewrapBatch: 7})
	if err != nil {
		t.Fatal(err)
	}
	return &env{dir: dir, db: db, ring: ring, log: log, tk: tk}
}

var (
	admin = Principal{Actor: audit.Actor{Type: audit.ActorCLI, ID: "root"},
		Scopes: []Scope{ScopeTokenize, ScopeResolve, ScopeErase, ScopeAudit, ScopeKeys}, RequestID: "req-1"}
	tokenizeOnly = Principal{Actor: audit.Actor{Type: audit.ActorAPIKey, ID: "k_crm"}, Scopes: []Scope{ScopeTokenize}}
)

func (e *env) tokenize(t *testing.T, kind code.Kind, raws ...string) []Outcome {
	t.Helper()
	vals := make([]pii.Value, len(raws))
	for i, r := range raws {
		vals[i] = pii.New(r)
	}
	out, err := e.tk.Tokenize(context.Background(), admin, kind, vals)
	if err != nil {
		t.Fatalf("Tokenize: %v", err)
	}
	return out
}

func (e *env) code(t *testing.T, kind code.Kind, raw string) code.Code {
	t.Helper()
	o := e.tokenize(t, kind, raw)[0]
	if o.Err != nil {
		t.Fatalf("tokenize %s: %v", kind, o.Err)
	}
	return o.Code
}

func (e *env) resolve(t *testing.T, codes ...code.Code) []Resolved {
	t.Helper()
	out, err := e.tk.Resolve(context.Background(), admin, PurposeCRM, "TICKET-42", codes)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	return out
}

// entries returns the whole audit log, read without auditing the read.
func (e *env) entries(t *testing.T) []audit.Entry {
	t.Helper()
	rows, err := e.db.Read().Query("SELECT body FROM audit_entries ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []audit.Entry
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
	}
	return out
}

func (e *env) verify(t *testing.T) {
	t.Helper()
	v, err := e.ring.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(context.Background(), e.db.Read(), v)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("audit verify: %v", err)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
