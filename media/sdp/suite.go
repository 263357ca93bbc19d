package sdp

import "github.com/pion/srtp/v3"

// Suite is an SRTP crypto suite as named in a=crypto lines (RFC 4568,
// RFC 6188, RFC 7714). The names follow the IANA registry, as crypto/tls
// names its cipher suites.
//
// Four suites are accepted: both AES counter-mode suites with an 80-bit
// authentication tag and both AES-GCM suites. The others are known, so a
// refusal can name the reason, but never negotiated: 32-bit tags are too
// weak for calls that last minutes, pion/srtp has no AES-192 or F8, and
// NULL suites do not encrypt.
type Suite uint8

// Suites, accepted first. The zero Suite is unknown.
const (
	AES_CM_128_HMAC_SHA1_80 Suite = iota + 1
	AES_256_CM_HMAC_SHA1_80
	AEAD_AES_128_GCM
	AEAD_AES_256_GCM

	AES_CM_128_HMAC_SHA1_32 // known, refused
	AES_256_CM_HMAC_SHA1_32 // known, refused
	AES_192_CM_HMAC_SHA1_80 // known, refused
	AES_192_CM_HMAC_SHA1_32 // known, refused
	F8_128_HMAC_SHA1_80     // known, refused
	F8_128_HMAC_SHA1_32     // known, refused
	NULL_HMAC_SHA1_80       // known, refused
	NULL_HMAC_SHA1_32       // known, refused
)

// lastAccepted is the last accepted suite; the accepted ones come first.
const lastAccepted = AEAD_AES_256_GCM

var suites = [...]struct {
	name    string
	profile srtp.ProtectionProfile
}{
	AES_CM_128_HMAC_SHA1_80: {"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
	AES_256_CM_HMAC_SHA1_80: {"AES_256_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes256CmHmacSha1_80},
	AEAD_AES_128_GCM:        {"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm},
	AEAD_AES_256_GCM:        {"AEAD_AES_256_GCM", srtp.ProtectionProfileAeadAes256Gcm},
	AES_CM_128_HMAC_SHA1_32: {"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32},
	AES_256_CM_HMAC_SHA1_32: {"AES_256_CM_HMAC_SHA1_32", srtp.ProtectionProfileAes256CmHmacSha1_32},
	AES_192_CM_HMAC_SHA1_80: {"AES_192_CM_HMAC_SHA1_80", 0},
	AES_192_CM_HMAC_SHA1_32: {"AES_192_CM_HMAC_SHA1_32", 0},
	F8_128_HMAC_SHA1_80:     {"F8_128_HMAC_SHA1_80", 0},
	F8_128_HMAC_SHA1_32:     {"F8_128_HMAC_SHA1_32", 0},
	NULL_HMAC_SHA1_80:       {"NULL_HMAC_SHA1_80", srtp.ProtectionProfileNullHmacSha1_80},
	NULL_HMAC_SHA1_32:       {"NULL_HMAC_SHA1_32", srtp.ProtectionProfileNullHmacSha1_32},
}

// defaultSuites is the offer order when a Policy names none: GCM first
// (cheaper per packet and authenticated encryption), then AES-CM, which
// every SDES peer implements.
var defaultSuites = []Suite{AEAD_AES_128_GCM, AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_80}

// String returns the suite's registered name, or "unknown".
func (s Suite) String() string {
	if s == 0 || int(s) >= len(suites) {
		return "unknown"
	}
	return suites[s].name
}

// Profile returns the pion/srtp protection profile for the suite, or 0 when
// pion/srtp has none (unknown, AES-192 and F8 suites).
func (s Suite) Profile() srtp.ProtectionProfile {
	if s == 0 || int(s) >= len(suites) {
		return 0
	}
	return suites[s].profile
}

// accepted reports whether the suite may be negotiated at all.
func (s Suite) accepted() bool { return s >= AES_CM_128_HMAC_SHA1_80 && s <= lastAccepted }

// keyLen returns the master key and salt lengths of the suite, from
// pion/srtp so the two can never disagree; 0, 0 when pion/srtp has no
// profile for it.
func (s Suite) keyLen() (key, salt int) {
	p := s.Profile()
	k, err := p.KeyLen()
	if err != nil {
		return 0, 0
	}
	sl, err := p.SaltLen()
	if err != nil {
		return 0, 0
	}
	return k, sl
}

// suiteByName finds a suite by its registered name, case-sensitively as
// RFC 4568's grammar spells it.
func suiteByName(name string) Suite {
	for s := AES_CM_128_HMAC_SHA1_80; int(s) < len(suites); s++ {
		if suites[s].name == name {
			return s
		}
	}
	return 0
}
