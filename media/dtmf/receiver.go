package dtmf

// Receiver turns the telephone-event packets of one RTP source into
// digits, each reported exactly once. The zero value is ready to use.
//
// A sender repeats every event: a packet per packet time while the key is
// held, all with the event's start timestamp, then the end packet three
// times. Receiver reports the digit on the first end packet; when all the
// end packets of an event are lost it reports the digit when the next
// event starts (a packet with a new timestamp) or when Flush is called.
// Retransmissions and packets of events already passed are ignored.
//
// When the RTP source changes (a new SSRC after a re-INVITE or a
// transfer) its timestamps start afresh: Flush, then reset the Receiver
// to its zero value.
type Receiver struct {
	ts       uint32 // start timestamp of the current event
	digit    byte   // the current event's key
	longest  uint16 // the longest duration seen in the current event
	active   bool   // an event has been seen
	reported bool   // the current event's digit has been reported
}

const (
	// segmentMax is the longest duration one event packet can state. A
	// key held longer is sent as segments (RFC 4733 §2.5.2.3): the next
	// segment has a new timestamp but continues the same key press.
	segmentMax = 0xFFFF
	// maxStraggle is how far behind the current event (in timestamp
	// units: one full segment plus a second) a packet is taken for a late
	// retransmission. A packet further behind means the sender's
	// timestamps jumped, and it starts a new event rather than being
	// ignored until the timestamps catch up days later.
	maxStraggle = segmentMax + 8000
)

// Feed takes the RTP timestamp and payload of one telephone-event packet
// and returns a digit when one is complete. Payloads that Decode rejects
// are ignored.
func (r *Receiver) Feed(timestamp uint32, payload []byte) (digit byte, ok bool) {
	ev, err := Decode(payload)
	if err != nil {
		return 0, false
	}
	if !r.active {
		return r.begin(timestamp, ev)
	}
	d := int32(timestamp - r.ts)
	switch {
	case d == 0 && ev.Digit == r.digit:
		r.longest = max(r.longest, ev.Duration)
		if ev.End && !r.reported {
			r.reported = true
			return r.digit, true
		}
		return 0, false
	case d > 0 && d <= maxStraggle && ev.Digit == r.digit && !r.reported && r.longest == segmentMax:
		// The next segment of a key held for more than eight seconds.
		r.ts, r.longest = timestamp, ev.Duration
		if ev.End {
			r.reported = true
			return r.digit, true
		}
		return 0, false
	case d > 0 || d < -maxStraggle || (d == 0 && ev.Digit != r.digit):
		// A new event (a different key under the same timestamp can only
		// be a new event from a sender that reuses timestamps).
		prev, pending := r.digit, !r.reported
		if !pending {
			return r.begin(timestamp, ev)
		}
		// Report the event whose end was lost. The new event's end, if
		// this is one, is reported by its retransmission or by Flush.
		r.begin(timestamp, Event{Digit: ev.Digit, Duration: ev.Duration})
		return prev, true
	}
	return 0, false // a straggler from an event already passed
}

// begin makes ev, starting at timestamp, the current event.
func (r *Receiver) begin(timestamp uint32, ev Event) (byte, bool) {
	*r = Receiver{ts: timestamp, digit: ev.Digit, longest: ev.Duration, active: true, reported: ev.End}
	return ev.Digit, ev.End
}

// Flush reports the current event if its end never arrived. Call it when
// the stream stops or its source changes; a later end packet of the same
// event is still ignored.
func (r *Receiver) Flush() (digit byte, ok bool) {
	if !r.active || r.reported {
		return 0, false
	}
	r.reported = true
	return r.digit, true
}
