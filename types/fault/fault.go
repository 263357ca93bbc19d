// Package fault gives Kordon's errors a kind, so that one place (the HTTP
// layer, the command line) can turn any error into a status code or an exit
// status without matching on text.
//
// An Error carries the operation that was attempted, a Kind and the wrapped
// cause. Messages name codes, keys and paths, never personal values: the
// types in types/pii redact themselves, and callers put codes, not values,
// into messages.
//
// The package imports only the standard library.
package fault

import (
	"errors"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// Kinds of error. Other (the zero Kind) means unclassified, treated as an
// internal error.
const (
	Other        Kind = iota
	Invalid           // the input is malformed; retrying the same input fails again
	NotFound          // the thing asked for does not exist
	Erased            // the code existed and was erased; it never resolves again
	Unauthorized      // no or bad credentials
	Denied            // authenticated, but not allowed (scope, purpose, revoked key)
	Conflict          // the state changed under the caller
	RateLimited       // too many requests; retry later
	TooLarge          // the request exceeds a size limit
	Unavailable       // a dependency (Vault, the disk) is down; the operation did not happen
	Internal          // a bug or an invariant broken
)

var kindNames = [...]string{
	Other: "other", Invalid: "invalid", NotFound: "not found", Erased: "erased",
	Unauthorized: "unauthorized", Denied: "denied", Conflict: "conflict",
	RateLimited: "rate limited", TooLarge: "too large", Unavailable: "unavailable", Internal: "internal",
}

// String names the kind in a few words.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "other"
}

// Error is an error with an operation and a kind.
type Error struct {
	Op   string // what was attempted, e.g. "tokenizer.Resolve"
	Kind Kind
	Err  error // the cause; may be nil
}

// E builds an Error. A nil err with a kind makes an error whose message is
// the kind itself.
func E(op string, kind Kind, err error) *Error { return &Error{Op: op, Kind: kind, Err: err} }

// Errorf-style messages are built by the caller with fmt.Errorf and passed
// as err, so that %w wrapping keeps working.

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of the outermost classified error in err's chain,
// or Other.
func KindOf(err error) Kind {
	var e *Error
	for err != nil {
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// Is reports whether err's kind is k.
func Is(err error, k Kind) bool { return KindOf(err) == k }
