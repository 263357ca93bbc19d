package record

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"kordon/audit"
	"kordon/media/codec"
	"kordon/store"
	"kordon/tokenizer"
	"kordon/tokenizer/keys"
	"kordon/tokenizer/keys/vaulttest"
	"kordon/tokenizer/tokenizertest"
	"kordon/types/fault"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	listener = tokenizer.Principal{Actor: audit.Actor{Type: audit.ActorUser, ID: "supervisor"},
		Scopes: []tokenizer.Scope{tokenizer.ScopeResolve}, Remote: "10.0.0.5", RequestID: "req-7"}
	eraser = tokenizer.Principal{Actor: audit.Actor{Type: audit.ActorUser, ID: "dpo"},
		Scopes: []tokenizer.Scope{tokenizer.ScopeErase}, RequestID: "req-9"}
	tokenizeOnly = tokenizer.Principal{Actor: audit.Actor{Type: audit.ActorAPIKey, ID: "k_crm"},
		Scopes: []tokenizer.Scope{tokenizer.ScopeTokenize}}
)

// clock is a settable clock for retention tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an appliance core with a recording store.
type env struct {
	*tokenizertest.Env
	s     *Store
	dir   string // the recordings directory
	clock *clock
}

// newEnv opens a core in a temporary directory and a Store on it with
// the local key provider; adjust changes the Config before New.
func newEnv(t testing.TB, adjust func(*Config)) *env {
	t.Helper()
	core := tokenizertest.New(t, tokenizertest.Options{})
	e := &env{Env: core, dir: filepath.Join(core.Dir, "recordings"),
		clock: &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}}
	// Tests feed frames far faster than real time; a buffer of a minute
	// lets the writer keep up unless a test is about dropping.
	cfg := Config{DB: core.DB, Dir: e.dir, Keys: core.Provider, Audit: core.Audit, Now: e.clock.Now,
		Buffer: time.Minute, Logger: slog.New(slog.DiscardHandler)}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

