package sdp

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kordon/media/codec"
	"kordon/types/pii"
)

// answer answers offer under pol, failing the test on an error, and checks
// the answer against its Media.
func answer(t *testing.T, offer []byte, pol Policy) ([]byte, Media) {
	t.Helper()
	a, m, err := Answer(offer, pol, testLocal, nil)
	if err != nil {
		t.Fatalf("Answer: %v\n%s", err, offer)
	}
	checkAnswer(t, offer, a, m, testLocal)
	return a, m
}

// ignoreKeys compares Media without the random keys.
var ignoreKeys = cmp.Options{
	cmpopts.IgnoreFields(Keys{}, "LocalKey", "LocalSalt", "RemoteKey", "RemoteSalt"),
	cmpopts.EquateComparable(netip.AddrPort{}),
}

func TestAnswerBaresip(t *testing.T) {
	offer := fixture(t, "baresip-offer.sdp")
	a, m := answer(t, offer, Policy{})
	want := Media{
		Remote: netip.MustParseAddrPort("192.0.2.10:20000"), RemoteRTCP: netip.MustParseAddrPort("192.0.2.10:20000"), RTCPMux: true,
		Codec: codec.PCMU, PayloadType: 0, DTMFPayloadType: 101, Ptime: 20, Direction: SendRecv,
		SRTP:      &Keys{Suite: AES_CM_128_HMAC_SHA1_80, Tag: 1},
		SessionID: 4242, Version: 7,
	}
	if diff := cmp.Diff(want, m, ignoreKeys); diff != "" {
		t.Errorf("Media (-want +got):\n%s", diff)
	}
	if !bytes.Equal(append(m.SRTP.RemoteKey, m.SRTP.RemoteSalt...), mustKey(t, key128)) {
		t.Errorf("remote key is not the offer's")
	}
	if bytes.Equal(m.SRTP.LocalKey, m.SRTP.RemoteKey) {
		t.Errorf("our key echoes the offer's")
	}
	golden(t, "baresip-answer.sdp", a)
}

func TestAnswerRtpengine(t *testing.T) {
	offer := fixture(t, "rtpengine-offer.sdp")
	tests := []struct {
		name   string
		suites []Suite
		tag    int
		suite  Suite
	}{
		{"default policy takes the first line", nil, 1, AEAD_AES_256_GCM},
		{"offer order wins over ours", []Suite{AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM}, 2, AEAD_AES_128_GCM},
		{"AES-256 CM, unpadded", []Suite{AES_256_CM_HMAC_SHA1_80}, 3, AES_256_CM_HMAC_SHA1_80},
		{"skips 32-bit, AES-192 lines", []Suite{AES_CM_128_HMAC_SHA1_80}, 7, AES_CM_128_HMAC_SHA1_80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m := answer(t, offer, Policy{Suites: tt.suites})
			want := Media{
				Remote: netip.MustParseAddrPort("198.51.100.7:40000"), RemoteRTCP: netip.MustParseAddrPort("198.51.100.7:40001"),
				Codec: codec.PCMU, DTMFPayloadType: 101, Ptime: 20,
				SRTP:      &Keys{Suite: tt.suite, Tag: tt.tag},
				SessionID: 4242, Version: 7,
			}
			if diff := cmp.Diff(want, m, ignoreKeys); diff != "" {
				t.Errorf("Media (-want +got):\n%s", diff)
			}
			if tt.tag == 1 {
				golden(t, "rtpengine-answer.sdp", a)
			}
		})
	}
}

