package sdp

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"kordon/types/pii"
)

// maxCryptoLen bounds one a=crypto value: a tag, the longest suite name,
// a 46-byte key in base64, a lifetime and a few session parameters fit
// in a tenth of it.
const maxCryptoLen = 1024

// maxLifetime is the largest key lifetime SRTP allows (RFC 3711 §9.2:
// 2^48 packets).
const maxLifetime = 1 << 48

// Crypto is one parsed a=crypto line (RFC 4568 §9.1): the tag that names
// it in the answer, the suite, and the single inline master key split into
// key and salt. Key and Salt are secret; Crypto prints them redacted.
type Crypto struct {
	Tag      int
	Suite    Suite
	Key      []byte
	Salt     []byte
	Lifetime uint64 // packets the key may protect; 0 when the line gave none (2^48 by default)
}

// ParseCrypto parses the value of an a=crypto attribute (what follows
// "a=crypto:"). It accepts padded and unpadded base64 and a lifetime in
// either form ("2^31" or "2147483648"). It refuses, with ErrNotAcceptable,
// what it understands but will not use: suites other than the four
// accepted ones, an MKI, several master keys, a key of the wrong length, a
// key derivation rate, FEC_KEY, and the UNENCRYPTED_SRTP,
// UNENCRYPTED_SRTCP and UNAUTHENTICATED_SRTP session parameters, as well
// as unknown session parameters without the "-" that marks them optional
// (RFC 4568 §6.3.7). Anything else unparsable is ErrMalformed.
//
// On a refusal the returned Crypto still holds the tag and suite, so a
// caller can tell which line was refused; its key is never set.
func ParseCrypto(attr string) (Crypto, error) {
	c, e := parseCrypto(attr)
	if e != nil {
		return c, wrap("sdp.ParseCrypto", e)
	}
	return c, nil
}

// parseCrypto is ParseCrypto with the package's own error type, for
// callers that choose among several lines.
func parseCrypto(attr string) (Crypto, *Error) {
	var c Crypto
	if len(attr) > maxCryptoLen {
		return c, malformed(0, "a=crypto line too long")
	}
	tagText, rest := cutField(attr)
	suiteText, rest := cutField(rest)
	keyText, rest := cutField(rest)
	if keyText == "" {
		return c, malformed(0, "a=crypto line needs a tag, a suite and key parameters")
	}
	tag, ok := atoiDigits(tagText, 9)
	if !ok {
		return c, malformed(0, "a=crypto tag is not a number of 1-9 digits")
	}
	c.Tag = tag
	c.Suite = suiteByName(suiteText)
	switch {
	case c.Suite == 0:
		return c, errUnknownSuite
	case !c.Suite.accepted():
		return c, errWeakSuite
	}
	if strings.IndexByte(keyText, ';') >= 0 {
		return c, errMultipleKeys
	}
	method, keyInfo, ok := strings.Cut(keyText, ":")
	if !ok || method != "inline" {
		return c, errKeyMethod
	}
	keySalt, params, _ := strings.Cut(keyInfo, "|")
	if params != "" {
		lifetime, _, hasMKI := strings.Cut(params, "|")
		if hasMKI || strings.IndexByte(lifetime, ':') >= 0 {
			return c, errMKI // an MKI follows the lifetime, or stands alone
		}
		lt, e := parseLifetime(lifetime)
		if e != nil {
			return c, e
		}
		c.Lifetime = lt
	}
	kl, sl := c.Suite.keyLen()
	if base64.RawStdEncoding.DecodedLen(len(strings.TrimRight(keySalt, "="))) != kl+sl {
		return c, errKeyLength
	}
	raw, err := base64.StdEncoding.DecodeString(keySalt)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(keySalt)
	}
	if err != nil {
		return c, malformed(0, "a=crypto key is not base64")
	}
	if len(raw) != kl+sl {
		return c, errKeyLength
	}
	for rest != "" {
		var p string
		p, rest = cutField(rest)
		if e := checkSessionParam(p); e != nil {
			return Crypto{Tag: c.Tag, Suite: c.Suite}, e
		}
	}
	c.Key, c.Salt = raw[:kl:kl], raw[kl:]
	return c, nil
}

// parseLifetime parses "2^n" or a decimal count of packets.
func parseLifetime(s string) (uint64, *Error) {
	if exp, ok := strings.CutPrefix(s, "2^"); ok {
		n, ok := atoiDigits(exp, 2)
		if !ok {
			return 0, malformed(0, "a=crypto lifetime is not a number")
		}
		if n < 1 || n > 48 {
			return 0, errLifetime
		}
		return 1 << n, nil
	}
	n, ok := atoiDigits(s, 15)
	if !ok {
		return 0, malformed(0, "a=crypto lifetime is not a number")
	}
	if n < 1 || n > maxLifetime {
		return 0, errLifetime
	}
	return uint64(n), nil
}

// checkSessionParam refuses the session parameters we will not honour
// (RFC 4568 §6.3) and lets the harmless ones through.
func checkSessionParam(p string) *Error {
	name, value, _ := strings.Cut(p, "=")
	switch name {
	case "UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP":
		return errUnencrypted
	case "KDR":
		// pion/srtp derives session keys once; only a rate of 0 (derive
		// once, the default) matches it.
		if n, ok := atoiDigits(value, 2); !ok || n != 0 {
			return errKDR
		}
	case "FEC_KEY":
		return errFECKey
	case "FEC_ORDER", "WSH":
		// No FEC here; the window size hint is a hint.
	default:
		if !strings.HasPrefix(p, "-") {
			return errSessionParam
		}
	}
	return nil
}

// newKey returns a fresh random master key and salt for suite s.
func newKey(s Suite) (key, salt []byte) {
	kl, sl := s.keyLen()
	b := make([]byte, kl+sl)
	rand.Read(b) // never fails since Go 1.24
	return b[:kl:kl], b[kl:]
}

// appendCrypto appends an a=crypto attribute line for our key.
func appendCrypto(b []byte, tag int, s Suite, key, salt []byte) []byte {
	b = append(b, "a=crypto:"...)
	b = strconv.AppendInt(b, int64(tag), 10)
	b = append(b, ' ')
	b = append(b, s.String()...)
	b = append(b, " inline:"...)
	var ks [64]byte
	n := copy(ks[:], key)
	n += copy(ks[n:], salt)
	b = base64.StdEncoding.AppendEncode(b, ks[:n])
	return append(b, "\r\n"...)
}

// String describes the line without its key.
func (c Crypto) String() string {
	return fmt.Sprintf("a=crypto tag %s %s key %s", maskTag(c.Tag), c.Suite, pii.Redacted)
}

// Format prints String for every verb, so no verb shows the key.
func (c Crypto) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// LogValue makes slog print String.
func (c Crypto) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON encodes the suite and tag only.
func (c Crypto) MarshalJSON() ([]byte, error) { return redactedJSON(c.Suite, c.Tag) }

// maskTag prints a tag from the wire without a run of digits that could
// be a telephone number.
func maskTag(tag int) string {
	return pii.MaskDigitRuns(strconv.Itoa(tag), pii.PhoneDigits-1)
}

// cutField splits off the first space- or tab-separated field of s.
func cutField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// atoiDigits parses 1 to max ASCII decimal digits, nothing else: no sign,
// no spaces, no other scripts' digits.
func atoiDigits(s string, max int) (int, bool) {
	if len(s) == 0 || len(s) > max {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int(d)
	}
	return n, true
}
