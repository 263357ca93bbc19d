package stream

// Sink receives a Stream's audio once per 20 ms tick, from the pacer:
// caller is the far end's decoded audio (silence where packets were lost
// or late), robot is what the Stream sent (silence on hold or while a
// digit is sent). Both hold codec.FrameSamples samples at 8 kHz and are
// valid only during the call: copy them. Frame must not block — a
// recorder or recogniser buffers and works elsewhere — and must not call
// Close.
type Sink interface {
	Frame(caller, robot []int16)
}

const (
	// sinkFrames bounds the caller audio queued for the Sink; a burst
	// beyond it (a peer's jitter, a stalled pacer) loses the oldest.
	sinkFrames = 10
	// bridgeFrames bounds the audio queued between bridged Streams, which
	// bounds the latency a bridge adds: at most 60 ms.
	bridgeFrames = 3
)

// SetSink makes sink receive the Stream's audio from the next tick on;
// nil removes it.
func (s *Stream) SetSink(sink Sink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink = sink
	s.rx.callerQ.reset()
}

// Bridge connects two Streams: each one's received audio is sent by the
// other (decoded and re-encoded, so PCMU and PCMA legs talk), with at most
// three frames in between, and received digits are forwarded as RFC 4733
// events. A Play on either side talks over the bridge. stop disconnects
// them; each then sends its prompt or silence again. A Stream is in at
// most one bridge: bridging it again leaves the earlier one.
func Bridge(a, b *Stream) (stop func()) {
	if a == nil || b == nil || a == b {
		return func() {}
	}
	a.setPeer(b)
	b.setPeer(a)
	return func() {
		a.unbridge(b)
		b.unbridge(a)
	}
}

// setPeer bridges s to peer, leaving any earlier bridge.
func (s *Stream) setPeer(peer *Stream) {
	s.mu.Lock()
	old := s.peer
	s.peer = peer
	s.mu.Unlock()
	if old != nil && old != peer {
		old.unbridge(s)
	}
	s.in.reset()
}

// unbridge disconnects s from peer if they are bridged.
func (s *Stream) unbridge(peer *Stream) {
	s.mu.Lock()
	was := s.peer == peer
	if was {
		s.peer = nil
	}
	s.mu.Unlock()
	if was {
		s.in.reset()
	}
}
