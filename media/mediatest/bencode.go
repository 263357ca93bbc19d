package mediatest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Bencode (BitTorrent's encoding) is how rtpengine's ng control protocol
// frames its dictionaries. Only what ng uses is supported: byte strings
// (decoded as string), integers (int64), lists ([]any) and dictionaries
// with string keys (map[string]any).

// maxBencodeDepth bounds nesting, so a hostile reply cannot exhaust the
// stack; ng messages nest three or four levels.
const maxBencodeDepth = 32

// bencode encodes v: string, []byte, int, int64, []string, []any or
// map[string]any, nested. Dictionary keys are written sorted, as the
// format requires.
func bencode(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := bencodeTo(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func bencodeTo(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case string:
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	case []byte:
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.Write(v)
	case int:
		fmt.Fprintf(b, "i%de", v)
	case int64:
		fmt.Fprintf(b, "i%de", v)
	case []string:
		b.WriteByte('l')
		for _, s := range v {
			_ = bencodeTo(b, s)
		}
		b.WriteByte('e')
	case []any:
		b.WriteByte('l')
		for _, e := range v {
			if err := bencodeTo(b, e); err != nil {
				return err
			}
		}
		b.WriteByte('e')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('d')
		for _, k := range keys {
			_ = bencodeTo(b, k)
			if err := bencodeTo(b, v[k]); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
		}
		b.WriteByte('e')
	default:
		return fmt.Errorf("bencode: cannot encode %T", v)
	}
	return nil
}

// bdecode decodes exactly one value that fills all of b.
func bdecode(b []byte) (any, error) {
	v, rest, err := bdecodeValue(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("bencode: %d bytes after the value", len(rest))
	}
	return v, nil
}

var errBencodeShort = errors.New("bencode: truncated")

func bdecodeValue(b []byte, depth int) (any, []byte, error) {
	if depth > maxBencodeDepth {
		return nil, nil, errors.New("bencode: nested too deep")
	}
	if len(b) == 0 {
		return nil, nil, errBencodeShort
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, errBencodeShort
		}
		digits := string(b[1:end])
		n, err := strconv.ParseInt(digits, 10, 64)
		if err != nil || digits != strconv.FormatInt(n, 10) { // no "+1", "01", "-0"
			return nil, nil, fmt.Errorf("bencode: bad integer")
		}
		return n, b[end+1:], nil
	case c >= '0' && c <= '9':
		s, rest, err := bdecodeString(b)
		return s, rest, err
	case c == 'l':
		list := []any{}
		rest := b[1:]
		for {
			if len(rest) == 0 {
				return nil, nil, errBencodeShort
			}
			if rest[0] == 'e' {
				return list, rest[1:], nil
			}
			v, r, err := bdecodeValue(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			list, rest = append(list, v), r
		}
	case c == 'd':
		dict := map[string]any{}
		rest := b[1:]
		for {
			if len(rest) == 0 {
				return nil, nil, errBencodeShort
			}
			if rest[0] == 'e' {
				return dict, rest[1:], nil
			}
			k, r, err := bdecodeString(rest)
			if err != nil {
				return nil, nil, fmt.Errorf("bencode: dictionary key: %w", err)
			}
			if _, dup := dict[k]; dup {
				return nil, nil, errors.New("bencode: duplicate dictionary key")
			}
			v, r, err := bdecodeValue(r, depth+1)
			if err != nil {
				return nil, nil, err
			}
			dict[k], rest = v, r
		}
	default:
		return nil, nil, fmt.Errorf("bencode: unexpected byte 0x%02x", c)
	}
}

func bdecodeString(b []byte) (string, []byte, error) {
	colon := bytes.IndexByte(b, ':')
	if colon < 1 || colon > 10 {
		return "", nil, errors.New("bencode: bad string length")
	}
	digits := string(b[:colon])
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || digits != strconv.Itoa(n) {
		return "", nil, errors.New("bencode: bad string length")
	}
	if n > len(b)-colon-1 {
		return "", nil, errBencodeShort
	}
	return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
}