func TestAnswerCryptoChoice(t *testing.T) {
	const gcm = "vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A"
	tests := []struct {
		name   string
		crypto []string
		tag    int    // chosen, when reason is ""
		reason string // of the refusal
	}{
		{"first usable line, offer order", []string{"5 AEAD_AES_128_GCM inline:" + gcm, "6 AES_CM_128_HMAC_SHA1_80 inline:" + key128}, 5, ""},
		{"MKI line skipped", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^20|1:4", "2 AES_CM_128_HMAC_SHA1_80 inline:" + key128}, 2, ""},
		{"unparsable line skipped", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:!!!", "2 AEAD_AES_128_GCM inline:" + gcm}, 2, ""},
		{"only MKI", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^20|1:4"}, 0, errMKI.reason},
		{"only several keys", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^20|1:4;inline:" + key128 + "|2^20|2:4"}, 0, errMultipleKeys.reason},
		{"only a wrong key length", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + gcm}, 0, errKeyLength.reason},
		{"only UNENCRYPTED_SRTP", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " UNENCRYPTED_SRTP"}, 0, errUnencrypted.reason},
		{"only UNENCRYPTED_SRTCP", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " UNENCRYPTED_SRTCP"}, 0, errUnencrypted.reason},
		{"only UNAUTHENTICATED_SRTP", []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + " UNAUTHENTICATED_SRTP"}, 0, errUnencrypted.reason},
		{"only a 32-bit suite", []string{"1 AES_CM_128_HMAC_SHA1_32 inline:" + key128}, 0, errWeakSuite.reason},
		{"only refused suites", []string{"1 AES_CM_128_HMAC_SHA1_32 inline:" + key128, "2 NULL_HMAC_SHA1_80 inline:" + key128}, 0, errNoSuite.reason},
		{"specific reason beats suite reason", []string{"1 F8_128_HMAC_SHA1_80 inline:" + key128, "2 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|1:4"}, 0, errMKI.reason},
		{"only an unparsable line", []string{"1 AES_CM_128_HMAC_SHA1_80"}, 0, errCryptoSyntax.reason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := []string{"m=audio 20000 RTP/SAVP 0"}
			for _, c := range tt.crypto {
				lines = append(lines, "a=crypto:"+c)
			}
			offer := withAudio(lines...)
			if tt.reason != "" {
				_, _, err := Answer(offer, Policy{}, testLocal, nil)
				refusal(t, err, ErrNotAcceptable, tt.reason)
				return
			}
			_, m := answer(t, offer, Policy{})
			if m.SRTP.Tag != tt.tag {
				t.Errorf("chose tag %d, want %d", m.SRTP.Tag, tt.tag)
			}
		})
	}
}

