package sdp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pionsdp "github.com/pion/sdp/v3"

	"kordon/types/fault"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testLocal is our side in every test: fixed o= values keep golden files
// stable.
var testLocal = Local{Addr: netip.MustParseAddr("203.0.113.5"), Port: 30000, SessionID: 4242, Version: 7}

// fixture reads testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyPattern finds inline keys, which are random in everything we write.
var keyPattern = regexp.MustCompile(`inline:[A-Za-z0-9+/=]+`)

// golden compares got, with its keys masked, to testdata/name.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = keyPattern.ReplaceAll(got, []byte("inline:KEY"))
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// offerSDP builds a description from lines, CRLF-terminated.
func offerSDP(lines ...string) []byte {
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// withAudio returns a minimal valid offer header followed by lines.
func withAudio(lines ...string) []byte {
	head := []string{"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0"}
	return offerSDP(append(head, lines...)...)
}

// key128 is a valid AES_CM_128_HMAC_SHA1_80 inline key (30 bytes).
const key128 = "A2hNXUYpBbo2CX01oXYdH96WoeyBO4/ryY+o/kMY"

// refusal asserts err matches sentinel and carries reason as its Warning.
func refusal(t *testing.T, err, sentinel error, reason string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want %v", err, sentinel)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v carries no *sdp.Error", err)
	}
	if reason != "" && e.Warning() != reason {
		t.Errorf("Warning() = %q, want %q", e.Warning(), reason)
	}
	if k := fault.KindOf(err); k != fault.Invalid && k != fault.TooLarge {
		t.Errorf("fault kind = %v, want invalid or too large", k)
	}
}

// checkAnswer checks that an answer we wrote says what its Media says,
// through our parser and, when pion/sdp can read the offer, through
// pion/sdp too.
func checkAnswer(t testing.TB, offer, answer []byte, m Media, local Local) {
	t.Helper()
	d, e := parse(answer)
	if e != nil {
		t.Fatalf("our answer does not parse: %v\n%s", e, answer)
	}
	o, e := parse(offer)
	if e != nil {
		t.Fatalf("the offer does not parse: %v", e)
	}
	if len(d.media) != len(o.media) {
		t.Fatalf("answer has %d m= lines, offer %d", len(d.media), len(o.media))
	}
	live := 0
	for i := range d.media {
		s := &d.media[i]
		if s.port == 0 {
			if s.kind != o.media[i].kind || s.proto != o.media[i].proto || !slices.Equal(s.formats, o.media[i].formats) {
				t.Errorf("rejected m= line %d changed media, proto or formats", i)
			}
			continue
		}
		live++
		if s.kind != "audio" || s.port != local.Port || s.proto != o.media[i].proto {
			t.Errorf("live m= line %d: %s %d %s", i, s.kind, s.port, s.proto)
		}
		if c, ok := s.codecOf(int(m.PayloadType)); !ok || c != m.Codec {
			t.Errorf("answer maps PT %d to %v, Media says %v", m.PayloadType, c, m.Codec)
		}
		if s.dtmfType() != int(m.DTMFPayloadType) {
			t.Errorf("answer telephone-event %d, Media %d", s.dtmfType(), m.DTMFPayloadType)
		}
		if got := s.direction(d); got != m.Direction {
			t.Errorf("answer direction %v, Media %v", got, m.Direction)
		}
		if s.rtcpMux != m.RTCPMux || s.ptime != m.Ptime {
			t.Errorf("answer rtcp-mux %v ptime %d, Media %v %d", s.rtcpMux, s.ptime, m.RTCPMux, m.Ptime)
		}
		switch {
		case m.SRTP == nil && len(s.crypto) != 0:
			t.Errorf("plain RTP answer carries a=crypto")
		case m.SRTP != nil && len(s.crypto) != 1:
			t.Errorf("SRTP answer carries %d a=crypto lines", len(s.crypto))
		case m.SRTP != nil:
			c, err := ParseCrypto(s.crypto[0])
			if err != nil {
				t.Fatalf("our a=crypto does not parse: %v", err)
			}
			if c.Tag != m.SRTP.Tag || c.Suite != m.SRTP.Suite || !bytes.Equal(c.Key, m.SRTP.LocalKey) || !bytes.Equal(c.Salt, m.SRTP.LocalSalt) {
				t.Errorf("answer a=crypto %v does not match Media.SRTP %v", c, m.SRTP)
			}
			if _, k, _ := strings.Cut(s.crypto[0], "inline:"); len(k)%4 != 0 {
				t.Errorf("answer key is not padded base64")
			}
		}
	}
	if live != 1 {
		t.Errorf("answer has %d live m= lines, want 1", live)
	}
	if !m.Codec.Valid() || m.Ptime < 10 || !m.Remote.IsValid() || m.Direction > Inactive {
		t.Errorf("inconsistent Media %+v", m)
	}
	if m.Direction.sends() && m.Remote.Addr().IsUnspecified() {
		t.Errorf("Media sends to an unspecified address")
	}
	var po pionsdp.SessionDescription
	if po.Unmarshal(offer) != nil {
		return
	}
	var pa pionsdp.SessionDescription
	if err := pa.Unmarshal(answer); err != nil {
		t.Fatalf("pion/sdp cannot read our answer to an offer it reads: %v\n%s", err, answer)
	}
	if pa.Origin.SessionID != m.SessionID || pa.Origin.SessionVersion != m.Version || pa.Origin.Username != local.Username && local.Username != "" {
		t.Errorf("pion reads o= %+v, Media %d %d", pa.Origin, m.SessionID, m.Version)
	}
}

// mustKey decodes a base64 key in tests.
func mustKey(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// isRefusal reports whether err blames the peer.
func isRefusal(err error) bool {
	return errors.Is(err, ErrNotAcceptable) || errors.Is(err, ErrMalformed)
}

// matches reports whether s matches the regular expression re, with
// "." matching newlines too.
func matches(s, re string) bool { return regexp.MustCompile("(?s)" + re).MatchString(s) }
