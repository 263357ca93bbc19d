package sdp

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pionsdp "github.com/pion/sdp/v3"

	"kordon/media/codec"
)

func TestOffer(t *testing.T) {
	tests := []struct {
		name   string
		pol    Policy
		dir    Direction
		golden string
		proto  string
		suites []Suite
	}{
		{"mandatory", Policy{}, SendRecv, "offer-mandatory.sdp", "RTP/SAVP", defaultSuites},
		{"optional is RTP/AVP with crypto", Policy{SRTP: Optional}, SendRecv, "offer-optional.sdp", "RTP/AVP", defaultSuites},
		{"hold, PCMA only, one suite", Policy{Codecs: []codec.Codec{codec.PCMA}, Suites: []Suite{AES_CM_128_HMAC_SHA1_80}}, SendOnly, "offer-hold.sdp", "RTP/SAVP", []Suite{AES_CM_128_HMAC_SHA1_80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, st, err := Offer(tt.pol, testLocal, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, offer)
			var p pionsdp.SessionDescription
			if err := p.Unmarshal(offer); err != nil {
				t.Fatalf("pion/sdp cannot read our offer: %v", err)
			}
			if len(p.MediaDescriptions) != 1 || strings.Join(p.MediaDescriptions[0].MediaName.Protos, "/") != tt.proto {
				t.Fatalf("pion reads m= %+v", p.MediaDescriptions)
			}
			d, e := parse(offer)
			if e != nil {
				t.Fatal(e)
			}
			s := d.media[0]
			if len(s.crypto) != len(tt.suites) {
				t.Fatalf("%d a=crypto lines, want %d", len(s.crypto), len(tt.suites))
			}
			keys := map[string]bool{}
			for i, line := range s.crypto {
				c, err := ParseCrypto(line)
				if err != nil {
					t.Fatalf("our a=crypto does not parse: %v", err)
				}
				if c.Tag != i+1 || c.Suite != tt.suites[i] {
					t.Errorf("line %d: tag %d suite %v, want %d %v", i, c.Tag, c.Suite, i+1, tt.suites[i])
				}
				if !bytes.Equal(c.Key, st.keys[i].key) || !bytes.Equal(c.Salt, st.keys[i].salt) || keys[string(c.Key)] {
					t.Errorf("line %d: key not the state's, or reused", i)
				}
				keys[string(c.Key)] = true
			}
		})
	}
}

