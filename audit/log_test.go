package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"kordon/store"
	"kordon/types/fault"
)

// mustVerify runs Verify and fails the test on any problem.
func mustVerify(t *testing.T, db *store.DB, l *Log) Report {
	t.Helper()
	r, err := Verify(context.Background(), db.Read(), l.cfg.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("log does not verify: %v\n%+v", r.Err(), r.Problems)
	}
	return r
}

// compactRoot computes the root of bodies with transparency-dev/merkle,
// an implementation independent of tlog.
func compactRoot(t *testing.T, bs [][]byte) tlog.Hash {
	t.Helper()
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	r := rf.NewEmptyRange(0)
	for _, b := range bs {
		if err := r.Append(rfc6962.DefaultHasher.HashLeaf(b), nil); err != nil {
			t.Fatal(err)
		}
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		t.Fatal(err)
	}
	var h tlog.Hash
	copy(h[:], root)
	return h
}

func TestNewValidates(t *testing.T) {
	db := openDB(t, tempPath(t))
	s, v := testKeys(t, testOrigin, 1)
	_, other := testKeys(t, testOrigin, 2)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no database", Config{Signer: s, Verifier: v}},
		{"no signer", Config{DB: db, Verifier: v}},
		{"no verifier", Config{DB: db, Signer: s}},
		{"verifier of another key", Config{DB: db, Signer: s, Verifier: other}},
		{"two-line origin", Config{DB: db, Signer: s, Verifier: v, Origin: "a\nb"}},
		{"negative interval", Config{DB: db, Signer: s, Verifier: v, CheckpointInterval: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg); !fault.Is(err, fault.Invalid) {
				t.Fatalf("New: %v, want an Invalid error", err)
			}
		})
	}
	l, err := New(Config{DB: db, Signer: s, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	if l.Origin() != testOrigin || l.cfg.CheckpointEvery != 1000 || l.cfg.CheckpointInterval != 10*time.Second {
		t.Errorf("defaults: origin %q, every %d, interval %v", l.Origin(), l.cfg.CheckpointEvery, l.cfg.CheckpointInterval)
	}
}

func TestAppendReopenKeepsTree(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	db, l := newLog(t, path, func(c *Config) { c.CheckpointEvery = 7 })
	appendN(t, db, l, 0, 20)
	for i := 20; i < 30; i++ {
		if seq, err := l.Record(ctx, entry(i)); err != nil || seq != int64(i) {
			t.Fatalf("Record %d = %d, %v", i, seq, err)
		}
	}
	db.Close()

	db, l = newLog(t, path, func(c *Config) { c.CheckpointEvery = 7 })
	appendN(t, db, l, 30, 13)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, db, l)
	if r.Entries != 43 || r.Checkpoints != 7 { // 7, 14, …, 42, then 43
		t.Errorf("verified %d entries and %d checkpoints, want 43 and 7", r.Entries, r.Checkpoints)
	}

	raw := rawDB(t, path)
	bs := bodies(t, raw)
	if got := compactRoot(t, bs); got != cp.Root {
		t.Errorf("checkpoint root %v, transparency-dev/merkle computes %v", cp.Root, got)
	}
	// Every stored hash is what plain tlog computes.
	want := buildTree(t, bs)
	rows, err := raw.Query("SELECT seq, hashes FROM audit_entries ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var hs []byte
		if err := rows.Scan(&seq, &hs); err != nil {
			t.Fatal(err)
		}
		start := tlog.StoredHashIndex(0, seq)
		if got, want := hs, packHashes(nil, want[start:start+int64(hashCount(seq))]); string(got) != string(want) {
			t.Errorf("entry %d: stored hashes differ from tlog.StoredHashes", seq)
		}
	}
}

