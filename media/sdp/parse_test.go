package sdp

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBaresip(t *testing.T) {
	for name, b := range map[string][]byte{
		"CRLF": fixture(t, "baresip-offer.sdp"),
		"LF":   bytes.ReplaceAll(fixture(t, "baresip-offer.sdp"), []byte("\r\n"), []byte("\n")),
	} {
		t.Run(name, func(t *testing.T) {
			d, e := parse(b)
			if e != nil {
				t.Fatal(e)
			}
			want := &description{
				conn: conn{set: true, addr: netip.MustParseAddr("192.0.2.10")},
				media: []media{{
					line: 7, kind: "audio", port: 20000, proto: "RTP/SAVP", formats: []string{"0", "8", "101"},
					dir: SendRecv, dirOK: true, ptime: 20, rtcpMux: true,
					rtpmaps: []rtpmap{{0, "PCMU", 8000, 0}, {8, "PCMA", 8000, 0}, {101, "telephone-event", 8000, 0}},
					crypto:  []string{"1 AES_CM_128_HMAC_SHA1_80 inline:" + key128},
				}},
			}
			if diff := cmp.Diff(want, d, cmp.AllowUnexported(description{}, media{}, conn{}, rtpmap{}), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	tests := []struct {
		name   string
		sdp    []byte
		reason string
	}{
		{"empty", nil, "line 1: want v=0 first"},
		{"not SDP", []byte("hello"), "line 1: want v=0 first"},
		{"version 1", offerSDP("v=1", "o=- 1 1 IN IP4 192.0.2.1"), "line 1: want v=0 first"},
		{"line without =", withAudio("m=audio 1 RTP/AVP 0", "bogus"), "line 7: not a <type>=<value> line"},
		{"upper-case type", withAudio("M=audio 1 RTP/AVP 0"), "line 6: not a <type>=<value> line"},
		{"m= without formats", withAudio("m=audio 1 RTP/AVP"), "line 6: m= line without formats"},
		{"m= port not a number", withAudio("m=audio x RTP/AVP 0"), "line 6: bad port in m= line"},
		{"m= port too big", withAudio("m=audio 65536 RTP/AVP 0"), "line 6: bad port in m= line"},
		{"m= bad port count", withAudio("m=audio 1000/x RTP/AVP 0"), "line 6: bad port count in m= line"},
		{"m= control character", withAudio("m=audio 1000 RTP/AVP 0 \x01"), "line 6: bad format in m= line"},
		{"m= token too long", withAudio("m=audio 1000 RTP/AVP " + strings.Repeat("9", 65)), "line 6: bad format in m= line"},
		{"c= not IN", withAudio("c=XX IP4 192.0.2.1"), "line 6: bad c= line"},
		{"c= family mismatch", withAudio("c=IN IP6 192.0.2.1"), "line 6: bad c= line"},
		{"c= IPv4 as IP6", withAudio("c=IN IP4 2001:db8::1"), "line 6: bad c= line"},
		{"c= zone", withAudio("c=IN IP6 fe80::1%eth0"), "line 6: bad c= line"},
		{"c= unknown family", withAudio("c=IN IPX 192.0.2.1"), "line 6: bad c= line"},
		{"c= trailing field", withAudio("c=IN IP4 192.0.2.1 extra"), "line 6: bad c= line"},
		{"no c= at all", offerSDP("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "m=audio 1000 RTP/AVP 0"), "line 5: m= line without a c= line"},
		{"bad rtpmap", withAudio("m=audio 1000 RTP/AVP 0", "a=rtpmap:0 PCMU"), "line 7: bad a=rtpmap line"},
		{"rtpmap PT out of range", withAudio("m=audio 1000 RTP/AVP 0", "a=rtpmap:200 PCMU/8000"), "line 7: bad a=rtpmap line"},
		{"bad a=rtcp", withAudio("m=audio 1000 RTP/AVP 0", "a=rtcp:0"), "line 7: bad a=rtcp line"},
		{"bad a=rtcp address", withAudio("m=audio 1000 RTP/AVP 0", "a=rtcp:1001 IN IP4"), "line 7: bad a=rtcp line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := parse(tt.sdp)
			if e == nil {
				t.Fatalf("parse accepted:\n%s", tt.sdp)
			}
			if e.sentinel != ErrMalformed || e.reason != tt.reason {
				t.Errorf("error %q (%v), want %q", e.reason, e.sentinel, tt.reason)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name  string
		sdp   []byte
		check func(*description) string
	}{
		{"blank lines and unknown types", offerSDP("v=0", "", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "z=whatever", "c=IN IP4 192.0.2.1", "t=0 0", "m=audio 1000 RTP/AVP 0", ""),
			func(d *description) string { return fmt.Sprint(len(d.media)) }},
		{"no trailing newline", []byte("v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 1000 RTP/AVP 0"),
			func(d *description) string { return d.media[0].formats[0] }},
		{"port count", withAudio("m=audio 1000/2 RTP/AVP 0"),
			func(d *description) string { return fmt.Sprint(d.media[0].port) }},
		{"fractional ptime", withAudio("m=audio 1000 RTP/AVP 0", "a=ptime:30.0"),
			func(d *description) string { return fmt.Sprint(d.media[0].ptime) }},
		{"unreadable ptime is ignored", withAudio("m=audio 1000 RTP/AVP 0", "a=ptime:abc"),
			func(d *description) string { return fmt.Sprint(d.media[0].ptime) }},
		{"host name c= parses as unusable", withAudio("m=audio 1000 RTP/AVP 0", "c=IN IP4 pbx.example"),
			func(d *description) string { return fmt.Sprint(d.media[0].conn.bad) }},
		{"multicast c= parses as unusable", withAudio("m=audio 1000 RTP/AVP 0", "c=IN IP4 224.2.1.1/127"),
			func(d *description) string { return fmt.Sprint(d.media[0].conn.bad) }},
		{"IPv4-mapped IPv6 is unmapped", withAudio("m=audio 1000 RTP/AVP 0", "c=IN IP6 ::ffff:192.0.2.9"),
			func(d *description) string { return d.media[0].conn.addr.String() }},
		{"session-level direction", withAudio("a=sendonly", "m=audio 1000 RTP/AVP 0"),
			func(d *description) string { return d.dir.String() }},
		{"rejected m= line needs no c=", offerSDP("v=0", "m=video 0 RTP/AVP 96"),
			func(d *description) string { return fmt.Sprint(d.media[0].port) }},
	}
	want := []string{"1", "0", "1000", "30", "0", "true", "true", "192.0.2.9", "sendonly", "0"}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, e := parse(tt.sdp)
			if e != nil {
				t.Fatal(e)
			}
			if got := tt.check(d); got != want[i] {
				t.Errorf("got %q, want %q", got, want[i])
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	many := func(n int, line string) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = line
		}
		return l
	}
	tests := []struct {
		name string
		sdp  []byte
		want *Error // nil: accepted
	}{
		{"64 KiB", append(withAudio("m=audio 1000 RTP/AVP 0"), bytes.Repeat([]byte("a=x\r\n"), (maxSize-100)/5)...), nil},
		{"over 64 KiB", append(withAudio("m=audio 1000 RTP/AVP 0"), bytes.Repeat([]byte("a=x\r\n"), maxSize/5)...), errTooLarge},
		{"32 m= lines", withAudio(many(32, "m=audio 1000 RTP/AVP 0")...), nil},
		{"33 m= lines", withAudio(many(33, "m=audio 1000 RTP/AVP 0")...), errTooManyMedia},
		{"128 crypto lines", withAudio(append([]string{"m=audio 1000 RTP/SAVP 0"}, many(128, "a=crypto:1 X inline:x")...)...), nil},
		{"129 crypto lines", withAudio(append([]string{"m=audio 1000 RTP/SAVP 0"}, many(129, "a=crypto:1 X inline:x")...)...), errTooManyCrypto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := parse(tt.sdp)
			if e != tt.want {
				t.Fatalf("parse = %v, want %v", e, tt.want)
			}
			if tt.want == nil {
				return
			}
			_, _, err := Answer(tt.sdp, Policy{}, testLocal, nil)
			refusal(t, err, ErrMalformed, tt.want.reason)
		})
	}
}