// TestOfferAnswerAccept runs our offer through our own answerer and back
// through Accept: the two sides must agree, mirror-wise.
func TestOfferAnswerAccept(t *testing.T) {
	peer := Local{Addr: netip.MustParseAddr("192.0.2.50"), Port: 40000, SessionID: 1}
	tests := []struct {
		name             string
		ours, theirs     Policy
		dir              Direction
		wantSuite        Suite // 0: plain RTP
		wantDir, peerDir Direction
		codec            codec.Codec
	}{
		{"default", Policy{}, Policy{}, SendRecv, AEAD_AES_128_GCM, SendRecv, SendRecv, codec.PCMU},
		{"peer wants AES-CM", Policy{}, Policy{Suites: []Suite{AES_CM_128_HMAC_SHA1_80}}, SendRecv, AES_CM_128_HMAC_SHA1_80, SendRecv, SendRecv, codec.PCMU},
		{"peer wants AES-256-CM", Policy{}, Policy{Suites: []Suite{AES_256_CM_HMAC_SHA1_80}}, SendRecv, AES_256_CM_HMAC_SHA1_80, SendRecv, SendRecv, codec.PCMU},
		{"peer wants GCM-256", Policy{}, Policy{Suites: []Suite{AEAD_AES_256_GCM}}, SendRecv, AEAD_AES_256_GCM, SendRecv, SendRecv, codec.PCMU},
		{"peer wants PCMA", Policy{}, Policy{Codecs: []codec.Codec{codec.PCMA}}, SendRecv, AEAD_AES_128_GCM, SendRecv, SendRecv, codec.PCMA},
		{"we hold", Policy{}, Policy{}, SendOnly, AEAD_AES_128_GCM, SendOnly, RecvOnly, codec.PCMU},
		{"we stop media", Policy{}, Policy{}, Inactive, AEAD_AES_128_GCM, Inactive, Inactive, codec.PCMU},
		{"optional to optional: best effort SRTP", Policy{SRTP: Optional}, Policy{SRTP: Optional}, SendRecv, AEAD_AES_128_GCM, SendRecv, SendRecv, codec.PCMU},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer, st, err := Offer(tt.ours, testLocal, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			answer, theirs, err := Answer(offer, tt.theirs, peer, nil)
			if err != nil {
				t.Fatalf("Answer: %v", err)
			}
			checkAnswer(t, offer, answer, theirs, peer)
			ours, err := st.Accept(answer)
			if err != nil {
				t.Fatalf("Accept: %v\n%s", err, answer)
			}
			if ours.Codec != tt.codec || theirs.Codec != tt.codec || ours.PayloadType != theirs.PayloadType || ours.DTMFPayloadType != 101 || theirs.DTMFPayloadType != 101 {
				t.Errorf("codec %v/%v PT %d/%d DTMF %d/%d", ours.Codec, theirs.Codec, ours.PayloadType, theirs.PayloadType, ours.DTMFPayloadType, theirs.DTMFPayloadType)
			}
			if ours.Direction != tt.wantDir || theirs.Direction != tt.peerDir {
				t.Errorf("directions %v/%v, want %v/%v", ours.Direction, theirs.Direction, tt.wantDir, tt.peerDir)
			}
			if ours.Remote != netip.AddrPortFrom(peer.Addr, 40000) || theirs.Remote != netip.AddrPortFrom(testLocal.Addr, 30000) {
				t.Errorf("remotes %v / %v", ours.Remote, theirs.Remote)
			}
			if !ours.RTCPMux || !theirs.RTCPMux || ours.RemoteRTCP != ours.Remote {
				t.Errorf("rtcp-mux not agreed")
			}
			if ours.SessionID != 4242 || ours.Version != 7 {
				t.Errorf("o= %d %d", ours.SessionID, ours.Version)
			}
			if ours.SRTP == nil || theirs.SRTP == nil {
				t.Fatalf("SRTP not agreed: %v / %v", ours.SRTP, theirs.SRTP)
			}
			mirror := Keys{Suite: theirs.SRTP.Suite, Tag: theirs.SRTP.Tag,
				LocalKey: theirs.SRTP.RemoteKey, LocalSalt: theirs.SRTP.RemoteSalt,
				RemoteKey: theirs.SRTP.LocalKey, RemoteSalt: theirs.SRTP.LocalSalt}
			if diff := cmp.Diff(mirror, *ours.SRTP); diff != "" || ours.SRTP.Suite != tt.wantSuite {
				t.Errorf("keys do not mirror (-peer +ours):\n%s", diff)
			}
		})
	}
}

