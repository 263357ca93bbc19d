package stream

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/srtp/v3"

	"kordon/media/dtmf"
)

// maxPacket bounds what a receive buffer holds: far more than the 960
// bytes of a 120 ms G.711 packet, the longest ptime peers use.
const maxPacket = 2048

// readLoop receives on conn until Close closes it. rtcpPort marks the
// RTCP socket of a Stream without rtcp-mux.
func (s *Stream) readLoop(conn *net.UDPConn, rtcpPort bool) {
	buf := make([]byte, maxPacket)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Not expected on an unconnected UDP socket; do not spin.
			time.Sleep(time.Millisecond)
			continue
		}
		s.receive(buf[:n], unmap(from), time.Now(), rtcpPort)
	}
}

// receive handles one datagram.
func (s *Stream) receive(pkt []byte, from netip.AddrPort, now time.Time, rtcpPort bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.closed {
		return
	}
	// RFC 5761 §4: RTCP packet types 192-223 are never RTP payload types
	// 0-95 with the marker bit, so one byte tells them apart.
	if rtcpPort || (len(pkt) >= 2 && pkt[1] >= 192 && pkt[1] <= 223) {
		s.receiveRTCP(pkt, from, now, rtcpPort)
		return
	}
	s.receiveRTP(pkt, from, now)
}

// rtpInfo is what receiveRTP needs from an RTP header.
type rtpInfo struct {
	marker  bool
	padding bool
	pt      uint8
	seq     uint16
	ts      uint32
	ssrc    uint32
	length  int // header length including CSRCs and extension
}

// parseRTP reads an RTP header (RFC 3550 §5.1) without allocating.
func parseRTP(b []byte) (rtpInfo, bool) {
	if len(b) < rtpHeaderLen || b[0]>>6 != 2 {
		return rtpInfo{}, false
	}
	n := rtpHeaderLen + 4*int(b[0]&0x0F)
	if b[0]&0x10 != 0 {
		if len(b) < n+4 {
			return rtpInfo{}, false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	if len(b) < n {
		return rtpInfo{}, false
	}
	return rtpInfo{
		marker:  b[1]&0x80 != 0,
		padding: b[0]&0x20 != 0,
		pt:      b[1] & 0x7F,
		seq:     binary.BigEndian.Uint16(b[2:]),
		ts:      binary.BigEndian.Uint32(b[4:]),
		ssrc:    binary.BigEndian.Uint32(b[8:]),
		length:  n,
	}, true
}

func (s *Stream) receiveRTP(pkt []byte, from netip.AddrPort, now time.Time) {
	h, ok := parseRTP(pkt)
	if !ok {
		s.st.Malformed++
		return
	}
	src := &s.rx.src
	plain := pkt
	if s.rx.ctx != nil {
		if src.valid && h.ssrc == src.ssrc && src.seen(h.seq) {
			s.st.Duplicates++ // spare the decryption
			return
		}
		var err error
		if plain, err = s.rx.ctx.DecryptRTP(s.rx.plain[:0], pkt, &s.rx.hdr); err != nil && s.rx.prev != nil && now.Before(s.rx.prevUntil) {
			plain, err = s.rx.prev.DecryptRTP(s.rx.plain[:0], pkt, &s.rx.hdr)
		}
		if err != nil {
			s.rejected(err, from)
			return
		}
	} else if h.pt != s.p.PayloadType && (s.p.DTMFPayloadType == 0 || h.pt != s.p.DTMFPayloadType) {
		s.st.Ignored++ // not negotiated: not taken for the far end's media
		return
	}
	payload := plain[h.length:]
	if h.padding {
		if len(payload) == 0 || int(payload[len(payload)-1]) == 0 || int(payload[len(payload)-1]) > len(payload) {
			s.st.Malformed++
			return
		}
		payload = payload[:len(payload)-int(payload[len(payload)-1])]
	}

	// The packet is authentic (or, for plain RTP, plausible).
	if from != s.tx.remote {
		s.tx.remote = from
		if s.p.RTCPMux {
			s.tx.remoteRTCP = from
		}
		s.st.Latches++
		s.log.Debug("latched onto media source", "remote", from)
	}
	s.rx.last = now
	if !src.valid || h.ssrc != src.ssrc || src.jumped(h.seq) {
		s.newSource(h.ssrc)
	}
	if src.update(h.seq) {
		s.st.Duplicates++
		return
	}
	s.st.Received++
	s.st.ReceivedBytes += uint64(len(payload))

	switch {
	case h.pt == s.p.PayloadType:
		if src.timing(h.ts, now.Sub(s.e.epoch), h.marker) {
			s.st.Late++
		}
		s.rx.pcm = s.p.Codec.Decode(s.rx.pcm[:0], payload)
		s.st.Overflow += uint64(s.rx.callerQ.push(s.rx.pcm))
		if s.peer != nil {
			s.peer.in.pushAudio(s.rx.pcm)
		}
	case s.p.DTMFPayloadType != 0 && h.pt == s.p.DTMFPayloadType:
		if d, ok := s.rx.dtmf.Feed(h.ts, payload); ok {
			s.digit(d)
		}
	default:
		s.st.Ignored++ // comfort noise, a codec not negotiated
	}
}

// digit reports a received digit and forwards it across a bridge.
func (s *Stream) digit(d byte) {
	s.deliverDigit(d)
	if s.peer != nil {
		s.peer.in.pushDigit(d)
	}
}

// newSource starts tracking a new far-end SSRC (or a sequence restart):
// its sequence numbers and timestamps start afresh, and so does DTMF
// detection.
func (s *Stream) newSource(ssrc uint32) {
	if s.rx.src.valid {
		s.rx.lostPrior += s.rx.src.lost()
		if d, ok := s.rx.dtmf.Flush(); ok {
			s.digit(d)
		}
	}
	s.rx.dtmf = dtmf.Receiver{}
	s.rx.src = source{valid: true, ssrc: ssrc}
}

// rejected counts a packet SRTP refused: a forged or corrupted one (auth
// failure), a replay, or one too short. None of them is latched onto.
func (s *Stream) rejected(err error, from netip.AddrPort) {
	if !errors.Is(err, srtp.ErrFailedToVerifyAuthTag) {
		s.st.Malformed++
		return
	}
	s.st.AuthFailures++
	if !s.rx.warned {
		s.rx.warned = true
		s.log.Warn("SRTP authentication failed; dropping such packets", "from", from)
	}
}
