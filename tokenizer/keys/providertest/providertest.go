// Package providertest is the conformance suite for keys.Provider. Every
// provider's tests call Run; a provider that passes it can stand in for any
// other as far as the tokenizer is concerned.
//
// The suite never prints a plaintext or a key: failures name sizes, versions
// and provider names only.
package providertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kordon/tokenizer/keys"
)

// Run runs the conformance suite. newProvider must return a fresh provider
// with its own KEK (a new key file, a new transit key) each time it is
// called; the suite calls it once or twice per subtest.
func Run(t *testing.T, newProvider func(t *testing.T) keys.Provider) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, newProvider(t)) })
	t.Run("HidesPlaintext", func(t *testing.T) { testHidesPlaintext(t, newProvider(t)) })
	t.Run("RejectsTampered", func(t *testing.T) { testRejectsTampered(t, newProvider(t)) })
	t.Run("RejectsForeign", func(t *testing.T) { testRejectsForeign(t, newProvider(t), newProvider(t)) })
	t.Run("RotateAndRewrap", func(t *testing.T) { testRotateAndRewrap(t, newProvider(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newProvider(t)) })
}

func testRoundTrip(t *testing.T, p keys.Provider) {
	ctx := testContext(t)
	for _, n := range []int{1, 16, 32, 64, 1000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			pt := randomBytes(t, n)
			w := wrap(t, ctx, p, pt)
			checkFormat(t, p, w, 1)
			got, err := p.Unwrap(ctx, w)
			if err != nil {
				t.Fatalf("Unwrap: %v", err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("Unwrap returned %d bytes that differ from the %d wrapped", len(got), len(pt))
			}
			if w2 := wrap(t, ctx, p, pt); w2 == w {
				t.Error("wrapping the same plaintext twice gave the same value; want a fresh nonce each time")
			}
		})
	}
}

func testHidesPlaintext(t *testing.T, p keys.Provider) {
	ctx := testContext(t)
	pt := []byte("kordon-conformance-marker-0123456789-abcdefghijklmnop")
	w := wrap(t, ctx, p, pt)
	if bytes.Contains([]byte(w), pt[:16]) {
		t.Error("wrapped value contains the plaintext")
	}
	// The plaintext's base64 (at each of the three alignments) must not
	// show through either.
	for off := range 3 {
		enc := base64.StdEncoding.EncodeToString(pt[off:])
		if strings.Contains(w, enc[4:24]) {
			t.Errorf("wrapped value contains the plaintext's base64 (offset %d)", off)
		}
	}
}

func testRejectsTampered(t *testing.T, p keys.Provider) {
	ctx := testContext(t)
	w := wrap(t, ctx, p, randomBytes(t, 32))
	prefix, body := splitBody(t, w)
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("wrapped body is not standard base64: %v", err)
	}
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return prefix + base64.StdEncoding.EncodeToString(b)
	}
	cases := []struct{ name, wrapped string }{
		{"FirstByteFlipped", flip(0)},
		{"MiddleByteFlipped", flip(len(raw) / 2)},
		{"LastByteFlipped", flip(len(raw) - 1)},
		{"Truncated", prefix + base64.StdEncoding.EncodeToString(raw[:len(raw)-4])},
		{"BodyNotBase64", prefix + "!!!not-base64!!!"},
		{"BodyEmpty", prefix},
		{"UnknownVersion", p.Name() + ":v99:" + body},
		{"VersionZero", p.Name() + ":v0:" + body},
		{"VersionMissing", p.Name() + ":" + body},
		{"NoPrefix", body},
		{"Empty", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := p.Unwrap(ctx, c.wrapped); !errors.Is(err, keys.ErrWrapped) {
				t.Errorf("Unwrap: got %v, want an error wrapping ErrWrapped", err)
			}
			if _, err := p.Rewrap(ctx, c.wrapped); !errors.Is(err, keys.ErrWrapped) {
				t.Errorf("Rewrap: got %v, want an error wrapping ErrWrapped", err)
			}
		})
	}
}

func testRejectsForeign(t *testing.T, p, other keys.Provider) {
	ctx := testContext(t)
	pt := randomBytes(t, 32)
	_, body := splitBody(t, wrap(t, ctx, p, pt))
	foreignName := "local"
	if p.Name() == foreignName {
		foreignName = "vault"
	}
	cases := []struct{ name, wrapped string }{
		{"OtherProviderName", foreignName + ":v1:" + body},
		{"OtherKEK", wrap(t, ctx, other, pt)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := p.Unwrap(ctx, c.wrapped); !errors.Is(err, keys.ErrWrapped) {
				t.Errorf("Unwrap: got %v, want an error wrapping ErrWrapped", err)
			}
			if _, err := p.Rewrap(ctx, c.wrapped); !errors.Is(err, keys.ErrWrapped) {
				t.Errorf("Rewrap: got %v, want an error wrapping ErrWrapped", err)
			}
		})
	}
}

