package sdp

import (
	"bytes"
	"strings"
	"testing"

	pionsdp "github.com/pion/sdp/v3"
)

// TestAnswerThroughPion reads our answers to the real offers with
// pion/sdp, the independent parser the media engine's peers resemble most.
func TestAnswerThroughPion(t *testing.T) {
	for _, name := range []string{"baresip-offer.sdp", "rtpengine-offer.sdp"} {
		t.Run(name, func(t *testing.T) {
			offer := fixture(t, name)
			var po pionsdp.SessionDescription
			if err := po.Unmarshal(offer); err != nil {
				t.Fatalf("pion/sdp cannot read the fixture: %v", err)
			}
			a, m := answer(t, offer, Policy{})
			var p pionsdp.SessionDescription
			if err := p.Unmarshal(a); err != nil {
				t.Fatal(err)
			}
			md := p.MediaDescriptions[0]
			if md.MediaName.Port.Value != testLocal.Port || strings.Join(md.MediaName.Formats, " ") != "0 101" {
				t.Errorf("pion reads m= %+v", md.MediaName)
			}
			crypto, ok := md.Attribute("crypto")
			c, err := ParseCrypto(crypto)
			if !ok || err != nil || !bytes.Equal(c.Key, m.SRTP.LocalKey) {
				t.Errorf("pion's a=crypto %v does not carry our key: %v", ok, err)
			}
			if _, ok := md.Attribute(m.Direction.String()); !ok {
				t.Errorf("pion finds no a=%v", m.Direction)
			}
			if p.ConnectionInformation.Address.Address != testLocal.Addr.String() {
				t.Errorf("pion reads c= %+v", p.ConnectionInformation.Address)
			}
			out, err := p.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if _, e := parse(out); e != nil {
				t.Errorf("pion's re-marshalled answer does not parse: %v", e)
			}
		})
	}
}

func fuzzSeeds(f *testing.F) {
	f.Add(fixture(f, "baresip-offer.sdp"))
	f.Add(fixture(f, "rtpengine-offer.sdp"))
	f.Add(withAudio("m=video 1 RTP/AVP 96", "m=audio 20000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=rtcp:20001 IN IP4 192.0.2.2", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+key128+"|2^20", "a=sendonly"))
	f.Add(withAudio("m=audio 20000 RTP/SAVPF 97", "c=IN IP6 ::", "a=rtpmap:97 pcma/8000", "a=crypto:1 AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A", "a=inactive", "a=ptime:30"))
	f.Add([]byte("v=0\nc=IN IP4 0.0.0.0\nm=audio 65535 RTP/AVP 0\n"))
}

func FuzzAnswer(f *testing.F) {
	fuzzSeeds(f)
	policies := []Policy{{}, {SRTP: Optional}}
	f.Fuzz(func(t *testing.T, offer []byte) {
		for _, pol := range policies {
			a, m, err := Answer(offer, pol, testLocal, nil)
			if err != nil {
				if !isRefusal(err) {
					t.Fatalf("Answer: %v is neither a refusal nor malformed", err)
				}
				continue
			}
			checkAnswer(t, offer, a, m, testLocal)
			if pol.SRTP == Mandatory && m.SRTP == nil {
				t.Fatalf("Mandatory policy agreed plain RTP")
			}
			// A re-INVITE with the same offer keeps our key.
			_, again, err := Answer(offer, pol, Local{Addr: testLocal.Addr, Port: testLocal.Port}, &m)
			if err != nil || again.SessionID != m.SessionID || again.Version != m.Version+1 {
				t.Fatalf("the same offer as a re-INVITE: %v", err)
			}
			if m.SRTP != nil && !bytes.Equal(again.SRTP.LocalKey, m.SRTP.LocalKey) {
				t.Fatalf("re-INVITE changed our key")
			}
		}
	})
}

func FuzzAccept(f *testing.F) {
	_, st, err := Offer(Policy{}, testLocal, SendRecv)
	if err != nil {
		f.Fatal(err)
	}
	_, optional, err := Offer(Policy{SRTP: Optional}, testLocal, SendOnly)
	if err != nil {
		f.Fatal(err)
	}
	fuzzSeeds(f)
	f.Add(withAudio("m=audio 20000 RTP/SAVP 0 101", "a=crypto:1 AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A", "a=rtcp-mux"))
	f.Add(withAudio("m=audio 20000 RTP/AVP 8", "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:"+key128, "a=recvonly"))
	f.Fuzz(func(t *testing.T, answer []byte) {
		for _, s := range []*OfferState{st, optional} {
			m, err := s.Accept(answer)
			if err != nil {
				if !isRefusal(err) {
					t.Fatalf("Accept: %v is neither a refusal nor malformed", err)
				}
				continue
			}
			if !m.Codec.Valid() || !m.Remote.IsValid() || m.Ptime < 10 || m.SessionID != s.sessionID {
				t.Fatalf("inconsistent Media %+v", m)
			}
			if m.Direction.sends() && (!s.dir.sends() || m.Remote.Addr().IsUnspecified()) {
				t.Fatalf("Media sends against our offer or to nowhere: %v", m.Direction)
			}
			if s.secure && m.SRTP == nil {
				t.Fatalf("RTP/SAVP offer accepted without keys")
			}
			if m.SRTP != nil {
				o := s.keys[m.SRTP.Tag-1]
				kl, sl := o.suite.keyLen()
				if o.suite != m.SRTP.Suite || !bytes.Equal(o.key, m.SRTP.LocalKey) || len(m.SRTP.RemoteKey) != kl || len(m.SRTP.RemoteSalt) != sl {
					t.Fatalf("keys do not match the offer")
				}
			}
		}
	})
}
