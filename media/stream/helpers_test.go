package stream

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pion/srtp/v3"
	"go.uber.org/goleak"

	"kordon/media/codec"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var loopback = netip.MustParseAddr("127.0.0.1")

// runEngine starts an Engine on loopback and stops it when the test ends.
func runEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if !cfg.Bind.IsValid() {
		cfg.Bind = loopback
	}
	if cfg.PortMin == 0 {
		cfg.PortMin, cfg.PortMax = 30000, 39999
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return e
}

// open opens a Stream that is closed when the test ends.
func open(t testing.TB, e *Engine) *Stream {
	t.Helper()
	s, err := e.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// here is the loopback address of a Stream's RTP port.
func here(s *Stream) netip.AddrPort { return netip.AddrPortFrom(loopback, uint16(s.LocalPort())) }

// pair opens two Streams aimed at each other and starts them; pa and pb
// get their Remote filled in.
func pair(t testing.TB, e *Engine, pa, pb Params) (*Stream, *Stream) {
	t.Helper()
	a, b := open(t, e), open(t, e)
	pa.Remote, pb.Remote = here(b), here(a)
	if err := a.Start(pa); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(pb); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// keyPair returns mirrored SRTP keys for two ends; nil for profile 0.
func keyPair(t testing.TB, profile srtp.ProtectionProfile) (*Keys, *Keys) {
	t.Helper()
	if profile == 0 {
		return nil, nil
	}
	kl, err := profile.KeyLen()
	if err != nil {
		t.Fatal(err)
	}
	sl, _ := profile.SaltLen()
	random := func(n int) []byte {
		b := make([]byte, n)
		rand.Read(b)
		return b
	}
	k1, s1, k2, s2 := random(kl), random(sl), random(kl), random(sl)
	return &Keys{Profile: profile, LocalKey: k1, LocalSalt: s1, RemoteKey: k2, RemoteSalt: s2},
		&Keys{Profile: profile, LocalKey: k2, LocalSalt: s2, RemoteKey: k1, RemoteSalt: s1}
}

// prompt returns frames of audio that survive c's round trip exactly and
// are never near silence, so that received audio can be compared sample
// for sample once the silence around it is dropped.
func prompt(c codec.Codec, frames int) []int16 {
	pcm := make([]int16, frames*codec.FrameSamples)
	for i := range pcm {
		v := int16(300 + (i*131)%9000)
		if i%2 == 1 {
			v = -v
		}
		pcm[i] = v
	}
	return c.Decode(nil, c.Encode(nil, pcm))
}

// audible drops the silence around and between prompts: G.711 silence
// decodes to 0 (μ-law) or ±8 (A-law); prompts never come near it.
func audible(pcm []int16) []int16 {
	var out []int16
	for _, v := range pcm {
		if v > 16 || v < -16 {
			out = append(out, v)
		}
	}
	return out
}

// recorder is a Sink that keeps everything.
type recorder struct {
	mu            sync.Mutex
	caller, robot []int16
	frames        int
}

func (r *recorder) Frame(caller, robot []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.caller = append(r.caller, caller...)
	r.robot = append(r.robot, robot...)
	r.frames++
}

func (r *recorder) heard() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return audible(r.caller)
}

func (r *recorder) said() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return audible(r.robot)
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// digits reads n digits from ch, then checks that no more arrive for a
// while.
func digits(t testing.TB, ch <-chan byte, n int) string {
	t.Helper()
	var got []byte
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case d := <-ch:
			got = append(got, d)
		case <-timeout:
			t.Fatalf("got digits %q, waiting for %d", got, n)
		}
	}
	select {
	case d := <-ch:
		got = append(got, d)
	case <-time.After(300 * time.Millisecond):
	}
	return string(got)
}

// peer is a hand-driven RTP endpoint on its own socket: the far end of a
// Stream in tests that need control over source ports and packets.
type peer struct {
	t    testing.TB
	conn *net.UDPConn
	tx   *srtp.Context
	rx   *srtp.Context
	ssrc uint32
	seq  uint16
	ts   uint32
}

func newPeer(t testing.TB, k *Keys) *peer {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &peer{t: t, conn: conn, ssrc: 0x1234, seq: 100, ts: 1000}
	if k != nil {
		// k is the Stream's view; the peer sends with the Stream's remote key.
		mirror := &Keys{Profile: k.Profile, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt}
		if p.tx, err = mirror.sendContext(); err != nil {
			t.Fatal(err)
		}
		if p.rx, err = mirror.receiveContext(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *peer) addr() netip.AddrPort { return unmap(p.conn.LocalAddr().(*net.UDPAddr).AddrPort()) }

// packet builds the next RTP packet with pt and payload, protected with
// the peer's key.
func (p *peer) packet(pt uint8, payload []byte) []byte {
	p.t.Helper()
	b := make([]byte, rtpHeaderLen, rtpHeaderLen+len(payload))
	b[0], b[1] = 0x80, pt
	b[2], b[3] = byte(p.seq>>8), byte(p.seq)
	b[4], b[5], b[6], b[7] = byte(p.ts>>24), byte(p.ts>>16), byte(p.ts>>8), byte(p.ts)
	b[8], b[9], b[10], b[11] = byte(p.ssrc>>24), byte(p.ssrc>>16), byte(p.ssrc>>8), byte(p.ssrc)
	b = append(b, payload...)
	p.seq++
	p.ts += codec.FrameSamples
	if p.tx == nil {
		return b
	}
	out, err := p.tx.EncryptRTP(nil, b, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

func (p *peer) send(to netip.AddrPort, pkt []byte) {
	p.t.Helper()
	if _, err := p.conn.WriteToUDPAddrPort(pkt, to); err != nil {
		p.t.Fatal(err)
	}
}

// receive waits up to d for an RTP packet and returns it decrypted, or nil.
func (p *peer) receive(d time.Duration) []byte {
	p.t.Helper()
	buf := make([]byte, maxPacket)
	deadline := time.Now().Add(d)
	for {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			p.t.Fatal(err)
		}
		pkt := buf[:n]
		if pkt[1] >= 192 && pkt[1] <= 223 {
			continue // RTCP
		}
		if p.rx == nil {
			return append([]byte(nil), pkt...)
		}
		if out, err := p.rx.DecryptRTP(nil, pkt, nil); err == nil {
			return out
		}
	}
}

// drain discards what has queued on the peer's socket, including a packet
// the pacer may be sending right now.
func (p *peer) drain() {
	time.Sleep(30 * time.Millisecond)
	for p.receive(time.Millisecond) != nil {
	}
}

// expectHeard waits until rec has heard want from position from on, or
// the Streams whose queues carried it have counted the shortfall as
// overflow (a machine too loaded to keep 20 ms pacing drops live audio by
// design), and compares.
func expectHeard(t testing.TB, what string, rec *recorder, from int, want []int16, path ...*Stream) {
	t.Helper()
	overflow := func() uint64 {
		var n uint64
		for _, s := range path {
			n += s.Stats().Overflow
		}
		return n
	}
	eventually(t, what, func() bool {
		return uint64(len(rec.heard())-from)+overflow() >= uint64(len(want))
	})
	got := rec.heard()[from:]
	if n := overflow(); n > 0 {
		t.Logf("%s: %d samples dropped by a queue under load; not comparing", what, n)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-sent +heard):\n%s", what, diff)
	}
}
