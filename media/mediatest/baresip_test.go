package mediatest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// toneWAV writes a 1 kHz tone of d at 8 kHz, then a little silence so that
// baresip hangs up (end of file) after the tone has left.
func toneWAV(t *testing.T, d time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.wav")
	pcm := append(Tone(8000, 1000, d, 0.5), Silence(8000, 500*time.Millisecond)...)
	if err := WriteWAVFile16(path, 8000, pcm); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertHeardTone checks that a recording holds the 1 kHz tone: Goertzel
// power at 1 kHz far above other frequencies and a clearly audible level.
func assertHeardTone(t *testing.T, path string) {
	t.Helper()
	w, err := ReadWAVFile16(path)
	if err != nil {
		t.Fatal(err)
	}
	pcm := w.Mono()
	if w.Duration() < time.Second {
		t.Fatalf("heard only %v of audio", w.Duration())
	}
	at := Goertzel(pcm, w.Rate, 1000)
	for _, f := range []float64{400, 700, 1400, 2000, 3000} {
		if other := Goertzel(pcm, w.Rate, f); at < 100*other {
			t.Errorf("1 kHz power %.3g is not far above %v Hz power %.3g", at, f, other)
		}
	}
	if rms := RMS(pcm); rms < 0.1 {
		t.Errorf("heard RMS %.3f, want the tone's level (about 0.35 while it lasts)", rms)
	}
}

// TestBaresipToBaresip proves the baresip harness on its own: a caller
// plays a tone over TLS + SRTP (srtp-mand) to an auto-answering callee,
// sends DTMF, and the callee hears the tone and gets the digits.
func TestBaresipToBaresip(t *testing.T) {
	Require(t, "baresip")
	ctx := peerCtx(t)
	pki := NewPKI(t)
	callee := StartBaresip(t, BaresipConfig{Mode: Callee, PKI: pki})
	caller := StartBaresip(t, BaresipConfig{PKI: pki, Prompt: toneWAV(t, 3*time.Second)})

	if err := caller.Dial(ctx, callee.URI); err != nil {
		t.Fatal(err)
	}
	if _, err := callee.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	menc, err := callee.WaitEvent(ctx, "CALL_MENC")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(menc.Param, ",AES_CM_128_HMAC_SHA1_80") {
		t.Errorf("callee media encryption %q, want AES_CM_128_HMAC_SHA1_80", menc.Param)
	}
	if err := caller.SendDTMF(ctx, "123#"); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for range 4 {
		e, err := callee.WaitEvent(ctx, "CALL_DTMF_START")
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(e.Param)
	}
	if got.String() != "123#" {
		t.Errorf("callee got DTMF %q, want 123#", got.String())
	}
	// The caller's prompt ends, baresip hangs up; the recording is closed.
	if _, err := callee.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	_, heard, err := callee.Recordings()
	if err != nil {
		t.Fatal(err)
	}
	assertHeardTone(t, heard)
}

// TestBaresipHangup checks the ctrl_tcp hangup command and that a caller
// without a client certificate still connects to a callee that does not
// ask for one.
func TestBaresipHangup(t *testing.T) {
	Require(t, "baresip")
	ctx := peerCtx(t)
	pki := NewPKI(t)
	callee := StartBaresip(t, BaresipConfig{Mode: Callee, PKI: pki})
	caller := StartBaresip(t, BaresipConfig{PKI: pki, NoClientCert: true})
	if err := caller.Dial(ctx, callee.URI); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	// baresip sends BYE and gets 200, but reports the close as the TLS
	// connection's reset ("Connection reset by peer"): do not rely on the
	// reason.
	for _, ua := range []*Baresip{caller, callee} {
		if _, err := ua.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	}
}
