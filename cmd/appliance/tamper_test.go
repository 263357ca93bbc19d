package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestAuditVerifyNamesTampering edits the audit tables of a stopped
// appliance behind its back, the way someone with the database file
// could, and checks that `kordon audit verify` fails and names the entry
// or checkpoint. It also checks the command line's inclusion and
// consistency proofs on the untouched log.
func TestAuditVerifyNamesTampering(t *testing.T) {
	a := newAppliance(t, "audit:\n  checkpoint_every: 10\n")
	a.start()
	for i := 0; i < 30; i++ {
		a.mustCLI("", "token", "tokenize", "--kind", "id", fmt.Sprintf("LEAD-%d", i))
	}
	if err := a.stop(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if out := a.mustCLI("", "audit", "verify"); !strings.HasPrefix(out, "ok:") {
		t.Fatalf("pristine log: %s", out)
	}

	var proof struct {
		Verified bool `json:"verified"`
		Seq      int  `json:"seq"`
	}
	if err := json.Unmarshal([]byte(a.mustCLI("", "audit", "prove", "12")), &proof); err != nil || !proof.Verified || proof.Seq != 12 {
		t.Fatalf("audit prove 12: %+v %v", proof, err)
	}
	sizes := queryInts(t, a.dir, "SELECT size FROM audit_checkpoints ORDER BY size")
	if len(sizes) < 3 {
		t.Fatalf("only %d checkpoints", len(sizes))
	}
	out := a.mustCLI("", "audit", "prove", "--consistency", strconv.Itoa(sizes[0]), strconv.Itoa(sizes[len(sizes)-1]))
	if !strings.Contains(out, `"verified":true`) {
		t.Fatalf("consistency proof: %s", out)
	}

	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"edit a body", "UPDATE audit_entries SET body = CAST(replace(CAST(body AS TEXT), '\"ok\"', '\"no\"') AS BLOB) WHERE seq = 17", "entry 17"},
		{"delete an entry", "DELETE FROM audit_entries WHERE seq = 21", "entry 21"},
		{"swap two entries", `UPDATE audit_entries SET body = CASE seq WHEN 5 THEN (SELECT body FROM audit_entries WHERE seq = 6)
			ELSE (SELECT body FROM audit_entries WHERE seq = 5) END WHERE seq IN (5, 6)`, "entry 5"},
		{"truncate the tail", "DELETE FROM audit_entries WHERE seq >= 25", "truncated"},
		{"edit a checkpoint", "UPDATE audit_checkpoints SET note = CAST(replace(CAST(note AS TEXT), char(10) || '20' || char(10), char(10) || '19' || char(10)) AS BLOB) WHERE size = 20", "checkpoint"},
		{"delete a checkpoint", "DELETE FROM audit_checkpoints WHERE size = 20", "checkpoint 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := copyAppliance(t, a)
			execSQL(t, b.dir, tt.sql)
			out, errOut, err := b.cli("", "audit", "verify")
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("verify of a tampered log: %v\n%s%s", err, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("verify does not name %q:\n%s%s", tt.want, out, errOut)
			}
		})
	}
}

// copyAppliance copies a stopped appliance's data directory.
func copyAppliance(t *testing.T, a *appliance) *appliance {
	t.Helper()
	b := newAppliance(t, "")
	if err := os.CopyFS(b.dir, os.DirFS(a.dir)); err != nil {
		t.Fatal(err)
	}
	// CopyFS creates files 0644; the appliance refuses a key file that
	// others can read, so restore the modes it had.
	filepath.Walk(b.dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			os.Chmod(p, map[bool]os.FileMode{true: 0o700, false: 0o600}[info.IsDir()])
		}
		return err
	})
	return b
}

func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "kordon.db")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func execSQL(t *testing.T, dir, q string) {
	t.Helper()
	db := openDB(t, dir)
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	db.Close()
}

func queryInts(t *testing.T, dir, q string) []int {
	t.Helper()
	rows, err := openDB(t, dir).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}
