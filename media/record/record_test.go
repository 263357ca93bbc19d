package record

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kordon/audit"
	"kordon/media/codec"
	"kordon/types/fault"
	"kordon/types/pii"
)

func TestRoundTrip(t *testing.T) {
	forEachProvider(t, func(t *testing.T, adjust func(*Config)) {
		e := newEnv(t, adjust)
		tk := newTalk(1, 300) // six seconds: several chunks and a short final one
		// The robot is silent for a frame, the caller for another, and a
		// frame arrives short on one side: each is padded with silence.
		tk.robot[10] = nil
		tk.caller[11] = nil
		tk.robot[12] = tk.robot[12][:100]
		id := e.record(t, "call_abcdef", tk)
		e.checkPlays(t, id, tk, len(tk.caller))

		got := e.info(t, "call_abcdef", id)
		want := Info{ID: id, CallID: "call_abcdef", Channels: 2, SampleRate: codec.Rate, Frames: 300,
			Bytes: 300 * codec.FrameSamples * 4, Started: e.clock.Now(), Ended: e.clock.Now()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Info (-want +got):\n%s", diff)
		}
		if got.Duration() != 6*time.Second {
			t.Errorf("Duration = %v, want 6s", got.Duration())
		}
		en := e.lastEntry(t)
		wantEntry := audit.Entry{Actor: listener.Actor, Remote: listener.Remote, RequestID: listener.RequestID,
			Action: audit.ActionRecordingRead, Result: audit.ResultOK,
			Detail: map[string]string{"recording": id, "call": "call_abcdef"}}
		if diff := cmp.Diff(wantEntry, en, cmpopts.IgnoreFields(audit.Entry{}, "Seq", "Time")); diff != "" {
			t.Errorf("audit entry (-want +got):\n%s", diff)
		}
		e.verifyAudit(t)
	})
}

// TestChunkBoundaries records audio ending on and around chunk
// boundaries, where the final chunk is full, short or empty.
func TestChunkBoundaries(t *testing.T) {
	e := newEnv(t, nil)
	const perChunk = chunkPlain / 4 // stereo samples in one chunk
	tests := []struct {
		name    string
		samples []int // samples per side of each frame
	}{
		{"empty", nil},
		{"one sample", []int{1}},
		{"exactly one chunk", []int{perChunk}},
		{"one chunk and a sample", []int{perChunk, 1}},
		{"exactly two chunks", []int{perChunk, perChunk}},
		{"just under two chunks", []int{perChunk, perChunk - 1}},
		{"many small frames", append(make([]int, 0, 200), slicesRepeat(160, 200)...)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := newTalk(uint64(100+i), len(tt.samples))
			for j, n := range tt.samples {
				tk.caller[j], tk.robot[j] = make([]int16, n), make([]int16, n)
				for k := range n {
					tk.caller[j][k], tk.robot[j][k] = int16(k*7+j), int16(-k*3-j)
				}
			}
			id := e.record(t, fmt.Sprintf("call_b%c", 'a'+i), tk)
			e.checkPlays(t, id, tk, len(tt.samples))
		})
	}
}

func slicesRepeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestNothingPlainAtRest scans every file of the appliance (database,
// WAL, key file, recordings) for the audio, and checks the recording
// file looks like noise even when the audio is silence.
func TestNothingPlainAtRest(t *testing.T) {
	e := newEnv(t, nil)
	noisy := newTalk(7, 200)
	silent := talk{}
	for range 200 {
		silent.caller = append(silent.caller, make([]int16, codec.FrameSamples))
		silent.robot = append(silent.robot, make([]int16, codec.FrameSamples))
	}
	ids := []string{e.record(t, "call_noisy", noisy), e.record(t, "call_silent", silent)}
	plain := noisy.pcm(200)

	filepath.Walk(e.Dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if containsWindow(b, plain, 16) {
			t.Errorf("%s holds 16 bytes of the recorded audio in the clear", path)
		}
		return nil
	})
	for _, id := range ids {
		b, err := os.ReadFile(filepath.Join(e.dir, id+fileSuffix))
		if err != nil {
			t.Fatal(err)
		}
		if h := entropy(b[headerSize:]); h < 7.99 {
			t.Errorf("recording %s: %.3f bits of entropy per byte, want ciphertext (about 8)", id, h)
		}
		if run := longestRun(b[headerSize:]); run > 8 {
			t.Errorf("recording %s: a run of %d equal bytes", id, run)
		}
	}
	// The metadata holds IDs and counts: nothing phone-shaped, nothing
	// but the columns the schema lists.
	rows, err := e.DB.Read().Query(`SELECT id, call_id, file, wrapped_key, coalesce(delete_reason, '') FROM recordings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var cols [5]string
		if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{cols[0], cols[1], cols[2], cols[4]} {
			if pii.DigitRun(c) >= pii.PhoneDigits {
				t.Errorf("recordings row holds a phone-shaped value %q", c)
			}
		}
		if !strings.HasPrefix(cols[3], "local:v") {
			t.Errorf("wrapped key %q is not a provider-wrapped value", cols[3])
		}
	}
}

// entropy returns the Shannon entropy of b in bits per byte.
func entropy(b []byte) float64 {
	var n [256]int
	for _, c := range b {
		n[c]++
	}
	var h float64
	for _, k := range n {
		if k > 0 {
			p := float64(k) / float64(len(b))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// longestRun returns the length of the longest run of one byte value.
func longestRun(b []byte) int {
	best, run := 0, 0
	for i := range b {
		if i > 0 && b[i] == b[i-1] {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best
}

func TestConcurrentRecordings(t *testing.T) {
	e := newEnv(t, nil)
	const n = 24
	ids := make([]string, n)
	talks := make([]talk, n)
	var wg sync.WaitGroup
	for i := range n {
		talks[i] = newTalk(uint64(1000+i), 120+i)
		wg.Go(func() {
			r, err := e.s.Create(context.Background(), fmt.Sprintf("call_c%c", 'a'+i))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = r.ID()
			for j := range talks[i].caller {
				r.Frame(talks[i].caller[j], talks[i].robot[j])
				if j%40 == 0 {
					time.Sleep(time.Millisecond) // interleave with the other calls
				}
			}
			if err := r.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range n {
		wg.Go(func() { e.checkPlays(t, ids[i], talks[i], len(talks[i].caller)) })
	}
	wg.Wait()
	if got := len(e.entries(t, audit.ActionRecordingRead)); got != n {
		t.Errorf("%d read entries, want %d", got, n)
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, nil)
	first := e.record(t, "call_list", newTalk(1, 5))
	e.clock.Advance(time.Minute)
	second := e.record(t, "call_list", newTalk(2, 5))
	e.record(t, "call_other", newTalk(3, 5))
	is, err := e.s.List(context.Background(), "call_list")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range is {
		got = append(got, i.ID)
	}
	if diff := cmp.Diff([]string{first, second}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if is, err := e.s.List(context.Background(), "call_none"); err != nil || len(is) != 0 {
		t.Errorf("List of a call without recordings = %v, %v", is, err)
	}
	if _, err := e.s.List(context.Background(), "+79123456789"); !fault.Is(err, fault.Invalid) {
		t.Errorf("List with a phone number for a call ID: %v", err)
	}
}

func TestCreateChecksCallID(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{"", "call_79123456789", "+7 912 345-67-89", "call id", strings.Repeat("c", 65), "звонок"} {
		t.Run(id, func(t *testing.T) {
			r, err := e.s.Create(context.Background(), id)
			wantKind(t, err, fault.Invalid)
			if r != nil {
				t.Error("returned a recording with the error")
			}
			if pii.DigitRun(err.Error()) >= pii.PhoneDigits {
				t.Errorf("error %q echoes the digits", err)
			}
		})
	}
	var n int
	e.DB.Read().QueryRow(`SELECT count(*) FROM recordings`).Scan(&n)
	if n != 0 {
		t.Errorf("%d rows after refused creates", n)
	}
}

func TestDirectory(t *testing.T) {
	t.Run("created private", func(t *testing.T) {
		e := newEnv(t, nil)
		id := e.record(t, "call_dir", newTalk(1, 3))
		for path, want := range map[string]os.FileMode{e.dir: 0o700, filepath.Join(e.dir, id+fileSuffix): 0o600} {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %#o, want %#o", path, fi.Mode().Perm(), want)
			}
		}
	})
	t.Run("open to others is refused", func(t *testing.T) {
		e := newEnv(t, nil)
		if err := os.Mkdir(e.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(e.dir, 0o755)
		_, err := e.s.Create(context.Background(), "call_dir")
		wantKind(t, err, fault.Unavailable)
		if !strings.Contains(err.Error(), "0700") {
			t.Errorf("error %q does not say what mode is wanted", err)
		}
	})
}

func TestNewChecksConfig(t *testing.T) {
	e := newEnv(t, nil)
	good := Config{DB: e.DB, Dir: e.dir, Keys: e.Provider, Audit: e.Audit}
	tests := []struct {
		name   string
		adjust func(*Config)
	}{
		{"no DB", func(c *Config) { c.DB = nil }},
		{"no Dir", func(c *Config) { c.Dir = "" }},
		{"no Keys", func(c *Config) { c.Keys = nil }},
		{"no Audit", func(c *Config) { c.Audit = nil }},
		{"negative retention", func(c *Config) { c.Retention = -time.Hour }},
		{"negative buffer", func(c *Config) { c.Buffer = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.adjust(&c)
			s, err := New(c)
			wantKind(t, err, fault.Invalid)
			if s != nil {
				t.Error("returned a Store with the error")
			}
		})
	}
	s, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.PurgeEvery != time.Hour || s.buffer != 4*chunkPlain || s.cfg.Retention != 0 {
		t.Errorf("defaults: purge every %v, buffer %d, retention %v", s.cfg.PurgeEvery, s.buffer, s.cfg.Retention)
	}
	if _, err := os.Stat(e.dir); !os.IsNotExist(err) {
		t.Errorf("New touched the recordings directory: %v", err)
	}
}

func TestIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		id := newID()
		if err := checkID(id); err != nil {
			t.Fatalf("newID gave %q: %v", id, err)
		}
		if pii.DigitRun(id) > idMaxDigit {
			t.Fatalf("newID gave %q with a long digit run", id)
		}
		if seen[id] {
			t.Fatalf("newID repeated %q", id)
		}
		seen[id] = true
	}
	ok := "rec_" + strings.Repeat("a", 26)
	if err := checkID(ok); err != nil {
		t.Fatalf("checkID(%q): %v", ok, err)
	}
	with := func(i int, c string) string { return ok[:i] + c + ok[i+1:] }
	for _, bad := range []string{"", "rec_", ok + "a", ok[:len(ok)-1], strings.ToUpper(ok), "rex_" + ok[4:],
		with(10, "8"), with(10, "1"), with(10, "/"), with(10, "A"), with(29, "\x00"), "rec_a23456" + ok[10:]} {
		if checkID(bad) == nil {
			t.Errorf("checkID accepted %q", bad)
		}
	}
}
