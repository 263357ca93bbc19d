package record

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"

	"kordon/types/pii"
)

// Recording IDs are "rec_" and 128 random bits in lower-case base32 (26
// characters). They are drawn again while they hold a run of five or more
// digits, as codes are, so that no ID can look like part of a telephone
// number to a PII scanner downstream.
const (
	idPrefix   = "rec_"
	idLen      = len(idPrefix) + 26
	idMaxDigit = 4
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID draws a recording ID.
func newID() string {
	var b [16]byte
	for {
		rand.Read(b[:])
		id := idPrefix + strings.ToLower(idEncoding.EncodeToString(b[:]))
		if pii.DigitRun(id) <= idMaxDigit {
			return id
		}
	}
}

// checkID reports whether id has the shape newID gives. IDs come from
// callers (the console, the API), so nothing else reaches the database,
// the file system or the audit log.
func checkID(id string) error {
	if len(id) != idLen || !strings.HasPrefix(id, idPrefix) {
		return fmt.Errorf("recording ID must be %q and 26 base32 characters", idPrefix)
	}
	for i := len(idPrefix); i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || '2' <= c && c <= '7') {
			return fmt.Errorf("recording ID must be %q and 26 base32 characters", idPrefix)
		}
	}
	if pii.DigitRun(id) > idMaxDigit {
		return fmt.Errorf("recording ID holds more than %d digits in a row", idMaxDigit)
	}
	return nil
}

// checkCallID accepts the ID of the call a recording belongs to: 1 to 64
// characters of letters, digits, '.', '_' and '-', without a run of
// pii.PhoneDigits digits, since it is stored with the recording and
// written to the audit log and could otherwise carry a telephone number.
func checkCallID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("call ID must be 1 to 64 characters")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("call ID must be letters, digits, '.', '_' and '-'")
		}
	}
	if pii.DigitRun(id) >= pii.PhoneDigits {
		return fmt.Errorf("call ID holds %d or more digits in a row (it could be a telephone number)", pii.PhoneDigits)
	}
	return nil
}