// forEachProvider runs f with the local key provider and with a real
// Vault dev server's transit engine wrapping the data keys.
func forEachProvider(t *testing.T, f func(t *testing.T, adjust func(*Config))) {
	t.Run("local", func(t *testing.T) { f(t, nil) })
	t.Run("vault", func(t *testing.T) {
		srv := vaulttest.Start(t)
		v, err := keys.NewVault(keys.VaultConfig{Address: srv.Addr, Key: srv.Key(t), TokenFile: srv.TokenFile(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		f(t, func(c *Config) { c.Keys = v })
	})
}

// talk is the audio fed to a recording: the frames of each side.
type talk struct {
	caller, robot [][]int16
}

// newTalk returns n frames of noise on both sides, seeded so that every
// recording of a test differs.
func newTalk(seed uint64, n int) talk {
	rng := rand.New(rand.NewPCG(seed, 0x6b6f72646f6e))
	var tk talk
	for range n {
		c, r := make([]int16, codec.FrameSamples), make([]int16, codec.FrameSamples)
		for i := range c {
			c[i], r[i] = int16(rng.Uint32()), int16(rng.Uint32())
		}
		tk.caller, tk.robot = append(tk.caller, c), append(tk.robot, r)
	}
	return tk
}

// feed plays tk into r.
func (tk talk) feed(r *Recording) {
	for i := range tk.caller {
		r.Frame(tk.caller[i], tk.robot[i])
	}
}

// channels returns what a recording of the first n frames of tk holds:
// each side's samples, padded with silence to the longer side per frame.
func (tk talk) channels(n int) (left, right []int16) {
	left, right = []int16{}, []int16{}
	for i := range n {
		c, r := tk.caller[i], tk.robot[i]
		m := max(len(c), len(r))
		left = append(append(left, c...), make([]int16, m-len(c))...)
		right = append(append(right, r...), make([]int16, m-len(r))...)
	}
	return left, right
}

// pcm returns the interleaved bytes of the first n frames of tk, as the
// plaintext of the recording file.
func (tk talk) pcm(n int) []byte {
	left, right := tk.channels(n)
	b := make([]byte, 0, 4*len(left))
	for i := range left {
		b = binary.LittleEndian.AppendUint16(b, uint16(left[i]))
		b = binary.LittleEndian.AppendUint16(b, uint16(right[i]))
	}
	return b
}

// record makes a finished recording of tk for call and returns its ID.
func (e *env) record(t *testing.T, call string, tk talk) string {
	t.Helper()
	r, err := e.s.Create(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	tk.feed(r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return r.ID()
}

// play opens a recording as p and returns its channels, checking the
// size Open announced and the WAV header.
func (e *env) play(t *testing.T, p tokenizer.Principal, id string) (left, right []int16) {
	t.Helper()
	rc, size, err := e.s.Open(context.Background(), p, id)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the recording: %v", err)
	}
	if int64(len(b)) != size {
		t.Fatalf("Open announced %d bytes and gave %d", size, len(b))
	}
	if diff := cmp.Diff(codec.WAVHeader(codec.Rate, 2, uint32(len(b)-44)), b[:44]); diff != "" {
		t.Fatalf("WAV header (-want +got):\n%s", diff)
	}
	left, right = []int16{}, []int16{}
	for i := 44; i+4 <= len(b); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(b[i+2:])))
	}
	return left, right
}

// checkPlays asserts that recording id holds the first n frames of tk.
func (e *env) checkPlays(t *testing.T, id string, tk talk, n int) {
	t.Helper()
	left, right := e.play(t, listener, id)
	wantL, wantR := tk.channels(n)
	for _, side := range []struct {
		name      string
		got, want []int16
	}{{"left (caller)", left, wantL}, {"right (robot)", right, wantR}} {
		if i := firstDiff(side.got, side.want); i >= 0 {
			t.Fatalf("recording %s, %s channel: %d samples, want %d; first difference at sample %d", id, side.name, len(side.got), len(side.want), i)
		}
	}
}

// firstDiff returns the first index where a and b differ, or -1.
func firstDiff(a, b []int16) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// lastEntry returns the newest audit entry.
func (e *env) lastEntry(t *testing.T) audit.Entry {
	t.Helper()
	es, _ := e.Entries(t)
	if len(es) == 0 {
		t.Fatal("the audit log is empty")
	}
	return es[len(es)-1]
}

// entries returns the audit entries with action.
func (e *env) entries(t *testing.T, action string) []audit.Entry {
	t.Helper()
	all, _ := e.Entries(t)
	var out []audit.Entry
	for _, en := range all {
		if en.Action == action {
			out = append(out, en)
		}
	}
	return out
}

// info returns the metadata of recording id.
func (e *env) info(t *testing.T, call, id string) Info {
	t.Helper()
	is, err := e.s.List(context.Background(), call)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range is {
		if i.ID == id {
			return i
		}
	}
	t.Fatalf("recording %s not listed for %s", id, call)
	return Info{}
}

// verifyAudit checks the whole audit log against a fresh checkpoint:
// the entries this package appended keep the log consistent.
func (e *env) verifyAudit(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Audit.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := e.Ring.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, e.DB.Read(), v)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("audit log: %v", err)
	}
}

// wantKind fails t unless err has kind k.
func wantKind(t *testing.T, err error, k fault.Kind) {
	t.Helper()
	if !fault.Is(err, k) {
		t.Fatalf("err = %v (%s), want %s", err, fault.KindOf(err), k)
	}
}

// failingAuditor fails every write, as a full disk would.
type failingAuditor struct{}

func (failingAuditor) Append(*store.Tx, audit.Entry) (int64, error) {
	return 0, errDiskFull
}

func (failingAuditor) Record(context.Context, audit.Entry) (int64, error) {
	return 0, errDiskFull
}

var errDiskFull = errors.New("disk full")

// containsWindow reports whether hay holds any window of n bytes of needle.
func containsWindow(hay, needle []byte, n int) bool {
	for i := 0; i+n <= len(needle); i += n / 2 {
		if bytes.Contains(hay, needle[i:i+n]) {
			return true
		}
	}
	return false
}
