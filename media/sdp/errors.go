package sdp

import (
	"errors"
	"fmt"

	"kordon/types/fault"
)

// ErrNotAcceptable matches (with errors.Is) every refusal of a well-formed
// description: no common codec, no usable crypto on a trunk that requires
// SRTP, a refused suite or session parameter, a rejected audio stream. The
// SIP layer answers it with 488 Not Acceptable Here and a Warning header
// holding the error's Warning text.
var ErrNotAcceptable = errors.New("sdp: not acceptable")

// ErrMalformed matches (with errors.Is) every description that cannot be
// parsed or breaks an input limit. The SIP layer answers it with 400 Bad
// Request.
var ErrMalformed = errors.New("sdp: malformed")

// Error is why an offer or answer was refused. Its text is fixed by this
// package — a reason and at most a line number — and never echoes the
// description, so it is safe for a SIP Warning header, a log line or a
// metric label. Answer, Offer and Accept return it wrapped in a
// *fault.Error (kind Invalid, or TooLarge for input limits); reach it with
// errors.As.
type Error struct {
	sentinel error // ErrNotAcceptable or ErrMalformed
	reason   string
}

// Error returns the reason.
func (e *Error) Error() string { return e.reason }

// Is makes errors.Is(err, ErrNotAcceptable) and errors.Is(err,
// ErrMalformed) work through the wrapping.
func (e *Error) Is(target error) bool { return target == e.sentinel }

// Warning returns the reason as the text of a SIP Warning header (RFC 3261
// §20.43): short, ASCII, without quotes.
func (e *Error) Warning() string { return e.reason }

// refuse builds a not-acceptable Error with a fixed reason.
func refuse(reason string) *Error { return &Error{sentinel: ErrNotAcceptable, reason: reason} }

// malformed builds a malformed Error; line is the 1-based line of the
// description at fault, or 0 when the fault is not on one line.
func malformed(line int, reason string) *Error {
	if line > 0 {
		reason = fmt.Sprintf("line %d: %s", line, reason)
	}
	return &Error{sentinel: ErrMalformed, reason: reason}
}

// Reasons for refusals. They are constants so that no input can reach a
// Warning header through them.
var (
	errTooLarge       = &Error{sentinel: ErrMalformed, reason: "SDP larger than 64 KiB"}
	errTooManyMedia   = &Error{sentinel: ErrMalformed, reason: "more than 32 m= lines"}
	errTooManyCrypto  = &Error{sentinel: ErrMalformed, reason: "more than 128 a=crypto lines"}
	errNoAudio        = refuse("no audio stream offered")
	errAudioRejected  = refuse("audio stream rejected (port 0)")
	errTransport      = refuse("media transport not supported (want RTP/SAVP or RTP/AVP)")
	errSRTPRequired   = refuse("SRTP required: plain RTP/AVP refused")
	errNoCrypto       = refuse("no a=crypto line for RTP/SAVP")
	errNoSuite        = refuse("no acceptable crypto suite")
	errNoCodec        = refuse("no common codec (want PCMU or PCMA)")
	errConnAddr       = refuse("connection address is not a unicast IP address")
	errUnknownSuite   = refuse("unknown crypto suite")
	errWeakSuite      = refuse("crypto suite not supported (32-bit tag, AES-192, F8 or NULL)")
	errRefusedSuite   = refuse("crypto suite refused by policy")
	errMKI            = refuse("SRTP MKI not supported")
	errMultipleKeys   = refuse("several SRTP master keys not supported")
	errKeyLength      = refuse("SRTP master key has the wrong length")
	errCryptoSyntax   = refuse("a=crypto line not understood")
	errKeyMethod      = refuse("SRTP key method not supported (want inline)")
	errLifetime       = refuse("SRTP key lifetime out of range")
	errUnencrypted    = refuse("unencrypted or unauthenticated SRTP refused")
	errKDR            = refuse("SRTP key derivation rate not supported")
	errFECKey         = refuse("SRTP FEC_KEY not supported")
	errSessionParam   = refuse("unknown mandatory SRTP session parameter")
	errAnswerMedia    = refuse("answer does not match the offer's media lines")
	errAnswerProto    = refuse("answer changed the media transport")
	errAnswerCrypto   = refuse("answer must carry exactly one a=crypto line")
	errAnswerTag      = refuse("answer's a=crypto tag or suite was not offered")
	errAnswerNoCrypto = refuse("answer without a=crypto to an RTP/SAVP offer")
)

// wrap puts a package error into the fault chain under op.
func wrap(op string, e *Error) error {
	kind := fault.Invalid
	if e == errTooLarge || e == errTooManyMedia || e == errTooManyCrypto {
		kind = fault.TooLarge
	}
	return fault.E(op, kind, e)
}