// TestAppendAfterStoreWasUsed covers a Log created after the store's
// first write transaction, which therefore never sees the external-change
// hook run until another process writes.
func TestAppendAfterStoreWasUsed(t *testing.T) {
	path := tempPath(t)
	db, l := newLog(t, path, nil)
	appendN(t, db, l, 0, 5)
	db.Close()

	db = openDB(t, path)
	if err := db.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec("INSERT INTO meta VALUES ('x', 'y')")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s, v := testKeys(t, testOrigin, 1)
	l, err := New(Config{DB: db, Signer: s, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, db, l, 5, 5)
	mustVerify(t, db, l)
}

func TestConcurrentAppend(t *testing.T) {
	ctx := context.Background()
	db, l := newLog(t, tempPath(t), func(c *Config) { c.CheckpointEvery = 50 })
	const writers, each = 16, 40
	var wg sync.WaitGroup
	seqs := make([][]int64, writers)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				seq, err := l.Record(ctx, entry(w*each+i))
				if err != nil {
					errs <- err
					return
				}
				seqs[w] = append(seqs[w], seq)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := make([]bool, writers*each)
	for _, ss := range seqs {
		for _, s := range ss {
			if seen[s] {
				t.Fatalf("seq %d handed out twice", s)
			}
			seen[s] = true
		}
	}
	r := mustVerify(t, db, l)
	if r.Entries != writers*each || r.Checkpoints != writers*each/50 {
		t.Errorf("verified %d entries, %d checkpoints", r.Entries, r.Checkpoints)
	}
}

// TestTwoHandles simulates the daemon and the command line: two store.DB
// handles, each with its own Log, append to one file in turn and at once.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	dbA, a := newLog(t, path, func(c *Config) { c.CheckpointEvery = 8 })
	dbB, b := newLog(t, path, func(c *Config) { c.CheckpointEvery = 8 })
	for i := range 30 {
		l := a
		if i%3 == 2 {
			l = b
		}
		if seq, err := l.Record(ctx, entry(i)); err != nil || seq != int64(i) {
			t.Fatalf("entry %d: seq %d, %v", i, seq, err)
		}
	}
	if _, err := b.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, l := range []*Log{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				if _, err := l.Record(ctx, entry(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := a.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, dbA, a)
	if r.Entries != 80 {
		t.Errorf("%d entries, want 80", r.Entries)
	}
	ra := mustVerify(t, dbB, b)
	if diff := cmp.Diff(r, ra); diff != "" {
		t.Errorf("the two handles verify differently:\n%s", diff)
	}
}

var errLater = errors.New("a later step of the operation failed")

// TestRollbackLeavesNoHole appends inside operations that then fail, at
// and away from a checkpoint boundary, and checks that the next entry
// takes the freed seq and the log verifies.
func TestRollbackLeavesNoHole(t *testing.T) {
	ctx := context.Background()
	db, l := newLog(t, tempPath(t), func(c *Config) { c.CheckpointEvery = 4 })
	appendN(t, db, l, 0, 2)
	for _, n := range []int{1, 2, 3} { // the third failure spans the boundary at 4
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i := range n {
				if _, err := l.Append(tx, entry(100+i)); err != nil {
					return err
				}
			}
			return errLater
		})
		if !errors.Is(err, errLater) {
			t.Fatalf("Write: %v", err)
		}
	}
	// A failing operation in the middle of a batch of good ones.
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db.Write(ctx, func(tx *store.Tx) error {
				if _, err := l.Append(tx, entry(i)); err != nil {
					return err
				}
				if i%3 == 0 {
					return errLater
				}
				return nil
			})
		}()
	}
	wg.Wait()
	seq, err := l.Record(ctx, entry(2))
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 + 8 + 1 - 1); seq != want {
		t.Errorf("next seq %d, want %d (no holes)", seq, want)
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	r := mustVerify(t, db, l)
	if r.Entries != 11 || r.Checkpoints != 3 { // 4, 8, 11
		t.Errorf("%d entries, %d checkpoints; want 11, 3", r.Entries, r.Checkpoints)
	}
}

func TestAppendRefusesInvalidEntry(t *testing.T) {
	ctx := context.Background()
	db, l := newLog(t, tempPath(t), nil)
	e := entry(0)
	e.ValueHashes = []string{"79161234567"}
	_, err := l.Record(ctx, e)
	if !fault.Is(err, fault.Invalid) {
		t.Fatalf("Record: %v, want Invalid", err)
	}
	if strings.Contains(err.Error(), "9161234567") {
		t.Errorf("error repeats the value: %v", err)
	}
	if seq, err := l.Record(ctx, entry(0)); err != nil || seq != 0 {
		t.Fatalf("Record after a refusal: %d, %v", seq, err)
	}
	mustVerify(t, db, l)
}