func TestAnswerRefusals(t *testing.T) {
	crypto := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	tests := []struct {
		name   string
		offer  []byte
		pol    Policy
		reason string
	}{
		{"RTP/AVP to a Mandatory trunk", withAudio("m=audio 20000 RTP/AVP 0"), Policy{}, errSRTPRequired.reason},
		{"RTP/AVP with crypto to a Mandatory trunk", withAudio("m=audio 20000 RTP/AVP 0", crypto), Policy{}, errSRTPRequired.reason},
		{"RTP/SAVP without crypto", withAudio("m=audio 20000 RTP/SAVP 0"), Policy{}, errNoCrypto.reason},
		{"RTP/SAVP without crypto, Optional", withAudio("m=audio 20000 RTP/SAVP 0"), Policy{SRTP: Optional}, errNoCrypto.reason},
		{"RTP/SAVP with bad crypto, Optional", withAudio("m=audio 20000 RTP/SAVP 0", crypto+"|1:4"), Policy{SRTP: Optional}, errMKI.reason},
		{"DTLS-SRTP", withAudio("m=audio 20000 UDP/TLS/RTP/SAVP 0", "a=fingerprint:sha-256 AB:CD"), Policy{}, errTransport.reason},
		{"no common codec", withAudio("m=audio 20000 RTP/SAVP 18 9", "a=rtpmap:18 G729/8000", crypto), Policy{}, errNoCodec.reason},
		{"codec outside policy", withAudio("m=audio 20000 RTP/SAVP 0", crypto), Policy{Codecs: []codec.Codec{codec.PCMA}}, errNoCodec.reason},
		{"PCMU at 16 kHz", withAudio("m=audio 20000 RTP/SAVP 96", "a=rtpmap:96 PCMU/16000", crypto), Policy{}, errNoCodec.reason},
		{"stereo PCMU", withAudio("m=audio 20000 RTP/SAVP 96", "a=rtpmap:96 PCMU/8000/2", crypto), Policy{}, errNoCodec.reason},
		{"static PT remapped to another codec", withAudio("m=audio 20000 RTP/SAVP 0", "a=rtpmap:0 G722/8000", crypto), Policy{}, errNoCodec.reason},
		{"dynamic PT without rtpmap", withAudio("m=audio 20000 RTP/SAVP 96", crypto), Policy{}, errNoCodec.reason},
		{"port 0 on the only audio line", withAudio("m=audio 0 RTP/SAVP 0", crypto), Policy{}, errAudioRejected.reason},
		{"no audio line", withAudio("m=video 20002 RTP/SAVP 96", crypto), Policy{}, errNoAudio.reason},
		{"host name connection", withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 pbx.example", crypto), Policy{}, errConnAddr.reason},
		{"multicast connection", withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 233.252.0.1/127", crypto), Policy{}, errConnAddr.reason},
		{"first refusal reported", withAudio("m=audio 20000 RTP/AVP 0", "m=audio 0 RTP/SAVP 0"), Policy{}, errSRTPRequired.reason},
		{"disabled stream explains least", withAudio("m=audio 0 RTP/SAVP 0", "m=audio 20000 RTP/AVP 0"), Policy{}, errSRTPRequired.reason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m, err := Answer(tt.offer, tt.pol, testLocal, nil)
			refusal(t, err, ErrNotAcceptable, tt.reason)
			if a != nil || m.SRTP != nil {
				t.Errorf("refusal returned an answer or keys")
			}
		})
	}
}

// TestAnswerErrorsHideInput feeds phone-number-shaped values into every
// place a refusal could echo, and checks that no error carries them.
func TestAnswerErrorsHideInput(t *testing.T) {
	const phone = "79161234567"
	offers := [][]byte{
		[]byte(phone),
		withAudio("m=audio 20000 RTP/SAVP/" + phone + " 0"),
		withAudio("m=audio " + phone + " RTP/SAVP 0"),
		withAudio("m=audio 20000 RTP/SAVP "+phone, "a=rtpmap:"+phone+" PCMU/8000"),
		withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 "+phone+".example"),
		withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP6 "+phone),
		withAudio("m=audio 20000 RTP/SAVP 0", "a=crypto:1 AES_"+phone+" inline:"+key128),
		withAudio("m=audio 20000 RTP/SAVP 0", "a=crypto:"+phone+" AES_CM_128_HMAC_SHA1_80 inline:"+phone),
		withAudio("m=audio 20000 RTP/SAVP 0", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+key128+" X"+phone),
		withAudio("m=audio 20000 RTP/SAVP 0", "a=rtcp:"+phone),
	}
	for i, offer := range offers {
		_, _, err := Answer(offer, Policy{}, testLocal, nil)
		if err == nil {
			t.Fatalf("offer %d accepted", i)
		}
		if pii.DigitRun(err.Error()) >= pii.PhoneDigits {
			t.Errorf("offer %d: error %q carries a digit run", i, err)
		}
	}
}

func TestAnswerMalformed(t *testing.T) {
	for name, offer := range map[string][]byte{
		"empty body":  nil,
		"not SDP":     []byte("INVITE sip:x SIP/2.0"),
		"bad m= line": withAudio("m=audio"),
		"no c=":       offerSDP("v=0", "m=audio 20000 RTP/SAVP 0"),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := Answer(offer, Policy{}, testLocal, nil)
			refusal(t, err, ErrMalformed, "")
		})
	}
}

func TestAnswerTransport(t *testing.T) {
	crypto := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	tests := []struct {
		name  string
		offer []byte
		pol   Policy
		proto string
		srtp  bool
	}{
		{"RTP/SAVP", withAudio("m=audio 20000 RTP/SAVP 0", crypto), Policy{}, "RTP/SAVP", true},
		{"RTP/SAVPF answered in kind", withAudio("m=audio 20000 RTP/SAVPF 0", crypto), Policy{}, "RTP/SAVPF", true},
		{"RTP/SAVP under Optional", withAudio("m=audio 20000 RTP/SAVP 0", crypto), Policy{SRTP: Optional}, "RTP/SAVP", true},
		{"RTP/AVP under Optional: plain", withAudio("m=audio 20000 RTP/AVP 0"), Policy{SRTP: Optional}, "RTP/AVP", false},
		{"RTP/AVPF under Optional: plain", withAudio("m=audio 20000 RTP/AVPF 0"), Policy{SRTP: Optional}, "RTP/AVPF", false},
		{"RTP/AVP with crypto under Optional: best effort", withAudio("m=audio 20000 RTP/AVP 0", crypto), Policy{SRTP: Optional}, "RTP/AVP", true},
		{"RTP/AVP with unusable crypto under Optional: plain", withAudio("m=audio 20000 RTP/AVP 0", crypto+"|1:4"), Policy{SRTP: Optional}, "RTP/AVP", false},
		{"proto case kept", withAudio("m=audio 20000 rtp/savp 0", crypto), Policy{}, "rtp/savp", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m := answer(t, tt.offer, tt.pol)
			if !bytes.Contains(a, []byte("m=audio 30000 "+tt.proto+" 0\r\n")) {
				t.Errorf("answer does not use %s:\n%s", tt.proto, a)
			}
			if (m.SRTP != nil) != tt.srtp {
				t.Errorf("SRTP = %v, want %v", m.SRTP, tt.srtp)
			}
		})
	}
}

