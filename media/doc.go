// Package media is Kordon's telephone line: the SIP edge that terminates
// trunks from the customer's PBXs over TLS, negotiates SDES-SRTP media and
// hands each call to the robot as a Call that carries codes only.
//
// # Structure
//
// An Edge owns one sipgo user agent (server and client), the TLS listener
// (and, only for trunks explicitly marked insecure, plain TCP/UDP
// listeners), and a stream.Engine for the media. Sub-packages do the
// separable work: sdp negotiates offers and answers with a=crypto, stream
// moves RTP/SRTP packets, codec converts audio, dtmf reads and writes
// RFC 4733 events, record keeps encrypted recordings and trunk stores the
// trunks.
//
// # Privacy
//
// The caller's number exists in this package only inside the sipgo request
// that carried it and for the instant it takes to tokenize it: the Call,
// its events, the call table and every log line carry the code. Outbound,
// the callee's number is resolved from its code (purpose dial, audited) at
// the moment the INVITE is built and is kept nowhere else. sipgo's own log
// lines pass through a handler that masks digit runs.
//
// # Concurrency and lifecycle
//
// New validates and starts nothing. Run listens, serves until its context
// ends, then hangs up every call and returns after every goroutine it
// started has exited. Each inbound call runs on the sipgo goroutine that
// delivered its INVITE (sipgo requires the handler to stay until the call
// ends) plus the stream's receive goroutine; an outbound call runs on the
// caller's goroutine. Neither count grows with the length of the call.
package media
