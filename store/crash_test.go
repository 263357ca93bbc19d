package store

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// slowMigration takes long enough to be killed half-way: it creates a
// table and fills it with a few million rows, then creates another.
var slowMigration = Migration{Name: "slow", SQL: `
CREATE TABLE filler (n INTEGER, pad TEXT);
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5000000)
INSERT INTO filler SELECT n, printf('%080d', n) FROM c;
CREATE TABLE after_filler (x INTEGER);`}

// With KORDON_STORE_MIGRATE_CHILD set, the test binary is the child
// process of TestMigrationSurvivesKill: it runs the slow migration and is
// killed in the middle of it.
func init() {
	if path := os.Getenv("KORDON_STORE_MIGRATE_CHILD"); path != "" {
		db, err := Open(context.Background(), Config{Path: path})
		if err != nil {
			os.Exit(3)
		}
		ms, _ := Migrations()
		slowMigration.Version = len(ms) + 1
		os.Stdout.WriteString("migrating\n")
		db.apply(context.Background(), append(ms, slowMigration))
		os.Exit(0)
	}
}

// TestMigrationSurvivesKill kills a process in the middle of a migration
// and checks that the database is left exactly before it, and that the
// migration then applies cleanly.
func TestMigrationSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	db := open(t, path) // the current schema
	base, _ := db.SchemaVersion(context.Background())
	db.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KORDON_STORE_MIGRATE_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := out.Read(buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // well inside the insert of millions of rows
	cmd.Process.Kill()
	state, _ := cmd.Process.Wait()
	if state.Success() {
		t.Fatal("the child finished the migration before it was killed; make it slower")
	}

	db = open(t, path)
	ctx := context.Background()
	if v, _ := db.SchemaVersion(ctx); v != base {
		t.Fatalf("schema version %d after a killed migration, want %d", v, base)
	}
	var n int
	db.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name IN ('filler', 'after_filler')").Scan(&n)
	if n != 0 {
		t.Fatalf("a killed migration left %d of its tables behind", n)
	}
	var ok string
	if err := db.w.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %s %v", ok, err)
	}
	ms, _ := Migrations()
	small := Migration{Version: len(ms) + 1, Name: "small", SQL: "CREATE TABLE after_filler (x INTEGER);"}
	if err := db.apply(ctx, append(ms, small)); err != nil {
		t.Fatalf("migration after the crash: %v", err)
	}
}
