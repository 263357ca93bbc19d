package trunk

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// redacted is what a Secret prints as.
const redacted = "***"

// Secret is a digest password. It is write-only: it decodes from JSON
// (create and update requests carry the plaintext) but prints, logs and
// encodes as "***", and Credentials leave it out of their JSON entirely.
// The plaintext comes out only through Reveal. The zero Secret is empty.
type Secret struct {
	s string
}

// NewSecret wraps a plaintext password, for the command line's password
// files and for tests.
func NewSecret(plaintext string) Secret { return Secret{s: plaintext} }

// Reveal returns the plaintext. Only the SIP digest code calls it, to
// compute or check a response; never pass the result to a logger or an
// error.
func (s Secret) Reveal() string { return s.s }

// IsZero reports whether the secret is empty (not given). It also makes
// `omitzero` leave an empty Secret out of JSON.
func (s Secret) IsZero() bool { return s.s == "" }

// String returns "***".
func (s Secret) String() string { return redacted }

// GoString returns a redacted Go-syntax form, for %#v.
func (s Secret) GoString() string { return "trunk.Secret{" + redacted + "}" }

// Format prints "***" for every verb, so that %x or %q cannot reach the
// plaintext through reflection.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, redacted)
}

// LogValue makes slog print "***".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes "***". Credentials never get this far (they omit
// the password); this covers a Secret embedded anywhere else.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalText encodes "***".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// errSecretType reports a password that is not a JSON string; it does not
// repeat what was sent.
var errSecretType = &decodeError{msg: "password: want a JSON string"}

// UnmarshalJSON accepts the plaintext as a JSON string; null and "" leave
// the Secret empty (meaning "keep the stored password" on update).
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errSecretType
	}
	s.s = v
	return nil
}

// MarshalJSON encodes the username only: the password is write-only.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username string `json:"username"`
	}{c.Username})
}

// Format prints the username and "***" for every verb. Without it, fmt
// would print a *Credentials under a verb that does not suit a pointer
// (%s, %x, %d on a Trunk) by reflection, with methods off, and so reach
// the password.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "trunk.Credentials{Username:%q, Password:%s}", c.Username, c.Password.GoString())
		return
	}
	if verb == 'v' && f.Flag('+') {
		fmt.Fprintf(f, "{Username:%s Password:%s}", c.Username, redacted)
		return
	}
	fmt.Fprintf(f, "{%s %s}", c.Username, redacted)
}

// LogValue makes slog print the username only.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", redacted))
}

// decodeError is an error from one of this package's JSON decoders. Its
// message names the field and the expected form and never the input, so
// Decode can pass it on as is.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

// isDecodeError reports whether err came from one of this package's
// decoders.
func isDecodeError(err error) bool {
	var de *decodeError
	return errors.As(err, &de)
}