// TestDamagedLogRefusesAppend damages the log from another connection
// and restarts: the new Log refuses to append (or sign) on top of it,
// while other writes keep working. (A running Log whose sizes did not
// change keeps its own frontier, which is the truth; see reload.)
func TestDamagedLogRefusesAppend(t *testing.T) {
	forger, _ := testKeys(t, testOrigin, 9)
	tests := []struct {
		name   string
		damage func(t *testing.T, raw *sql.DB)
		want   string
	}{
		{"truncated below a checkpoint", func(t *testing.T, raw *sql.DB) {
			exec(t, raw, "DELETE FROM audit_entries WHERE seq >= 15")
		}, "log truncated: checkpoint 20 signed but only 15 entries"},
		{"a row the frontier needs deleted", func(t *testing.T, raw *sql.DB) {
			exec(t, raw, "DELETE FROM audit_entries WHERE seq = 23")
		}, "entry 23 missing"},
		{"newest checkpoint forged", func(t *testing.T, raw *sql.DB) {
			msg, err := note.Sign(&note.Note{Text: testOrigin + "\n20\n" + tlog.RecordHash(nil).String() + "\n"}, forger)
			if err != nil {
				t.Fatal(err)
			}
			exec(t, raw, "UPDATE audit_checkpoints SET note = ? WHERE size = 20", msg)
		}, "newest checkpoint 20: "},
		{"entries rewritten with their hashes", func(t *testing.T, raw *sql.DB) {
			rewrite(t, raw, 3, editBody)
		}, "stored tree of 20 entries does not have the root checkpoint 20 signed (rewritten?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := tempPath(t)
			db, l := newLog(t, path, func(c *Config) { c.CheckpointEvery = 10 })
			appendN(t, db, l, 0, 25)
			db.Close()
			tt.damage(t, rawDB(t, path))
			db, l = newLog(t, path, func(c *Config) { c.CheckpointEvery = 10 })
			_, err := l.Record(ctx, entry(0))
			if !fault.Is(err, fault.Internal) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Record on a damaged log: %v, want an Internal error containing %q", err, tt.want)
			}
			if _, err := l.Checkpoint(ctx); !fault.Is(err, fault.Internal) {
				t.Fatalf("Checkpoint on a damaged log: %v", err)
			}
			if err := db.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec("INSERT INTO meta VALUES ('still', 'writable')")
				return err
			}); err != nil {
				t.Fatalf("other writes fail too: %v", err)
			}
		})
	}
}

func TestCheckpointChain(t *testing.T) {
	ctx := context.Background()
	db, l := newLog(t, tempPath(t), func(c *Config) { c.CheckpointEvery = 4 })
	if _, err := l.Checkpoint(ctx); !fault.Is(err, fault.NotFound) || !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Checkpoint of an empty log: %v, want NotFound", err)
	}
	if _, err := l.Latest(ctx); !fault.Is(err, fault.NotFound) || !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("Latest of an empty log: %v", err)
	}
	appendN(t, db, l, 0, 10)
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cp, again); diff != "" {
		t.Errorf("a second Checkpoint without new entries signed again:\n%s", diff)
	}
	latest, err := l.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cp, latest); diff != "" {
		t.Errorf("Latest differs from Checkpoint:\n%s", diff)
	}
	var prev int64
	for _, size := range []int64{4, 8, 10} {
		c, err := l.CheckpointAt(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != size || c.Prev != prev || c.Origin != testOrigin || c.Time.IsZero() {
			t.Errorf("checkpoint %d: %+v, want prev %d", size, c, prev)
		}
		prev = size
	}
	if _, err := l.CheckpointAt(ctx, 5); !fault.Is(err, fault.NotFound) {
		t.Errorf("CheckpointAt(5): %v, want NotFound", err)
	}
	if !strings.HasPrefix(cp.Note, testOrigin+"\n10\n") || !strings.Contains(cp.Note, "\nprev 8\n\n— "+testOrigin+" ") {
		t.Errorf("checkpoint note:\n%s", cp.Note)
	}
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, l := newLog(t, tempPath(t), func(c *Config) { c.CheckpointInterval = 5 * time.Millisecond; c.Now = time.Now })
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	appendN(t, db, l, 0, 3)
	deadline := time.Now().Add(10 * time.Second)
	for {
		cp, err := l.Latest(ctx)
		if err == nil && cp.Size == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of 3 entries after 10s (latest %+v, %v)", cp, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Entries recorded just before shutdown get the final checkpoint.
	appendN(t, db, l, 3, 2)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	cp, err := l.Latest(context.Background())
	if err != nil || cp.Size != 5 {
		t.Fatalf("after shutdown the latest checkpoint is %d, %v; want 5", cp.Size, err)
	}
}

func TestRecordReportsKind(t *testing.T) {
	db, l := newLog(t, tempPath(t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Record(ctx, entry(0)); err == nil {
		t.Fatal("Record with a cancelled context succeeded")
	}
	db.Close()
	_, err := l.Record(context.Background(), entry(0))
	if err == nil || !strings.Contains(err.Error(), "record tokenize entry") {
		t.Fatalf("Record on a closed store: %v", err)
	}
	_ = fmt.Sprint(err)
}
