package audit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// timeLayout is the canonical time format: UTC, milliseconds, fixed width,
// so that times compare as strings (Search filters on them in SQL).
const timeLayout = "2006-01-02T15:04:05.000Z"

// MarshalJSON encodes e in canonical form, the form Append stores and
// hashes: fields in declaration order, empty optional fields left out,
// the time as UTC milliseconds in fixed width, detail keys sorted, and
// strings escaped as encoding/json escapes them (each invalid UTF-8 byte
// becomes U+FFFD). Decoding the result with encoding/json and encoding
// again gives the same bytes.
func (e Entry) MarshalJSON() ([]byte, error) {
	return e.appendJSON(nil), nil
}

// appendJSON appends the canonical JSON of e to b. It allocates only to
// sort more than eight detail keys.
func (e *Entry) appendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","actor":{"type":`...)
	b = appendString(b, e.Actor.Type)
	b = append(b, `,"id":`...)
	b = appendString(b, e.Actor.ID)
	b = append(b, '}')
	b = appendField(b, "remote", e.Remote)
	b = append(b, `,"action":`...)
	b = appendString(b, e.Action)
	b = appendField(b, "purpose", e.Purpose)
	b = appendField(b, "reference", e.Reference)
	b = appendField(b, "kind", e.Kind)
	b = appendList(b, "codes", e.Codes)
	b = appendList(b, "value_hashes", e.ValueHashes)
	b = append(b, `,"result":`...)
	b = appendString(b, e.Result)
	b = appendField(b, "reason", e.Reason)
	b = appendField(b, "request_id", e.RequestID)
	if len(e.Detail) > 0 {
		var arr [8]string
		keys := arr[:0]
		for k := range e.Detail {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"detail":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, e.Detail[k])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

func appendList(b []byte, name string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// (including <, >, & and U+2028/U+2029), so that for valid UTF-8 the
// output is the same whichever encoder a reader compares it with. Each
// invalid byte becomes a literal U+FFFD (encoding/json writes the escape
// \ufffd), so that decoding and encoding again gives the same bytes.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeEntry decodes a stored body.
func decodeEntry(body []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(body, &e); err != nil {
		return Entry{}, fmt.Errorf("decode audit entry: %w", err)
	}
	return e, nil
}

// bodySeq returns the seq a body claims, decoding nothing else. It checks
// that the whole body is valid JSON.
func bodySeq(body []byte) (int64, error) {
	var v struct {
		Seq *int64 `json:"seq"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return 0, fmt.Errorf("body is not valid JSON")
	}
	if v.Seq == nil {
		return 0, fmt.Errorf("body has no seq")
	}
	return *v.Seq, nil
}

// formatTime formats t in the canonical layout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
