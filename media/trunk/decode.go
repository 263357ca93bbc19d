package trunk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"regexp"
	"strings"

	"kordon/types/fault"
)

// MaxDocument bounds a trunk's JSON document (a CA bundle is most of it).
const MaxDocument = 256 << 10

// Decode reads one trunk from a JSON document strictly: one object, no
// unknown fields, nothing after it. It normalizes the result (Normalize)
// but does not validate it. Errors are fault.Invalid and describe the
// document's shape — a byte offset, a field name, the expected type —
// without repeating its content, which may hold a password.
func Decode(doc []byte) (Trunk, error) {
	const op = "trunk.Decode"
	if len(doc) > MaxDocument {
		return Trunk{}, fault.E(op, fault.TooLarge, fmt.Errorf("the trunk document is larger than %d bytes", MaxDocument))
	}
	var t Trunk
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Trunk{}, fault.E(op, fault.Invalid, describeDecode(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Trunk{}, fault.E(op, fault.Invalid, errors.New("the trunk document has data after its JSON object"))
	}
	t.Normalize()
	return t, nil
}

// fieldName matches the field names of a trunk; an unknown field is
// named in an error only when it looks like one, since a client may have
// put a value where a name belongs.
var fieldName = regexp.MustCompile(`^[a-z_]{1,32}$`)

// describeDecode turns a decoding error into a message that holds no part
// of the document beyond a field name.
func describeDecode(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the trunk document is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the trunk document ends inside its JSON object")
	case errors.As(err, &se):
		return fmt.Errorf("the trunk document is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return errors.New("the trunk document must be a JSON object")
		}
		want := jsonType(te.Type.Kind().String())
		if te.Type == reflect.TypeFor[netip.Prefix]() {
			want = "a string"
		}
		return fmt.Errorf("%s: wrong type (want %s)", te.Field, want)
	case isDecodeError(err):
		return err
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if fieldName.MatchString(name) {
			return fmt.Errorf("unknown field %q", name)
		}
		return errors.New("the trunk document has an unknown field")
	case strings.Contains(err.Error(), "netip.ParsePrefix"):
		// The only text unmarshaler in a Trunk; its error repeats the
		// input, so it is replaced.
		return errors.New(`allow_from: want networks such as "192.0.2.0/24" or "2001:db8::/32"`)
	}
	return errors.New("the trunk document does not have the expected shape")
}

// jsonType names a Go kind as a JSON type.
func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}
