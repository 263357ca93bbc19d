package record

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kordon/audit"
	"kordon/store"
)

func TestPurge(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retention = 24 * time.Hour })
	ctx := context.Background()
	var old []string
	for i := range 3 {
		old = append(old, e.record(t, fmt.Sprintf("call_old%c", 'a'+i), newTalk(uint64(i), 10)))
	}
	// A call that started long ago and is still going is kept.
	running, err := e.s.Create(ctx, "call_running")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(12 * time.Hour)
	young := e.record(t, "call_young", newTalk(9, 10))
	e.clock.Advance(13 * time.Hour)

	n, err := e.s.Purge(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Purge = %d, %v; want 3", n, err)
	}
	for _, id := range old {
		if _, err := os.Stat(filepath.Join(e.dir, id+fileSuffix)); !os.IsNotExist(err) {
			t.Errorf("%s: file still there (%v)", id, err)
		}
	}
	entries := e.entries(t, audit.ActionRecordingDelete)
	if len(entries) != 3 {
		t.Fatalf("%d delete entries, want 3", len(entries))
	}
	var want []audit.Entry
	for i, id := range old {
		want = append(want, audit.Entry{Actor: systemActor, Action: audit.ActionRecordingDelete, Result: audit.ResultOK,
			Detail: map[string]string{"recording": id, "call": fmt.Sprintf("call_old%c", 'a'+i), "reason": "retention"}})
	}
	byID := cmpopts.SortSlices(func(a, b audit.Entry) bool { return a.Detail["recording"] < b.Detail["recording"] })
	if diff := cmp.Diff(want, entries, byID, cmpopts.IgnoreFields(audit.Entry{}, "Seq", "Time")); diff != "" {
		t.Errorf("retention entries (-want +got):\n%s", diff)
	}
	e.checkPlays(t, young, newTalk(9, 10), 10)
	if n, err := e.s.Purge(ctx); err != nil || n != 0 {
		t.Errorf("second Purge = %d, %v; want 0", n, err)
	}
	if err := running.Close(); err != nil {
		t.Fatal(err)
	}
	if n, err := e.s.Purge(ctx); err != nil || n != 1 {
		t.Errorf("Purge after the long call ended = %d, %v; want 1", n, err)
	}
	e.verifyAudit(t)
}

func TestPurgeKeepsForeverByDefault(t *testing.T) {
	e := newEnv(t, nil)
	id := e.record(t, "call_forever", newTalk(1, 5))
	e.clock.Advance(10 * 365 * 24 * time.Hour)
	if n, err := e.s.Purge(context.Background()); err != nil || n != 0 {
		t.Fatalf("Purge = %d, %v; want 0", n, err)
	}
	e.checkPlays(t, id, newTalk(1, 5), 5)
}

// TestPurgeBatches purges more rows than one batch holds.
func TestPurgeBatches(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retention = time.Hour })
	const n = 2*purgeBatch + 17
	started := e.clock.Now().Add(-2 * time.Hour).UnixMilli()
	if err := e.DB.Write(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			id := newID()
			// Many share a start time, so the cursor must order by ID too.
			if _, err := tx.Exec(`INSERT INTO recordings (id, call_id, file, wrapped_key, channels, sample_rate, started_at, ended_at)
				VALUES (?, 'call_bulk', ?, 'local:v1:x', 2, 8000, ?, ?)`, id, id+fileSuffix, started+int64(i%5), started); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.Purge(context.Background())
	if err != nil || got != n {
		t.Fatalf("Purge = %d, %v; want %d", got, err, n)
	}
	if len(e.entries(t, audit.ActionRecordingDelete)) != n {
		t.Errorf("not every deletion was audited")
	}
}

func TestPurgeFailsClosedWithoutAudit(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retention = time.Hour })
	id := e.record(t, "call_pfail", newTalk(1, 5))
	e.clock.Advance(2 * time.Hour)
	broken, err := New(Config{DB: e.DB, Dir: e.dir, Keys: e.Provider, Audit: failingAuditor{}, Retention: time.Hour, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := broken.Purge(context.Background()); err == nil || n != 0 {
		t.Fatalf("Purge without audit = %d, %v", n, err)
	}
	e.checkPlays(t, id, newTalk(1, 5), 5)
}

// TestPurgeSweepsLeftovers leaves files behind as a failed shred or a
// crash would, and checks Purge removes exactly those.
func TestPurgeSweepsLeftovers(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	gone := e.record(t, "call_sweep", newTalk(1, 5))
	kept := e.record(t, "call_sweep", newTalk(2, 5))
	goneFile := filepath.Join(e.dir, gone+fileSuffix)
	saved, err := os.ReadFile(goneFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Delete(ctx, eraser, gone, "error"); err != nil {
		t.Fatal(err)
	}
	write := func(name string, age time.Duration) string {
		p := filepath.Join(e.dir, name)
		if err := os.WriteFile(p, saved, 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		os.Chtimes(p, old, old)
		return p
	}
	tombstoned := write(gone+fileSuffix, 0)           // the shred after Delete failed
	orphan := write(newID()+fileSuffix, 2*orphanAge)  // a crash between file and row
	fresh := write(newID()+fileSuffix, 0)             // maybe another process's Create
	foreign := write("notes.txt", 2*orphanAge)        // not ours
	oddName := write("rec_x"+fileSuffix, 2*orphanAge) // not a recording ID
	if n, err := e.s.Purge(ctx); err != nil || n != 0 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	for path, want := range map[string]bool{tombstoned: false, orphan: false, fresh: true, foreign: true, oddName: true,
		filepath.Join(e.dir, kept+fileSuffix): true} {
		_, err := os.Stat(path)
		if exists := err == nil; exists != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(path), exists, want)
		}
	}
	e.checkPlays(t, kept, newTalk(2, 5), 5)
}

func TestRun(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Retention = time.Hour; c.PurgeEvery = 5 * time.Millisecond })
	first := e.record(t, "call_run", newTalk(1, 5))
	e.clock.Advance(2 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.s.Run(ctx) }()
	waitDeleted(t, e, first)
	// Later ticks purge what expires later.
	second := e.record(t, "call_run", newTalk(2, 5))
	e.clock.Advance(2 * time.Hour)
	waitDeleted(t, e, second)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// waitDeleted polls until recording id is a tombstone.
func waitDeleted(t *testing.T, e *env, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !e.info(t, "call_run", id).Deleted.IsZero() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("Run did not purge %s", id)
}
