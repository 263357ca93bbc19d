package stream

import (
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// receiveRTCP handles an RTCP compound packet: the far end's sender report
// (kept for our reception report's LSR/DLSR) and its reports about our
// stream (kept in Stats.Peer). The caller holds s.mu.
func (s *Stream) receiveRTCP(pkt []byte, from netip.AddrPort, now time.Time, rtcpPort bool) {
	plain := pkt
	if s.rx.ctx != nil {
		out, err := s.rx.ctx.DecryptRTCP(s.rx.plain[:0], pkt, &s.rx.rtcpHdr)
		if err != nil && s.rx.prev != nil && now.Before(s.rx.prevUntil) {
			out, err = s.rx.prev.DecryptRTCP(s.rx.plain[:0], pkt, &s.rx.rtcpHdr)
		}
		if err != nil {
			s.rejected(err, from)
			return
		}
		plain = out
	}
	packets, err := rtcp.Unmarshal(plain)
	if err != nil {
		s.st.Malformed++
		return
	}
	s.st.RTCPReceived++
	if rtcpPort {
		s.tx.remoteRTCP = from // symmetric RTCP, as for RTP
	}
	for _, p := range packets {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			s.rx.lastSR, s.rx.lastSRAt = uint32(p.NTPTime>>16), now
			s.st.Peer.Packets, s.st.Peer.Octets = p.PacketCount, p.OctetCount
			s.peerReports(p.Reports, now)
		case *rtcp.ReceiverReport:
			s.peerReports(p.Reports, now)
		}
	}
}

// peerReports keeps the reception report about our SSRC, if any.
func (s *Stream) peerReports(reports []rtcp.ReceptionReport, now time.Time) {
	for _, r := range reports {
		if r.SSRC != s.tx.ssrc {
			continue
		}
		pr := &s.st.Peer
		pr.At = now
		pr.FractionLost = float64(r.FractionLost) / 256
		pr.TotalLost = r.TotalLost
		pr.Jitter = time.Duration(r.Jitter) * sampleTime
		if r.LastSenderReport != 0 {
			// RFC 3550 §6.4.1: A - LSR - DLSR, in 1/65536 s.
			rtt := uint32(ntpTime(now)>>16) - r.LastSenderReport - r.Delay
			if rtt < 1<<31 {
				pr.RTT = time.Duration(uint64(rtt) * uint64(time.Second) >> 16)
			}
		}
	}
}

// buildReport returns the RTCP compound packet to send now — a sender
// report while we send, else a receiver report, then our CNAME — with the
// socket and address it goes to. The caller holds s.mu. RTCP is rare, so
// this path may allocate.
func (s *Stream) buildReport(now time.Time) ([]byte, *net.UDPConn, netip.AddrPort) {
	conn, to := s.rtcpConn, s.tx.remoteRTCP
	if s.p.RTCPMux {
		conn, to = s.rtpConn, s.tx.remote
	}
	if conn == nil || !sendable(to) {
		return nil, nil, to
	}
	var reports []rtcp.ReceptionReport
	if s.rx.src.valid {
		reports = append(reports, s.receptionReport(now))
	}
	var first rtcp.Packet = &rtcp.ReceiverReport{SSRC: s.tx.ssrc, Reports: reports}
	if s.p.Direction.sends() && s.st.Sent > 0 {
		first = &rtcp.SenderReport{
			SSRC:        s.tx.ssrc,
			NTPTime:     ntpTime(now),
			RTPTime:     s.tx.ts,
			PacketCount: uint32(s.st.Sent),
			OctetCount:  uint32(s.st.SentBytes),
			Reports:     reports,
		}
	}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: s.tx.ssrc,
		Items:  []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: s.cname}},
	}}}
	b, err := rtcp.Marshal([]rtcp.Packet{first, sdes})
	if err == nil && s.tx.ctx != nil {
		b, err = s.tx.ctx.EncryptRTCP(nil, b, nil)
	}
	if err != nil {
		return nil, nil, to
	}
	s.st.RTCPSent++
	return b, conn, to
}

// receptionReport is RFC 3550 §6.4.1's report block about the far end's
// current source.
func (s *Stream) receptionReport(now time.Time) rtcp.ReceptionReport {
	c := &s.rx.src
	expected := c.expected()
	expInterval := expected - c.expectedPrior
	lostInterval := int64(expInterval) - int64(c.received-c.receivedPrior)
	c.expectedPrior, c.receivedPrior = expected, c.received
	var fraction uint8
	if expInterval > 0 && lostInterval > 0 {
		fraction = uint8(min(lostInterval<<8/int64(expInterval), 255))
	}
	r := rtcp.ReceptionReport{
		SSRC:               c.ssrc,
		FractionLost:       fraction,
		TotalLost:          uint32(min(s.rx.lostPrior+c.lost(), 0x7FFFFF)),
		LastSequenceNumber: c.cycles | uint32(c.maxSeq),
		Jitter:             uint32(c.jitter),
		LastSenderReport:   s.rx.lastSR,
	}
	if r.LastSenderReport != 0 {
		r.Delay = uint32(now.Sub(s.rx.lastSRAt) * 65536 / time.Second)
	}
	return r
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900 and the
// fraction).
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix()) + unixToNTP
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}
