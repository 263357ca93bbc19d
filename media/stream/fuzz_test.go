package stream

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/srtp/v3"

	"kordon/media/codec"
	"kordon/media/dtmf"
)

// FuzzReceive feeds arbitrary datagrams to a plain and an SRTP Stream, as
// RTP, as muxed RTCP and on the RTCP port: nothing panics, and digits come
// only from valid telephone-events.
func FuzzReceive(f *testing.F) {
	e, err := New(Config{Bind: loopback, PortMin: 30000, PortMax: 39999, Inactivity: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	kp, _ := keyPair(f, srtp.ProtectionProfileAes128CmHmacSha1_80)
	plain, secure := open(f, e), open(f, e)
	for s, k := range map[*Stream]*Keys{plain: nil, secure: kp} {
		if err := s.Start(Params{Codec: codec.PCMU, DTMFPayloadType: 101, SRTP: k, Remote: netip.MustParseAddrPort("127.0.0.1:9")}); err != nil {
			f.Fatal(err)
		}
	}
	clearPeer := newPeer(f, nil)
	f.Add(clearPeer.packet(0, make([]byte, 160)), false)
	f.Add(clearPeer.packet(101, dtmf.Event{Digit: '7', End: true, Duration: 800}.Append(nil)), false)
	f.Add(newPeer(f, kp).packet(101, dtmf.Event{Digit: '#', End: true, Duration: 800}.Append(nil)), false)
	padded := clearPeer.packet(0, []byte{1, 2, 3, 0, 2})
	padded[0] |= 0x20
	f.Add(padded, false)
	ext := clearPeer.packet(0, []byte{0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 9, 9})
	ext[0] |= 0x10 | 0x02 // an extension and two CSRCs
	f.Add(ext, false)
	sr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: 1, NTPTime: 1 << 40, Reports: []rtcp.ReceptionReport{{SSRC: 2, LastSenderReport: 5}}}})
	f.Add(sr, false)
	f.Add(sr, true)
	f.Add([]byte{0x80, 200, 0, 1}, true)
	f.Add([]byte{}, false)

	from := netip.MustParseAddrPort("127.0.0.1:4000")
	f.Fuzz(func(t *testing.T, pkt []byte, rtcpPort bool) {
		for _, s := range []*Stream{plain, secure} {
			before := s.Stats()
			s.receive(pkt, from, time.Now(), rtcpPort)
			after := s.Stats()
			if after.Received > before.Received+1 {
				t.Fatalf("one datagram counted as %d packets", after.Received-before.Received)
			}
			for more := true; more; {
				select {
				case d := <-s.DTMF():
					if !dtmf.Valid(d) {
						t.Fatalf("digit %q reported", d)
					}
				default:
					more = false
				}
			}
		}
		if h, ok := parseRTP(pkt); ok && (h.length > len(pkt) || h.length < rtpHeaderLen) {
			t.Fatalf("header length %d for a %d-byte packet", h.length, len(pkt))
		}
	})
}