func TestAnswerCodec(t *testing.T) {
	crypto := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	tests := []struct {
		name  string
		lines []string
		pol   Policy
		codec codec.Codec
		pt    uint8
		dtmf  uint8
		ptime int
	}{
		{"static PCMU without rtpmap", []string{"m=audio 1 RTP/SAVP 0"}, Policy{}, codec.PCMU, 0, 0, 20},
		{"static PCMA without rtpmap", []string{"m=audio 1 RTP/SAVP 8"}, Policy{}, codec.PCMA, 8, 0, 20},
		{"offer order wins over policy order", []string{"m=audio 1 RTP/SAVP 8 0"}, Policy{}, codec.PCMA, 8, 0, 20},
		{"policy filters", []string{"m=audio 1 RTP/SAVP 0 8"}, Policy{Codecs: []codec.Codec{codec.PCMA}}, codec.PCMA, 8, 0, 20},
		{"unknown codecs skipped", []string{"m=audio 1 RTP/SAVP 9 18 96 0", "a=rtpmap:96 opus/48000/2"}, Policy{}, codec.PCMU, 0, 0, 20},
		{"dynamic PCMU", []string{"m=audio 1 RTP/SAVP 97", "a=rtpmap:97 PCMU/8000"}, Policy{}, codec.PCMU, 97, 0, 20},
		{"encoding name case-insensitive", []string{"m=audio 1 RTP/SAVP 98", "a=rtpmap:98 pcma/8000/1"}, Policy{}, codec.PCMA, 98, 0, 20},
		{"telephone-event", []string{"m=audio 1 RTP/SAVP 0 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"}, Policy{}, codec.PCMU, 0, 101, 20},
		{"telephone-event at 8 kHz preferred", []string{"m=audio 1 RTP/SAVP 0 100 101", "a=rtpmap:100 telephone-event/48000", "a=rtpmap:101 telephone-event/8000"}, Policy{}, codec.PCMU, 0, 101, 20},
		{"telephone-event not listed in m=", []string{"m=audio 1 RTP/SAVP 0", "a=rtpmap:101 telephone-event/8000"}, Policy{}, codec.PCMU, 0, 0, 20},
		{"ptime echoed", []string{"m=audio 1 RTP/SAVP 0", "a=ptime:30"}, Policy{}, codec.PCMU, 0, 0, 30},
		{"unusable ptime", []string{"m=audio 1 RTP/SAVP 0", "a=ptime:25"}, Policy{}, codec.PCMU, 0, 0, 20},
		{"huge ptime", []string{"m=audio 1 RTP/SAVP 0", "a=ptime:1000"}, Policy{}, codec.PCMU, 0, 0, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m := answer(t, withAudio(append(tt.lines, crypto)...), tt.pol)
			got := [4]int{int(m.Codec), int(m.PayloadType), int(m.DTMFPayloadType), m.Ptime}
			if want := [4]int{int(tt.codec), int(tt.pt), int(tt.dtmf), tt.ptime}; got != want {
				t.Errorf("codec, PT, DTMF PT, ptime = %v, want %v", got, want)
			}
			if tt.dtmf != 0 && !bytes.Contains(a, []byte("a=fmtp:101 0-16\r\n")) {
				t.Errorf("answer lacks a=fmtp for telephone-event:\n%s", a)
			}
		})
	}
}

