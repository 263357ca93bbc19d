package trunk

import (
	"encoding/json"
	"time"
)

// String formats d as a Go duration ("30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON encodes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// errDuration reports a duration that is not a Go duration string. The
// field is not known here, and the value is not repeated.
var errDuration = &decodeError{msg: `limits: durations are strings such as "30s" or "1h"`}

// UnmarshalJSON accepts a Go duration string such as "30s" or "1h30m".
// Numbers are refused: a bare 30 could mean seconds or nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errDuration
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return errDuration
	}
	*d = Duration(v)
	return nil
}
