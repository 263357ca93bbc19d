package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"go.uber.org/goleak"

	"kordon/types/fault"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenSetsPragmasAndMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	db := open(t, path)
	ctx := context.Background()
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "wal_autocheckpoint": "10000", "cache_size": "-32768"} {
		var got string
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", st.Mode().Perm())
	}
	ms, _ := Migrations()
	if v, _ := db.SchemaVersion(ctx); v != len(ms) {
		t.Errorf("schema version %d, want %d", v, len(ms))
	}
	if _, err := db.Read().ExecContext(ctx, "INSERT INTO meta VALUES ('a', 'b')"); err == nil {
		t.Error("read pool accepted a write")
	}
}

func TestMigrationIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "k.db"))
	base, _ := Migrations()
	bad := append(base, Migration{Version: len(base) + 1, Name: "bad",
		SQL: "CREATE TABLE half (x INTEGER); INSERT INTO half VALUES (1); INSERT INTO no_such_table VALUES (1);"})
	if err := db.apply(ctx, bad); err == nil {
		t.Fatal("bad migration applied")
	}
	if v, _ := db.SchemaVersion(ctx); v != len(base) {
		t.Fatalf("schema version %d after failed migration, want %d", v, len(base))
	}
	var n int
	db.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'half'").Scan(&n)
	if n != 0 {
		t.Fatal("failed migration left table 'half' behind")
	}
	good := append(base, Migration{Version: len(base) + 1, Name: "good", SQL: "CREATE TABLE whole (x INTEGER);"})
	if err := db.apply(ctx, good); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.SchemaVersion(ctx); v != len(base)+1 {
		t.Fatalf("schema version %d, want %d", v, len(base)+1)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	db := open(t, path)
	if _, err := db.w.ExecContext(ctx, "PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(ctx, Config{Path: path})
	if !fault.Is(err, fault.Invalid) {
		t.Fatalf("Open on a newer schema: %v, want an Invalid error", err)
	}
}

func TestMigrationNames(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"gap":     {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"dup":     {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
		"no num":  {"m/init.sql": {}},
		"zero":    {"m/0000_a.sql": {}},
		"no name": {"m/0001.sql": {}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := loadMigrations(files, "m"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := Migrations(); err != nil {
		t.Fatalf("embedded migrations: %v", err)
	}
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "k.db"))
	const n = 400
	var wg sync.WaitGroup
	errs := make([]error, n)
	var rolledBack, committed sync.Map
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, func(tx *Tx) error {
				if _, err := tx.Exec("INSERT INTO meta (key, value) VALUES (?, 'v')", fmt.Sprint(i)); err != nil {
					return err
				}
				tx.OnRollback(func() { rolledBack.Store(i, true) })
				tx.OnCommit(func() {
					if _, again := committed.LoadOrStore(i, true); again {
						t.Errorf("op %d committed twice", i)
					}
				})
				if i%7 == 0 {
					return errors.New("op fails after writing")
				}
				if i%11 == 0 {
					panic("op panics")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	var rows int
	db.Read().QueryRowContext(ctx, "SELECT count(*) FROM meta").Scan(&rows)
	want := 0
	for i := 0; i < n; i++ {
		_, rb := rolledBack.Load(i)
		_, cm := committed.Load(i)
		fails := i%7 == 0 || i%11 == 0
		// A failed op is rolled back and never committed. A successful one
		// commits; it may also have been rolled back and run again when an
		// op before it in its batch failed.
		if (errs[i] != nil) != fails || fails && !rb || cm == fails {
			t.Fatalf("op %d: err=%v rolledBack=%v committed=%v", i, errs[i], rb, cm)
		}
		if !fails {
			want++
		}
	}
	if rows != want {
		t.Fatalf("%d rows, want %d", rows, want)
	}
}

func TestExternalChangeHook(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	a, b := open(t, path), open(t, path)
	var calls int
	a.OnExternalChange(func(*Tx) error { calls++; return nil })
	write := func(db *DB, k string) {
		t.Helper()
		if err := db.Write(ctx, func(tx *Tx) error {
			_, err := tx.Exec("INSERT INTO meta VALUES (?, 'v')", k)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "1") // first batch: hook runs
	write(a, "2") // own write: no hook
	if calls != 1 {
		t.Fatalf("hook ran %d times, want 1", calls)
	}
	write(b, "3") // another handle commits
	write(a, "4")
	if calls != 2 {
		t.Fatalf("hook ran %d times after an external write, want 2", calls)
	}
}

func TestWriteAfterClose(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "k.db"))
	db.Close()
	if err := db.Write(context.Background(), func(*Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkWriteParallel(b *testing.B) {
	db, err := Open(context.Background(), Config{Path: filepath.Join(b.TempDir(), "k.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var seq sync.Mutex
	n := 0
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seq.Lock()
			n++
			k := n
			seq.Unlock()
			if err := db.Write(context.Background(), func(tx *Tx) error {
				_, err := tx.Exec("INSERT INTO meta VALUES (?, 'v')", fmt.Sprint(k))
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSmallBatches forces leaders whose own operation does not fit in the
// batch they run, and hand-offs on every batch.
func TestSmallBatches(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "k.db"), MaxBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Write(ctx, func(tx *Tx) error {
				_, err := tx.Exec("INSERT INTO meta VALUES (?, 'v')", fmt.Sprint(i))
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.Read().QueryRowContext(ctx, "SELECT count(*) FROM meta").Scan(&n)
	if n != 200 {
		t.Fatalf("%d rows, want 200", n)
	}
}

// TestEveryOperationFails: a batch in which every operation fails (as with
// a damaged audit log) answers each with its own error and commits nothing.
func TestEveryOperationFails(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "k.db"))
	var wg sync.WaitGroup
	var runs atomic.Int64
	failures := make(chan error, 300)
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			failures <- db.Write(ctx, func(tx *Tx) error {
				runs.Add(1)
				if _, err := tx.Exec("INSERT INTO meta VALUES (?, 'v')", fmt.Sprint(i)); err != nil {
					return err
				}
				return errors.New("audit log damaged")
			})
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		if err == nil || err.Error() != "audit log damaged" {
			t.Fatalf("got %v", err)
		}
	}
	var n int
	db.Read().QueryRowContext(ctx, "SELECT count(*) FROM meta").Scan(&n)
	if n != 0 {
		t.Fatalf("%d rows committed", n)
	}
	// Replays are bounded: at most maxReplays+1 runs per operation.
	if r := runs.Load(); r > 300*(maxReplays+1) {
		t.Fatalf("%d runs for 300 operations", r)
	}
}
