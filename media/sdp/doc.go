// Package sdp negotiates a call's media: SDP offer/answer (RFC 3264) for one
// G.711 audio stream with SDES-SRTP keys (RFC 4568).
//
// The SIP layer calls Answer for an offer it received (an INVITE or a
// re-INVITE), and Offer then OfferState.Accept for an offer it sends (an
// outbound call, hold, resume, re-key). Each returns a Media: the remote
// addresses, codec, payload types, packet time, our direction and the
// SRTP keys — what the media engine needs to start or update a stream.
// A trunk's Policy (SRTP Mandatory or Optional, codecs, crypto suites)
// decides what is acceptable.
//
// # Errors
//
// A refusal matches ErrNotAcceptable (answer 488) or ErrMalformed (answer
// 400) with errors.Is, and carries an *Error whose Warning text is fixed
// by this package, so no input reaches a header, a log line or a metric.
// A bad Policy or Local is a configuration error: a fault of kind Invalid
// matching neither.
//
// # Parsing
//
// The package reads SDP itself rather than through pion/sdp: it needs a
// dozen fields, must bound its work on hostile input (64 KiB, 32 m= lines,
// 128 a=crypto lines), and must accept what real peers send (LF line
// ends, attributes in any order) while refusing what would change the
// meaning of an answer. What it writes round-trips through pion/sdp, as
// the tests check.
//
// # Secrets
//
// Keys, Crypto and OfferState hold master keys and print redacted under
// every fmt verb and in slog. Offers and answers themselves carry our key
// in clear (SDES relies on SIP over TLS): never log an SDP body.
//
// # Concurrency
//
// The package has no state and starts no goroutines. Answer, Offer and
// ParseCrypto are safe for concurrent use, and so is Accept: it never
// changes its OfferState.
package sdp
