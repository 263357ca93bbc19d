package apikey

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/tokenizer/tokenizertest"
	"kordon/types/fault"
	"kordon/types/pii"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a Store on a fresh database with a real audit log.
type env struct {
	core  *tokenizertest.Env
	db    *store.DB
	log   *audit.Log
	keys  *Store
	clock *clock
}

var admin = audit.Actor{Type: audit.ActorCLI, ID: "root"}

func newEnv(t *testing.T) *env {
	t.Helper()
	core := tokenizertest.New(t, tokenizertest.Options{Origin: "kordon.test/apikey"})
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	ks, err := New(Config{DB: core.DB, Audit: core.Audit, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{core: core, db: core.DB, log: core.Audit, keys: ks, clock: clk}
}

// entries returns the audit log without auditing the read, with the
// stored bodies.
func (e *env) entries(t *testing.T) ([]audit.Entry, [][]byte) {
	return e.core.Entries(t)
}

func (e *env) create(t *testing.T, scopes ...tokenizer.Scope) (Key, string) {
	t.Helper()
	k, tok, err := e.keys.Create(context.Background(), admin, "bitrix24 prod", scopes)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return k, tok
}

var tokenRE = regexp.MustCompile(`^kdn_([a-z2-7]{10})_([a-z2-7]{52})$`)

func TestCreate(t *testing.T) {
	e := newEnv(t)
	k, tok := e.create(t, tokenizer.ScopeResolve, tokenizer.ScopeTokenize, tokenizer.ScopeResolve)
	m := tokenRE.FindStringSubmatch(tok)
	if m == nil {
		t.Fatalf("token %q does not match %s", tok, tokenRE)
	}
	if m[1] != k.ID {
		t.Fatalf("token id %q, key id %q", m[1], k.ID)
	}
	want := Key{ID: k.ID, Name: "bitrix24 prod", Scopes: []tokenizer.Scope{tokenizer.ScopeTokenize, tokenizer.ScopeResolve},
		CreatedAt: e.clock.now(), CreatedBy: "cli:root"}
	if diff := cmp.Diff(want, k); diff != "" {
		t.Fatalf("Create key (-want +got):\n%s", diff)
	}
	list, err := e.keys.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Key{want}, list); diff != "" {
		t.Fatalf("List (-want +got):\n%s", diff)
	}

	// Only the SHA-256 of the secret is stored; the secret's text is
	// nowhere in the database file.
	secret, err := b32.DecodeString(m[2])
	if err != nil {
		t.Fatal(err)
	}
	var stored []byte
	if err := e.db.Read().QueryRow("SELECT secret_hash FROM api_keys WHERE id = ?", k.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(secret); !bytes.Equal(stored, sum[:]) {
		t.Fatal("stored hash is not the SHA-256 of the secret")
	}
	if err := e.db.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, []byte(m[2])) || bytes.Contains(file, secret) {
		t.Fatal("the database file holds the secret")
	}

	entries, _ := e.entries(t)
	if len(entries) != 1 {
		t.Fatalf("want 1 audit entry, got %d", len(entries))
	}
	got := entries[0]
	if got.Action != audit.ActionAPIKeyCreate || got.Actor != admin || got.Result != audit.ResultOK {
		t.Fatalf("audit entry %+v", got)
	}
	if diff := cmp.Diff(map[string]string{"key_id": k.ID, "name": "bitrix24 prod", "scopes": "tokenize,resolve"}, got.Detail); diff != "" {
		t.Fatalf("audit detail (-want +got):\n%s", diff)
	}
}

func TestCreateRefuses(t *testing.T) {
	all := []tokenizer.Scope{tokenizer.ScopeResolve}
	tests := []struct {
		name   string
		by     audit.Actor
		key    string
		scopes []tokenizer.Scope
		want   string // in the error
	}{
		{"keys scope", admin, "ops", []tokenizer.Scope{tokenizer.ScopeResolve, tokenizer.ScopeKeys}, "keys scope"},
		{"no scopes", admin, "ops", nil, "at least one scope"},
		{"unknown scope", admin, "ops", []tokenizer.Scope{"root"}, "unknown scope"},
		{"empty name", admin, "", all, "name is required"},
		{"phone in name", admin, "crm 89123456789", all, "7 or more digits"},
		{"full-width phone in name", admin, "crm ８９１２３４５６７", all, "7 or more digits"},
		{"line break", admin, "crm\nprod", all, "printable"},
		{"too long", admin, strings.Repeat("x", 65), all, "longer than 64"},
		{"padded", admin, " crm", all, "white space"},
		{"bad utf-8", admin, "crm\xff", all, "UTF-8"},
		{"anonymous", audit.Actor{}, "crm", all, "identified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, tok, err := e.keys.Create(context.Background(), tt.by, tt.key, tt.scopes)
			if !fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Create = %v; want an invalid error about %q", err, tt.want)
			}
			if tok != "" {
				t.Fatal("a token was returned with an error")
			}
			if pii.DigitRun(err.Error()) > maxNameDigits {
				t.Fatalf("error %q repeats the digits", err)
			}
			if list, _ := e.keys.List(context.Background()); len(list) != 0 {
				t.Fatalf("a refused key was stored: %+v", list)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	k, tok := e.create(t, tokenizer.ScopeTokenize, tokenizer.ScopeAudit)
	revokedKey, revokedTok := e.create(t, tokenizer.ScopeResolve)
	if err := e.keys.Revoke(context.Background(), admin, revokedKey.ID); err != nil {
		t.Fatal(err)
	}
	secret := tok[len(tok)-secretLen:]
	otherSecret, _ := b32.DecodeString(strings.Repeat("a", secretLen))
	wrongSecret := formatToken(k.ID, b32.EncodeToString(otherSecret))
	unknown := formatToken("abcdefghij", secret)
	tests := []struct {
		name      string
		token     string
		kind      fault.Kind // Other: success
		reason    string     // of the auth.fail entry
		actorID   string     // named by the auth.fail entry
		wantScope []tokenizer.Scope
	}{
		{"valid", tok, fault.Other, "", "", []tokenizer.Scope{tokenizer.ScopeTokenize, tokenizer.ScopeAudit}},
		{"empty", "", fault.Unauthorized, reasonMissing, "", nil},
		{"garbage", "hello", fault.Unauthorized, reasonMalformed, "", nil},
		{"phone", "+79123456789", fault.Unauthorized, reasonMalformed, "", nil},
		{"upper case", strings.ToUpper(tok), fault.Unauthorized, reasonMalformed, "", nil},
		{"truncated secret", tok[:len(tok)-1], fault.Unauthorized, reasonMalformed, "", nil},
		{"bad secret alphabet", tok[:len(tok)-2] + "1a", fault.Unauthorized, reasonMalformed, k.ID, nil},
		{"phone-shaped id", formatToken("7912345678", secret), fault.Unauthorized, reasonMalformed, "", nil},
		{"unknown id", unknown, fault.Unauthorized, reasonUnknown, "abcdefghij", nil},
		{"wrong secret", wrongSecret, fault.Unauthorized, reasonSecret, k.ID, nil},
		{"revoked", revokedTok, fault.Denied, reasonRevoked, revokedKey.ID, nil},
		{"revoked, wrong secret", formatToken(revokedKey.ID, secret), fault.Unauthorized, reasonSecret, revokedKey.ID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := e.entries(t)
			p, err := e.keys.Authenticate(context.Background(), tt.token, "192.0.2.7")
			after, bodies := e.entries(t)
			if tt.kind == fault.Other {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				want := tokenizer.Principal{Actor: audit.Actor{Type: audit.ActorAPIKey, ID: k.ID}, Scopes: tt.wantScope, Remote: "192.0.2.7"}
				if diff := cmp.Diff(want, p); diff != "" {
					t.Fatalf("principal (-want +got):\n%s", diff)
				}
				if len(after) != len(before) {
					t.Fatal("a successful authentication wrote an audit entry")
				}
				return
			}
			if got := fault.KindOf(err); got != tt.kind {
				t.Fatalf("Authenticate = %v (kind %v), want kind %v", err, got, tt.kind)
			}
			if !cmp.Equal(p, tokenizer.Principal{}) {
				t.Fatalf("a failed authentication returned principal %+v", p)
			}
			if tt.kind == fault.Unauthorized && err.Error() != "apikey.Authenticate: invalid API key" {
				t.Fatalf("error %q tells the caller more than that the key is invalid", err)
			}
			if len(after) != len(before)+1 {
				t.Fatalf("want one auth.fail entry, got %d new entries", len(after)-len(before))
			}
			got := after[len(after)-1]
			wantActor := audit.Actor{}
			if tt.actorID != "" {
				wantActor = audit.Actor{Type: audit.ActorAPIKey, ID: tt.actorID}
			}
			if got.Action != audit.ActionAuthFail || got.Result != audit.ResultDenied || got.Reason != tt.reason ||
				got.Actor != wantActor || got.Remote != "192.0.2.7" {
				t.Fatalf("auth.fail entry %+v; want reason %q actor %+v", got, tt.reason, wantActor)
			}
			body := string(bodies[len(bodies)-1])
			for _, s := range []string{secret, strings.ToUpper(secret), "9123456789"} {
				if strings.Contains(body, s) {
					t.Fatalf("audit entry %s holds part of the token", body)
				}
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	k, tok := e.create(t, tokenizer.ScopeResolve)
	if _, err := e.keys.Authenticate(ctx, tok, "local"); err != nil {
		t.Fatal(err)
	}
	e.clock.add(time.Second)
	if err := e.keys.Revoke(ctx, admin, k.ID); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := e.keys.Authenticate(ctx, tok, "local"); !fault.Is(err, fault.Denied) {
		t.Fatalf("Authenticate after Revoke = %v, want denied", err)
	}
	if err := e.keys.Revoke(ctx, admin, k.ID); err != nil {
		t.Fatalf("second Revoke = %v, want success", err)
	}
	for _, id := range []string{"abcdefghij", "89123456789"} {
		if err := e.keys.Revoke(ctx, admin, id); !fault.Is(err, fault.NotFound) || strings.Contains(err.Error(), "89123456789") {
			t.Fatalf("Revoke(%q) = %v, want not found without the input", id, err)
		}
	}
	list, err := e.keys.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Active() || !list[0].RevokedAt.Equal(e.clock.now()) {
		t.Fatalf("List after Revoke = %+v", list)
	}

	var revokes []audit.Entry
	all, bodies := e.entries(t)
	for i, en := range all {
		if en.Action == audit.ActionAPIKeyRevoke {
			revokes = append(revokes, en)
			if bytes.Contains(bodies[i], []byte("89123456789")) {
				t.Fatalf("audit entry %s holds the mistyped id", bodies[i])
			}
		}
	}
	want := []struct{ result, keyID, already string }{
		{audit.ResultOK, k.ID, ""},
		{audit.ResultOK, k.ID, "true"},
		{audit.ResultNotFound, "abcdefghij", ""},
		{audit.ResultNotFound, "", ""},
	}
	if len(revokes) != len(want) {
		t.Fatalf("want %d apikey.revoke entries, got %d", len(want), len(revokes))
	}
	for i, w := range want {
		r := revokes[i]
		if r.Result != w.result || r.Detail["key_id"] != w.keyID || r.Detail["already_revoked"] != w.already || r.Actor != admin {
			t.Errorf("revoke entry %d = %+v, want %+v", i, r, w)
		}
	}
}

// TestLastUsed checks that authentication writes the last-used time at
// most once a minute per key.
func TestLastUsed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, tok := e.create(t, tokenizer.ScopeResolve)
	lastUsed := func() time.Time {
		t.Helper()
		list, err := e.keys.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return list[0].LastUsedAt
	}
	if !lastUsed().IsZero() {
		t.Fatal("a new key has a last-used time")
	}
	t0 := e.clock.now()
	steps := []struct {
		advance time.Duration
		want    time.Time
	}{
		{0, t0},
		{30 * time.Second, t0},
		{29 * time.Second, t0},
		{2 * time.Second, t0.Add(61 * time.Second)},
		{time.Second, t0.Add(61 * time.Second)},
	}
	for i, s := range steps {
		e.clock.add(s.advance)
		if _, err := e.keys.Authenticate(ctx, tok, "local"); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(s.want) {
			t.Fatalf("step %d: last used %v, want %v", i, got, s.want)
		}
	}
	// A second Store (another process) trusts the stored time too.
	other, err := New(Config{DB: e.db, Audit: e.log, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.add(10 * time.Second)
	if _, err := other.Authenticate(ctx, tok, "local"); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(t0.Add(61 * time.Second)) {
		t.Fatalf("another store rewrote last used within the minute: %v", got)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); !fault.Is(err, fault.Invalid) {
		t.Fatalf("New(Config{}) = %v, want invalid", err)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	for range 200 {
		id, err := newID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		raw, text, err := newSecret(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		gotID, gotSecret, err := parseToken(formatToken(id, text))
		if err != nil || gotID != id || !bytes.Equal(gotSecret, raw) {
			t.Fatalf("parseToken(formatToken(%q, …)) = %q, %v", id, gotID, err)
		}
		if pii.DigitRun(id) > maxIDDigits {
			t.Fatalf("id %q is phone-shaped", id)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add("kdn_abcdefghij_" + strings.Repeat("a", secretLen))
	f.Add("kdn_abcdefghij_" + strings.Repeat("a", secretLen-1) + "b")
	f.Add("+79123456789")
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := parseToken(s)
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("parseToken error %v", err)
			}
			if id != "" && !validID(id) {
				t.Fatalf("parseToken returned malformed id %q", id)
			}
			return
		}
		if formatToken(id, b32.EncodeToString(secret)) != s {
			t.Fatalf("parseToken accepted a non-canonical token %q", s)
		}
	})
}
