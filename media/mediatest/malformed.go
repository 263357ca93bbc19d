package mediatest

import (
	"slices"
	"strings"
)

// Malformed INVITE variants for the uac_malformed scenario. Each must be
// refused with a final error response (400, 413, 415, 420, 488, 500, 501,
// 513 or 606); answering 2xx or nothing fails the call. Lines are sipp
// message text: sipp fills [keywords] and strips leading blanks.
const (
	// MalformedTruncatedSDP: an SDP body cut off mid-line, without an m=
	// line; Content-Length matches the truncated body.
	MalformedTruncatedSDP = "truncated-sdp"
	// MalformedContentLength: Content-Length is not a number.
	MalformedContentLength = "bad-content-length"
	// MalformedHugeHeader: one 40 000-byte header; a server should cap
	// message size rather than buffer whatever arrives.
	MalformedHugeHeader = "huge-header"
	// MalformedHostileHeaders: well-framed, but full of what must not end
	// up in a log verbatim — a phone number and a Cyrillic name in the
	// display name, an escaped CRLF and a script tag in the user part, a
	// long digit run in a custom header — and a Require of an unknown
	// extension, which RFC 3261 §8.2.2.3 says to refuse with 420.
	MalformedHostileHeaders = "hostile-headers"
)

// HostileRaws are the raw personal values MalformedHostileHeaders carries,
// for ScanForDigits over the callee's logs.
var HostileRaws = []string{"+79161234567", "Иван Петров", "88005553535"}

// MalformedVariants lists the variant names, for table tests.
func MalformedVariants() []string {
	v := make([]string, 0, len(malformed))
	for k := range malformed {
		v = append(v, k)
	}
	slices.Sort(v)
	return v
}

const malformedHead = `INVITE sip:[service]@[remote_ip]:[remote_port];transport=tls SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:{{.From}}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port];transport=tcp>
Max-Forwards: 70
`

const fullSDP = `v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000`

var malformed = map[string]string{
	MalformedTruncatedSDP: malformedHead + `Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 127.0`,

	MalformedContentLength: malformedHead + `Content-Type: application/sdp
Content-Length: twelve

` + fullSDP,

	MalformedHugeHeader: malformedHead + "X-Kordon-Padding: " + strings.Repeat("a", 40000) + `
Content-Type: application/sdp
Content-Length: [len]

` + fullSDP,

	MalformedHostileHeaders: `INVITE sip:[service]@[remote_ip]:[remote_port];transport=tls SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Иван Петров +7 (916) 123-45-67" <sip:%0D%0AX-Injected:%20yes%3Cscript%3E@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port];transport=tcp>
Max-Forwards: 70
Require: x-kordon-unknown-extension
X-Caller-Account: 88005553535
Subject: <script>alert(1)</script>
Content-Type: application/sdp
Content-Length: [len]

` + fullSDP,
}