func TestAnswerStreams(t *testing.T) {
	crypto := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	tests := []struct {
		name  string
		lines []string
		live  int // index of the answered m= line
		want  string
	}{
		{"video first", []string{"m=video 20002 RTP/SAVP 96 97", "a=rtpmap:96 H264/90000", "m=audio 20000 RTP/SAVP 0", crypto}, 1,
			"m=video 0 RTP/SAVP 96 97\r\nm=audio 30000 RTP/SAVP 0\r\n"},
		{"second audio rejected", []string{"m=audio 20000 RTP/SAVP 0", crypto, "m=audio 20010 RTP/SAVP 8", crypto}, 0,
			"m=audio 30000 RTP/SAVP 0\r\n.*m=audio 0 RTP/SAVP 8\r\n"},
		{"first audio unusable", []string{"m=audio 20000 RTP/AVP 0", "m=audio 20010 RTP/SAVP 8", crypto}, 1,
			"m=audio 0 RTP/AVP 0\r\nm=audio 30000 RTP/SAVP 8\r\n"},
		{"T.38 and BFCP rejected in kind", []string{"m=audio 20000 RTP/SAVP 0", crypto, "m=image 20020 udptl t38", "m=application 20030 TCP/BFCP *"}, 0,
			"m=image 0 udptl t38\r\nm=application 0 TCP/BFCP \\*\r\n"},
		{"audio already refused by the offerer", []string{"m=audio 0 RTP/SAVP 8", "m=audio 20000 RTP/SAVP 0", crypto}, 1,
			"m=audio 0 RTP/SAVP 8\r\nm=audio 30000 RTP/SAVP 0\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			offer := withAudio(tt.lines...)
			a, _ := answer(t, offer, Policy{})
			d, _ := parse(a)
			for i := range d.media {
				if (d.media[i].port != 0) != (i == tt.live) {
					t.Errorf("m= line %d has port %d", i, d.media[i].port)
				}
			}
			if !matches(string(a), tt.want) {
				t.Errorf("answer does not match %q:\n%s", tt.want, a)
			}
		})
	}
}

