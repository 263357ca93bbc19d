package stream

import (
	"testing"
	"time"

	"github.com/pion/srtp/v3"

	"kordon/media/codec"
)

// TestLatching runs a far end that sends from another port than its SDP
// said: the Stream must move to the port its authentic packets come from,
// and never to the source of a forged or foreign packet.
func TestLatching(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile srtp.ProtectionProfile
	}{
		{"plain RTP", 0},
		{"SRTP", srtp.ProtectionProfileAes128CmHmacSha1_80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := runEngine(t, Config{})
			s := open(t, e)
			k, _ := keyPair(t, tc.profile)
			sdp := newPeer(t, k)  // the address in the far end's SDP
			real := newPeer(t, k) // where it really sends from
			if err := s.Start(Params{Codec: codec.PCMA, DTMFPayloadType: 101, SRTP: k, Remote: sdp.addr()}); err != nil {
				t.Fatal(err)
			}
			if sdp.receive(time.Second) == nil {
				t.Fatal("nothing sent to the SDP address before latching")
			}

			// A forged packet (plain RTP: a payload type not negotiated;
			// SRTP: the wrong key) from a third port is not followed.
			forger := newPeer(t, nil)
			forged := forger.packet(8, codec.PCMA.Encode(nil, prompt(codec.PCMA, 1)))
			if tc.profile == 0 {
				forged = forger.packet(18, []byte{1, 2, 3, 4})
			}
			forger.send(here(s), forged)
			eventually(t, "the forged packet to be refused", func() bool {
				st := s.Stats()
				return st.AuthFailures+st.Ignored == 1
			})
			sdp.drain()
			if sdp.receive(time.Second) == nil {
				t.Fatal("the forged packet moved the stream")
			}

			real.send(here(s), real.packet(8, codec.PCMA.Encode(nil, prompt(codec.PCMA, 1))))
			eventually(t, "latching", func() bool { return s.Stats().Remote == real.addr() })
			if real.receive(time.Second) == nil {
				t.Fatal("nothing arrived at the latched address")
			}
			sdp.drain()
			if sdp.receive(100*time.Millisecond) != nil {
				t.Error("still sending to the SDP address after latching")
			}
			st := s.Stats()
			if st.Latches != 1 || st.Received != 1 {
				t.Errorf("stats: %+v", st)
			}
			if tc.profile != 0 && st.AuthFailures != 1 {
				t.Errorf("AuthFailures = %d, want 1", st.AuthFailures)
			}
		})
	}
}

// TestWrongKey checks that a far end with the wrong key is heard by
// nobody: every packet fails authentication, none is played or latched.
func TestWrongKey(t *testing.T) {
	e := runEngine(t, Config{})
	ka, kb := keyPair(t, srtp.ProtectionProfileAeadAes128Gcm)
	wrong, _ := keyPair(t, srtp.ProtectionProfileAeadAes128Gcm)
	kb.RemoteKey = wrong.RemoteKey
	a, b := pair(t, e, Params{Codec: codec.PCMU, SRTP: ka}, Params{Codec: codec.PCMU, SRTP: kb})
	rec := &recorder{}
	b.SetSink(rec)
	if err := a.Play(t.Context(), prompt(codec.PCMU, 10)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "authentication failures", func() bool { return b.Stats().AuthFailures >= 10 })
	if st := b.Stats(); st.Received != 0 || st.Latches != 0 || len(rec.heard()) != 0 {
		t.Errorf("forged media was taken: %+v, heard %d samples", st, len(rec.heard()))
	}
}
