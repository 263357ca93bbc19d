package trunk

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kordon/audit"
	"kordon/store"
	"kordon/tokenizer"
)

// ids returns the IDs of trunks.
func ids(ts []*Trunk) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestSnapshotMatch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	e.dns.set("pbx2.example.com", "198.51.100.7", "2001:db8:1::7")
	mk := func(edit func(*Trunk)) {
		tr := Trunk{ID: "x", Host: "192.0.2.1"}
		edit(&tr)
		if _, err := e.repo.Create(ctx, admin, tr); err != nil {
			t.Fatal(err)
		}
	}
	mk(func(t *Trunk) { t.ID, t.AllowFrom = "office", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} })
	mk(func(t *Trunk) { t.ID, t.Host = "by-name", "pbx2.example.com" })
	mk(func(t *Trunk) { t.ID, t.Host = "by-address", "192.0.2.5" })
	mk(func(t *Trunk) { t.ID, t.Host = "unresolvable", "nowhere.example.com" })
	mk(func(t *Trunk) {
		t.ID, t.AllowFrom = "host-only", []netip.Prefix{netip.MustParsePrefix("203.0.113.9/32")}
		t.Inbound = &Credentials{Username: "pbx", Password: NewSecret(inPassword)}
	})

	s, err := e.repo.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 5 || e.repo.Current() != s {
		t.Fatalf("set of %d trunks; Current is another set", s.Len())
	}
	tests := []struct {
		src  string
		want []string
	}{
		{"192.0.2.5", []string{"by-address", "office"}},
		{"192.0.2.200", []string{"office"}},
		{"::ffff:192.0.2.200", []string{"office"}},
		{"198.51.100.7", []string{"by-name"}},
		{"2001:db8:1::7", []string{"by-name"}},
		{"203.0.113.9", []string{"host-only"}},
		{"203.0.113.10", nil},
		{"192.0.2.1", []string{"office"}}, // office's own Host does not count: it has AllowFrom
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := ids(s.Match(netip.MustParseAddr(tt.src)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Match (-want +got):\n%s", diff)
			}
			for _, tr := range s.All() {
				if tr.Allows(netip.MustParseAddr(tt.src)) != contains(tt.want, tr.ID) {
					t.Fatalf("Allows of %s disagrees with Match", tr.ID)
				}
			}
		})
	}
	tr, ok := s.Get("host-only")
	if !ok || tr.Inbound.Password.Reveal() != inPassword || tr.Transport != "tls" || tr.Port != 5061 || tr.Limits.MaxCalls != DefaultMaxCalls {
		t.Fatalf("trunk in set lacks its password or defaults: %+v", tr)
	}

	// A failed lookup keeps the previous addresses.
	e.dns.set("pbx2.example.com")
	e.repo.invalidate()
	s2, err := e.repo.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2 == s || len(s2.Match(netip.MustParseAddr("198.51.100.7"))) != 1 {
		t.Fatal("a failed lookup dropped the previous addresses")
	}
	// A changed lookup replaces them.
	e.dns.set("pbx2.example.com", "198.51.100.8")
	e.repo.invalidate()
	s3, _ := e.repo.Snapshot(ctx)
	if len(s3.Match(netip.MustParseAddr("198.51.100.7"))) != 0 || len(s3.Match(netip.MustParseAddr("198.51.100.8"))) != 1 {
		t.Fatal("a new lookup did not replace the addresses")
	}
	// The earlier set is unchanged: calls keep the trunk they started with.
	if len(s.Match(netip.MustParseAddr("198.51.100.7"))) != 1 {
		t.Fatal("an old set changed")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSnapshotIsCachedUntilChange checks that a Snapshot with no change
// in between reads nothing, and that every change is seen by the next
// Snapshot.
func TestSnapshotIsCachedUntilChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if _, err := e.repo.Create(ctx, admin, Trunk{ID: "a", Host: "pbx.example.com"}); err != nil {
		t.Fatal(err)
	}
	s1, _ := e.repo.Snapshot(ctx)
	calls := e.dns.lookups()
	if s2, _ := e.repo.Snapshot(ctx); s2 != s1 || e.dns.lookups() != calls {
		t.Fatal("an unchanged set was built again")
	}
	if _, err := e.repo.Update(ctx, admin, Trunk{ID: "a", Host: "pbx.example.com", Port: 5999}); err != nil {
		t.Fatal(err)
	}
	s3, _ := e.repo.Snapshot(ctx)
	if tr, _ := s3.Get("a"); tr.Port != 5999 {
		t.Fatal("the set did not see an update")
	}
	if err := e.repo.Delete(ctx, admin, "a"); err != nil {
		t.Fatal(err)
	}
	if s4, _ := e.repo.Snapshot(ctx); s4.Len() != 0 {
		t.Fatal("the set did not see a delete")
	}
}

// otherProcess opens a second store and repo on e's database file, as the
// command line does next to a running daemon.
func otherProcess(t *testing.T, e *env) *Repo {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(e.core.Dir, "kordon.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ring, err := tokenizer.OpenRing(ctx, db, e.core.Provider, "kordon.test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := ring.Signer()
	verifier, _ := ring.Verifier()
	log, err := audit.New(audit.Config{DB: db, Signer: signer, Verifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Config{DB: db, Keys: e.core.Provider, Audit: log, Resolve: e.dns.resolve})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestExternalChangeHook: a trunk written by another process reaches the
// set at this process's next write, through the store's hook.
func TestExternalChangeHook(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if _, err := e.repo.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	// This process has written before (the ring and audit log at open),
	// so the hook will fire for the other process's commit.
	cli := otherProcess(t, e)
	if _, err := cli.Create(ctx, admin, valid()); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.repo.Snapshot(ctx); s.Len() != 0 {
		t.Fatal("the set changed before this process wrote anything")
	}
	if err := e.core.DB.Write(ctx, func(*store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	s, err := e.repo.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := s.Get("pbx-main")
	if !ok || tr.Outbound.Password.Reveal() != outPassword {
		t.Fatalf("the external create is not in the set: %v", ids(s.All()))
	}
}

// TestRunPollsExternalChanges: with Run, a trunk written by another
// process reaches Current even though this process writes nothing.
func TestRunPollsExternalChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newEnv(t, func(c *Config) { c.PollInterval = 10 * time.Millisecond })
	done := make(chan error, 1)
	go func() { done <- e.repo.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	cli := otherProcess(t, e)
	if _, err := cli.Create(ctx, admin, valid()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := e.repo.Current().Get("pbx-main"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not pick up the external create")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cli.Delete(ctx, admin, "pbx-main"); err != nil {
		t.Fatal(err)
	}
	for e.repo.Current().Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not pick up the external delete")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