func TestAnswerConnection(t *testing.T) {
	crypto := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	tests := []struct {
		name   string
		offer  []byte
		remote string
		dir    Direction
	}{
		{"session level", withAudio("m=audio 20000 RTP/SAVP 0", crypto), "192.0.2.1:20000", SendRecv},
		{"media level wins", withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 192.0.2.99", crypto), "192.0.2.99:20000", SendRecv},
		{"IPv6", offerSDP("v=0", "o=- 1 1 IN IP6 2001:db8::1", "s=-", "c=IN IP6 2001:db8::7", "t=0 0", "m=audio 20000 RTP/SAVP 0", crypto), "[2001:db8::7]:20000", SendRecv},
		{"hold with 0.0.0.0", withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 0.0.0.0", crypto), "0.0.0.0:20000", RecvOnly},
		{"hold with ::", withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP6 ::", crypto), "[::]:20000", RecvOnly},
		{"hold with sendonly", withAudio("m=audio 20000 RTP/SAVP 0", "a=sendonly", crypto), "192.0.2.1:20000", RecvOnly},
		{"inactive", withAudio("m=audio 20000 RTP/SAVP 0", "a=inactive", crypto), "192.0.2.1:20000", Inactive},
		{"peer only listens", withAudio("m=audio 20000 RTP/SAVP 0", "a=recvonly", crypto), "192.0.2.1:20000", SendOnly},
		{"recvonly at 0.0.0.0", withAudio("m=audio 20000 RTP/SAVP 0", "c=IN IP4 0.0.0.0", "a=recvonly", crypto), "0.0.0.0:20000", Inactive},
		{"session-level sendonly", withAudio("a=sendonly", "m=audio 20000 RTP/SAVP 0", crypto), "192.0.2.1:20000", RecvOnly},
		{"media level overrides session level", withAudio("a=sendonly", "m=audio 20000 RTP/SAVP 0", "a=sendrecv", crypto), "192.0.2.1:20000", SendRecv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m := answer(t, tt.offer, Policy{})
			if m.Remote != netip.MustParseAddrPort(tt.remote) || m.Direction != tt.dir {
				t.Errorf("Remote %v Direction %v, want %s %v", m.Remote, m.Direction, tt.remote, tt.dir)
			}
			if !bytes.Contains(a, []byte("a="+tt.dir.String()+"\r\n")) {
				t.Errorf("answer does not say a=%v:\n%s", tt.dir, a)
			}
		})
	}
}

func TestAnswerIPv6Local(t *testing.T) {
	local := Local{Addr: netip.MustParseAddr("2001:db8::5"), Port: 30000, SessionID: 1}
	offer := fixture(t, "baresip-offer.sdp")
	a, m, err := Answer(offer, Policy{}, local, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAnswer(t, offer, a, m, local)
	for _, line := range []string{"o=kordon 1 0 IN IP6 2001:db8::5\r\n", "c=IN IP6 2001:db8::5\r\n"} {
		if !bytes.Contains(a, []byte(line)) {
			t.Errorf("answer lacks %q:\n%s", line, a)
		}
	}
}

func TestAnswerRTCP(t *testing.T) {
	crypto := "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key128
	tests := []struct {
		name string
		line []string
		rtcp string
		mux  bool
	}{
		{"next port", []string{"m=audio 20000 RTP/SAVP 0"}, "192.0.2.1:20001", false},
		{"rtcp-mux", []string{"m=audio 20000 RTP/SAVP 0", "a=rtcp-mux"}, "192.0.2.1:20000", true},
		{"rtcp-mux wins over a=rtcp", []string{"m=audio 20000 RTP/SAVP 0", "a=rtcp:20000", "a=rtcp-mux"}, "192.0.2.1:20000", true},
		{"a=rtcp port", []string{"m=audio 20000 RTP/SAVP 0", "a=rtcp:20101"}, "192.0.2.1:20101", false},
		{"a=rtcp with address", []string{"m=audio 20000 RTP/SAVP 0", "a=rtcp:20101 IN IP4 192.0.2.77"}, "192.0.2.77:20101", false},
		{"a=rtcp with host name keeps RTP address", []string{"m=audio 20000 RTP/SAVP 0", "a=rtcp:20101 IN IP4 pbx.example"}, "192.0.2.1:20101", false},
		{"last port: no RTCP", []string{"m=audio 65535 RTP/SAVP 0"}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m := answer(t, withAudio(append(tt.line, crypto)...), Policy{})
			var want netip.AddrPort
			if tt.rtcp != "" {
				want = netip.MustParseAddrPort(tt.rtcp)
			}
			if m.RemoteRTCP != want || m.RTCPMux != tt.mux {
				t.Errorf("RemoteRTCP %v mux %v, want %v %v", m.RemoteRTCP, m.RTCPMux, want, tt.mux)
			}
			if bytes.Contains(a, []byte("a=rtcp-mux")) != tt.mux {
				t.Errorf("answer's a=rtcp-mux disagrees:\n%s", a)
			}
		})
	}
}

func TestAnswerReinvite(t *testing.T) {
	offer := fixture(t, "baresip-offer.sdp")
	_, first, err := Answer(offer, Policy{}, testLocal, nil)
	if err != nil {
		t.Fatal(err)
	}
	gcmOffer := bytes.ReplaceAll(offer, []byte("AES_CM_128_HMAC_SHA1_80 inline:"+key128), []byte("AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A"))
	rekeyed := bytes.ReplaceAll(offer, []byte(key128), []byte("iQAYoUdt8wNslZCZerwHQdSVZUn+N1VNdIguubnk"))
	hold := bytes.ReplaceAll(offer, []byte("a=sendrecv"), []byte("a=sendonly"))
	plain := &Media{SessionID: 99, Version: 3}
	tests := []struct {
		name       string
		offer      []byte
		local      Local
		prev       *Media
		keepKey    bool
		id, ver    uint64
		dir        Direction
		sameRemote bool
	}{
		{"same offer again", offer, Local{Addr: testLocal.Addr, Port: 30000}, &first, true, 4242, 8, SendRecv, true},
		{"peer re-keys: we keep ours", rekeyed, Local{Addr: testLocal.Addr, Port: 30000}, &first, true, 4242, 8, SendRecv, false},
		{"hold", hold, Local{Addr: testLocal.Addr, Port: 30000}, &first, true, 4242, 8, RecvOnly, true},
		{"suite changes: new key", gcmOffer, Local{Addr: testLocal.Addr, Port: 30000}, &first, false, 4242, 8, SendRecv, false},
		{"was plain RTP: new key", offer, Local{Addr: testLocal.Addr, Port: 30000}, plain, false, 99, 4, SendRecv, true},
		{"local version higher wins", offer, Local{Addr: testLocal.Addr, Port: 30000, Version: 20}, &first, true, 4242, 20, SendRecv, true},
		{"local session ID wins", offer, Local{Addr: testLocal.Addr, Port: 30000, SessionID: 5}, &first, true, 5, 8, SendRecv, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, m, err := Answer(tt.offer, Policy{}, tt.local, tt.prev)
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, tt.offer, a, m, tt.local)
			if m.SessionID != tt.id || m.Version != tt.ver || m.Direction != tt.dir {
				t.Errorf("o= %d %d direction %v, want %d %d %v", m.SessionID, m.Version, m.Direction, tt.id, tt.ver, tt.dir)
			}
			kept := bytes.Equal(m.SRTP.LocalKey, first.SRTP.LocalKey) && bytes.Equal(m.SRTP.LocalSalt, first.SRTP.LocalSalt)
			if kept != tt.keepKey {
				t.Errorf("kept our key: %v, want %v", kept, tt.keepKey)
			}
			if same := bytes.Equal(m.SRTP.RemoteKey, first.SRTP.RemoteKey); same != tt.sameRemote {
				t.Errorf("same remote key: %v, want %v", same, tt.sameRemote)
			}
			if tt.keepKey && &m.SRTP.LocalKey[0] == &first.SRTP.LocalKey[0] {
				t.Errorf("kept key shares memory with prev")
			}
		})
	}
}

