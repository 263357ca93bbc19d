package sdp

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"

	"kordon/media/codec"
	"kordon/types/pii"
)

// Direction is which way media flows, seen from our side (RFC 3264 §5.1).
// The zero Direction is SendRecv, a call in progress.
type Direction uint8

// Directions.
const (
	SendRecv Direction = iota
	SendOnly           // we send, the peer holds (it does not send)
	RecvOnly           // the peer put us on hold: it may send, we must not
	Inactive           // nobody sends
)

var directionNames = [...]string{SendRecv: "sendrecv", SendOnly: "sendonly", RecvOnly: "recvonly", Inactive: "inactive"}

// String returns the SDP attribute name.
func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "Direction(" + fmt.Sprint(uint8(d)) + ")"
}

// sends and receives split a direction into its two halves.
func (d Direction) sends() bool    { return d == SendRecv || d == SendOnly }
func (d Direction) receives() bool { return d == SendRecv || d == RecvOnly }

// direction joins the two halves.
func direction(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

// reverse is the peer's direction seen from our side.
func (d Direction) reverse() Direction { return direction(d.receives(), d.sends()) }

// parseDirection recognises the four direction attributes.
func parseDirection(name string) (Direction, bool) {
	for d, n := range directionNames {
		if n == name {
			return Direction(d), true
		}
	}
	return 0, false
}

// Media is what an offer/answer exchange agreed: everything the media
// engine needs to start or update a stream.
type Media struct {
	// Remote is where to send RTP. Its address is unspecified (0.0.0.0 or
	// ::) when the peer put the call on hold the RFC 2543 way; Direction
	// then never includes sending.
	Remote netip.AddrPort
	// RemoteRTCP is where to send RTCP: Remote when RTCPMux, the a=rtcp
	// port (and address) when given, else Remote's port + 1. It is the
	// zero AddrPort when Remote's port is 65535 and nothing else was said.
	RemoteRTCP netip.AddrPort
	// RTCPMux is set when both sides agreed to send RTCP on the RTP port
	// (RFC 5761).
	RTCPMux bool
	// Codec is the audio codec, and PayloadType the RTP payload type the
	// offer gave it (static 0 or 8, or a dynamic one).
	Codec       codec.Codec
	PayloadType uint8
	// DTMFPayloadType is the payload type of RFC 4733 telephone-event,
	// 0 when the peer offered none.
	DTMFPayloadType uint8
	// Ptime is the packet time in milliseconds: what the offer asked for
	// when we can do it, else 20.
	Ptime int
	// Direction is ours: RecvOnly when the peer holds the call
	// (a=sendonly or c=0.0.0.0), Inactive when it said a=inactive.
	Direction Direction
	// SRTP holds the keys, nil when plain RTP was agreed.
	SRTP *Keys
	// SessionID and Version are the o= line of the description we sent;
	// Answer reuses the ID and raises the version when given this Media as
	// the previous one (RFC 3264 §8).
	SessionID uint64
	Version   uint64
}

// Keys are the SDES-SRTP master keys of a call. Every field but Suite and
// Tag is secret; Keys prints redacted under every fmt verb and in slog.
//
// On a re-INVITE, Answer keeps LocalKey and LocalSalt when the suite is
// unchanged (RFC 4568 §7.1.4 lets the answerer keep its key): a media
// engine that sees the same local key must keep its send context, because
// a fresh context under the same key and SSRC would reuse key stream.
type Keys struct {
	Suite      Suite
	Tag        int // of the a=crypto line both sides used
	LocalKey   []byte
	LocalSalt  []byte
	RemoteKey  []byte
	RemoteSalt []byte
}

// String names the suite and tag, never a key.
func (k Keys) String() string {
	return fmt.Sprintf("SRTP %s tag %s keys %s", k.Suite, maskTag(k.Tag), pii.Redacted)
}

// Format prints String for every verb.
func (k Keys) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue makes slog print String.
func (k Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON encodes the suite and tag only, so a Media in a JSON
// document (the call table, an event) never carries a key.
func (k Keys) MarshalJSON() ([]byte, error) { return redactedJSON(k.Suite, k.Tag) }

// redactedJSON encodes what may be shown of a key's line.
func redactedJSON(s Suite, tag int) ([]byte, error) {
	return json.Marshal(struct {
		Suite string `json:"suite"`
		Tag   string `json:"tag"`
		Keys  string `json:"keys"`
	}{s.String(), maskTag(tag), pii.Redacted})
}
