package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/store"
	"kordon/types/fault"
)

// baseLog builds, once, a log of 100 entries with checkpoints at 16, 32,
// 41, 42, 48, 64, 80, 96 and 100, and returns the path of a fresh copy.
var baseLog = struct {
	once sync.Once
	path string
	err  error
}{}

func tamperCopy(t *testing.T) string {
	t.Helper()
	baseLog.once.Do(func() {
		dir, err := os.MkdirTemp("", "kordon-audit-base")
		if err != nil {
			baseLog.err = err
			return
		}
		baseLog.path = filepath.Join(dir, "base.db")
		baseLog.err = buildBase(baseLog.path)
	})
	if baseLog.err != nil {
		t.Fatal(baseLog.err)
	}
	b, err := os.ReadFile(baseLog.path)
	if err != nil {
		t.Fatal(err)
	}
	path := tempPath(t)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func buildBase(path string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: path})
	if err != nil {
		return err
	}
	defer db.Close()
	s, v, err := fixedKeys(testOrigin, 1)
	if err != nil {
		return err
	}
	l, err := New(Config{DB: db, Signer: s, Verifier: v, Now: newClock().Now, CheckpointEvery: 16})
	if err != nil {
		return err
	}
	steps := []struct {
		upTo       int
		checkpoint bool
	}{{41, true}, {42, true}, {100, true}}
	next := 0
	for _, s := range steps {
		for ; next < s.upTo; next++ {
			if _, err := l.Record(ctx, entry(next)); err != nil {
				return err
			}
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			return err
		}
	}
	return db.Checkpoint(ctx)
}

// rewrite replaces entry seq's body and recomputes every stored hash
// from it onward, as an attacker who knows tlog would.
func rewrite(t *testing.T, raw *sql.DB, seq int64, edit func([]byte) []byte) {
	t.Helper()
	bs := bodies(t, raw)
	bs[seq] = edit(bs[seq])
	exec(t, raw, "UPDATE audit_entries SET body = ? WHERE seq = ?", bs[seq], seq)
	m := buildTree(t, bs)
	for s := seq; s < int64(len(bs)); s++ {
		start := tlog.StoredHashIndex(0, s)
		exec(t, raw, "UPDATE audit_entries SET hashes = ? WHERE seq = ?", packHashes(nil, m[start:start+int64(hashCount(s))]), s)
	}
}

func editBody(b []byte) []byte { return bytes.Replace(b, []byte("ak_crm"), []byte("ak_evil"), 1) }

