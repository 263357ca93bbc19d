package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"kordon/types/fault"
)

// decodeJSON reads the request body into v: application/json only, at most
// limit bytes, no unknown fields, nothing after the object. Its errors
// describe the body's shape (an offset, a field name from v's own tags)
// and never repeat what the body holds, which may be personal data.
func decodeJSON(c echo.Context, limit int64, v any) error {
	const op = "admin.decode"
	r := c.Request()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errMediaType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errMediaType
	}
	if r.ContentLength > limit {
		return fault.E(op, fault.TooLarge, fmt.Errorf("the request body is larger than %d bytes", limit))
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response().Writer, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fault.E(op, kindOfDecode(err), describeDecode(err, limit))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fault.E(op, fault.TooLarge, describeDecode(err, limit))
		}
		return fault.E(op, fault.Invalid, errors.New("the request body has data after its JSON object"))
	}
	return nil
}

// identifier matches the field names this API uses; an unknown field is
// named in an error only when it looks like one, since a client may have
// put a value where a name belongs.
var identifier = regexp.MustCompile(`^[a-z_]{1,32}$`)

func kindOfDecode(err error) fault.Kind {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fault.TooLarge
	}
	return fault.Invalid
}

// describeDecode turns a decoding error into a message that holds no part
// of the body.
func describeDecode(err error, limit int64) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return fmt.Errorf("the request body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return errors.New("the request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the request body ends inside its JSON object")
	case errors.As(err, &se):
		return fmt.Errorf("the request body is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return errors.New("the request body must be a JSON object")
		}
		return fmt.Errorf("field %q has the wrong type (want %s)", te.Field, jsonType(te.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if identifier.MatchString(name) {
			return fmt.Errorf("unknown field %q", name)
		}
		return errors.New("the request body has an unknown field")
	}
	return errors.New("the request body does not have the expected shape")
}

// jsonType names a Go kind as a JSON type.
func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}
