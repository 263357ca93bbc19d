// Package dtmf carries telephone keypad digits as RFC 4733 telephone-event
// RTP payloads, the way PBXs and SIP trunks send them ("RFC 2833 DTMF").
//
// Event is one four-byte payload: Decode parses it, Append writes it.
// Receiver turns the stream of packets for a call into digits, each
// reported once although every event is sent as several packets and its
// end packet three times. Sender produces the packets for one outgoing
// digit, one per 20 ms packet time.
//
// The package does no I/O and starts no goroutines: the media stream feeds
// the Receiver from its receive goroutine and drives the Sender from its
// pacer. Neither type is safe for concurrent use.
package dtmf