func testRotateAndRewrap(t *testing.T, p keys.Provider) {
	ctx := testContext(t)
	pt := randomBytes(t, 32)
	w1 := wrap(t, ctx, p, pt)
	checkFormat(t, p, w1, 1)
	st := status(t, ctx, p, 1)
	if st.Versions != 1 {
		t.Errorf("Status before rotation: Versions = %d, want 1", st.Versions)
	}

	for want := 2; want <= 3; want++ {
		v, err := p.Rotate(ctx)
		if err != nil {
			t.Fatalf("Rotate: %v", err)
		}
		if v != want {
			t.Fatalf("Rotate returned version %d, want %d", v, want)
		}
	}
	st = status(t, ctx, p, 3)
	if st.Versions != 3 {
		t.Errorf("Status after two rotations: Versions = %d, want 3", st.Versions)
	}

	// The old value still unwraps; new values use the newest version.
	unwrapEqual(t, ctx, p, w1, pt)
	checkFormat(t, p, wrap(t, ctx, p, pt), 3)

	w3, err := p.Rewrap(ctx, w1)
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	checkFormat(t, p, w3, 3)
	unwrapEqual(t, ctx, p, w3, pt)

	// A v3 value relabelled as v1 must not authenticate under v1.
	_, body := splitBody(t, w3)
	if _, err := p.Unwrap(ctx, p.Name()+":v1:"+body); !errors.Is(err, keys.ErrWrapped) {
		t.Errorf("Unwrap of a v3 value relabelled v1: got %v, want ErrWrapped", err)
	}
}

func testConcurrent(t *testing.T, p keys.Provider) {
	ctx := testContext(t)
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				pt := []byte(fmt.Sprintf("worker %d round %d", w, i))
				wrapped, err := p.Wrap(ctx, pt)
				if err != nil {
					errs <- fmt.Errorf("worker %d: Wrap: %w", w, err)
					return
				}
				got, err := p.Unwrap(ctx, wrapped)
				if err != nil {
					errs <- fmt.Errorf("worker %d: Unwrap: %w", w, err)
					return
				}
				if !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("worker %d: round %d did not round-trip", w, i)
					return
				}
			}
		})
	}
	if _, err := p.Rotate(ctx); err != nil {
		t.Errorf("Rotate during concurrent use: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// testContext bounds each subtest so a provider that hangs fails instead.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wrap(t *testing.T, ctx context.Context, p keys.Provider, pt []byte) string {
	t.Helper()
	w, err := p.Wrap(ctx, pt)
	if err != nil {
		t.Fatalf("Wrap of %d bytes: %v", len(pt), err)
	}
	return w
}

func unwrapEqual(t *testing.T, ctx context.Context, p keys.Provider, w string, want []byte) {
	t.Helper()
	got, err := p.Unwrap(ctx, w)
	if err != nil {
		t.Fatalf("Unwrap of a v%d value: %v", version(t, w), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Unwrap of a v%d value returned different bytes", version(t, w))
	}
}

func status(t *testing.T, ctx context.Context, p keys.Provider, wantVersion int) keys.Status {
	t.Helper()
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if st.Provider != p.Name() {
		t.Errorf("Status.Provider = %q, want %q", st.Provider, p.Name())
	}
	if st.Location == "" {
		t.Error("Status.Location is empty")
	}
	if st.Version != wantVersion {
		t.Errorf("Status.Version = %d, want %d", st.Version, wantVersion)
	}
	return st
}

var wrappedRE = regexp.MustCompile(`^([a-z]+):v([1-9][0-9]*):([A-Za-z0-9+/]+=*)$`)

// checkFormat checks that w is "<name>:v<want>:<base64>".
func checkFormat(t *testing.T, p keys.Provider, w string, want int) {
	t.Helper()
	m := wrappedRE.FindStringSubmatch(w)
	if m == nil {
		t.Fatalf("wrapped value (%d chars) is not <provider>:v<N>:<base64>", len(w))
	}
	if m[1] != p.Name() {
		t.Errorf("wrapped value names provider %q, want %q", m[1], p.Name())
	}
	if got := version(t, w); got != want {
		t.Errorf("wrapped value is under v%d, want v%d", got, want)
	}
}

func version(t *testing.T, w string) int {
	t.Helper()
	m := wrappedRE.FindStringSubmatch(w)
	if m == nil {
		t.Fatalf("wrapped value (%d chars) is not <provider>:v<N>:<base64>", len(w))
	}
	v, _ := strconv.Atoi(m[2])
	return v
}

// splitBody splits w into "<name>:v<N>:" and the base64 body.
func splitBody(t *testing.T, w string) (prefix, body string) {
	t.Helper()
	i := strings.LastIndexByte(w, ':')
	if i < 0 {
		t.Fatalf("wrapped value (%d chars) has no ':'", len(w))
	}
	return w[:i+1], w[i+1:]
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
