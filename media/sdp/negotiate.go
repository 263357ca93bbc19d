package sdp

import (
	"net/netip"

	"kordon/media/codec"
)

// This file holds what Answer and Accept share: reading one m= section
// of the peer's description into the pieces of a Media.

// remote returns the peer's RTP address: the media-level c= over the
// session-level one (RFC 4566 §5.7).
func (m *media) remote(d *description) (netip.AddrPort, *Error) {
	c := m.conn
	if !c.set {
		c = d.conn
	}
	if c.bad || !c.addr.IsValid() {
		return netip.AddrPort{}, errConnAddr
	}
	return netip.AddrPortFrom(c.addr, uint16(m.port)), nil
}

// remoteRTCP returns where the peer receives RTCP given whether rtcp-mux
// was agreed: the RTP address when muxed, the a=rtcp port (RFC 3605) when
// given, the next port otherwise.
func (m *media) remoteRTCP(rtp netip.AddrPort, mux bool) netip.AddrPort {
	switch {
	case mux:
		return rtp
	case m.rtcp != 0:
		addr := rtp.Addr()
		if m.rtcpIP.IsValid() {
			addr = m.rtcpIP
		}
		return netip.AddrPortFrom(addr, uint16(m.rtcp))
	case rtp.Port() < 65535:
		return netip.AddrPortFrom(rtp.Addr(), rtp.Port()+1)
	}
	return netip.AddrPort{}
}

// direction returns the direction the peer stated for the stream, from its
// own point of view: media level over session level, sendrecv by default.
func (m *media) direction(d *description) Direction {
	switch {
	case m.dirOK:
		return m.dir
	case d.dirOK:
		return d.dir
	}
	return SendRecv
}

// ours turns the peer's direction into ours, allowed at most want. A peer
// whose address is unspecified (0.0.0.0 or ::, the RFC 2543 hold) cannot
// receive, so we do not send.
func ours(peer Direction, remote netip.Addr, want Direction) Direction {
	d := peer.reverse()
	send := d.sends() && want.sends() && !remote.IsUnspecified()
	return direction(send, d.receives() && want.receives())
}

// packetTime returns the stream's a=ptime when we can packetize at it
// (10-60 ms in steps of 10), else the default.
func (m *media) packetTime() int {
	if m.ptime >= 10 && m.ptime <= 60 && m.ptime%10 == 0 {
		return m.ptime
	}
	return defaultPtime
}

// rtpmapOf returns the a=rtpmap line for payload type pt.
func (m *media) rtpmapOf(pt int) (rtpmap, bool) {
	for _, r := range m.rtpmaps {
		if r.pt == pt {
			return r, true
		}
	}
	return rtpmap{}, false
}

// codecOf returns the codec payload type pt carries: the rtpmap when there
// is one (so a dynamic type mapped to PCMU counts, and a static one mapped
// to something else does not), else the static assignment of RFC 3551.
func (m *media) codecOf(pt int) (codec.Codec, bool) {
	if r, ok := m.rtpmapOf(pt); ok {
		c, ok := codec.ByName(r.name)
		if !ok || r.rate != codec.Rate || r.channels > 1 {
			return 0, false
		}
		return c, true
	}
	if pt >= 96 {
		return 0, false
	}
	return codec.ByPayloadType(uint8(pt))
}

// dtmfType returns the first offered payload type mapped to
// telephone-event/8000, or 0.
func (m *media) dtmfType() int {
	for _, f := range m.formats {
		pt, ok := payloadType(f)
		if !ok || pt == 0 {
			continue
		}
		if r, ok := m.rtpmapOf(pt); ok && r.rate == 8000 && r.channels <= 1 && equalFold(r.name, "telephone-event") {
			return pt
		}
	}
	return 0
}

// payloadType parses an RTP format token.
func payloadType(f string) (int, bool) {
	pt, ok := atoiDigits(f, 3)
	return pt, ok && pt <= 127
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// secureProto reports whether proto is an SRTP profile we speak (ok) and
// whether it is the secure one. DTLS-SRTP (UDP/TLS/RTP/SAVP) is not.
func secureProto(proto string) (secure, ok bool) {
	switch {
	case equalFold(proto, "RTP/SAVP"), equalFold(proto, "RTP/SAVPF"):
		return true, true
	case equalFold(proto, "RTP/AVP"), equalFold(proto, "RTP/AVPF"):
		return false, true
	}
	return false, false
}

// isSuiteReason reports whether e refuses a line only for its suite, a
// weaker reason than any other: the answer's Warning names the more
// specific fault when a line with a good suite was refused for something
// else.
func isSuiteReason(e *Error) bool {
	return e == errUnknownSuite || e == errWeakSuite || e == errRefusedSuite
}

// cryptoProblem turns a ParseCrypto error into the refusal of one line.
// RFC 4568 §6 says a crypto attribute we cannot parse is to be ignored, so
// a syntax error in one line refuses the line, not the whole description.
func cryptoProblem(e *Error) *Error {
	if e.sentinel == ErrMalformed {
		return errCryptoSyntax
	}
	return e
}
