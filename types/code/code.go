// Package code defines Kordon's codes: the opaque, random identifiers that
// stand in for a phone number, name, e-mail address or other identifier
// everywhere outside the token vault.
//
// A code reads `<kind>_<26 Crockford base32 characters><check character>`,
// for example `ph_1Q9ZK0W2D6H8T3M5R7V9XCBNJE*`. The 26 characters carry 128
// random bits; the check character is the 128-bit value modulo 37 in
// Crockford's check alphabet, so a mistyped character is caught before any
// lookup. Codes are parsed case-insensitively and with Crockford's
// substitutions (I and L read as 1, O as 0). A code never contains a run of
// five or more digits, so the egress guard's phone detectors never mistake a
// code for a telephone number.
//
// The package imports only the standard library.
package code

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind says what sort of value a code stands for.
type Kind uint8

// The kinds of value Kordon tokenizes. The zero Kind is invalid.
const (
	Phone Kind = iota + 1 // ph: a telephone number, normalized to E.164
	Name                  // nm: a person's name
	Email                 // em: an e-mail address
	ID                    // id: any other identifier (contract number, CRM id)
)

var prefixes = [...]string{Phone: "ph", Name: "nm", Email: "em", ID: "id"}

var kindNames = [...]string{Phone: "phone", Name: "name", Email: "email", ID: "id"}

// Kinds lists every valid kind in a stable order.
func Kinds() []Kind { return []Kind{Phone, Name, Email, ID} }

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k >= Phone && k <= ID }

// Prefix returns the two-letter prefix of codes of this kind ("ph", "nm", …).
func (k Kind) Prefix() string {
	if !k.Valid() {
		return ""
	}
	return prefixes[k]
}

// String returns the kind's long name: "phone", "name", "email" or "id".
func (k Kind) String() string {
	if !k.Valid() {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// ParseKind accepts a kind's long name or its prefix, in any case.
func ParseKind(s string) (Kind, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, k := range Kinds() {
		if s == kindNames[k] || s == prefixes[k] {
			return k, nil
		}
	}
	return 0, errors.New("unknown kind (want phone, name, email or id)")
}

// MarshalText encodes the kind as its long name.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("invalid kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText accepts what ParseKind accepts.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Code is a parsed code. The zero Code is invalid; compare codes with ==.
type Code struct {
	kind Kind
	id   [16]byte
}

// Length is the length of a code's text form.
const Length = 2 + 1 + 26 + 1

// maxDigitRun is the longest run of decimal digits a code may contain.
const maxDigitRun = 4

// ErrInvalid reports text that is not a well-formed code.
var ErrInvalid = errors.New("invalid code")

// New draws a fresh random code of the given kind from r (crypto/rand.Reader
// when r is nil), drawing again until its text has no run of five digits.
func New(kind Kind, r io.Reader) (Code, error) {
	if !kind.Valid() {
		return Code{}, fmt.Errorf("new code: invalid kind %d", uint8(kind))
	}
	if r == nil {
		r = rand.Reader
	}
	c := Code{kind: kind}
	for {
		if _, err := io.ReadFull(r, c.id[:]); err != nil {
			return Code{}, fmt.Errorf("new code: read random bits: %w", err)
		}
		var b [Length]byte
		c.text(&b)
		if digitRun(b[:]) <= maxDigitRun {
			return c, nil
		}
	}
}

// Kind returns the code's kind.
func (c Code) Kind() Kind { return c.kind }

// Key returns the first 64 of the code's random bits as an integer, for a
// compact database index. Two codes can share a key (rarely); the code
// itself decides.
func (c Code) Key() int64 {
	var k uint64
	for _, b := range c.id[:8] {
		k = k<<8 | uint64(b)
	}
	return int64(k)
}

// IsZero reports whether c is the zero Code.
func (c Code) IsZero() bool { return c.kind == 0 }

// String returns the canonical text form: lower-case prefix, upper-case body.
func (c Code) String() string {
	if c.IsZero() {
		return ""
	}
	var b [Length]byte
	c.text(&b)
	return string(b[:])
}

// text writes the canonical form into b without allocating.
func (c Code) text(b *[Length]byte) {
	copy(b[:], prefixes[c.kind])
	b[2] = '_'
	encode(b[3:29], c.id)
	b[29] = checkAlphabet[mod37(c.id)]
}

// MarshalText encodes the canonical form.
func (c Code) MarshalText() ([]byte, error) {
	if c.IsZero() {
		return nil, fmt.Errorf("marshal code: %w: zero code", ErrInvalid)
	}
	return []byte(c.String()), nil
}

// UnmarshalText accepts what Parse accepts.
func (c *Code) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Parse reads a code's text form, case-insensitively and with Crockford's
// substitutions, and verifies its check character. The error never echoes
// more of the input than its length, since callers sometimes pass raw
// values by mistake.
func Parse(s string) (Code, error) {
	if len(s) != Length || s[2] != '_' {
		return Code{}, fmt.Errorf("%w: want %d characters <kind>_<body><check>, got %d", ErrInvalid, Length, len(s))
	}
	var kind Kind
	for _, k := range Kinds() {
		if strings.EqualFold(s[:2], prefixes[k]) {
			kind = k
		}
	}
	if kind == 0 {
		return Code{}, fmt.Errorf("%w: unknown kind prefix", ErrInvalid)
	}
	c := Code{kind: kind}
	if !decode(&c.id, s[3:29]) {
		return Code{}, fmt.Errorf("%w: body is not Crockford base32", ErrInvalid)
	}
	want := checkAlphabet[mod37(c.id)]
	if got := upper(s[29]); got != want && !(want == '1' && (got == 'I' || got == 'L')) && !(want == '0' && got == 'O') {
		return Code{}, fmt.Errorf("%w: check character does not match (mistyped?)", ErrInvalid)
	}
	var canon [Length]byte
	c.text(&canon)
	if digitRun(canon[:]) > maxDigitRun {
		return Code{}, fmt.Errorf("%w: never issued (digit run)", ErrInvalid)
	}
	return c, nil
}

// digitRun returns the length of the longest run of ASCII digits in s.
func digitRun[S string | []byte](s S) int {
	run, longest := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
