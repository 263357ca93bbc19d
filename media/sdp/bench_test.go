package sdp

import "testing"

// BenchmarkAnswer answers the real offers. The SIP load test sets up
// ~300 calls/s; an answer should cost well under 50 µs of that budget.
func BenchmarkAnswer(b *testing.B) {
	for _, name := range []string{"baresip-offer.sdp", "rtpengine-offer.sdp"} {
		b.Run(name, func(b *testing.B) {
			offer := fixture(b, name)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Answer(offer, Policy{}, testLocal, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
		})
	}
}

// BenchmarkOfferAccept builds an offer with four fresh keys and accepts
// a baresip-style answer to it, the outbound call's share of SDP work.
func BenchmarkOfferAccept(b *testing.B) {
	answer := withAudio("m=audio 20000 RTP/SAVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-15", "a=rtcp-mux", "a=sendrecv", "a=crypto:1 AEAD_AES_128_GCM inline:vGzofgeLl0mY+v/iUy+JegdsKTmU5A5vQQ+d4A", "a=ptime:20")
	b.ReportAllocs()
	for b.Loop() {
		_, st, err := Offer(Policy{}, testLocal, SendRecv)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Accept(answer); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCrypto(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + key128 + "|2^31"); err != nil {
			b.Fatal(err)
		}
	}
}