func TestAccept(t *testing.T) {
	_, st, err := Offer(Policy{}, testLocal, SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	_, optional, err := Offer(Policy{SRTP: Optional, Suites: []Suite{AES_CM_128_HMAC_SHA1_80}}, testLocal, SendRecv)
	if err != nil {
		t.Fatal(err)
	}
	_, holding, err := Offer(Policy{}, testLocal, SendOnly)
	if err != nil {
		t.Fatal(err)
	}
	gcm := "a=crypto:1 AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A"
	cm := "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	baresip := offerSDP("v=0", "o=- 3526781234 2215987301 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0",
		"a=tool:baresip 1.0.0", "m=audio 20000 RTP/SAVP 0 101", "b=AS:64", "a=rtpmap:0 PCMU/8000",
		"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15", "a=rtcp-mux", "a=sendrecv", "a=label:1",
		"a=ssrc:1743862313 cname:e6a5c2ab", "a=rtcp-rsize", gcm, "a=ptime:20")
	tests := []struct {
		name   string
		st     *OfferState
		answer []byte
		reason string // "" when accepted
		check  func(Media) bool
	}{
		{"baresip answers GCM", st, baresip, "", func(m Media) bool {
			return m.SRTP.Suite == AEAD_AES_128_GCM && m.SRTP.Tag == 1 && m.RTCPMux && m.DTMFPayloadType == 101 && m.Remote.String() == "192.0.2.10:20000"
		}},
		{"third suite", st, withAudio("m=audio 20000 RTP/SAVP 8", cm), "", func(m Media) bool {
			return m.SRTP.Suite == AES_CM_128_HMAC_SHA1_80 && m.Codec == codec.PCMA && !m.RTCPMux && m.RemoteRTCP.Port() == 20001 && m.DTMFPayloadType == 0
		}},
		{"peer holds us with sendonly", st, withAudio("m=audio 20000 RTP/SAVP 0", "a=sendonly", gcm), "", func(m Media) bool { return m.Direction == RecvOnly }},
		{"peer only listens", st, withAudio("m=audio 20000 RTP/SAVP 0", "a=recvonly", gcm), "", func(m Media) bool { return m.Direction == SendOnly }},
		{"answer at 0.0.0.0", st, withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 0.0.0.0", gcm), "", func(m Media) bool { return m.Direction == RecvOnly }},
		{"we hold, peer answers recvonly", holding, withAudio("m=audio 20000 RTP/SAVP 0", "a=recvonly", gcm), "", func(m Media) bool { return m.Direction == SendOnly }},
		{"we hold, peer wrongly answers sendrecv", holding, withAudio("m=audio 20000 RTP/SAVP 0", gcm), "", func(m Media) bool { return m.Direction == SendOnly }},
		{"optional answered plain", optional, withAudio("m=audio 20000 RTP/AVP 0"), "", func(m Media) bool { return m.SRTP == nil }},
		{"optional answered with crypto", optional, withAudio("m=audio 20000 RTP/AVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+key128), "", func(m Media) bool {
			return m.SRTP != nil && m.SRTP.Tag == 1
		}},
		{"codec list with extras", st, withAudio("m=audio 20000 RTP/SAVP 18 8 0", gcm), "", func(m Media) bool { return m.Codec == codec.PCMA && m.PayloadType == 8 }},

		{"refused: port 0", st, withAudio("m=audio 0 RTP/SAVP 0"), errAudioRejected.reason, nil},
		{"refused: proto changed", st, withAudio("m=audio 20000 RTP/AVP 0"), errAnswerProto.reason, nil},
		{"refused: two m= lines", st, withAudio("m=audio 20000 RTP/SAVP 0", gcm, "m=video 0 RTP/SAVP 96"), errAnswerMedia.reason, nil},
		{"refused: no m= line", st, withAudio(), errAnswerMedia.reason, nil},
		{"refused: video", st, withAudio("m=video 20000 RTP/SAVP 0", gcm), errAnswerMedia.reason, nil},
		{"refused: codec not offered", st, withAudio("m=audio 20000 RTP/SAVP 18", gcm), errNoCodec.reason, nil},
		{"refused: no crypto", st, withAudio("m=audio 20000 RTP/SAVP 0"), errAnswerNoCrypto.reason, nil},
		{"refused: two crypto lines", st, withAudio("m=audio 20000 RTP/SAVP 0", gcm, cm), errAnswerCrypto.reason, nil},
		{"refused: tag not offered", st, withAudio("m=audio 20000 RTP/SAVP 0", "a=crypto:9 AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A"), errAnswerTag.reason, nil},
		{"refused: suite does not match tag", st, withAudio("m=audio 20000 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+key128), errAnswerTag.reason, nil},
		{"refused: MKI", st, withAudio("m=audio 20000 RTP/SAVP 0", gcm+"|2^20|1:4"), errMKI.reason, nil},
		{"refused: wrong key length", st, withAudio("m=audio 20000 RTP/SAVP 0", "a=crypto:1 AEAD_AES_128_GCM inline:"+key128), errKeyLength.reason, nil},
		{"refused: unencrypted", st, withAudio("m=audio 20000 RTP/SAVP 0", gcm+" UNENCRYPTED_SRTP"), errUnencrypted.reason, nil},
		{"refused: host name", st, withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 pbx.example", gcm), errConnAddr.reason, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.st.Accept(tt.answer)
			if tt.reason != "" {
				refusal(t, err, ErrNotAcceptable, tt.reason)
				return
			}
			if err != nil {
				t.Fatalf("Accept: %v", err)
			}
			if !tt.check(m) {
				t.Errorf("unexpected Media %+v", m)
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		_, err := st.Accept([]byte("garbage"))
		refusal(t, err, ErrMalformed, "")
	})
	t.Run("does not change the state", func(t *testing.T) {
		a, _ := st.Accept(baresip)
		b, _ := st.Accept(baresip)
		if !bytes.Equal(a.SRTP.LocalKey, b.SRTP.LocalKey) || &a.SRTP.LocalKey[0] == &st.keys[0].key[0] {
			t.Errorf("Accept shares or changes the state's keys")
		}
	})
}

func TestOfferBadDirection(t *testing.T) {
	if _, _, err := Offer(Policy{}, testLocal, Inactive+1); err == nil || isRefusal(err) {
		t.Errorf("Offer: %v", err)
	}
}
