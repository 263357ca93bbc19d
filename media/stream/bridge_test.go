package stream

import (
	"context"
	"testing"
	"time"

	"github.com/pion/srtp/v3"

	"kordon/media/codec"
)

// TestBridge connects A—B1 (PCMU over SRTP) and B2—C (PCMA, plain) and
// bridges B1 with B2: A's audio and digits reach C transcoded, C's reach
// A, and after stop the legs are separate again.
func TestBridge(t *testing.T) {
	e := runEngine(t, Config{})
	ka, kb := keyPair(t, srtp.ProtectionProfileAes128CmHmacSha1_80)
	a, b1 := pair(t, e,
		Params{Codec: codec.PCMU, DTMFPayloadType: 101, SRTP: ka},
		Params{Codec: codec.PCMU, DTMFPayloadType: 101, SRTP: kb})
	b2, c := pair(t, e,
		Params{Codec: codec.PCMA, DTMFPayloadType: 96},
		Params{Codec: codec.PCMA, DTMFPayloadType: 96})
	atA, atC := &recorder{}, &recorder{}
	a.SetSink(atA)
	c.SetSink(atC)
	stop := Bridge(b1, b2)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	fromA := prompt(codec.PCMU, 20)
	if err := a.Play(ctx, fromA); err != nil {
		t.Fatal(err)
	}
	want := codec.PCMA.Decode(nil, codec.PCMA.Encode(nil, fromA)) // what the A-law leg can carry
	expectHeard(t, "A's prompt at C", atC, 0, want, b2, c)

	fromC := prompt(codec.PCMA, 10)
	if err := c.Play(ctx, fromC); err != nil {
		t.Fatal(err)
	}
	want = codec.PCMU.Decode(nil, codec.PCMU.Encode(nil, fromC))
	expectHeard(t, "C's prompt at A", atA, 0, want, b1, a)

	if err := a.SendDTMF(ctx, "5#", 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := digits(t, c.DTMF(), 2); got != "5#" {
		t.Errorf("C received digits %q, want %q", got, "5#")
	}
	if got := digits(t, b1.DTMF(), 2); got != "5#" {
		t.Errorf("the bridged leg reported digits %q, want %q", got, "5#")
	}

	stop()
	stop() // idempotent
	heard := len(atC.heard())
	if err := a.Play(ctx, prompt(codec.PCMU, 10)); err != nil {
		t.Fatal(err)
	}
	own := prompt(codec.PCMA, 5)
	if err := b2.Play(ctx, own); err != nil {
		t.Fatalf("Play after the bridge stopped: %v", err)
	}
	expectHeard(t, "B2's own prompt at C, after stop", atC, heard, own, c)
}

// TestBridgeLatency checks the bound on audio queued between bridged
// streams: three frames, whatever arrives.
func TestBridgeLatency(t *testing.T) {
	var in inbox
	in.audio = newPCMRing(bridgeFrames * codec.FrameSamples)
	for i := range 10 {
		in.pushAudio(prompt(codec.PCMU, 1)[:codec.FrameSamples-i])
	}
	frame := make([]int16, codec.FrameSamples)
	n := 0
	for in.popAudio(frame) {
		n++
	}
	if n != bridgeFrames {
		t.Errorf("%d frames queued, want at most %d", n, bridgeFrames)
	}
}

func TestBridgeRebridge(t *testing.T) {
	e := runEngine(t, Config{})
	x, y := pair(t, e, Params{Codec: codec.PCMU}, Params{Codec: codec.PCMU})
	z := open(t, e)
	Bridge(x, y)
	Bridge(x, z)
	peers := func(s *Stream) *Stream {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.peer
	}
	if peers(x) != z || peers(z) != x || peers(y) != nil {
		t.Errorf("after re-bridging: x→%p z→%p y→%p", peers(x), peers(z), peers(y))
	}
	if stop := Bridge(x, x); stop == nil {
		t.Error("Bridge with itself returned nil")
	}
	z.Close()
	if peers(x) != nil {
		t.Error("Close left the peer bridged")
	}
}
