package stream

import (
	"testing"
	"time"

	"github.com/pion/srtp/v3"

	"kordon/media/codec"
)

// TestRTCP checks that both ends send reports and read each other's: the
// far end's view of our stream, with a round-trip time once it has echoed
// one of our sender reports.
func TestRTCP(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile srtp.ProtectionProfile
		mux     bool
	}{
		{"plain", 0, false},
		{"SRTCP", srtp.ProtectionProfileAes128CmHmacSha1_80, false},
		{"SRTCP rtcp-mux", srtp.ProtectionProfileAeadAes128Gcm, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := runEngine(t, Config{RTCPInterval: 100 * time.Millisecond})
			ka, kb := keyPair(t, tc.profile)
			a, b := pair(t, e,
				Params{Codec: codec.PCMU, SRTP: ka, RTCPMux: tc.mux},
				Params{Codec: codec.PCMU, SRTP: kb, RTCPMux: tc.mux})
			for _, s := range []*Stream{a, b} {
				eventually(t, "a round-trip time", func() bool { return s.Stats().Peer.RTT > 0 })
				st := s.Stats()
				if st.RTCPSent == 0 || st.RTCPReceived == 0 || st.Peer.At.IsZero() || st.Peer.Packets == 0 {
					t.Errorf("RTCP stats: %+v", st)
				}
				if st.Peer.RTT > time.Second || st.Peer.FractionLost != 0 {
					t.Errorf("implausible report on loopback: %+v", st.Peer)
				}
				if st.AuthFailures != 0 || st.Malformed != 0 {
					t.Errorf("RTCP refused: %+v", st)
				}
			}
		})
	}
}

func TestNTPTime(t *testing.T) {
	tm := time.Date(2026, 11, 22, 0, 0, 0, 500_000_000, time.UTC)
	got := ntpTime(tm)
	if secs := got >> 32; secs != uint64(tm.Unix())+2208988800 {
		t.Errorf("seconds = %d", secs)
	}
	if frac := uint32(got); frac != 1<<31 {
		t.Errorf("fraction = %#x, want 0x80000000", frac)
	}
}
