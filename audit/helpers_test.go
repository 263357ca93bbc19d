package audit

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/store"
	"kordon/types/code"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if baseLog.path != "" {
			os.RemoveAll(filepath.Dir(baseLog.path))
		}
	}))
}

const testOrigin = "kordon.test/audit"

// testKeys returns a deterministic checkpoint key pair named name, so
// golden files stay stable.
func testKeys(t testing.TB, name string, seed byte) (note.Signer, note.Verifier) {
	t.Helper()
	s, v, err := fixedKeys(name, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

func fixedKeys(name string, seed byte) (note.Signer, note.Verifier, error) {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 32)), name)
	if err != nil {
		return nil, nil, err
	}
	s, err := NewSigner(skey)
	if err != nil {
		return nil, nil, err
	}
	v, err := NewVerifier(vkey)
	return s, v, err
}

// clock is a deterministic clock that advances one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func openDB(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newLog opens (or creates) the database at path and a Log on it. edit
// may change the Config before New.
func newLog(t testing.TB, path string, edit func(*Config)) (*store.DB, *Log) {
	t.Helper()
	db := openDB(t, path)
	s, v := testKeys(t, testOrigin, 1)
	cfg := Config{DB: db, Signer: s, Verifier: v, Now: newClock().Now, Hostname: "kordon-test", Version: "1.2.3"}
	if edit != nil {
		edit(&cfg)
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return db, l
}

func tempPath(t testing.TB) string { return filepath.Join(t.TempDir(), "kordon.db") }

// entry returns a valid entry numbered i, varied enough to exercise the
// encoder.
func entry(i int) Entry {
	e := Entry{
		Actor:     Actor{Type: ActorAPIKey, ID: fmt.Sprintf("ak_crm%d", i%3)},
		Remote:    "10.0.0.7:50123",
		Action:    ActionTokenize,
		Kind:      "phone",
		Codes:     []string{testCode(i)},
		Result:    ResultOK,
		RequestID: fmt.Sprintf("req-%d", i),
		Detail:    map[string]string{"created": "1", "existing": "0"},
	}
	e.ValueHashes = []string{fmt.Sprintf("%032x", i+1)}
	if i%5 == 4 {
		e.Action, e.Purpose, e.Reference, e.Result = ActionResolve, "crm", "DEAL-42", ResultDenied
		e.Reason = `principal lacks scope "resolve"`
	}
	return e
}

// testCodes holds valid codes made from a fixed pattern.
var testCodes = func() []string {
	var out []string
	for i := 0; len(out) < 64; i++ {
		var id [16]byte
		for j := range id {
			id[j] = byte(i*31 + j*7)
		}
		kind := code.Phone
		if i%4 == 3 {
			kind = code.Name
		}
		if c, err := code.New(kind, bytes.NewReader(id[:])); err == nil {
			out = append(out, c.String())
		}
	}
	return out
}()

func testCode(i int) string { return testCodes[i%len(testCodes)] }

// appendN appends n entries in one write transaction.
func appendN(t testing.TB, db *store.DB, l *Log, from, n int) {
	t.Helper()
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		for i := from; i < from+n; i++ {
			seq, err := l.Append(tx, entry(i))
			if err != nil {
				return err
			}
			if seq != int64(i) {
				return fmt.Errorf("appended entry %d got seq %d", i, seq)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rawDB opens the database file directly, as an attacker would.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// bodies reads every stored body in seq order.
func bodies(t testing.TB, db *sql.DB) [][]byte {
	t.Helper()
	rows, err := db.Query("SELECT body FROM audit_entries ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// memHashes is an independent tlog.HashReader: every stored hash of a
// log built in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// buildTree computes every stored hash of bodies the plain tlog way.
func buildTree(t testing.TB, bs [][]byte) memHashes {
	t.Helper()
	var m memHashes
	for i, b := range bs {
		hs, err := tlog.StoredHashes(int64(i), b, m)
		if err != nil {
			t.Fatal(err)
		}
		m = append(m, hs...)
	}
	return m
}
