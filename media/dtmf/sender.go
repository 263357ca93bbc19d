package dtmf

import (
	"fmt"
	"time"

	"kordon/types/fault"
)

const (
	// PacketTime is the interval between a Sender's packets.
	PacketTime = 20 * time.Millisecond
	// packetUnits is PacketTime in RTP timestamp units at 8 kHz.
	packetUnits = 160
	// endRepeats is how often the end packet is sent (RFC 4733 §2.5.1.4
	// recommends three), so that one lost packet does not lose the end.
	endRepeats = 3
	// MaxDuration is the longest tone one event can describe: the
	// duration field's 65535 units, rounded down to whole packets.
	MaxDuration = segmentMax / packetUnits * PacketTime
)

// Sender produces the packets of one outgoing digit. The caller sends one
// per PacketTime, all with the same RTP timestamp (the event's start) and
// fresh sequence numbers.
type Sender struct {
	ev    Event
	ticks int // packets while the key is held
	n     int // packets produced so far
}

// NewSender prepares the packets for digit ('0'-'9', '*', '#', 'A'-'D',
// 'a'-'d') held for duration, rounded to whole packet times (at least one,
// at most MaxDuration), at volume in -dBm0 (0-63; 10 is usual).
func NewSender(digit byte, duration time.Duration, volume uint8) (*Sender, error) {
	const op = "dtmf.NewSender"
	if !Valid(digit) {
		return nil, fault.E(op, fault.Invalid, fmt.Errorf("%q is not a DTMF key", digit))
	}
	if duration <= 0 || duration > MaxDuration {
		return nil, fault.E(op, fault.Invalid, fmt.Errorf("duration %v outside (0, %v]", duration, MaxDuration))
	}
	if volume > MaxVolume {
		return nil, fault.E(op, fault.Invalid, fmt.Errorf("volume %d above %d", volume, MaxVolume))
	}
	c, _ := code(digit)
	ticks := max(int((duration+PacketTime/2)/PacketTime), 1)
	return &Sender{ev: Event{Digit: digits[c], Volume: volume}, ticks: ticks}, nil
}

// Next appends the next packet's payload to dst. marker is set on the
// first packet, which starts the event; done is set on the last (the third
// end packet). After the last packet Next appends nothing and returns
// done.
func (s *Sender) Next(dst []byte) (payload []byte, marker bool, done bool) {
	if s.n >= s.ticks+endRepeats {
		return dst, false, true
	}
	s.n++
	ev := s.ev
	if s.n <= s.ticks {
		ev.Duration = uint16(s.n * packetUnits)
	} else {
		ev.End = true
		ev.Duration = uint16(s.ticks * packetUnits)
	}
	return ev.Append(dst), s.n == 1, s.n == s.ticks+endRepeats
}
