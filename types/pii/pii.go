// Package pii holds raw personal data — phone numbers, names, e-mail
// addresses — in a type that cannot be printed, logged or serialized by
// accident.
//
// A Value formats as "[redacted]" under every fmt verb, in slog, and in JSON
// and text encodings. The raw text comes out only through Reveal, a name
// reviewers can grep for: every call site is a place where personal data is
// deliberately handled (the tokenizer, the SIP edge, the dialer, local TTS,
// and payloads to destinations an admin marked `identified`).
//
// Values are immutable and safe to share between goroutines. The package
// imports only the standard library.
package pii

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Value prints as.
const Redacted = "[redacted]"

// Value is a raw personal value. The zero Value is empty.
type Value struct {
	raw string
}

// New wraps raw text. The caller must not keep or print raw afterwards.
func New(raw string) Value { return Value{raw: raw} }

// Reveal returns the raw text. Call it only where the raw value is needed
// and cannot leave the process; never pass the result to a logger, an error,
// or a request that does not go through egress.
func (v Value) Reveal() string { return v.raw }

// IsZero reports whether the value is empty.
func (v Value) IsZero() bool { return v.raw == "" }

// Len returns the length of the raw text in bytes, which is safe to report.
func (v Value) Len() int { return len(v.raw) }

// String returns Redacted.
func (v Value) String() string { return Redacted }

// GoString returns a redacted Go-syntax form, for %#v.
func (v Value) GoString() string { return "pii.Value{" + Redacted + "}" }

// Format prints Redacted for every verb, including %q, %x and %#v.
func (v Value) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, v.GoString())
		return
	}
	fmt.Fprint(f, Redacted)
}

// LogValue makes slog print Redacted.
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON encodes Redacted, so a Value embedded in a struct can never
// leak through encoding/json. Code that must send the raw value builds its
// payload from Reveal explicitly.
func (v Value) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText encodes Redacted.
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// UnmarshalJSON accepts a JSON string, so request bodies can decode raw
// values straight into the redacting type.
func (v *Value) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("pii value: want a JSON string")
	}
	v.raw = s
	return nil
}

// UnmarshalText accepts any text.
func (v *Value) UnmarshalText(b []byte) error {
	v.raw = string(b)
	return nil
}
