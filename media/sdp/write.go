package sdp

import (
	"strconv"

	"kordon/media/codec"
)

// dtmfEvents is the fmtp we put on telephone-event: the sixteen DTMF
// events and flash (RFC 4733 §3.2).
const dtmfEvents = "0-16"

// offerDTMFType is the payload type we offer telephone-event on; 101 is
// what nearly every PBX and phone uses.
const offerDTMFType = 101

// defaultPtime is the packet time every telephony peer supports.
const defaultPtime = 20

// format is a codec on the payload type it travels with.
type format struct {
	codec codec.Codec
	pt    int
}

// audio is the live audio section we write.
type audio struct {
	port    int
	proto   string
	formats []format
	dtmf    int // 0 for none
	ptime   int
	dir     Direction
	rtcpMux bool
}

// appendSession appends the session-level lines: v=, o=, s=, c=, t=.
func appendSession(b []byte, l Local, id, version uint64) []byte {
	b = append(b, "v=0\r\no="...)
	b = append(b, l.Username...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, id, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, version, 10)
	b = appendAddr(b, " IN ", l)
	b = append(b, "s=-\r\n"...)
	b = appendAddr(b, "c=IN ", l)
	return append(b, "t=0 0\r\n"...)
}

// appendAddr appends prefix, the address type and the address, ending the
// line.
func appendAddr(b []byte, prefix string, l Local) []byte {
	b = append(b, prefix...)
	if l.Addr.Is4() {
		b = append(b, "IP4 "...)
	} else {
		b = append(b, "IP6 "...)
	}
	b = l.Addr.AppendTo(b)
	return append(b, "\r\n"...)
}

// appendAudio appends the m=audio line and its attributes, up to but not
// including a=crypto.
func appendAudio(b []byte, a audio) []byte {
	b = append(b, "m=audio "...)
	b = strconv.AppendInt(b, int64(a.port), 10)
	b = append(b, ' ')
	b = append(b, a.proto...)
	for _, f := range a.formats {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(f.pt), 10)
	}
	if a.dtmf != 0 {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(a.dtmf), 10)
	}
	b = append(b, "\r\n"...)
	for _, f := range a.formats {
		b = append(b, "a=rtpmap:"...)
		b = strconv.AppendInt(b, int64(f.pt), 10)
		b = append(b, ' ')
		b = append(b, f.codec.Name()...)
		b = append(b, "/8000\r\n"...)
	}
	if a.dtmf != 0 {
		b = append(b, "a=rtpmap:"...)
		b = strconv.AppendInt(b, int64(a.dtmf), 10)
		b = append(b, " telephone-event/8000\r\na=fmtp:"...)
		b = strconv.AppendInt(b, int64(a.dtmf), 10)
		b = append(b, " "+dtmfEvents+"\r\n"...)
	}
	b = append(b, "a=ptime:"...)
	b = strconv.AppendInt(b, int64(a.ptime), 10)
	b = append(b, "\r\na="...)
	b = append(b, a.dir.String()...)
	b = append(b, "\r\n"...)
	if a.rtcpMux {
		b = append(b, "a=rtcp-mux\r\n"...)
	}
	return b
}

// appendRejected appends an m= line refusing an offered stream: port 0,
// the offer's media type, transport and formats (RFC 3264 §6).
func appendRejected(b []byte, m *media) []byte {
	b = append(b, "m="...)
	b = append(b, m.kind...)
	b = append(b, " 0 "...)
	b = append(b, m.proto...)
	for _, f := range m.formats {
		b = append(b, ' ')
		b = append(b, f...)
	}
	return append(b, "\r\n"...)
}
