package record

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"kordon/audit"
	"kordon/store"
	"kordon/types/fault"
)

// TestTamperDetected edits a finished recording's file in every way an
// attacker with the disk could and checks that Open refuses it, audits
// the failure and returns no audio; the original file still plays.
func TestTamperDetected(t *testing.T) {
	e := newEnv(t, nil)
	tk := newTalk(3, 160) // 3.2 s: three full chunks and a short final one
	id := e.record(t, "call_tamper", tk)
	other := e.record(t, "call_tamper", tk) // the same audio, another key and ID
	path := filepath.Join(e.dir, id+fileSuffix)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	otherFile, err := os.ReadFile(filepath.Join(e.dir, other+fileSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if want := headerSize + 3*chunkFull + (len(tk.pcm(160)) - 3*chunkPlain) + tagSize; len(orig) != want {
		t.Fatalf("file of %d bytes, want %d", len(orig), want)
	}
	chunk := func(i int) []byte { return orig[headerSize+i*chunkFull : headerSize+(i+1)*chunkFull] }
	flip := func(off int) []byte {
		b := bytes.Clone(orig)
		b[off] ^= 0x01
		return b
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	hdr := orig[:headerSize]
	tail := orig[headerSize+3*chunkFull:]
	tests := []struct {
		name string
		file []byte
	}{
		{"empty file", nil},
		{"header only", hdr},
		{"header cut", orig[:headerSize-1]},
		{"magic changed", flip(0)},
		{"version changed", flip(4)},
		{"reserved byte set", flip(5)},
		{"chunk size changed", flip(10)},
		{"bit flipped in the first chunk", flip(headerSize + 100)},
		{"bit flipped in a tag", flip(headerSize + chunkFull - 1)},
		{"bit flipped in the final chunk", flip(len(orig) - 20)},
		{"final chunk dropped", orig[:headerSize+3*chunkFull]},
		{"cut inside a chunk", orig[:headerSize+chunkFull+500]},
		{"cut inside the final tag", orig[:len(orig)-1]},
		{"chunks swapped", cat(hdr, chunk(1), chunk(0), chunk(2), tail)},
		{"chunk repeated", cat(hdr, chunk(0), chunk(0), chunk(1), chunk(2), tail)},
		{"chunk removed", cat(hdr, chunk(0), chunk(2), tail)},
		{"final chunk moved up", cat(hdr, chunk(0), tail)},
		{"bytes appended", cat(orig, []byte{0})},
		{"final chunk repeated", cat(orig, tail)},
		{"another recording's file", otherFile},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(path, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			rc, size, err := e.s.Open(ctx, listener, id)
			wantKind(t, err, fault.Internal)
			if rc != nil || size != 0 {
				t.Fatal("Open returned a reader with the error")
			}
			en := e.lastEntry(t)
			if en.Action != audit.ActionRecordingRead || en.Result != audit.ResultError || en.Reason == "" || en.Detail["recording"] != id {
				t.Errorf("audit entry %+v, want a failed read of %s", en, id)
			}
		})
	}
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	e.checkPlays(t, id, tk, 160)

	t.Run("row bytes changed", func(t *testing.T) {
		e.exec(t, `UPDATE recordings SET bytes = bytes - 4 WHERE id = ?`, id)
		defer e.exec(t, `UPDATE recordings SET bytes = bytes + 4 WHERE id = ?`, id)
		_, _, err := e.s.Open(ctx, listener, id)
		wantKind(t, err, fault.Internal)
	})
	t.Run("wrapped key of another recording", func(t *testing.T) {
		var saved string
		e.DB.Read().QueryRow(`SELECT wrapped_key FROM recordings WHERE id = ?`, id).Scan(&saved)
		e.exec(t, `UPDATE recordings SET wrapped_key = (SELECT wrapped_key FROM recordings WHERE id = ?) WHERE id = ?`, other, id)
		defer e.exec(t, `UPDATE recordings SET wrapped_key = ? WHERE id = ?`, saved, id)
		_, _, err := e.s.Open(ctx, listener, id)
		wantKind(t, err, fault.Internal)
	})
	t.Run("file column points elsewhere", func(t *testing.T) {
		e.exec(t, `UPDATE recordings SET file = '../kek.json' WHERE id = ?`, id)
		defer e.exec(t, `UPDATE recordings SET file = ? WHERE id = ?`, id+fileSuffix, id)
		_, _, err := e.s.Open(ctx, listener, id)
		wantKind(t, err, fault.Internal)
	})
	t.Run("file missing", func(t *testing.T) {
		os.Rename(path, path+".away")
		defer os.Rename(path+".away", path)
		_, _, err := e.s.Open(ctx, listener, id)
		wantKind(t, err, fault.Internal)
	})
	e.checkPlays(t, id, tk, 160)
}

// TestTamperDuringPlayback swaps the file after Open authenticated it:
// the reader authenticates each chunk again and fails.
func TestTamperDuringPlayback(t *testing.T) {
	e := newEnv(t, nil)
	id := e.record(t, "call_swap", newTalk(4, 160))
	path := filepath.Join(e.dir, id+fileSuffix)
	rc, _, err := e.s.Open(context.Background(), listener, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// Edit the open file in place, past the first chunk.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff, 0xff}, headerSize+chunkFull+10); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := io.ReadAll(rc)
	wantKind(t, err, fault.Internal)
	if !errors.Is(err, errIntegrity) {
		t.Errorf("err = %v, want an integrity error", err)
	}
	if len(got) > 44+chunkPlain {
		t.Errorf("%d bytes read before the failure; want at most the header and the first chunk", len(got))
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func (e *env) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if err := e.DB.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(query, args...)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestChunkCipher(t *testing.T) {
	key := bytes.Repeat([]byte{7}, keySize)
	hdr := fileHeader()
	seal, err := newChunkCipher(key, "rec_a", hdr)
	if err != nil {
		t.Fatal(err)
	}
	c0 := seal.seal(nil, []byte("first"), false)
	c1 := seal.seal(nil, []byte("last"), true)
	tests := []struct {
		name  string
		id    string
		steps []func(c *chunkCipher) error
	}{
		{"in order", "rec_a", []func(*chunkCipher) error{opens(c0, false, "first"), opens(c1, true, "last")}},
		{"final flag wrong", "rec_a", []func(*chunkCipher) error{opens(c0, true, "first")}},
		{"out of order", "rec_a", []func(*chunkCipher) error{opens(c1, true, "last")}},
		{"other ID", "rec_b", []func(*chunkCipher) error{opens(c0, false, "first")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newChunkCipher(key, tt.id, hdr)
			if err != nil {
				t.Fatal(err)
			}
			var failed error
			for _, step := range tt.steps {
				if failed = step(c); failed != nil {
					break
				}
			}
			if want := tt.name != "in order"; (failed != nil) != want {
				t.Errorf("failure = %v, want failure %v", failed, want)
			}
			if failed != nil && !errors.Is(failed, errIntegrity) {
				t.Errorf("err = %v, want errIntegrity", failed)
			}
		})
	}
	if _, err := newChunkCipher(key[:16], "rec_a", hdr); err == nil {
		t.Error("accepted a 128-bit key")
	}
}

func opens(sealed []byte, final bool, want string) func(*chunkCipher) error {
	return func(c *chunkCipher) error {
		p, err := c.open(nil, sealed, final)
		if err == nil && string(p) != want {
			return errors.New("opened to the wrong plaintext")
		}
		return err
	}
}

// sealFile seals plain as a recording file for id under key.
func sealFile(key []byte, id string, plain []byte) []byte {
	hdr := fileHeader()
	c, _ := newChunkCipher(key, id, hdr)
	out := bytes.Clone(hdr)
	for len(plain) > chunkPlain {
		out = c.seal(out, plain[:chunkPlain], false)
		plain = plain[chunkPlain:]
	}
	return c.seal(out, plain, true)
}

// FuzzChunkReader feeds arbitrary files to the reader: it must never
// panic, and must accept only the files sealFile wrote.
func FuzzChunkReader(f *testing.F) {
	key := bytes.Repeat([]byte{9}, keySize)
	const id = "rec_fuzz"
	plains := [][]byte{nil, []byte("short"), bytes.Repeat([]byte("pcm!"), chunkPlain/4+10)}
	files := make([][]byte, len(plains))
	for i, p := range plains {
		files[i] = sealFile(key, id, p)
		f.Add(files[i])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cr, err := newChunkReader(bytes.NewReader(b), key, id)
		if err != nil {
			return
		}
		var got []byte
		for {
			p, err := cr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !errors.Is(err, errIntegrity) {
					t.Fatalf("error %v is not an integrity error", err)
				}
				return
			}
			got = append(got, p...)
		}
		for i, file := range files {
			if bytes.Equal(b, file) {
				if !bytes.Equal(got, plains[i]) {
					t.Fatal("a genuine file opened to the wrong plaintext")
				}
				return
			}
		}
		t.Fatalf("accepted a %d-byte file that sealFile did not write", len(b))
	})
}
