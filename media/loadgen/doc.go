// Package loadgen is a SIP-over-TLS, SDES-SRTP caller for tests and load
// runs: it places calls to a SIP endpoint (the appliance's edge, sipp, a
// PBX), plays audio, sends and receives RFC 4733 DTMF, and measures call
// setup time, lost and late packets and DTMF accuracy.
//
// A Generator owns one sipgo user agent and one stream.Engine. Create it
// with New, run it with Run (which returns once its goroutines have
// exited), and place calls with Call from any number of goroutines; Load
// runs many calls at a rate and concurrency and summarises them.
//
// It is a client of the same sdp and stream packages the edge uses, which
// is why its results are checked against independent peers (baresip,
// sipp, rtpengine) in the edge's integration tests as well.
package loadgen
