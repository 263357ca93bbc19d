package stream

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"kordon/media/codec"
	"kordon/media/dtmf"
)

const (
	rtpHeaderLen = 12
	// lateAfter is when a packet counts as late, sent or received: half
	// a frame, past which a jitter buffer starts to hear it.
	lateAfter = 10 * time.Millisecond
)

// tick sends the Stream's packet for pacer tick n, due at deadline, and
// hands the tick's audio to the Sink.
func (s *Stream) tick(n uint64, deadline time.Time) {
	s.tickMu.Lock()
	defer s.tickMu.Unlock()
	now := time.Now()
	s.mu.Lock()
	if !s.started || s.err != nil {
		s.mu.Unlock()
		return
	}
	if s.tx.ticked {
		if d := n - s.tx.lastTick; d > 0 {
			s.tx.ts += uint32(d) * codec.FrameSamples
			if d > 1 {
				s.tx.gap = true
			}
		}
	}
	s.tx.ticked, s.tx.lastTick = true, n
	if s.p.Direction == SendRecv && now.Sub(s.rx.last) > s.e.cfg.Inactivity {
		s.endLocked(ErrInactive)
		s.mu.Unlock()
		return
	}
	pkt, to := s.nextPacket()
	if pkt != nil && now.Sub(deadline) > lateAfter {
		s.st.SendLate++
	}
	if !s.rx.callerQ.pop(s.caller[:]) {
		clear(s.caller[:])
	}
	var report []byte
	var reportConn *net.UDPConn
	var reportTo netip.AddrPort
	if !now.Before(s.tx.nextRTCP) {
		s.tx.nextRTCP = now.Add(s.e.cfg.RTCPInterval)
		report, reportConn, reportTo = s.buildReport(now)
	}
	conn, sink := s.rtpConn, s.sink
	s.mu.Unlock()

	if pkt != nil {
		if _, err := conn.WriteToUDPAddrPort(pkt, to); err != nil {
			s.countSendError()
		}
	}
	if report != nil {
		if _, err := reportConn.WriteToUDPAddrPort(report, reportTo); err != nil {
			s.countSendError()
		}
	}
	if sink != nil {
		sink.Frame(s.caller[:], s.robot[:])
	}
}

func (s *Stream) countSendError() {
	s.mu.Lock()
	s.st.SendErrors++
	s.mu.Unlock()
}

// nextPacket builds the tick's packet into s.txOut: a digit's
// telephone-event, else the prompt, else bridged audio, else silence. It
// returns nil when the Stream must not send.
func (s *Stream) nextPacket() ([]byte, netip.AddrPort) {
	clear(s.robot[:])
	to := s.tx.remote
	if !s.p.Direction.sends() || !sendable(to) {
		s.tx.gap = true
		s.in.popAudio(s.discard[:]) // live audio is not kept for later
		return nil, to
	}
	if s.tx.tone == nil && s.tx.pause == 0 {
		s.startTone()
	}
	if s.tx.tone != nil {
		s.in.popAudio(s.discard[:])
		payload, marker, done := s.tx.tone.Next(s.txPlain[:rtpHeaderLen])
		if done {
			s.finishTone()
		}
		return s.seal(payload, s.p.DTMFPayloadType, s.tx.toneTS, marker), to
	}
	if s.tx.pause > 0 {
		s.tx.pause--
	}
	switch p := s.tx.play; {
	case p != nil:
		k := copy(s.robot[:], p.pcm[p.pos:])
		p.pos += k
		if p.pos == len(p.pcm) {
			p.finish(nil)
			s.tx.play = nil
		}
		s.in.popAudio(s.discard[:]) // a prompt talks over the bridge
	default:
		s.in.popAudio(s.robot[:])
	}
	payload := s.p.Codec.Encode(s.txPlain[:rtpHeaderLen], s.robot[:])
	marker := s.tx.gap
	s.tx.gap = false
	return s.seal(payload, s.p.PayloadType, s.tx.ts, marker), to
}

// startTone starts the next digit of the SendDTMF job, or one forwarded
// from a bridged Stream.
func (s *Stream) startTone() {
	if s.p.DTMFPayloadType == 0 {
		s.in.popDigit() // the far end cannot take it
		return
	}
	var (
		d     byte
		each  = defaultTone
		ofJob bool
	)
	if j := s.tx.job; j != nil && j.next < len(j.digits) {
		d, each, ofJob = j.digits[j.next], j.each, true
		j.next++
	} else if fd, ok := s.in.popDigit(); ok {
		d = fd
	} else {
		return
	}
	tone, err := dtmf.NewSender(d, each, toneVolume)
	if err != nil {
		return // digits and lengths were checked by SendDTMF
	}
	s.tx.tone, s.tx.toneTS, s.tx.toneOfJob = tone, s.tx.ts, ofJob
	s.tx.pause = gapTicks(each)
}

// finishTone ends the digit whose last end packet is being sent, and the
// job with it if that was the job's last digit.
func (s *Stream) finishTone() {
	if j := s.tx.job; s.tx.toneOfJob && j != nil && j.next == len(j.digits) {
		j.finish(nil)
		s.tx.job = nil
	}
	s.tx.tone = nil
	s.tx.gap = true // audio after a tone starts a new talkspurt
}

// seal writes the RTP header in front of payload (which starts at
// s.txPlain[rtpHeaderLen:]), encrypts the packet into s.txOut when SRTP is
// on, and counts it.
func (s *Stream) seal(packet []byte, pt uint8, ts uint32, marker bool) []byte {
	h := packet[:rtpHeaderLen]
	h[0] = 0x80 // version 2, no padding, extension or CSRC
	h[1] = pt & 0x7F
	if marker {
		h[1] |= 0x80
	}
	binary.BigEndian.PutUint16(h[2:], s.tx.seq)
	binary.BigEndian.PutUint32(h[4:], ts)
	binary.BigEndian.PutUint32(h[8:], s.tx.ssrc)
	s.tx.seq++
	s.st.Sent++
	s.st.SentBytes += uint64(len(packet) - rtpHeaderLen)
	if s.tx.ctx == nil {
		return packet
	}
	out, err := s.tx.ctx.EncryptRTP(s.txOut[:0], packet, &s.txHdr)
	if err != nil {
		// Only after 2^48 packets under one key: the call cannot go on.
		s.endLocked(err)
		return nil
	}
	s.txOut = out[:0]
	return out
}
