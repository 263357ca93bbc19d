// Package stream is Kordon's RTP/SRTP media engine: one Stream per call
// leg, sending and receiving G.711 audio and RFC 4733 DTMF over UDP, with
// SDES-keyed SRTP (pion/srtp) or plain RTP.
//
// # Model
//
// An Engine owns a range of UDP ports and a few pacer goroutines. Open
// binds a port pair (even RTP port, odd RTCP port) and returns a Stream;
// Start gives it the negotiated Params (the far end's address, codec,
// payload types, SRTP keys, direction) and Update applies a re-INVITE:
// a new address, hold and resume, another codec, new keys.
//
// Every 20 ms the Stream's pacer builds the next packet — the prompt being
// played, audio from a bridged Stream, or silence; an RFC 4733 packet while
// a digit is being sent — encrypts it and sends it. It sends even when
// there is nothing to say, because silence keeps NAT bindings and the far
// end's latching alive; it stops only when the direction says we must not
// send (hold). A Sink sees, once per tick, the caller's decoded audio and
// what we sent, for recording and speech recognition.
//
// One receive goroutine per Stream (two when RTCP is not multiplexed)
// reads, authenticates and decrypts packets, decodes audio, detects DTMF
// and keeps RFC 3550 statistics. Packets that fail authentication are
// counted and dropped. Symmetric RTP: after an authentic packet (for plain
// RTP, one with a negotiated payload type) from a new source address, the
// Stream sends to that address, so a far end behind NAT, or one that
// sends from another port than its SDP said, is still reached.
//
// # Concurrency and lifecycle
//
// Engine.Run runs the pacers until its context ends; streams send nothing
// before it runs, and end with ErrClosed when it stops. A Stream's methods
// are safe for concurrent use. Play and SendDTMF block until the audio or
// digits have been sent. Close stops the receive goroutines, waits for
// them and for any pacer tick in progress, and frees the ports; it is
// idempotent. The number of goroutines per call is fixed: it does not grow
// with call length, prompts or digits.
//
// The hot path (encode, encrypt, send; receive, decrypt, decode) does not
// allocate.
//
// # Privacy
//
// Media carries voice, so nothing here logs or keeps payloads beyond the
// frames handed to a Sink. Logs and errors name ports, codecs and
// counts; peer addresses are the PBX's, never a caller's number.
package stream
