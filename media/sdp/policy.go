package sdp

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"kordon/media/codec"
	"kordon/types/fault"
)

// SRTPPolicy says whether a trunk must encrypt media.
type SRTPPolicy uint8

// SRTP policies. The zero value is Mandatory: a trunk encrypts unless an
// admin says otherwise.
const (
	// Mandatory answers only RTP/SAVP(F) offers with a usable a=crypto
	// line, and offers RTP/SAVP.
	Mandatory SRTPPolicy = iota
	// Optional also answers plain RTP/AVP offers — with SRTP when they
	// carry a usable a=crypto line ("best effort" SRTP, RFC 8643), in plain
	// RTP otherwise — and offers RTP/AVP with a=crypto lines.
	Optional
)

// String names the policy as the trunk configuration spells it.
func (p SRTPPolicy) String() string {
	switch p {
	case Mandatory:
		return "mandatory"
	case Optional:
		return "optional"
	}
	return fmt.Sprintf("SRTPPolicy(%d)", uint8(p))
}

// Policy is what a trunk allows.
type Policy struct {
	// SRTP is Mandatory (the zero value) or Optional.
	SRTP SRTPPolicy
	// Codecs lists the codecs we may use, in our order of preference (the
	// order of our offers; answers follow the offer's order). Default:
	// PCMU, PCMA.
	Codecs []codec.Codec
	// Suites lists the crypto suites we may use, in our order of
	// preference, from the four accepted ones. Default: AEAD_AES_128_GCM,
	// AEAD_AES_256_GCM, AES_CM_128_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_80.
	Suites []Suite
}

var defaultCodecs = []codec.Codec{codec.PCMU, codec.PCMA}

// resolve fills in defaults and checks the policy. A bad policy is a
// configuration error, not the peer's fault, so it is a plain fault
// (kind Invalid) without ErrNotAcceptable.
func (p Policy) resolve(op string) (Policy, error) {
	if p.SRTP != Mandatory && p.SRTP != Optional {
		return p, fault.E(op, fault.Invalid, fmt.Errorf("policy: unknown SRTP policy %d", p.SRTP))
	}
	if len(p.Codecs) == 0 {
		p.Codecs = defaultCodecs
	}
	if len(p.Suites) == 0 {
		p.Suites = defaultSuites
	}
	for i, c := range p.Codecs {
		if !c.Valid() {
			return p, fault.E(op, fault.Invalid, fmt.Errorf("policy: codec %d is not PCMU or PCMA", c))
		}
		for _, d := range p.Codecs[:i] {
			if c == d {
				return p, fault.E(op, fault.Invalid, fmt.Errorf("policy: codec %s listed twice", c))
			}
		}
	}
	for i, s := range p.Suites {
		if !s.accepted() {
			return p, fault.E(op, fault.Invalid, fmt.Errorf("policy: crypto suite %s is not accepted", s))
		}
		for _, t := range p.Suites[:i] {
			if s == t {
				return p, fault.E(op, fault.Invalid, fmt.Errorf("policy: crypto suite %s listed twice", s))
			}
		}
	}
	return p, nil
}

// allows reports whether the policy lists suite s.
func (p Policy) allows(s Suite) bool {
	for _, t := range p.Suites {
		if t == s {
			return true
		}
	}
	return false
}

// Local is our side of the session.
type Local struct {
	// Addr is the address the peer sends RTP to (required; not
	// unspecified). Its family picks IN IP4 or IN IP6.
	Addr netip.Addr
	// Port is our RTP port (required, 1-65535).
	Port int
	// SessionID is the o= session ID. Default: random. Answer and Offer
	// return the one they used in Media.SessionID.
	SessionID uint64
	// Version is the o= session version; 0 is a valid first version.
	Version uint64
	// Username is the o= user name, visible ASCII without spaces.
	// Default: "kordon".
	Username string
}

// resolve fills in defaults and checks the local side.
func (l Local) resolve(op string) (Local, error) {
	switch {
	case !l.Addr.IsValid() || l.Addr.IsUnspecified():
		return l, fault.E(op, fault.Invalid, errors.New("local: address missing"))
	case l.Addr.Zone() != "":
		return l, fault.E(op, fault.Invalid, errors.New("local: address has a zone"))
	case l.Port < 1 || l.Port > 65535:
		return l, fault.E(op, fault.Invalid, errors.New("local: port out of range 1-65535"))
	}
	l.Addr = l.Addr.Unmap()
	if l.Username == "" {
		l.Username = "kordon"
	} else if !isToken(l.Username) {
		return l, fault.E(op, fault.Invalid, errors.New("local: user name must be visible ASCII without spaces"))
	}
	if l.SessionID == 0 {
		l.SessionID = newSessionID()
	}
	return l, nil
}

// newSessionID draws a random o= session ID below 2^62, so that peers
// that read it as a signed 64-bit number cope too.
func newSessionID() uint64 {
	var b [8]byte
	rand.Read(b[:]) // never fails since Go 1.24
	return binary.BigEndian.Uint64(b[:])>>2 | 1
}

// allowsCodec reports whether the policy lists codec c.
func (p Policy) allowsCodec(c codec.Codec) bool {
	for _, d := range p.Codecs {
		if d == c {
			return true
		}
	}
	return false
}
