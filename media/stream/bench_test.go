package stream

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/srtp/v3"

	"kordon/media/codec"
)

// hotPath sets up a sender and a receiver Stream driven by hand (no pacer)
// and returns one step: the sender's tick (encode, encrypt, send) and the
// receiver's handling of that packet (receive, decrypt, decode, queue).
func hotPath(tb testing.TB, profile srtp.ProtectionProfile) func() {
	tb.Helper()
	e, err := New(Config{Bind: loopback, PortMin: 30000, PortMax: 39999, Inactivity: time.Hour,
		RTCPInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	wire, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { wire.Close() })
	ks, kr := keyPair(tb, profile)
	s, r := open(tb, e), open(tb, e)
	if err := s.Start(Params{Codec: codec.PCMU, SRTP: ks, Remote: unmap(wire.LocalAddr().(*net.UDPAddr).AddrPort())}); err != nil {
		tb.Fatal(err)
	}
	// The receiver sends nothing, or the sender would latch onto it.
	if err := r.Start(Params{Codec: codec.PCMU, SRTP: kr, Remote: here(s), Direction: RecvOnly}); err != nil {
		tb.Fatal(err)
	}
	r.SetSink(nopSink{})
	buf := make([]byte, maxPacket)
	n := uint64(1)
	return func() {
		s.tick(n, time.Now())
		n++
		k, from, err := wire.ReadFromUDPAddrPort(buf)
		if err != nil {
			tb.Fatal(err)
		}
		r.receive(buf[:k], unmap(from), time.Now(), false)
		r.tick(n, time.Now()) // hands the frame to the Sink
	}
}

type nopSink struct{}

func (nopSink) Frame(caller, robot []int16) {}

var hotProfiles = []struct {
	name    string
	profile srtp.ProtectionProfile
}{
	{"plain", 0},
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
	{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm},
}

// TestHotPathDoesNotAllocate guards what BenchmarkPacketPath measures.
func TestHotPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector empties sync.Pools at random; run without -race")
	}
	for _, tc := range hotProfiles {
		t.Run(tc.name, func(t *testing.T) {
			step := hotPath(t, tc.profile)
			step() // first packet: latching, new source
			if allocs := testing.AllocsPerRun(200, step); allocs != 0 {
				t.Errorf("%v allocations per packet, want 0", allocs)
			}
		})
	}
}

// BenchmarkPacketPath measures one packet through both ends: encode,
// encrypt and send; receive, decrypt, decode and hand to the Sink.
func BenchmarkPacketPath(b *testing.B) {
	for _, tc := range hotProfiles {
		b.Run(tc.name, func(b *testing.B) {
			step := hotPath(b, tc.profile)
			b.ReportAllocs()
			for b.Loop() {
				step()
			}
		})
	}
}

// BenchmarkStreams runs pairs of SRTP streams on one engine for a few
// seconds and reports the share of packets sent or received more than
// 10 ms late: the measure the 1,000-call load benchmark builds on.
func BenchmarkStreams(b *testing.B) {
	for _, pairs := range []int{50, 250, 500} {
		b.Run(fmt.Sprintf("pairs=%d", pairs), func(b *testing.B) {
			e := runEngine(b, Config{})
			var all []*Stream
			for range pairs {
				ka, kb := keyPair(b, srtp.ProtectionProfileAes128CmHmacSha1_80)
				x, y := pair(b, e,
					Params{Codec: codec.PCMU, SRTP: ka, RTCPMux: true},
					Params{Codec: codec.PCMU, SRTP: kb, RTCPMux: true})
				x.SetSink(nopSink{})
				all = append(all, x, y)
			}
			total := func() (st Stats) {
				for _, s := range all {
					x := s.Stats()
					st.Sent += x.Sent
					st.SendLate += x.SendLate
					st.Received += x.Received
					st.Late += x.Late
					st.Lost += x.Lost
				}
				return st
			}
			time.Sleep(500 * time.Millisecond) // let every stream latch and settle
			before := total()
			start := time.Now()
			for b.Loop() {
				time.Sleep(3 * time.Second)
			}
			after := total()
			secs := time.Since(start).Seconds()
			recv := float64(after.Received - before.Received)
			sent := float64(after.Sent - before.Sent)
			b.ReportMetric(float64(after.Late-before.Late)/recv, "late-frac")
			b.ReportMetric(float64(after.SendLate-before.SendLate)/sent, "send-late-frac")
			b.ReportMetric(float64(after.Lost-before.Lost)/sent, "lost-frac")
			b.ReportMetric(recv/secs, "pkts/s")
		})
	}
}