func TestAnswerFreshKeys(t *testing.T) {
	offer := fixture(t, "rtpengine-offer.sdp")
	seen := map[string]bool{}
	for range 20 {
		_, m, err := Answer(offer, Policy{}, testLocal, nil)
		if err != nil {
			t.Fatal(err)
		}
		k := string(m.SRTP.LocalKey) + string(m.SRTP.LocalSalt)
		if len(m.SRTP.LocalKey) != 32 || len(m.SRTP.LocalSalt) != 12 || seen[k] {
			t.Fatalf("key of %d+%d bytes, seen before: %v", len(m.SRTP.LocalKey), len(m.SRTP.LocalSalt), seen[k])
		}
		seen[k] = true
	}
}

func TestAnswerRandomSessionID(t *testing.T) {
	local := Local{Addr: testLocal.Addr, Port: 30000}
	_, a, _ := Answer(fixture(t, "baresip-offer.sdp"), Policy{}, local, nil)
	_, b, _ := Answer(fixture(t, "baresip-offer.sdp"), Policy{}, local, nil)
	if a.SessionID == 0 || a.SessionID == b.SessionID || a.SessionID >= 1<<62 {
		t.Errorf("session IDs %d, %d", a.SessionID, b.SessionID)
	}
}

func TestConfigErrors(t *testing.T) {
	offer := fixture(t, "baresip-offer.sdp")
	tests := []struct {
		name  string
		pol   Policy
		local Local
	}{
		{"unknown SRTP policy", Policy{SRTP: 7}, testLocal},
		{"invalid codec", Policy{Codecs: []codec.Codec{9}}, testLocal},
		{"codec twice", Policy{Codecs: []codec.Codec{codec.PCMU, codec.PCMU}}, testLocal},
		{"refused suite", Policy{Suites: []Suite{AES_CM_128_HMAC_SHA1_32}}, testLocal},
		{"suite twice", Policy{Suites: []Suite{AEAD_AES_128_GCM, AEAD_AES_128_GCM}}, testLocal},
		{"no local address", Policy{}, Local{Port: 30000}},
		{"unspecified local address", Policy{}, Local{Addr: netip.IPv4Unspecified(), Port: 30000}},
		{"zoned local address", Policy{}, Local{Addr: netip.MustParseAddr("fe80::1%eth0"), Port: 30000}},
		{"no local port", Policy{}, Local{Addr: testLocal.Addr}},
		{"user name with a space", Policy{}, Local{Addr: testLocal.Addr, Port: 30000, Username: "kor don"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Answer(offer, tt.pol, tt.local, nil)
			if err == nil || !strings.Contains(err.Error(), "sdp.Answer") {
				t.Fatalf("Answer: %v", err)
			}
			if isRefusal(err) {
				t.Errorf("configuration error %v looks like the peer's fault", err)
			}
			if _, _, err := Offer(tt.pol, tt.local, SendRecv); err == nil || isRefusal(err) {
				t.Errorf("Offer: %v", err)
			}
		})
	}
}
