package dtmf

import (
	"encoding/binary"
	"errors"
)

// Errors from Decode.
var (
	// ErrMalformed reports a payload shorter than the four bytes of an event.
	ErrMalformed = errors.New("dtmf: telephone-event payload shorter than 4 bytes")
	// ErrUnsupported reports an event other than the sixteen DTMF keys
	// (RFC 4733 also defines fax and modem tones, which a voice robot ignores).
	ErrUnsupported = errors.New("dtmf: telephone-event is not a DTMF digit")
)

// digits maps RFC 4733 event codes 0-15 to keypad characters.
const digits = "0123456789*#ABCD"

// MaxVolume is the quietest volume an event can carry: the field holds the
// power level in -dBm0, 0 to 63.
const MaxVolume = 63

// Event is one telephone-event payload (RFC 4733 §2.3).
type Event struct {
	// Digit is the key: '0'-'9', '*', '#' or 'A'-'D'.
	Digit byte
	// End is set in the packets that end the event.
	End bool
	// Volume is the tone's power level in -dBm0 (0 loudest, 63 quietest).
	Volume uint8
	// Duration is how long the event has lasted so far, in RTP timestamp
	// units (1/8000 s for telephony).
	Duration uint16
}

// Decode parses a telephone-event payload. Bytes past the first four (a
// redundant RFC 2198 block would be marked by its own payload type) are
// ignored.
func Decode(payload []byte) (Event, error) {
	if len(payload) < 4 {
		return Event{}, ErrMalformed
	}
	if payload[0] >= byte(len(digits)) {
		return Event{}, ErrUnsupported
	}
	return Event{
		Digit:    digits[payload[0]],
		End:      payload[1]&0x80 != 0,
		Volume:   payload[1] & 0x3F,
		Duration: binary.BigEndian.Uint16(payload[2:]),
	}, nil
}

// code returns the event code of a keypad character, accepting a-d too.
func code(digit byte) (byte, bool) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for i := range len(digits) {
		if digits[i] == digit {
			return byte(i), true
		}
	}
	return 0, false
}

// Valid reports whether digit is a keypad character an Event can carry:
// '0'-'9', '*', '#', 'A'-'D' or 'a'-'d'.
func Valid(digit byte) bool {
	_, ok := code(digit)
	return ok
}

// Append appends the four-byte payload of e to dst. A Digit that Valid
// rejects is written as event 255, which no receiver takes for a key, and
// a Volume above MaxVolume as MaxVolume.
func (e Event) Append(dst []byte) []byte {
	c, ok := code(e.Digit)
	if !ok {
		c = 255
	}
	flags := min(e.Volume, MaxVolume)
	if e.End {
		flags |= 0x80
	}
	return binary.BigEndian.AppendUint16(append(dst, c, flags), e.Duration)
}
