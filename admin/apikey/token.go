package apikey

import (
	"encoding/base32"
	"errors"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"kordon/types/pii"
)

// Token layout: kdn_<id>_<secret>.
const (
	tokenPrefix = "kdn_"
	idLen       = 10 // base32 characters, 50 bits
	secretBytes = 32 // random bytes in a secret
	secretLen   = 52 // base32 characters of secretBytes, unpadded
	tokenLen    = len(tokenPrefix) + idLen + 1 + secretLen
	maxIDDigits = 4 // longest digit run a generated id may hold
	maxNameLen  = 64
	// maxNameDigits is the longest run of digits a key name may hold; a
	// longer run could be a telephone number, and names are audited.
	maxNameDigits = 6
)

// b32 is lower-case RFC 4648 base32 without padding.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// errMalformed reports text that is not a token this package issued. It
// says nothing about the text, which may be anything a client sent.
var errMalformed = errors.New("malformed API key token")

// newID draws a key id: 10 base32 characters, drawn again while it has a
// run of five or more digits, so that an id is never phone-shaped and the
// egress guard never mistakes one for a number.
func newID(r io.Reader) (string, error) {
	var b [7]byte // 56 bits; the first 10 characters carry 50 of them
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		id := b32.EncodeToString(b[:])[:idLen]
		if pii.DigitRun(id) <= maxIDDigits {
			return id, nil
		}
	}
}

// newSecret draws a secret and returns its raw bytes and its text form.
func newSecret(r io.Reader) ([]byte, string, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, "", err
	}
	return b, b32.EncodeToString(b), nil
}

// formatToken builds the token handed to the key's owner.
func formatToken(id, secret string) string {
	return tokenPrefix + id + "_" + secret
}

// parseToken splits a token into its id and raw secret. It accepts only the
// canonical form this package issues; the id it returns is well-formed
// (validID), so it is safe to record even when the secret is wrong.
func parseToken(tok string) (id string, secret []byte, err error) {
	if len(tok) != tokenLen || !strings.HasPrefix(tok, tokenPrefix) || tok[len(tokenPrefix)+idLen] != '_' {
		return "", nil, errMalformed
	}
	id = tok[len(tokenPrefix) : len(tokenPrefix)+idLen]
	text := tok[len(tokenPrefix)+idLen+1:]
	if !validID(id) {
		return "", nil, errMalformed
	}
	secret, err = b32.DecodeString(text)
	if err != nil || len(secret) != secretBytes || b32.EncodeToString(secret) != text {
		return id, nil, errMalformed
	}
	return id, secret, nil
}

// validID reports whether s could be an id newID drew.
func validID(s string) bool {
	if len(s) != idLen || pii.DigitRun(s) > maxIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}

// checkName accepts a key's name: 1 to 64 printable characters, no
// leading or trailing space, and no run of seven or more digits, since the
// name is recorded in the audit log. The error never repeats the name.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("a name is required (what the key is for, e.g. \"bitrix24 prod\")")
	case !utf8.ValidString(name):
		return errors.New("the name is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameLen:
		return errors.New("the name is longer than 64 characters")
	case strings.TrimSpace(name) != name:
		return errors.New("the name has leading or trailing white space")
	case pii.DigitRun(name) > maxNameDigits:
		return errors.New("the name must not contain 7 or more digits in a row (it could be a phone number)")
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return errors.New("the name must be printable text (no control characters, tabs or line breaks)")
		}
	}
	return nil
}
