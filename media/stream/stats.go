package stream

import (
	"net/netip"
	"time"
)

// Stats are a Stream's counters since Open. The load benchmark reads Late
// and SendLate as fractions of Received and Sent.
type Stats struct {
	// Sent and SentBytes count RTP packets sent and their payload bytes.
	Sent, SentBytes uint64
	// SendLate counts packets the pacer sent more than 10 ms after their
	// due time.
	SendLate uint64
	// SendErrors counts packets the socket refused.
	SendErrors uint64
	// Received and ReceivedBytes count authentic RTP packets (duplicates
	// excluded) and their payload bytes.
	Received, ReceivedBytes uint64
	// Lost is the RFC 3550 cumulative loss: packets expected from the
	// sequence numbers minus packets received, summed over the far end's
	// SSRCs, never negative.
	Lost uint64
	// Duplicates counts packets received twice.
	Duplicates uint64
	// Late counts audio packets that arrived more than 10 ms after their
	// expected time: the earliest transit seen (which follows clock drift
	// slowly) plus their timestamp offset.
	Late uint64
	// Jitter is the RFC 3550 interarrival jitter of the current source.
	Jitter time.Duration
	// AuthFailures counts SRTP and SRTCP packets that failed
	// authentication: forged, corrupted, or under the wrong key.
	AuthFailures uint64
	// Malformed counts datagrams that were not RTP or RTCP, or that SRTP
	// rejected for another reason (too short, replayed).
	Malformed uint64
	// Overflow counts received samples dropped because the Sink's queue
	// (200 ms) or, for a bridged Stream, the bridge's queue (60 ms) was
	// full: the reader fell behind, and live audio is dropped, not delayed.
	Overflow uint64
	// Ignored counts RTP packets with a payload type not negotiated
	// (comfort noise, an unexpected codec).
	Ignored uint64
	// Latches counts the times the send address moved to the source of a
	// received packet.
	Latches uint64
	// DTMFReceived counts digits received.
	DTMFReceived uint64
	// RTCPSent and RTCPReceived count RTCP compound packets.
	RTCPSent, RTCPReceived uint64
	// Remote is where RTP is sent now.
	Remote netip.AddrPort
	// Peer is what the far end last reported about our media.
	Peer PeerReport
}

// PeerReport is the far end's view of our media, from its RTCP reports.
type PeerReport struct {
	// At is when the last report about our stream arrived; zero if none.
	At time.Time
	// FractionLost is the share of our packets lost in the last interval.
	FractionLost float64
	// TotalLost is the far end's cumulative count of our lost packets.
	TotalLost uint32
	// Jitter is the interarrival jitter the far end measures.
	Jitter time.Duration
	// RTT is the round-trip time from the report's LSR/DLSR fields; zero
	// until the far end echoes one of our sender reports.
	RTT time.Duration
	// Packets and Octets are what the far end's last sender report says
	// it has sent.
	Packets, Octets uint32
}

// Stats returns the Stream's counters.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Lost = s.rx.lostPrior + s.rx.src.lost()
	st.Jitter = time.Duration(s.rx.src.jitter * float64(sampleTime))
	st.Remote = s.tx.remote
	st.Overflow += s.in.overflow()
	return st
}

// sampleTime is one RTP timestamp unit at 8 kHz.
const sampleTime = time.Second / 8000

const (
	// maxDropout is RFC 3550 A.1's bound: a sequence number further
	// ahead or behind means the sender restarted.
	maxDropout = 3000
	// windowSize is how many sequence numbers back duplicates are caught.
	windowSize = 64
	// baselineDecay sets how fast the lateness baseline follows a rising
	// transit time (a slower sender clock): 1/1024 of the gap per packet,
	// a time constant of about 20 s at 50 packets a second.
	baselineDecay = 10
)

// source tracks one far-end SSRC: RFC 3550 sequence and jitter state.
type source struct {
	valid    bool
	ssrc     uint32
	received uint64
	baseSeq  uint32 // extended sequence number of the first packet
	maxSeq   uint16
	cycles   uint32 // sequence number wraps, shifted left 16
	window   uint64 // bit i set: maxSeq-i received

	expectedPrior, receivedPrior uint64 // at the last RTCP report

	tsValid  bool
	lastTS   uint32
	extTS    int64 // timestamp unwrapped across 2^32
	transit  time.Duration
	jitter   float64 // RFC 3550 J, in timestamp units
	baseline time.Duration
}

// seen reports whether seq has been received (within the window).
func (c *source) seen(seq uint16) bool {
	if c.received == 0 {
		return false
	}
	d := int(int16(c.maxSeq - seq))
	return d >= 0 && d < windowSize && c.window&(1<<d) != 0
}

// jumped reports whether seq is so far from the last that the sender must
// have restarted its sequence.
func (c *source) jumped(seq uint16) bool {
	if c.received == 0 {
		return false
	}
	d := int(int16(seq - c.maxSeq))
	return d > maxDropout || d < -maxDropout
}

// update records seq and reports whether it is a duplicate.
func (c *source) update(seq uint16) (dup bool) {
	if c.received == 0 {
		c.baseSeq, c.maxSeq, c.window, c.received = uint32(seq), seq, 1, 1
		return false
	}
	switch d := int(int16(seq - c.maxSeq)); {
	case d > 0:
		if seq < c.maxSeq {
			c.cycles += 1 << 16
		}
		if d >= windowSize {
			c.window = 0
		} else {
			c.window <<= d
		}
		c.window |= 1
		c.maxSeq = seq
	case d == 0:
		return true
	case -d < windowSize:
		bit := uint64(1) << -d
		if c.window&bit != 0 {
			return true
		}
		c.window |= bit
	}
	c.received++
	return false
}

// expected is the RFC 3550 count of packets expected.
func (c *source) expected() uint64 {
	if c.received == 0 {
		return 0
	}
	return uint64(c.cycles) + uint64(c.maxSeq) - uint64(c.baseSeq) + 1
}

func (c *source) lost() uint64 {
	if e := c.expected(); e > c.received {
		return e - c.received
	}
	return 0
}

// timing updates jitter with an audio packet's timestamp and arrival time
// (since the engine's epoch) and reports whether it came late. A marker
// bit starts a talkspurt, after which the sender's clock may have jumped.
func (c *source) timing(ts uint32, arrival time.Duration, marker bool) (late bool) {
	if c.tsValid {
		c.extTS += int64(int32(ts - c.lastTS))
	} else {
		c.extTS = int64(ts)
	}
	c.lastTS = ts
	transit := arrival - time.Duration(c.extTS)*sampleTime
	if c.tsValid {
		d := transit - c.transit
		if d < 0 {
			d = -d
		}
		c.jitter += (float64(d)/float64(sampleTime) - c.jitter) / 16
	}
	c.transit = transit
	if !c.tsValid || marker || transit < c.baseline {
		c.tsValid = true
		c.baseline = transit
		return false
	}
	late = transit-c.baseline > lateAfter
	c.baseline += (transit - c.baseline) >> baselineDecay
	return late
}
