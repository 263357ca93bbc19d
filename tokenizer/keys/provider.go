package keys

import (
	"context"
	"errors"
)

// Provider holds a key-encryption key (KEK) and wraps and unwraps data keys
// with it. The plaintext KEK never leaves the provider: with Vault Transit it
// never even reaches this process.
//
// Wrapped values are self-describing strings of the form
// "<provider>:v<version>:<base64>" so that a ring can tell which provider and
// KEK version produced them.
type Provider interface {
	// Name is the provider's configured name: "local" or "vault".
	Name() string
	// Wrap encrypts a data key under the newest KEK version.
	Wrap(ctx context.Context, plaintext []byte) (string, error)
	// Unwrap decrypts a value produced by Wrap under any KEK version that
	// has not been retired.
	Unwrap(ctx context.Context, wrapped string) ([]byte, error)
	// Rewrap re-encrypts a wrapped value under the newest KEK version
	// without returning the plaintext to the caller.
	Rewrap(ctx context.Context, wrapped string) (string, error)
	// Rotate adds a KEK version and returns it. Older versions keep
	// unwrapping.
	Rotate(ctx context.Context) (int, error)
	// Status reports the provider's newest KEK version and reachability.
	Status(ctx context.Context) (Status, error)
}

// Status describes a provider for `kordon keys status` and the console.
type Status struct {
	Provider string // "local" or "vault"
	Location string // key file path or Vault address and key name; never secret
	Version  int    // newest KEK version
	Versions int    // number of KEK versions that still unwrap
}

// ErrUnavailable reports that the provider cannot be reached (Vault down,
// key file unreadable). Callers fail closed on it.
var ErrUnavailable = errors.New("key provider unavailable")

// ErrWrapped reports a wrapped value that is malformed, was produced by a
// different provider, or does not authenticate.
var ErrWrapped = errors.New("wrapped key invalid")