func TestVerifyCleanLog(t *testing.T) {
	path := tamperCopy(t)
	_, v := testKeys(t, testOrigin, 1)
	r, err := Verify(context.Background(), rawDB(t, path), v)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Entries != 100 || r.Checkpoints != 9 || r.Unsigned != 0 || r.Err() != nil || r.First() != "" {
		t.Fatalf("clean log: %+v", r)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	_, v := testKeys(t, testOrigin, 1)
	forger, _ := testKeys(t, testOrigin, 9)
	sign := func(t *testing.T, s note.Signer, text string) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	tests := []struct {
		name       string
		tamper     func(t *testing.T, raw *sql.DB)
		first      string // the first problem, exactly; a trailing "…" compares a prefix
		seq, cp    int64  // the first problem's Seq and Checkpoint
		okUnsigned int64  // for undetectable tampering: OK, with this many unsigned entries
	}{
		{
			name: "edit a body",
			tamper: func(t *testing.T, raw *sql.DB) {
				exec(t, raw, "UPDATE audit_entries SET body = ? WHERE seq = 41", editBody(bodies(t, raw)[41]))
			},
			first: "entry 41: body does not match its stored leaf hash (edited?)", seq: 41,
		},
		{
			name: "garble a body",
			tamper: func(t *testing.T, raw *sql.DB) {
				exec(t, raw, "UPDATE audit_entries SET body = X'7878' WHERE seq = 41")
			},
			first: "entry 41: body is not valid JSON (edited?)", seq: 41,
		},
		{
			name:   "delete a row",
			tamper: func(t *testing.T, raw *sql.DB) { exec(t, raw, "DELETE FROM audit_entries WHERE seq = 41") },
			first:  "entry 41 missing (deleted?)", seq: 41,
		},
		{
			name:   "delete several rows",
			tamper: func(t *testing.T, raw *sql.DB) { exec(t, raw, "DELETE FROM audit_entries WHERE seq BETWEEN 41 AND 43") },
			first:  "entries 41..43 missing (deleted?)", seq: 41,
		},
		{
			name:   "delete the first row",
			tamper: func(t *testing.T, raw *sql.DB) { exec(t, raw, "DELETE FROM audit_entries WHERE seq = 0") },
			first:  "entry 0 missing (deleted?)", seq: 0,
		},
		{
			name: "swap two rows' bodies",
			tamper: func(t *testing.T, raw *sql.DB) {
				bs := bodies(t, raw)
				exec(t, raw, "UPDATE audit_entries SET body = ? WHERE seq = 41", bs[42])
				exec(t, raw, "UPDATE audit_entries SET body = ? WHERE seq = 42", bs[41])
			},
			first: "entry 41 is out of order (body says seq 42)", seq: 41,
		},
		{
			name:   "truncate the tail",
			tamper: func(t *testing.T, raw *sql.DB) { exec(t, raw, "DELETE FROM audit_entries WHERE seq >= 90") },
			first:  "log truncated: checkpoint 100 signed but only 90 entries", seq: 90, cp: 100,
		},
		{
			name: "truncate the stored hashes",
			tamper: func(t *testing.T, raw *sql.DB) {
				exec(t, raw, "UPDATE audit_entries SET hashes = substr(hashes, 1, 32) WHERE seq = 41")
			},
			first: "entry 41: stored hashes are 32 bytes, want 64 (edited?)", seq: 41,
		},
		{
			name: "edit a body and its leaf hash only",
			tamper: func(t *testing.T, raw *sql.DB) {
				body := editBody(bodies(t, raw)[41])
				leaf := tlog.RecordHash(body)
				var hs []byte
				if err := raw.QueryRow("SELECT hashes FROM audit_entries WHERE seq = 41").Scan(&hs); err != nil {
					t.Fatal(err)
				}
				copy(hs, leaf[:])
				exec(t, raw, "UPDATE audit_entries SET body = ?, hashes = ? WHERE seq = 41", body, hs)
			},
			first: "entry 41: stored tree hashes do not match entries 40..41 (hashes rewritten?)", seq: 41,
		},
		{
			name:   "rewrite an entry and all hashes, one-entry checkpoint range",
			tamper: func(t *testing.T, raw *sql.DB) { rewrite(t, raw, 41, editBody) },
			first:  "checkpoint 42: root does not match entries 0..41: entry 41 was rewritten together with its stored hashes", seq: 41, cp: 42,
		},
		{
			name:   "rewrite an entry and all hashes",
			tamper: func(t *testing.T, raw *sql.DB) { rewrite(t, raw, 50, editBody) },
			first:  "checkpoint 64: root does not match entries 0..63: an entry in 48..63 was rewritten together with the stored hashes (checkpoint 48 still matches)", seq: -1, cp: 64,
		},
		{
			name:   "delete a checkpoint",
			tamper: func(t *testing.T, raw *sql.DB) { exec(t, raw, "DELETE FROM audit_checkpoints WHERE size = 32") },
			first:  "checkpoint 32 missing (deleted?): checkpoint 41 was signed after it", seq: -1, cp: 32,
		},
		{
			name: "edit a checkpoint's note",
			tamper: func(t *testing.T, raw *sql.DB) {
				exec(t, raw, "UPDATE audit_checkpoints SET note = CAST(replace(CAST(note AS TEXT), char(10) || '32' || char(10), char(10) || '33' || char(10)) AS BLOB) WHERE size = 32")
			},
			first: "checkpoint 32: signature invalid: the signature of kordon.test/audit+", seq: -1, cp: 32,
		},
		{
			name: "move a checkpoint to another size",
			tamper: func(t *testing.T, raw *sql.DB) {
				exec(t, raw, "UPDATE audit_checkpoints SET size = 33 WHERE size = 32")
			},
			first: "checkpoint 33: its signed note says size 32 (edited?)", seq: -1, cp: 33,
		},
		{
			name: "forge a checkpoint with another key",
			tamper: func(t *testing.T, raw *sql.DB) {
				root := compactRootOf(t, bodies(t, raw)[:48])
				text := fmt.Sprintf("%s\n48\n%s\ntime 2026-03-01T10:00:00.000Z\nprev 42\n", testOrigin, root)
				exec(t, raw, "UPDATE audit_checkpoints SET note = ? WHERE size = 48", sign(t, forger, text))
			},
			first: fmt.Sprintf("checkpoint 48: signature invalid: signed by unknown key %s+%08x, not %s+%08x (forged?)", testOrigin, forger.KeyHash(), testOrigin, v.KeyHash()), seq: -1, cp: 48,
		},
		{
			name: "insert a forged checkpoint",
			tamper: func(t *testing.T, raw *sql.DB) {
				text := fmt.Sprintf("%s\n50\n%s\n", testOrigin, compactRootOf(t, bodies(t, raw)[:50]))
				exec(t, raw, "INSERT INTO audit_checkpoints VALUES (50, ?, 0)", sign(t, forger, text))
			},
			first: "checkpoint 50: signature invalid: signed by unknown key …", seq: -1, cp: 50,
		},
		{
			name: "delete the newest checkpoint (not detectable; reported as unsigned)",
			tamper: func(t *testing.T, raw *sql.DB) {
				exec(t, raw, "DELETE FROM audit_checkpoints WHERE size = 100")
			},
			okUnsigned: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tamperCopy(t)
			raw := rawDB(t, path)
			tt.tamper(t, raw)
			r, err := Verify(context.Background(), raw, v)
			if err != nil {
				t.Fatal(err)
			}
			if tt.okUnsigned > 0 {
				if !r.OK || r.Unsigned != tt.okUnsigned {
					t.Fatalf("report %+v, want OK with %d unsigned entries", r, tt.okUnsigned)
				}
				return
			}
			if r.OK || len(r.Problems) == 0 {
				t.Fatalf("tampering not detected: %+v", r)
			}
			p := r.Problems[0]
			match := p.What == tt.first
			if prefix, ok := strings.CutSuffix(tt.first, "…"); ok {
				match = strings.HasPrefix(p.What, prefix)
			} else if strings.HasSuffix(tt.first, "+") {
				match = strings.HasPrefix(p.What, tt.first)
			}
			if !match || p.Seq != tt.seq || p.Checkpoint != tt.cp {
				t.Errorf("first problem {Seq:%d Checkpoint:%d %q}\nwant        {Seq:%d Checkpoint:%d %q}\nall: %+v", p.Seq, p.Checkpoint, p.What, tt.seq, tt.cp, tt.first, r.Problems)
			}
			err = r.Err()
			if !errors.Is(err, ErrTampered) || !fault.Is(err, fault.Internal) || !strings.Contains(err.Error(), p.What) {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

// compactRootOf returns the base64 root of bodies, for forging notes.
func compactRootOf(t *testing.T, bs [][]byte) string { return compactRoot(t, bs).String() }
